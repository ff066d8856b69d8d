"""Storage write throughput against raw asyncpg COPY and per-row INSERTs; lap telemetry read latency.

    python benchmarks/bench_storage.py [--samples 240000] [--batches 6,60,600] [--orm-rows 3000] [--reads 20]

Runs on a throw-away embedded PostgreSQL (or ``DATABASE_URL``), in one process:

* write stream – batches of each ``--batches`` size with every channel, sent through StorageService.Write
  (a real gRPC server on loopback) as fast as its acks allow, by a writer in its own process
  (as ingest is), twice: one request per batch, and as runs (``WriteRequest.batches``: the
  batches that wait, up to 1 MiB a request, which is how ingest sends a stream that comes faster
  than storage answers; every batch keeps its seq and is stored as if alone); timed from the first
  request to the ack of the last batch, so every sample counted is committed;
* raw COPY     – the same samples with asyncpg's binary ``copy_records_to_table`` into the same
  table, 10,000 rows per COPY, each in its own transaction; records are built before the clock
  starts (raw's best case: no numpy → tuple conversion counted);
* raw per batch – the same, one COPY per batch of the first size (a writer committing every batch);
* ORM-style    – one ``INSERT`` per frame in autocommit, as the older design's ORM did
  (``--orm-rows`` rows; the rate is what matters);
* storage CPU  – the storage server's CPU time (this process's, while the writer streams) per batch: less
  sensitive than the ratios to other work on a shared machine;
* lap read     – StreamLapTelemetry of a ~5,000-sample lap, all channels, median and p95 of
  ``--reads`` calls.

Goals: write stream ≥ 0.8 × raw COPY at every batch size, ≥ 20 × ORM-style.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import grpc
import numpy as np
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.common.batch import build_raw_batch
from racecoach.services.common.channels import CHANNELS
from racecoach.services.common.settings import Ports, load_settings
from racecoach.services.ingest.coalesce import RUN_MAX_BATCHES, RUN_MAX_BYTES, Stored, run_request
from racecoach.services.storage.binary_copy import COLUMNS
from racecoach.services.storage.database import start_embedded
from racecoach.services.storage.identity import create_token
from racecoach.services.storage.server import serve
from racecoach.services.storage.state import open_storage
from racecoach.services.storage.writes import upsert_session
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from racecoach.telemetry.v1 import telemetry_pb2

HZ = 60.0
LAP_SAMPLES = 5_000


def session_message(name: str) -> telemetry_pb2.Session:
    session = telemetry_pb2.Session(
        session_id=f"bench-{name}-{os.urandom(4).hex()}",
        track=telemetry_pb2.Track(track_id="1", name="spielberg", display_name="Red Bull Ring", layout="GP", length_m=4318.0),
        car=telemetry_pb2.Car(car_id="2", name="Mercedes-AMG GT4"), tick_rate_hz=HZ,
    )
    session.start_time.GetCurrentTime()
    return session


def channel_arrays(count: int, *, seed: int = 7) -> dict[str, np.ndarray]:
    """Every channel, plausible values inside each channel's range."""
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {}
    for channel in CHANNELS:
        low = max(channel.low, -1e3)
        high = min(channel.high, 1e3)
        arrays[channel.field] = rng.uniform(low, high, count).astype(channel.dtype)
    index = np.arange(count)
    arrays["session_time_s"] = 10.0 + index / HZ
    arrays["lap_dist_m"] = ((index % LAP_SAMPLES) * 0.8).astype(np.float32)
    arrays["lap_dist_pct"] = (arrays["lap_dist_m"] / 4318.0).astype(np.float32)
    arrays["lap"] = (1 + index // LAP_SAMPLES).astype(np.float32)
    arrays["session_flags"] = np.full(count, 0x10000004, dtype=np.uint32)
    return arrays


def batch_slices(total: int, size: int) -> list[slice]:
    return [slice(start, min(start + size, total)) for start in range(0, total, size)]


def as_runs(batches: list[Stored]) -> list[bytes]:
    """The batches as ingest sends those waiting for storage: runs of up to 1 MiB (coalesce.store_runs)."""
    requests, run, size = [], [], 0
    for item in batches:
        if run and (len(run) >= RUN_MAX_BATCHES or size + len(item.payload) > RUN_MAX_BYTES):
            requests.append(run_request(run))
            run, size = [], 0
        run.append(item)
        size += len(item.payload)
    return requests + ([run_request(run)] if run else [])


async def write_stream(channel, metadata, *, arrays, batch: int, runs: bool = False) -> tuple[float, telemetry_pb2.Session]:
    """Stream the arrays as batches (serialized beforehand, as the uploader does) and wait for the last ack."""
    session = session_message("grpc")
    total = len(arrays["session_time_s"])
    batches = [
        Stored(seq=seq, payload=build_raw_batch(
            session_id=session.session_id, seq=seq, arrays={k: v[part] for k, v in arrays.items()}).SerializeToString())
        for seq, part in enumerate(batch_slices(total, batch), start=1)
    ]
    requests = [storage_pb2.WriteRequest(request_id=0, session=session).SerializeToString()]
    requests += as_runs(batches) if runs else [run_request([item]) for item in batches]
    last = batches[-1].seq
    call = channel.stream_stream("/racecoach.storage.v1.StorageService/Write", request_serializer=None,
                                 response_deserializer=storage_pb2.WriteResponse.FromString)

    async def feed():
        for request in requests:
            yield request

    began = time.perf_counter()
    async for reply in call(feed(), metadata=metadata):
        if reply.HasField("error"):
            raise RuntimeError(reply.error.message)
        if reply.request_id == last:
            break
    return time.perf_counter() - began, session


def writer_process(pipe, samples: int) -> None:
    """The writer, in its own process: waits for (address, token), then streams once for each (batch, runs)
    it is sent and answers (seconds, session id), until it is sent None."""
    address, token = pipe.recv()

    async def go() -> None:
        arrays = channel_arrays(samples)
        metadata = [("authorization", f"Bearer {token}")]
        async with grpc.aio.insecure_channel(address) as channel:
            await write_stream(channel, metadata, arrays={k: v[:3000] for k, v in arrays.items()}, batch=60)  # warm-up
            pipe.send("ready")
            while (order := pipe.recv()) is not None:
                batch, runs = order
                seconds, session = await write_stream(channel, metadata, arrays=arrays, batch=batch, runs=runs)
                pipe.send((seconds, session.session_id))

    asyncio.run(go())


async def answer(pipe):
    while not pipe.poll():
        await asyncio.sleep(0.02)
    return pipe.recv()


async def new_session_pk(storage, user, name: str) -> int:
    async with storage.pool.acquire() as conn:
        return (await upsert_session(conn, user=user, session=session_message(name))).session_pk


def records(arrays: dict[str, np.ndarray], *, session_pk: int, batch: int) -> list[tuple]:
    total = len(arrays["session_time_s"])
    seq = (np.arange(total) // batch + 1).tolist()
    idx = (np.arange(total) % batch).tolist()
    columns = [arrays[c.field].tolist() for c in CHANNELS]
    return [(session_pk, s, i, *values) for s, i, values in zip(seq, idx, zip(*columns))]


async def raw_copy(storage, rows: list[tuple], *, chunk: int) -> float:
    async with storage.pool.acquire() as conn:
        began = time.perf_counter()
        for start in range(0, len(rows), chunk):
            await conn.copy_records_to_table("telemetry_samples", records=rows[start : start + chunk], columns=list(COLUMNS))
        return time.perf_counter() - began


async def orm_inserts(storage, rows: list[tuple]) -> float:
    sql = f"INSERT INTO telemetry_samples ({', '.join(COLUMNS)}) VALUES ({', '.join(f'${i + 1}' for i in range(len(COLUMNS)))})"
    async with storage.pool.acquire() as conn:
        began = time.perf_counter()
        for row in rows:
            await conn.execute(sql, *row)  # autocommit: one transaction per frame
        return time.perf_counter() - began


async def lap_reads(stub, metadata, *, session_id: str, reads: int) -> tuple[list[float], int]:
    lap = analysis_pb2.LapAnalysis(session_id=session_id, lap_id=f"{session_id}-1", lap_number=1,
                                   start_session_time_s=10.0, end_session_time_s=10.0 + LAP_SAMPLES / HZ, valid=True)
    async for reply in stub.Write(iter([storage_pb2.WriteRequest(lap=lap)]), metadata=metadata):
        assert not reply.HasField("error"), reply.error.message
    times, count = [], 0
    for _ in range(reads):
        began = time.perf_counter()
        count = 0
        async for reply in stub.StreamLapTelemetry(storage_pb2.StreamLapTelemetryRequest(lap_id=lap.lap_id), metadata=metadata):
            count += reply.chunk.sample_count
        times.append(time.perf_counter() - began)
    return times, count


async def run(*, root: Path, samples: int, sizes: list[int], orm_rows: int, reads: int, pipe) -> dict[str, object]:
    embedded = None
    dsn = os.environ.get("DATABASE_URL")
    if not dsn:
        embedded = start_embedded(data_dir=root, cleanup_mode="delete")
        dsn = embedded.uri
    settings = load_settings({"RACING_COACH_DATA_DIR": str(root / "data"), "DATABASE_URL": dsn}).with_overrides(ports=Ports(0, 0, 0, 0, 0))
    storage = await open_storage(settings=settings)
    server = await serve(settings=settings, port=0, storage=storage)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}", options=[("grpc.max_receive_message_length", 64 << 20)])
    try:
        async with storage.pool.acquire() as conn:
            issued = await create_token(conn, email=f"bench-{os.urandom(3).hex()}@example.test")
        metadata = [("authorization", f"Bearer {issued.token}")]
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        arrays = channel_arrays(samples)

        pipe.send((f"127.0.0.1:{server.port}", issued.token))
        await answer(pipe)
        # Each size's streams right after a raw COPY of the same samples: the ratio is of neighbours in time.
        streams, raws = [], []
        for size in sizes:
            rows = records(arrays, session_pk=await new_session_pk(storage, issued.user, f"raw-{size}"), batch=size)
            raws.append(samples / await raw_copy(storage, rows, chunk=10_000))
            for runs in (False, True):
                cpu = time.process_time()  # this process is the storage server while the writer streams
                pipe.send((size, runs))
                seconds, session_id = await answer(pipe)
                cpu_us = 1e6 * (time.process_time() - cpu) / -(-samples // size)
                streams.append((size, runs, samples / seconds, raws[-1], cpu_us))
        pipe.send(None)
        batch = sizes[0]
        rows = records(arrays, session_pk=await new_session_pk(storage, issued.user, "raw-batch"), batch=batch)
        raw_batch_s = await raw_copy(storage, rows, chunk=batch)
        rows = records({k: v[:orm_rows] for k, v in arrays.items()}, session_pk=await new_session_pk(storage, issued.user, "orm"), batch=batch)
        orm_s = await orm_inserts(storage, rows)

        read_times, read_count = await lap_reads(stub, metadata, session_id=session_id, reads=reads)
    finally:
        await channel.close()
        await server.stop(0)
        if embedded is not None:
            embedded.stop()
    read_times.sort()
    return {
        "samples": samples, "batch": batch,
        "streams": streams, "raw_sps": statistics.median(raws), "raw_batch_sps": samples / raw_batch_s,
        "orm_sps": orm_rows / orm_s,
        "read_samples": read_count, "read_p50_ms": 1e3 * statistics.median(read_times),
        "read_p95_ms": 1e3 * read_times[min(len(read_times) - 1, int(0.95 * len(read_times)))],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=240_000, help="samples written by each bulk method")
    parser.add_argument("--batches", default="6,60,600",
                        help="comma-separated samples per batch for the write stream (6 = 100 ms at 60 Hz; 600 = the per-batch maximum)")
    parser.add_argument("--orm-rows", type=int, default=3_000, help="rows for the per-row INSERT baseline")
    parser.add_argument("--reads", type=int, default=20, help="StreamLapTelemetry calls timed")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.batches.split(",")]
    root = Path(tempfile.mkdtemp(prefix="racecoach-bench-storage-"))
    root.chmod(0o755)
    # The writer process starts first (spawned, before any gRPC or database thread exists here).
    here, there = multiprocessing.get_context("spawn").Pipe()
    writer = multiprocessing.get_context("spawn").Process(target=writer_process, args=(there, args.samples), daemon=True)
    writer.start()
    try:
        r = asyncio.run(run(root=root, samples=args.samples, sizes=sizes, orm_rows=args.orm_rows, reads=args.reads, pipe=here))
    finally:
        writer.join(timeout=10)
        if writer.is_alive():
            writer.terminate()
        shutil.rmtree(root, ignore_errors=True)
    print(f"storage writes: {r['samples']:,} samples x {len(CHANNELS)} channels, every method into telemetry_samples")
    print(f"  raw asyncpg COPY, 10k rows per COPY         {r['raw_sps']:>10,.0f} samples/s (median; each size is compared"
          " with the raw COPY run just before it)")
    print(f"  raw asyncpg COPY, one per {r['batch']}-sample batch  {r['raw_batch_sps']:>10,.0f} samples/s")
    print(f"  ORM-style INSERT per frame, autocommit      {r['orm_sps']:>10,.0f} samples/s")
    for size, runs, sps, raw, cpu_us in r["streams"]:
        how = "as runs          " if runs else "one per request  "
        print(f"  write stream, {size:>4}-sample batches {how} {sps:>10,.0f} samples/s:"
              f" {sps / raw:.2f} x raw COPY ({raw:,.0f}/s; goal >= 0.8), {sps / r['orm_sps']:.0f}x ORM-style (goal >= 20x);"
              f" storage CPU {cpu_us:,.1f} us a batch")
    print(f"lap read: StreamLapTelemetry of {r['read_samples']:,} samples, all channels:"
          f" p50 {r['read_p50_ms']:.1f} ms, p95 {r['read_p95_ms']:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
