"""Whole-mesh figures: replay throughput against real time, lap-report latency against its
1 s budget, live-cue latency against its 200 ms budget.

    python benchmarks/bench_mesh.py

Runs the mesh in one process on a throw-away embedded PostgreSQL; the simulated session has
mistakes on its second lap so that the third lap gets live cues.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from racecoach.client.simulator import DriverProfile, brake_early, low_apex_speed, simulate_session, write_session
from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.services.common.settings import Ports, load_settings
from racecoach.services.mesh import start_mesh
from racecoach.services.storage.database import start_embedded
from racecoach.services.storage.identity import create_token
from racecoach.services.storage.state import open_storage


async def timed_batches(batches, *, sent: dict[int, float], pace_s: float | None):
    for seq, payload in batches:
        if pace_s:
            await asyncio.sleep(pace_s)
        sent[seq] = time.perf_counter()
        yield seq, payload


async def run(root: Path) -> dict[str, float]:
    embedded = start_embedded(data_dir=root, cleanup_mode="delete")
    settings = load_settings({"RACING_COACH_DATA_DIR": str(root / "data"), "DATABASE_URL": embedded.uri}).with_overrides(ports=Ports(0, 0, 0, 0, 0))
    storage = await open_storage(settings=settings)
    mesh = await start_mesh(settings=settings, storage=storage)
    try:
        async with storage.pool.acquire() as conn:
            token = (await create_token(conn, email="bench@example.test")).token
        mistakes = (brake_early(corner=3, metres=20, laps=(2,)), low_apex_speed(corner=1, kph=8, laps=(2,)))
        sim = simulate_session(track="Spielberg", laps=3, profile=DriverProfile(mistakes=mistakes))
        ibt, _ = write_session(sim, root / "bench.ibt")
        session, arrays = load_ibt(ibt)
        samples = len(arrays["session_time_s"])
        duration_s = float(arrays["session_time_s"][-1] - arrays["session_time_s"][0])

        # 1. as fast as possible, 1 s batches
        fast = session.__class__()
        fast.CopyFrom(session)
        fast.session_id = session.session_id + "-fast"
        started = time.perf_counter()
        await Uploader(address=mesh.address("ingest"), token=token, session=fast).run(
            split_batches(session_id=fast.session_id, arrays=arrays, samples_per_batch=60))
        wall_s = time.perf_counter() - started

        # 2. paced at 10x real time with 100 ms batches: lap reports and cues as a driver would get them
        sent: dict[int, float] = {}
        lap_latency, cue_latency = [], []

        def on_lap(completed) -> None:
            end = completed.lap.end_session_time_s
            first_after = int(np.searchsorted(arrays["session_time_s"], end))
            lap_latency.append(time.perf_counter() - sent[first_after // 6 + 1])  # the batch that crossed the line

        def on_cue(cue) -> None:
            cue_latency.append(time.perf_counter() - sent[cue.seq])

        await Uploader(address=mesh.address("ingest"), token=token, session=session, on_lap=on_lap, on_cue=on_cue).run(
            timed_batches(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=6), sent=sent, pace_s=0.01))
        return {
            "samples": samples, "x_real_time": duration_s / wall_s, "samples_per_s": samples / wall_s,
            "lap_p50_ms": 1000 * statistics.median(lap_latency), "lap_max_ms": 1000 * max(lap_latency),
            "cue_count": len(cue_latency),
            "cue_p50_ms": 1000 * statistics.median(cue_latency) if cue_latency else float("nan"),
            "cue_max_ms": 1000 * max(cue_latency) if cue_latency else float("nan"),
        }
    finally:
        await mesh.stop()
        await storage.close()
        embedded.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        figures = asyncio.run(run(root))
    print(f"replay through the whole mesh : {figures['samples_per_s']:,.0f} samples/s = {figures['x_real_time']:.0f}x real time (60 Hz)")
    print(f"lap report after the line     : p50 {figures['lap_p50_ms']:.0f} ms, max {figures['lap_max_ms']:.0f} ms"
          f" = {figures['lap_max_ms'] / 1000:.2f} of the 1 s budget")
    print(f"live cue after its batch      : {figures['cue_count']} cues, p50 {figures['cue_p50_ms']:.1f} ms,"
          f" max {figures['cue_max_ms']:.1f} ms = {figures['cue_max_ms'] / 200:.2f} of the 200 ms budget")


if __name__ == "__main__":
    main()
