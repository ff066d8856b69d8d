"""Bytes on disk per telemetry sample, as the mesh stores it (the figures of deploy/SCALING.md).

    .venv/bin/python deploy/measure_storage.py [--laps 5] [--sessions 2]

Starts a throw-away embedded PostgreSQL and the whole mesh in this process, replays simulated
sessions through ingest in 100 ms batches (6 samples at 60 Hz, what a collector sends), and
reports the growth of the telemetry tables (heap, TOAST and indexes) per stored sample. Plain
PostgreSQL cannot show TimescaleDB's compression; as a proxy the script also compresses the
stored columns in segments of 1,000 rows per session, ordered by session time (zlib on each
column's byte-shuffled values), which is what columnar compression does in spirit, not in
detail: treat that ratio as an estimate until a TimescaleDB run measures the real one.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import zlib
from pathlib import Path

import numpy as np

TABLES = ("telemetry_samples", "telemetry_batches")


async def _sizes(conn) -> dict[str, int]:
    """Total bytes (heap + TOAST + indexes) of each table, its partitions included."""
    out = {}
    for table in TABLES:
        out[table] = await conn.fetchval(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
            " WHERE c.oid = to_regclass($1) OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass($1))",
            table)
    out["telemetry_indexes"] = await conn.fetchval(
        "SELECT coalesce(sum(pg_indexes_size(c.oid)), 0) FROM pg_class c"
        " WHERE c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass('telemetry_samples'))"
        " OR c.oid = to_regclass('telemetry_samples')")
    return out


def _shuffled(values: np.ndarray) -> bytes:
    """Byte-plane shuffle: the high bytes of neighbouring samples sit together, as columnar encodings use."""
    raw = np.ascontiguousarray(values).view(np.uint8).reshape(len(values), values.dtype.itemsize)
    return raw.T.tobytes()


async def _compressed_proxy(conn, columns: list[str]) -> tuple[int, int]:
    """(raw column bytes, zlib-compressed bytes) over segments of 1,000 rows per session."""
    raw_total = packed_total = 0
    sessions = [r["session_pk"] for r in await conn.fetch("SELECT DISTINCT session_pk FROM telemetry_samples")]
    for session_pk in sessions:
        rows = await conn.fetch(f"SELECT {', '.join(columns)} FROM telemetry_samples WHERE session_pk = $1"
                                " ORDER BY session_time_s, seq, idx", session_pk)
        for start in range(0, len(rows), 1000):
            segment = rows[start:start + 1000]
            for index, name in enumerate(columns):
                kind = np.float64 if name in ("session_time_s", "lat_deg", "lon_deg") else np.float32
                if name in ("session_pk", "seq"):
                    kind = np.int64
                elif name == "idx":
                    kind = np.int32
                values = np.array([np.nan if r[index] is None else r[index] for r in segment], dtype=kind)
                raw_total += values.nbytes
                packed_total += len(zlib.compress(_shuffled(values), 6))
    return raw_total, packed_total


async def measure(*, laps: int, sessions: int) -> None:
    from racecoach.client.simulator import simulate_session, write_session
    from racecoach.client.source import load_ibt
    from racecoach.client.uploader import Uploader, split_batches
    from racecoach.services.common.settings import Ports, load_settings
    from racecoach.services.mesh import start_mesh
    from racecoach.services.storage.binary_copy import COLUMNS
    from racecoach.services.storage.database import start_embedded
    from racecoach.services.storage.identity import create_token
    from racecoach.services.storage.state import open_storage

    root = Path(tempfile.mkdtemp(prefix="racecoach-measure-"))
    root.chmod(0o755)
    embedded = start_embedded(data_dir=root, cleanup_mode="delete")
    try:
        settings = load_settings({"RACING_COACH_DATA_DIR": str(root / "data"), "DATABASE_URL": embedded.uri,
                                  "RACING_COACH_LOG_LEVEL": "warning"}).with_overrides(ports=Ports(0, 0, 0, 0, 0))
        storage = await open_storage(settings=settings)
        mesh = await start_mesh(settings=settings, storage=storage)
        try:
            async with storage.pool.acquire() as conn:
                token = (await create_token(conn, email="measure@example.test")).token
                before = await _sizes(conn)
            sent = 0
            for seed in range(sessions):
                ibt, _ = write_session(simulate_session(track="Spa", laps=laps, seed=seed), root / f"spa-{seed}.ibt")
                meta, arrays = load_ibt(ibt)
                result = await Uploader(address=mesh.address("ingest"), token=token, session=meta).run(
                    split_batches(session_id=meta.session_id, arrays=arrays, samples_per_batch=6))
                assert not result.errors, result.errors
                sent += len(arrays["session_time_s"])
            async with storage.pool.acquire() as conn:
                await conn.execute("VACUUM ANALYZE telemetry_samples")
                await conn.execute("VACUUM ANALYZE telemetry_batches")
                after = await _sizes(conn)
                stored = await conn.fetchval("SELECT count(*) FROM telemetry_samples")
                batches = await conn.fetchval("SELECT count(*) FROM telemetry_batches")
                raw, packed = await _compressed_proxy(conn, list(COLUMNS))
        finally:
            await mesh.stop()
            await storage.close()
    finally:
        embedded.stop()
        shutil.rmtree(root, ignore_errors=True)
    grown = {name: after[name] - before[name] for name in after}
    print(f"samples sent {sent}, stored {stored}, batches {batches} ({stored / max(batches, 1):.1f} samples a batch)")
    print(f"telemetry_samples  {grown['telemetry_samples'] / stored:7.1f} bytes/sample"
          f"  (indexes {grown['telemetry_indexes'] / stored:.1f})")
    print(f"telemetry_batches  {grown['telemetry_batches'] / stored:7.1f} bytes/sample")
    total = grown["telemetry_samples"] + grown["telemetry_batches"]
    print(f"together           {total / stored:7.1f} bytes/sample")
    print(f"columns, raw       {raw / stored:7.1f} bytes/sample; zlib per 1,000-row segment {packed / stored:.1f}"
          f" bytes/sample ({raw / packed:.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--laps", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(measure(laps=args.laps, sessions=args.sessions))


if __name__ == "__main__":
    main()
