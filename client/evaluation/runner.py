"""Simulate the scenarios, replay them through a running mesh, and judge what comes back.

Each session takes the path of ``racing-coach replay --fast``: the ``.ibt`` the simulator
wrote is read back, cut into batches of :data:`BATCH_MS` of samples and streamed to ingest
with the :class:`~racecoach.client.uploader.Uploader`; every ``LapCompleted`` on the stream
carries the lap's analysis and its coaching report. Session ids derive from the file's
content, so the same scenario replays into the same session on every run.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from racecoach.client.simulator import simulate_session, write_session
from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.logs import get_logger

from .judge import LapView, lap_views
from .report import summarize
from .scenarios import Scenario, build_scenario

__all__ = ["BATCH_MS", "MeshUnreachable", "SessionRun", "check_reachable", "evaluate", "replay_scenario"]

BATCH_MS = 100
log = get_logger(__name__)


class MeshUnreachable(Exception):
    """Ingest does not answer."""


@dataclass
class SessionRun:
    """One scenario replayed: its truth and the laps that came back."""

    scenario: Scenario
    session_id: str
    truth: dict[str, Any]
    laps: list[ingest_pb2.LapCompleted] = field(default_factory=list)
    seconds: float = 0.0

    def views(self) -> list[LapView]:
        pairs = [(c.lap, c.report) for c in self.laps]
        return lap_views(session=f"{self.scenario.track} s{self.scenario.seed}", truth=self.truth, laps=pairs)


async def check_reachable(*, address: str, timeout_s: float = 5.0) -> None:
    """Raise :class:`MeshUnreachable` unless a channel to ``address`` gets ready within ``timeout_s``."""
    async with grpc.aio.insecure_channel(address) as channel:
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout=timeout_s)
        except (TimeoutError, grpc.aio.AioRpcError):
            raise MeshUnreachable(f"ingest at {address} is unreachable (no answer within {timeout_s:g} s)") from None


async def replay_scenario(*, scenario: Scenario, address: str, token: str, workdir: Path,
                          batch_ms: int = BATCH_MS) -> SessionRun:
    """Simulate ``scenario``, write its ``.ibt``, stream it to ingest and collect the laps."""
    started = time.monotonic()
    simulated = simulate_session(track=scenario.track, laps=scenario.laps, car=scenario.car,
                                 profile=scenario.profile, seed=scenario.seed)
    path, _ = write_session(simulated, workdir / f"eval-{scenario.track}-{scenario.car}-{scenario.seed}.ibt")
    session, arrays = load_ibt(path)
    per_batch = max(1, round(batch_ms / 1000.0 * (session.tick_rate_hz or 60.0)))
    uploader = Uploader(address=address, token=token, session=session)
    result = await uploader.run(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=per_batch))
    run = SessionRun(scenario=scenario, session_id=session.session_id, truth=simulated.truth,
                     laps=sorted(result.laps, key=lambda c: c.lap.lap_number), seconds=time.monotonic() - started)
    log.debug("eval session replayed", scenario=scenario.name, session_id=session.session_id, laps=len(run.laps),
             seconds=round(run.seconds, 2))
    return run


async def evaluate(*, tracks: Sequence[str], seeds: Sequence[int], car: str, laps: int, address: str, token: str,
                   on_session: Callable[[SessionRun], None] | None = None,
                   variability: bool = True) -> tuple[dict[str, Any], list[SessionRun]]:
    """Replay every (track, seed) scenario in turn and summarize the run; returns (summary, runs)."""
    await check_reachable(address=address)
    runs: list[SessionRun] = []
    with tempfile.TemporaryDirectory(prefix="racecoach-eval-") as tmp:
        for track in tracks:
            for seed in seeds:
                scenario = build_scenario(track=track, seed=seed, car=car, laps=laps, variability=variability)
                run = await replay_scenario(scenario=scenario, address=address, token=token, workdir=Path(tmp))
                runs.append(run)
                if on_session is not None:
                    on_session(run)
    views = [view for run in runs for view in run.views()]
    return summarize(views=views, sessions=len(runs)), runs
