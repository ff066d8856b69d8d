"""The live source through pyirsdk's test mode: a live-layout memory file written tick by tick.

An .ibt cannot serve as pyirsdk's ``test_file`` (one var buffer pointing at record 0), so
:class:`IbtPlayer` publishes the .ibt's records into a live-layout map (3 rotating buffers,
session info rewritten in place) that pyirsdk maps exactly as it maps the simulator's memory.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import irsdk
import numpy as np
import pytest
from racecoach.client.ibt import read_ibt
from racecoach.client.live import (
    IbtPlayer,
    LiveMemoryFile,
    LiveSampler,
    Samples,
    SessionEnded,
    SessionStarted,
)

SEBRING = Path(__file__).resolve().parents[2] / "tests" / "data" / "sebring_amg-gt4_partial.ibt"


def _collect_events(**sampler_options):
    events: list = []
    lock = threading.Lock()

    def sink(event):
        with lock:
            events.append(event)

    return events, LiveSampler(sink=sink, reconnect_s=0.05, **sampler_options)


def _wait(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_pyirsdk_reads_the_memory_file_like_the_simulators_memory(tmp_path):
    with read_ibt(SEBRING) as ibt:
        records = np.array(ibt.records[:5])
        memory = LiveMemoryFile(path=tmp_path / "irsdk.mem", variables=ibt.variables, buf_len=ibt.header.buf_len,
                                tick_rate_hz=ibt.tick_rate_hz, session_info=ibt.session_info_text)
    ir = irsdk.IRSDK()
    try:
        for record in records:
            memory.write_tick(record.tobytes())
        assert ir.startup(test_file=str(tmp_path / "irsdk.mem")) and ir.is_connected
        ir.freeze_var_buffer_latest()
        assert ir["SessionTime"] == pytest.approx(float(records[-1]["SessionTime"]))
        assert ir["Speed"] == pytest.approx(float(records[-1]["Speed"]))
        assert ir["WeekendInfo"]["TrackDisplayName"] == "Sebring International Raceway"
        update = ir.session_info_update
        memory.set_session_info(ibt.session_info_text.replace("TrackConfigName: International", "TrackConfigName: Club"))
        assert ir.session_info_update == update + 1 and ir["WeekendInfo"]["TrackConfigName"] == "Club"
    finally:
        ir.shutdown()
        memory.close()


def test_sampled_batches_hold_the_recorded_values(tmp_path):
    """Every sample taken equals the recording at that session time; nearly every tick is taken."""
    events, sampler = _collect_events(test_file=tmp_path / "irsdk.mem", poll_hz=1200, stale_s=0.3, batch_ms=100)
    player = IbtPlayer(ibt_path=SEBRING, memory_path=tmp_path / "irsdk.mem", speed=4, start=1, stop_at=481)
    sampler.start()
    player.start()
    try:
        player.done.wait(20)
        _wait(lambda: sampler.stats.ticks >= 1 and time.monotonic() > 0, 5)
        time.sleep(0.5)
    finally:
        sampler.stop()
        player.close()
    started = [e for e in events if isinstance(e, SessionStarted)]
    assert len(started) == 1
    info = started[0].info
    assert info["WeekendInfo"]["TrackDisplayName"] == "Sebring International Raceway"
    batches = [e.arrays for e in events if isinstance(e, Samples)]
    assert all(len(b["session_time_s"]) <= 6 for b in batches), "at most 100 ms (6 ticks at 60 Hz) per batch"
    times = np.concatenate([b["session_time_s"] for b in batches])
    speeds = np.concatenate([b["speed_mps"] for b in batches])
    assert np.all(np.diff(times) > 0)
    with read_ibt(SEBRING) as ibt:
        recorded_time = ibt.channel("SessionTime", copy=True)[1:481]
        recorded_speed = ibt.channel("Speed", copy=True)[1:481]
    index = np.searchsorted(recorded_time, times)
    np.testing.assert_array_equal(recorded_time[index], times)
    np.testing.assert_array_equal(recorded_speed[index], speeds)
    assert len(times) >= 0.8 * len(recorded_time), f"took {len(times)} of {len(recorded_time)} ticks"
    assert isinstance(events[-1], SessionEnded)


def test_session_info_change_starts_a_new_session(tmp_path):
    events, sampler = _collect_events(test_file=tmp_path / "irsdk.mem", poll_hz=600, stale_s=0.3)
    with read_ibt(SEBRING) as ibt:
        text = ibt.session_info_text

    def change(index: int) -> None:
        if index == 150:
            player.memory.set_session_info(text.replace("TrackConfigName: International", "TrackConfigName: Club"))

    player = IbtPlayer(ibt_path=SEBRING, memory_path=tmp_path / "irsdk.mem", speed=4, start=1, stop_at=300,
                       on_tick=change)
    sampler.start()
    player.start()
    try:
        player.done.wait(20)
        time.sleep(0.3)
    finally:
        sampler.stop()
        player.close()
    started = [e for e in events if isinstance(e, SessionStarted)]
    assert [s.info["WeekendInfo"]["TrackConfigName"] for s in started] == ["International", "Club"]
    kinds = [type(e).__name__ for e in events if not isinstance(e, Samples)]
    assert kinds.index("SessionEnded") < [i for i, k in enumerate(kinds) if k == "SessionStarted"][1]


def test_waits_for_the_simulator_and_survives_it_restarting(tmp_path):
    memory = tmp_path / "irsdk.mem"
    events, sampler = _collect_events(test_file=memory, poll_hz=600, stale_s=0.25)
    sampler.start()  # nothing there yet: it waits
    try:
        time.sleep(0.3)
        assert sampler.stats.connects == 0
        first = IbtPlayer(ibt_path=SEBRING, memory_path=memory, speed=4, start=1, stop_at=200).start()
        first.done.wait(20)
        _wait(lambda: sampler.stats.connects >= 1 and any(isinstance(e, Samples) for e in events))
        time.sleep(0.5)  # the "simulator" is gone: no new ticks
        first.close()
        second = IbtPlayer(ibt_path=SEBRING, memory_path=memory, speed=4, start=1, stop_at=200).start()
        second.done.wait(20)
        _wait(lambda: sum(isinstance(e, SessionStarted) for e in events) == 2)
        time.sleep(0.3)
        second.close()
    finally:
        sampler.stop()
    assert sampler.stats.connects >= 2
    kinds = [type(e).__name__ for e in events if not isinstance(e, Samples)]
    assert kinds.count("SessionStarted") == 2 and kinds.count("SessionEnded") == 2
