"""A fast import (``replay --fast``) with 100 ms batches against the same import with 1 s batches.

    python benchmarks/bench_import.py [--files 2] [--laps 3] [--rounds 2]

Starts a throw-away embedded PostgreSQL and the whole mesh (ingest, storage, analysis, coaching)
in this process, and replays simulated ``.ibt`` files through it from another process exactly as
``racing-coach replay --fast`` does (``replay_file``: the durable spool, the uploader's window,
every lap analysed and scored). Each round imports ``--files`` new files with 1 s batches
(60 samples) and ``--files`` others with 100 ms batches (6 samples), alternating, so that both
see the same machine; every file is a new session (a file replayed twice stores nothing the
second time). Each import is timed from its first batch to ingest's close, when every sample is
committed and every lap reported.

Goal: 100 ms batches at >= 0.7 x the samples/s of 1 s batches.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing
import os
import shutil
import tempfile
import time
from pathlib import Path


def importer_process(pipe, files: list[tuple[str, int]]) -> None:
    """Waits for (address, token), replays each (path, batch_ms) in turn, answers [(batch_ms, session id, seconds, laps)]."""
    from racecoach.client.commands.replay_cmd import replay_file

    address, token, spool_dir = pipe.recv()

    async def go() -> list[tuple[int, str, float, int]]:
        results = []
        for path, batch_ms in files:
            began = time.perf_counter()
            session, result = await replay_file(path=Path(path), address=address, token=token, speed=None, batch_ms=batch_ms,
                                                out=io.StringIO(), spool_dir=Path(spool_dir))
            seconds = time.perf_counter() - began
            if result.errors:
                raise RuntimeError(f"{path}: {result.errors[0].message}")
            results.append((batch_ms, session.session_id, seconds, len(result.laps)))
        return results

    pipe.send(asyncio.run(go()))


async def serve_mesh(root: Path, pipe) -> tuple[list, dict[str, int]]:
    from racecoach.services.common.settings import Ports, load_settings
    from racecoach.services.mesh import start_mesh
    from racecoach.services.storage.database import start_embedded
    from racecoach.services.storage.identity import create_token
    from racecoach.services.storage.state import open_storage

    embedded = start_embedded(data_dir=root / "pg", cleanup_mode="delete")
    settings = load_settings({"RACING_COACH_DATA_DIR": str(root / "data"), "DATABASE_URL": embedded.uri,
                              "RACING_COACH_LOG_LEVEL": "warning"}).with_overrides(ports=Ports(0, 0, 0, 0, 0))
    storage = await open_storage(settings=settings)
    mesh = await start_mesh(settings=settings, storage=storage)
    try:
        async with storage.pool.acquire() as conn:
            token = (await create_token(conn, email=f"bench-{os.urandom(3).hex()}@example.test")).token
        pipe.send((mesh.address("ingest"), token, str(root / "spool")))
        while not pipe.poll():
            await asyncio.sleep(0.05)
        results = pipe.recv()
        async with storage.pool.acquire() as conn:
            stored = {row["session_id"]: row["sample_count"] for row in await conn.fetch("SELECT session_id, sample_count FROM sessions")}
        return results, stored
    finally:
        await mesh.stop()
        await storage.close()
        embedded.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2, help="files imported per batch size and round")
    parser.add_argument("--laps", type=int, default=3, help="laps per simulated file")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, each importing --files files per batch size")
    parser.add_argument("--track", default="Spielberg")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="racecoach-bench-import-"))
    root.chmod(0o755)
    try:
        from racecoach.client.simulator import simulate_session, write_session

        plan: list[tuple[str, int]] = []
        seed = 0
        for _ in range(args.rounds):
            for batch_ms in (1000, 100):
                for _ in range(args.files):
                    seed += 1
                    path = root / f"{args.track}-{seed}.ibt"
                    write_session(simulate_session(track=args.track, laps=args.laps, seed=seed), path)
                    plan.append((str(path), batch_ms))
        context = multiprocessing.get_context("spawn")
        here, there = context.Pipe()
        importer = context.Process(target=importer_process, args=(there, plan), daemon=True)
        importer.start()  # before any gRPC or database thread exists here
        try:
            results, stored = asyncio.run(serve_mesh(root, here))
        finally:
            importer.join(timeout=10)
            if importer.is_alive():
                importer.terminate()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    totals: dict[int, list[float]] = {}
    for batch_ms, session_id, seconds, _laps in results:
        total = totals.setdefault(batch_ms, [0.0, 0.0])
        total[0] += stored[session_id]
        total[1] += seconds
    samples = [stored[r[1]] for r in results]
    rate = {batch_ms: s / t for batch_ms, (s, t) in totals.items()}
    laps = {batch_ms: sum(r[3] for r in results if r[0] == batch_ms) for batch_ms in totals}
    print(f"fast import through the whole mesh: {len(results)} files of {args.laps} laps ({args.track}),"
          f" {sum(samples):,} samples stored, {min(samples):,}-{max(samples):,} a file")
    for batch_ms in (1000, 100):
        print(f"  {batch_ms:>4} ms batches ({batch_ms * 60 // 1000:>2} samples): {rate[batch_ms]:>9,.0f} samples/s,"
              f" {laps[batch_ms]} laps reported")
    print(f"  100 ms against 1 s batches: {rate[100] / rate[1000]:.2f} x (goal >= 0.7)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
