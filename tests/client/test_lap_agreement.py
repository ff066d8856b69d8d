"""The collector's own laps and the mesh's laps agree, lap for lap: on every real .ibt of the shared data
set and of the repository, and on simulated sessions with a flying start, an out-lap and a reset to the pits.

Both apply the one lap definition (racecoach.common.laps): the collector to the batches it spools, analysis
to the same batches after ingest validated and stored them. The first test batches a recording as the live
sampler does (6 samples, 100 ms at 60 Hz) and streams it through the real mesh; the second drives the whole
live path (memory file → pyirsdk → sampler → spool → mesh) and compares the LiveCollector's lap list.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from racecoach.analysis.v1 import analysis_pb2 as pb
from racecoach.client.ibt import IbtError
from racecoach.client.live import IbtPlayer, LiveCollector
from racecoach.client.live.state import SessionLaps
from racecoach.client.simulator import simulate_session, write_session
from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, finite_samples
from racecoach.services.common.batch import build_raw_batch

pytestmark = pytest.mark.asyncio(loop_scope="session")

REPO_DATA = Path(__file__).resolve().parents[1] / "data"
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "ibt"
SAMPLES_PER_BATCH = 6


def _reset_to_the_pits(tmp: Path) -> Path:
    """A flying session towed to its pit stall halfway round lap 2 (LapDistPct 0.5 → 0.01), then out again."""
    flying = simulate_session(track="Norisring", laps=2, seed=11)
    pits = simulate_session(track="Norisring", laps=1, start_in_pits=True, seed=12)
    a, b = flying.channels, pits.channels
    cut = int(np.argmax((a["Lap"] == 2) & (a["LapDistPct"] > 0.5)))
    shift = float(a["SessionTime"][cut - 1]) + 1 / 60 - float(b["SessionTime"][0])
    joined = {}
    for name in a.keys() & b.keys():
        tail = b[name]
        if name == "SessionTime":
            tail = tail + shift
        elif name == "SessionTick":
            tail = tail + int(a["SessionTick"][cut - 1]) + 1 - int(b["SessionTick"][0])
        elif name == "Lap":
            tail = tail + a["Lap"][cut - 1]
        joined[name] = np.concatenate([a[name][:cut], tail.astype(a[name].dtype)])
    path, _ = write_session(dataclasses.replace(flying, channels=joined), tmp / "norisring_reset.ibt")
    return path


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("agreement")
    flying, _ = write_session(simulate_session(track="Spielberg", laps=2, seed=4), tmp / "spielberg_flying.ibt")
    out_lap, _ = write_session(simulate_session(track="Norisring", laps=2, start_in_pits=True, seed=3),
                               tmp / "norisring_out_lap.ibt")
    return {"flying start": flying, "out-lap from the pits": out_lap, "reset to the pits": _reset_to_the_pits(tmp)}


def _real_files() -> list[Path]:
    files = sorted(REPO_DATA.glob("*.ibt")) + (sorted(SHARED_DATA.glob("*.ibt")) if SHARED_DATA.is_dir() else [])
    assert files
    return files


def _mesh_laps(result) -> list[tuple]:
    return [(c.lap.lap_number, c.lap.start_session_time_s, c.lap.end_session_time_s, tuple(c.lap.flags), c.lap.valid)
            for c in result.laps]


def _own_laps(laps) -> list[tuple]:
    return [(lap.lap_number, lap.start_time_s, lap.end_time_s, lap.flags, lap.valid) for lap in laps]


def _agree(own: list[tuple], mesh: list[tuple], what: str) -> None:
    assert [x[0] for x in own] == [x[0] for x in mesh], what
    for mine, theirs in zip(own, mesh):
        assert mine[1:3] == pytest.approx(theirs[1:3], abs=1e-9), what
        assert mine[3:] == theirs[3:], what


async def test_collector_and_mesh_agree_on_every_lap(mesh, token_for, simulated):
    token = await token_for()
    sources = {path.name + f" ({path.parent.parent.name})": path for path in _real_files()} | simulated
    agreed: dict[str, list[tuple]] = {}
    for what, path in sources.items():
        try:
            session, arrays = load_ibt(path)
        except IbtError:
            assert path.name == "invalid_truncated.ibt", what  # the one file that is no recording
            continue
        arrays = finite_samples(arrays)
        own = SessionLaps()
        batches = []
        for seq, start in enumerate(range(0, len(arrays["session_time_s"]), SAMPLES_PER_BATCH), start=1):
            part = {name: values[start:start + SAMPLES_PER_BATCH] for name, values in arrays.items()}
            own.feed(part)
            batches.append((seq, build_raw_batch(session_id=session.session_id, seq=seq, arrays=part).SerializeToString()))
        result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(batches)
        _agree(_own_laps(own.laps), _mesh_laps(result), what)
        agreed[what] = _own_laps(own.laps)

    assert len(agreed) == len(sources) - sum(1 for p in sources.values() if p.name == "invalid_truncated.ibt")
    for what, laps in agreed.items():  # the real recordings hold no crossing-to-crossing lap
        if what.endswith(")"):
            assert laps == [], what
    assert [(n, v) for n, *_, v in agreed["flying start"]] == [(1, True), (2, True)]
    assert [(n, v) for n, *_, v in agreed["out-lap from the pits"]] == [(1, True), (2, True)]
    reset = agreed["reset to the pits"]
    # lap 1 clean; lap 2 runs from its crossing through the tow and the pits to the next crossing, flagged
    assert reset[0][0] == 1 and reset[0][4] and len(reset) >= 2
    assert {pb.LAP_FLAG_RESET, pb.LAP_FLAG_PIT} <= set(reset[1][3]) and not reset[1][4]
    assert all(lap[4] for lap in reset[2:])


async def test_the_live_collectors_lap_list_is_the_meshs(mesh, token_for, simulated, tmp_path):
    token = await token_for()
    for what in ("out-lap from the pits", "reset to the pits"):
        memory = tmp_path / f"{what[:3]}.mem"
        player = IbtPlayer(ibt_path=simulated[what], memory_path=memory, speed=30)
        collector = LiveCollector(address=mesh.address("ingest"), token=token, spool_dir=tmp_path / "spool",
                                  test_file=memory, poll_hz=2400, stale_s=0.3, reconnect_s=0.05, out=io.StringIO())
        stop = asyncio.Event()
        player.start()

        async def stop_after_playback(player=player, stop=stop) -> None:
            await asyncio.to_thread(player.done.wait, 60)
            await asyncio.sleep(0.5)
            stop.set()

        stopper = asyncio.create_task(stop_after_playback())
        try:
            summary = await collector.run(stop)
        finally:
            await stopper
            player.close()
        [session_id] = summary.sessions
        assert summary.left_in_spool == 0, what
        own = collector.laps[session_id].laps
        assert own, what  # at 30x some ticks are skipped (the newest buffer only), on both sides alike
        _agree(_own_laps(own), [(c.lap.lap_number, c.lap.start_session_time_s, c.lap.end_session_time_s,
                                 tuple(c.lap.flags), c.lap.valid) for c in collector.mesh_laps[session_id]], what)
        assert collector.state.last_lap == own[-1]
        position = collector.state.position  # where the voice looks before it speaks a cue
        assert position is not None and position.track_length_m > 0 and 0 <= position.lap_dist_m <= position.track_length_m
