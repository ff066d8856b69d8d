"""The sampler and the collector over a fake telemetry memory (the interface pyirsdk's shared memory sits behind on
Windows): waiting for the simulator, connecting, the simulator quitting and coming back into the same session, a
restarted simulator starting a new session, and the collector's own laps while the mesh is unreachable."""

from __future__ import annotations

import asyncio
import io
import re
import socket
import threading
import time

import numpy as np
import pytest
from racecoach.client.live import LiveCollector, LiveSampler, Samples, SessionEnded, SessionStarted, Status
from racecoach.client.live.memory import Variable
from racecoach.client.live.state import MESH_UNREACHABLE
from racecoach.client.simulator import simulate_session

_TYPE_CODES = {"f4": 4, "f8": 5, "i4": 2, "u4": 3, "b1": 1}


class FakeMemory:
    """A scripted simulator: ``runs`` lists what each connection serves — None (not running: startup fails) or a
    (start, stop) slice of the records, one record per ``latest()``; after its slice a run goes stale (the
    newest buffer stops changing) and then disconnects, as iRacing does when it quits."""

    def __init__(self, channels: dict[str, np.ndarray], session_info: dict, runs: list) -> None:
        names = list(channels)
        self.dtype = np.dtype({"names": names, "formats": [channels[n].dtype for n in names]}, align=False)
        self.records = np.zeros(len(channels["SessionTime"]), self.dtype)
        for name in names:
            self.records[name] = channels[name]
        self.info = session_info
        self.runs = list(runs)
        self.startups = 0
        self.lock = threading.Lock()
        self._slice: tuple[int, int] | None = None
        self._at = 0
        self._stale_since: float | None = None

    # --- the TelemetryMemory interface ---
    def startup(self) -> bool:
        with self.lock:
            self.startups += 1
            run = self.runs.pop(0) if self.runs else None
            if run is None:
                return False
            self._slice, self._at, self._stale_since = run, run[0], None
            return True

    def shutdown(self) -> None:
        self._slice = None

    @property
    def is_connected(self) -> bool:
        return self._slice is not None and (self._stale_since is None or time.monotonic() - self._stale_since < 5.0)

    @property
    def variables(self) -> dict[str, Variable]:
        return {name: Variable(_TYPE_CODES[self.dtype[name].str[1:]], self.dtype.fields[name][1], 1)
                for name in self.dtype.names}

    @property
    def buffer_length(self) -> int:
        return self.dtype.itemsize

    @property
    def tick_rate_hz(self) -> float:
        return 60.0

    @property
    def session_info_update(self) -> int:
        return 1

    @property
    def waits_for_data(self) -> bool:
        return False

    def latest(self) -> bytes:
        start, stop = self._slice
        record = self.records[min(self._at, stop - 1)].tobytes()
        if self._at < stop:
            self._at += 1
        elif self._stale_since is None:
            self._stale_since = time.monotonic()
        return record

    def session_info(self, section: str):
        return self.info.get(section)


@pytest.fixture(scope="module")
def session():
    return simulate_session(track="Norisring", laps=2, seed=8)  # about 110 s at 60 Hz, crossings at 1 s and 48 s


def _events(memory, *, poll_hz=6000.0, stale_s=0.2, until=lambda events: False, within_s=30.0):
    events: list = []
    sampler = LiveSampler(sink=events.append, memory=lambda: memory, poll_hz=poll_hz, stale_s=stale_s, reconnect_s=0.01)
    sampler.start()
    deadline = time.monotonic() + within_s
    while not until(events) and time.monotonic() < deadline:
        time.sleep(0.02)
    sampler.stop()
    return events


def _times(events) -> np.ndarray:
    return np.concatenate([e.arrays["session_time_s"] for e in events if isinstance(e, Samples)])


def test_waiting_then_a_session_through_a_quit_and_back(session):
    n = len(session.channels["SessionTime"])
    memory = FakeMemory(session.channels, session.session_info, [None, None, (0, n // 2), None, (n // 2, n)])
    events = _events(memory, until=lambda ev: memory.startups >= 6)
    kinds = [e.kind for e in events if isinstance(e, Status) and e.kind != "info"]
    assert kinds[:4] == ["waiting", "connected", "waiting", "connected"]
    assert sum(isinstance(e, SessionStarted) for e in events) == 1  # the quit and return continue one session
    assert [e.reason for e in events if isinstance(e, SessionEnded)] == ["collector stopped"]
    np.testing.assert_array_equal(_times(events), session.channels["SessionTime"])  # every tick, once, in order


def test_a_restarted_simulator_starts_a_new_session(session):
    n = len(session.channels["SessionTime"])
    # a run from a third of the way in, then the simulator comes back at the session's start
    memory = FakeMemory(session.channels, session.session_info, [(n // 3, n // 2), (0, n // 4)])
    events = _events(memory, until=lambda ev: memory.startups >= 3)
    assert sum(isinstance(e, SessionStarted) for e in events) == 2
    assert [e.reason for e in events if isinstance(e, SessionEnded)][0].startswith("session time went back")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_collector_counts_its_laps_with_the_mesh_down(session, tmp_path):
    n = len(session.channels["SessionTime"])
    memory = FakeMemory(session.channels, session.session_info, [(0, n)])
    collector = LiveCollector(address=f"127.0.0.1:{_closed_port()}", token="rc_unused", spool_dir=tmp_path / "spool",
                              poll_hz=6000.0, stale_s=0.2, reconnect_s=0.01, out=io.StringIO(), memory=lambda: memory,
                              drain_s=0.5, print_own_laps=True)
    stop = asyncio.Event()

    async def stop_when_played() -> None:
        while memory._at < n:  # noqa: SLF001 the fake's own cursor
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        stop.set()

    stopper = asyncio.create_task(stop_when_played())
    summary = await asyncio.wait_for(collector.run(stop), timeout=60)
    await stopper
    state = collector.state
    assert state.mesh == MESH_UNREACHABLE and summary.left_in_spool > 0 and summary.laps == 0  # nothing from the mesh
    [session_id] = summary.sessions
    own = collector.laps[session_id].laps
    assert [lap.lap_number for lap in own] == [1, 2] and all(lap.valid for lap in own)
    for lap, truth in zip(own, session.lap_times_s):
        assert lap.lap_time_s == pytest.approx(truth, abs=0.01)
    assert state.last_lap == own[-1] and state.last_delta_s == pytest.approx(own[1].lap_time_s - own[0].lap_time_s)
    assert summary.samples == n  # the fake waits for each read: every tick was taken
    # plain output (no panel) prints its own laps: lap, time, delta to the best, the spool's backlog
    lines = [line for line in collector.out.getvalue().splitlines() if " done: " in line]
    assert len(lines) == 2 and re.fullmatch(r"lap 1 done: 0:4\d\.\d{3}; spool \d+ waiting", lines[0]), lines
    assert re.fullmatch(r"lap 2 done: 0:4\d\.\d{3}  [+-]\d\.\d{3} s to the best; spool \d+ waiting", lines[1]), lines
