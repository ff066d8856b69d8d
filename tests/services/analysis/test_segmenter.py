"""Lap segmentation from the LapDistPct wrap: crossings, flags, and batch-split invariance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from racecoach.analysis.v1 import analysis_pb2 as pb
from racecoach.services.analysis.segmenter import LapSegmenter, crossings

LENGTH_M, SPEED, HZ = 1000.0, 50.0, 60.0  # 20 s laps; 90 s of samples


def laps(*, seconds: float = 90.0, start_m: float = 500.0, tow: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
    """Constant speed from ``start_m``; every channel a flag test may touch, all on track.
    ``tow`` = (time, metres): from that time on the car is that far back down the road."""
    t = 100.0 + np.arange(int(seconds * HZ)) / HZ
    travelled = start_m + SPEED * (t - t[0])
    if tow is not None:
        travelled[t >= tow[0]] -= tow[1]
    return {
        "session_time_s": t, "lap_dist_m": travelled % LENGTH_M, "lap_dist_pct": (travelled % LENGTH_M) / LENGTH_M,
        "lap": np.floor(travelled / LENGTH_M), "speed_mps": np.full(len(t), SPEED),
        "track_surface": np.full(len(t), 3.0), "on_pit_road": np.zeros(len(t)),
    }


def crossing_time(k: int, start_m: float = 500.0) -> float:
    """When the car passes the line for the k-th time (k = 1, 2, ...), by hand."""
    return 100.0 + (k * LENGTH_M - start_m) / SPEED


def test_complete_laps_with_interpolated_crossings():
    done = LapSegmenter().feed(laps(), seq=1)
    # crossings at 110, 130, 150 and 170 s: laps 1..3 are complete
    assert [lap.lap_number for lap in done] == [1, 2, 3]
    for k, lap in enumerate(done, start=1):
        assert lap.start_time_s == pytest.approx(crossing_time(k), abs=1e-9)
        assert lap.end_time_s == pytest.approx(crossing_time(k + 1), abs=1e-9)
        assert lap.lap_time_s == pytest.approx(LENGTH_M / SPEED, abs=1e-9)
        assert lap.flags == ()


def test_crossings_are_interpolated_between_the_samples():
    index, times = crossings(time_s=np.array([0.0, 1.0, 2.0]), pct=np.array([0.95, 0.99, 0.04]))
    # 0.99 → 1.04 over one second: the line (1.00) is passed a fifth of the way
    assert index.tolist() == [2] and times[0] == pytest.approx(1.2)


def _flags_of_lap(arrays, number):
    return next(lap.flags for lap in LapSegmenter().feed(arrays, seq=1) if lap.lap_number == number)


def test_out_lap_and_in_lap():
    a = laps()
    lap1 = (a["session_time_s"] >= crossing_time(1)) & (a["session_time_s"] < crossing_time(1) + 3.0)
    a["on_pit_road"][lap1] = 1.0  # leaves pit road 3 s into lap 1
    lap2_end = (a["session_time_s"] > crossing_time(3) - 2.0) & (a["session_time_s"] < crossing_time(3))
    a["track_surface"][lap2_end] = 2.0  # approaching pits at the end of lap 2
    assert set(_flags_of_lap(a, 1)) == {pb.LAP_FLAG_OUT_LAP, pb.LAP_FLAG_PIT}
    assert set(_flags_of_lap(a, 2)) == {pb.LAP_FLAG_IN_LAP, pb.LAP_FLAG_PIT}
    assert _flags_of_lap(a, 3) == ()


def test_reset_jump_in_distance():
    a = laps(tow=(crossing_time(2) + 8.0, 200.0))  # towed 200 m back, 8 s into lap 2
    done = {lap.lap_number: lap for lap in LapSegmenter().feed(a, seq=1)}
    assert pb.LAP_FLAG_RESET in done[2].flags
    assert done[2].lap_time_s == pytest.approx(LENGTH_M / SPEED + 200.0 / SPEED, abs=1e-9)
    assert done[1].flags == () and done[3].flags == ()


@pytest.mark.parametrize(("seconds_off", "flagged"), [(1.0, True), (0.25, False)])
def test_off_track_needs_half_a_second(seconds_off, flagged):
    a = laps()
    t = a["session_time_s"]
    a["track_surface"][(t >= crossing_time(1) + 5.0) & (t < crossing_time(1) + 5.0 + seconds_off)] = 0.0
    assert (pb.LAP_FLAG_OFF_TRACK in _flags_of_lap(a, 1)) is flagged


def test_a_near_stop_on_track_is_an_incident():
    a = laps()
    t = a["session_time_s"]
    stopped = (t >= crossing_time(1) + 5.0) & (t < crossing_time(1) + 6.5)
    a["speed_mps"][stopped] = 2.0
    assert pb.LAP_FLAG_NEAR_STOP in _flags_of_lap(a, 1)
    a["on_pit_road"][stopped] = 1.0  # waiting on pit road is no incident
    assert pb.LAP_FLAG_NEAR_STOP not in _flags_of_lap(a, 1)


@pytest.mark.parametrize("channel", ["yaw_rate_rps", "slip"])
def test_a_spin_is_an_incident(channel):
    a = laps()
    t = a["session_time_s"]
    a["yaw_rate_rps"] = np.full(len(t), 0.3)  # an ordinary corner's yaw rate
    a["velocity_x_mps"], a["velocity_y_mps"] = np.full(len(t), SPEED), np.zeros(len(t))
    assert _flags_of_lap(a, 2) == ()
    spin = (t >= crossing_time(2) + 4.0) & (t < crossing_time(2) + 4.5)
    if channel == "yaw_rate_rps":
        a["yaw_rate_rps"][spin] = 3.5
    else:
        a["velocity_y_mps"][spin] = 0.9 * SPEED  # sliding sideways at about 42 degrees
    assert pb.LAP_FLAG_SPIN in _flags_of_lap(a, 2)
    assert pb.LAP_FLAG_SPIN not in _flags_of_lap(a, 1)


def _feed_in_parts(arrays, cuts):
    seg, out = LapSegmenter(), []
    edges = [0, *sorted(set(cuts)), len(arrays["session_time_s"])]
    for seq, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]), start=1):
        if hi > lo:
            out += seg.feed({k: v[lo:hi] for k, v in arrays.items()}, seq=seq)
    return out


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(1, int(90 * HZ) - 1), max_size=12), start=st.floats(0.0, 990.0))
def test_any_batch_split_gives_identical_laps(cuts, start):
    arrays = laps(start_m=start)
    whole = LapSegmenter().feed(arrays, seq=1)
    parts = _feed_in_parts(arrays, cuts)
    assert [(p.lap_number, p.flags) for p in parts] == [(w.lap_number, w.flags) for w in whole]
    for p, w in zip(parts, whole):
        assert p.start_time_s == pytest.approx(w.start_time_s, abs=1e-9)
        assert p.end_time_s == pytest.approx(w.end_time_s, abs=1e-9)
        assert set(p.arrays) == set(w.arrays)
        for name in w.arrays:
            np.testing.assert_array_equal(p.arrays[name], w.arrays[name])
