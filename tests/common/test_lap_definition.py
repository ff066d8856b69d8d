"""The lap definition (racecoach.common.laps): crossings from the LapDistPct wrap, flags, batch-split invariance,
the simulator's truth and iRacing's dash, the real Sebring recording."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from racecoach.analysis.v1 import analysis_pb2 as pb
from racecoach.common.laps import LapDetector, crossings, detect_laps, flag_names

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
    done = LapDetector().feed(laps(), seq=1)
    # crossings at 110, 130, 150 and 170 s: laps 1..3 are complete
    assert [lap.lap_number for lap in done] == [1, 2, 3]
    for k, lap in enumerate(done, start=1):
        assert lap.start_time_s == pytest.approx(crossing_time(k), abs=1e-9)
        assert lap.end_time_s == pytest.approx(crossing_time(k + 1), abs=1e-9)
        assert lap.lap_time_s == pytest.approx(LENGTH_M / SPEED, abs=1e-9)
        assert lap.flags == ()


def test_crossings_are_interpolated_between_the_samples():
    index, times, towed = crossings(time_s=np.array([0.0, 1.0, 2.0]), pct=np.array([0.95, 0.99, 0.03]))
    # 0.99 → 1.03 over one second: the line (1.00) is passed a quarter of the way
    assert index.tolist() == [2] and times[0] == pytest.approx(1.25) and not towed[0]


def _flags_of_lap(arrays, number):
    return next(lap.flags for lap in LapDetector().feed(arrays, seq=1) if lap.lap_number == number)


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
    done = {lap.lap_number: lap for lap in LapDetector().feed(a, seq=1)}
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
    seg, out = LapDetector(), []
    edges = [0, *sorted(set(cuts)), len(arrays["session_time_s"])]
    for seq, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]), start=1):
        if hi > lo:
            out += seg.feed({k: v[lo:hi] for k, v in arrays.items()}, seq=seq)
    return out


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(1, int(90 * HZ) - 1), max_size=12), start=st.floats(0.0, 990.0))
def test_any_batch_split_gives_identical_laps(cuts, start):
    arrays = laps(start_m=start)
    whole = LapDetector().feed(arrays, seq=1)
    parts = _feed_in_parts(arrays, cuts)
    assert [(p.lap_number, p.flags) for p in parts] == [(w.lap_number, w.flags) for w in whole]
    for p, w in zip(parts, whole):
        assert p.start_time_s == pytest.approx(w.start_time_s, abs=1e-9)
        assert p.end_time_s == pytest.approx(w.end_time_s, abs=1e-9)
        assert set(p.arrays) == set(w.arrays)
        for name in w.arrays:
            np.testing.assert_array_equal(p.arrays[name], w.arrays[name])


def test_a_tow_across_the_line_is_no_crossing_driven():
    a = laps()
    t = a["session_time_s"]
    jump = t >= crossing_time(2) - 1.0  # at 95 % of lap 1, teleported 120 m on, across the line
    a["lap_dist_pct"][jump] = np.mod(a["lap_dist_pct"][jump] + 0.12, 1.0)
    found = LapDetector().feed(a, seq=1)
    assert [pb.LAP_FLAG_RESET in lap.flags for lap in found] == [True, True, False, False]  # the lap it ends, and the one it starts
    assert found[0].end_time_s == pytest.approx(crossing_time(2) - 1.0, abs=1 / HZ) == found[1].start_time_s
    assert [lap.valid for lap in found] == [False, False, True, True]


def test_jitter_on_the_line_makes_no_lap():
    t = np.arange(0.0, 4.0, 1 / 60)
    pct = np.where(np.arange(len(t)) % 2 == 0, 0.9999, 0.0001)  # standing on the line, the position flickering
    arrays = {"session_time_s": t, "lap_dist_pct": pct, "lap": np.zeros(len(t)), "speed_mps": np.zeros(len(t))}
    assert LapDetector().feed(arrays, seq=1) == []


def test_keeping_only_the_flag_channels_gives_the_same_laps():
    a = laps(tow=(crossing_time(2) + 8.0, 200.0))
    a["lat_accel_mps2"] = np.zeros(len(a["session_time_s"]))
    full = LapDetector().feed(a, seq=1)
    slim_detector = LapDetector(channels=("session_time_s", "lap", "lap_dist_pct", "speed_mps", "track_surface", "on_pit_road"))
    slim = slim_detector.feed(a, seq=1)
    assert [(x.lap_number, x.start_time_s, x.end_time_s, x.flags) for x in slim] == \
        [(x.lap_number, x.start_time_s, x.end_time_s, x.flags) for x in full]
    assert "lat_accel_mps2" in full[0].arrays and "lat_accel_mps2" not in slim[0].arrays
    assert flag_names(full[1].flags) == ["reset"]


def test_progress_names_the_lap_being_driven():
    detector = LapDetector()
    a = laps(seconds=15.0)  # 500 m → 1250 m: one crossing at 110 s
    detector.feed({k: v[:300] for k, v in a.items()}, seq=1)
    assert detector.progress.start_time_s is None and detector.progress.lap_number == 0
    detector.feed({k: v[300:] for k, v in a.items()}, seq=2)
    assert detector.progress.start_time_s == pytest.approx(crossing_time(1)) and detector.progress.lap_number == 1
    assert detector.progress.lap_dist_pct == pytest.approx(0.25, abs=0.01)


def _file_arrays(path):
    from racecoach.client.source import load_ibt

    return load_ibt(path)[1]


def test_simulated_laps_match_the_truth_and_the_dash(tmp_path):
    from racecoach.client.ibt import read_ibt
    from racecoach.client.simulator import DriverProfile, brake_early, late_throttle, simulate_session, write_session

    profile = DriverProfile(mistakes=(brake_early(corner=3, metres=20, laps=(2,)), late_throttle(corner=1, metres=25, laps=(1, 3))))
    session = simulate_session(track="Zandvoort", laps=3, profile=profile, start_in_pits=True, seed=7)
    ibt, _ = write_session(session, tmp_path / "zandvoort.ibt")
    arrays = _file_arrays(ibt)
    found = detect_laps(arrays)
    assert [lap.lap_number for lap in found] == [1, 2, 3]
    assert len({round(x, 2) for x in session.lap_times_s}) >= 2  # the laps really differ
    with read_ibt(ibt) as f:
        dash = f.channel("LapLastLapTime", copy=True)
    for lap, truth in zip(found, session.truth["laps"], strict=True):
        assert lap.valid, flag_names(lap.flags)
        assert lap.start_time_s == pytest.approx(truth["start_time_s"], abs=0.005)
        assert lap.lap_time_s == pytest.approx(truth["lap_time_s"], abs=0.005)
        after = np.searchsorted(arrays["session_time_s"], lap.end_time_s)  # the dash shows it from the next sample
        assert lap.lap_time_s == pytest.approx(float(dash[after]), abs=0.02)


def test_the_real_sebring_recording_holds_no_lap():
    from pathlib import Path

    arrays = _file_arrays(Path(__file__).resolve().parents[1] / "data" / "sebring_amg-gt4_partial.ibt")
    detector = LapDetector()
    for start in range(0, len(arrays["session_time_s"]), 7):
        assert detector.feed({k: v[start:start + 7] for k, v in arrays.items()}, seq=start) == []
    # it leaves the pits, reaches about 22 % and is reset: never a crossing, so no lap and no lap start
    assert detector.progress.start_time_s is None
    assert float(arrays["lap_dist_pct"].max()) > 0.2
