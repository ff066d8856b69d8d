"""Reading a lap's telemetry for charts over REST: the binary columns route against the JSON SSE route.

    python benchmarks/bench_rest_read.py [--samples 5000] [--runs 15] [--no-rest]

1. Encoding. Both paths start from the same serialized StreamLapTelemetryResponse chunks, as the gateway
receives them from storage (1,000-sample chunks for the JSON route, its default; one chunk of
every sample for the columns route, as that route asks), every channel of a full lap:

* today  – what ``/api/v1/laps/{id}/telemetry`` does: parse each chunk, ``MessageToDict`` and
  ``json.dumps`` it into one server-sent event (``racecoach.codegen.rest_runtime.sse``);
* columns – what ``/api/v1/laps/{id}/columns`` does: read each chunk as a ``TelemetryBatchRawView``
  and join its packed channel bytes into one binary body (``racecoach.services.gateway.columns``).

The median of ``--runs`` of each is reported with their ratio; a check decodes the binary body
and compares it with the JSON values.

2. End to end (unless ``--no-rest``): the whole mesh on a throw-away embedded PostgreSQL, a
simulated 3-lap Red Bull Ring session replayed into it, then lap 2 (about 5,000 samples, every
stored channel) read over HTTP from the gateway by both routes, median of ``--runs`` GETs each;
this includes storage's database and gRPC read, the same for both.

Goal: columns ≥ 10× faster for a full lap.
"""

from __future__ import annotations

import argparse
import logging
import json
import statistics
import time

import numpy as np

from racecoach.codegen.rest_runtime import to_json_dict
from racecoach.services.common.batch import build_batch
from racecoach.services.common.channels import CHANNELS
from racecoach.services.gateway import columns
from racecoach.storage.v1 import storage_pb2


def lap_arrays(samples: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    arrays = {}
    for channel in CHANNELS:
        values = rng.uniform(max(channel.low, -100), min(channel.high, 100), samples)
        arrays[channel.field] = values.astype(channel.dtype)
    arrays["session_time_s"] = (100 + np.arange(samples) / 60.0).astype("<f8")
    return arrays


def chunks(arrays: dict[str, np.ndarray], *, chunk: int) -> list[bytes]:
    count = len(arrays["session_time_s"])
    return [
        storage_pb2.StreamLapTelemetryResponse(
            chunk=build_batch(session_id="bench", seq=seq, arrays={k: v[start : start + chunk] for k, v in arrays.items()})
        ).SerializeToString()
        for seq, start in enumerate(range(0, count, chunk), start=1)
    ]


def today(wire: list[bytes]) -> list[str]:
    return [json.dumps(to_json_dict(storage_pb2.StreamLapTelemetryResponse.FromString(data)), separators=(",", ":")) for data in wire]


def binary(wire: list[bytes]) -> bytes:
    return columns.encode([columns.chunk_view(data) for data in wire])


def median_s(fn, arg, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(*, samples: int, runs: int) -> dict[str, float]:
    arrays = lap_arrays(samples)
    json_wire, binary_wire = chunks(arrays, chunk=1000), chunks(arrays, chunk=5000)
    count, decoded = columns.decode(binary(binary_wire))
    events = today(json_wire)
    speed = [v for event in events for v in json.loads(event)["chunk"]["speedMps"]]
    assert count == samples and np.allclose(decoded["speed_mps"], speed) and len(decoded) == len(CHANNELS)
    json_s, binary_s = median_s(today, json_wire, runs), median_s(binary, binary_wire, runs)
    return {"samples": samples, "channels": len(CHANNELS), "json_ms": json_s * 1e3, "columns_ms": binary_s * 1e3,
            "ratio": json_s / binary_s, "json_bytes": sum(map(len, events)), "columns_bytes": len(binary(binary_wire))}


async def rest(root, *, runs: int) -> dict[str, float]:
    import uuid

    import httpx

    from racecoach.client.simulator import DriverProfile, simulate_session, write_session
    from racecoach.client.source import load_ibt
    from racecoach.client.uploader import Uploader, split_batches
    from racecoach.services.common.settings import Ports, load_settings
    from racecoach.services.mesh import start_mesh
    from racecoach.services.storage.database import start_embedded
    from racecoach.services.storage.identity import create_token
    from racecoach.services.storage.state import open_storage

    embedded = start_embedded(data_dir=root, cleanup_mode="delete")
    try:
        settings = load_settings({"RACING_COACH_DATA_DIR": str(root / "data"), "DATABASE_URL": embedded.uri}).with_overrides(
            ports=Ports(0, 0, 0, 0, 0))
        storage = await open_storage(settings=settings)
        mesh = await start_mesh(settings=settings, storage=storage)
        try:
            async with storage.pool.acquire() as conn:
                token = (await create_token(conn, email="bench@example.test")).token
            ibt, _ = write_session(simulate_session(track="Spielberg", laps=3, profile=DriverProfile()), root / "bench.ibt")
            session, arrays = load_ibt(ibt)
            session.session_id = str(uuid.uuid4())
            result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
                split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=600))
            lap = next(c.lap for c in result.laps if c.lap.lap_number == 2)
            figures: dict[str, float] = {"rest_samples": lap.sample_count}
            async with httpx.AsyncClient(base_url=mesh.gateway_url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
                for name, path in (("rest_json", "telemetry"), ("rest_columns", "columns")):
                    times = []
                    for _ in range(runs):
                        start = time.perf_counter()
                        (await client.get(f"/api/v1/laps/{lap.lap_id}/{path}")).raise_for_status()
                        times.append(time.perf_counter() - start)
                    figures[f"{name}_ms"] = statistics.median(times) * 1e3
            figures["rest_ratio"] = figures["rest_json_ms"] / figures["rest_columns_ms"]
            return figures
        finally:
            await mesh.stop()
            await storage.close()
    finally:
        embedded.stop()


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-rest", action="store_true", help="only the encoding, no mesh")
    args = parser.parse_args(argv)
    result = run(samples=args.samples, runs=args.runs)
    print(f"encoding a lap of {result['samples']} samples x {result['channels']} channels:"
          f" JSON SSE {result['json_ms']:.1f} ms ({result['json_bytes'] / 1e6:.2f} MB),"
          f" columns {result['columns_ms']:.2f} ms ({result['columns_bytes'] / 1e6:.2f} MB): {result['ratio']:.0f}x faster")
    if not args.no_rest:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        import asyncio
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            root.chmod(0o755)
            result.update(asyncio.run(rest(root, runs=args.runs)))
        print(f"GET over HTTP through the mesh, lap of {result['rest_samples']} samples, every channel:"
              f" /telemetry {result['rest_json_ms']:.0f} ms, /columns {result['rest_columns_ms']:.1f} ms:"
              f" {result['rest_ratio']:.0f}x faster")
    return result


if __name__ == "__main__":
    main()
