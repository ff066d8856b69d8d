"""Collector-side lap detection against the simulator's truth, the written dash channel,
hand-made traces and the real Sebring recording."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from racecoach.client.ibt import read_ibt
from racecoach.client.laps import LapDetector, crossing_times, detect_laps
from racecoach.client.simulator import (
    DriverProfile,
    brake_early,
    late_throttle,
    lift,
    simulate_session,
    write_session,
)

DATA = Path(__file__).resolve().parents[1] / "data"
NAMES = {"session_time_s": "SessionTime", "lap_dist_pct": "LapDistPct", "lap": "Lap", "speed_mps": "Speed",
         "track_surface": "PlayerTrackSurface", "on_pit_road": "OnPitRoad"}


def _detect_file(path: Path):
    with read_ibt(path) as f:
        ch = {arg: f.channel(name, copy=True) for arg, name in NAMES.items()}
    return detect_laps(**ch), ch


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A pit start with mistakes on some laps (so lap times differ), written as .ibt + truth."""
    profile = DriverProfile(mistakes=(brake_early(corner=3, metres=20, laps=(2,)),
                                      late_throttle(corner=1, metres=25, laps=(1, 3)),
                                      lift(at_m=2500, seconds=1.0, laps=(3,))))
    session = simulate_session(track="Zandvoort", laps=3, profile=profile, start_in_pits=True, seed=7)
    path = tmp_path_factory.mktemp("laps") / "zandvoort.ibt"
    ibt, sidecar = write_session(session, path)
    return ibt, json.loads(sidecar.read_text())


def test_simulated_laps_match_truth_and_dash(written) -> None:
    ibt, truth = written
    laps, ch = _detect_file(ibt)
    complete = [lap for lap in laps if lap.complete]
    assert len(complete) == truth["lap_count"] == 3
    assert len({round(x["lap_time_s"], 2) for x in truth["laps"]}) >= 2  # the laps really differ
    for lap, expected in zip(complete, truth["laps"]):
        assert lap.lap == expected["lap"]
        assert lap.lap_time_s == pytest.approx(expected["lap_time_s"], abs=0.02)
        assert lap.start_time_s == pytest.approx(expected["start_time_s"], abs=0.02)
        # the dash shows the lap just completed from the first sample after the crossing
        after = np.searchsorted(ch["session_time_s"], lap.end_time_s)
        with read_ibt(ibt) as f:
            dash = float(f.channel("LapLastLapTime")[after])
        assert lap.lap_time_s == pytest.approx(dash, abs=0.02)
        assert not (lap.out_lap or lap.in_lap or lap.pit or lap.off_track or lap.reset)
    first, last = laps[0], laps[-1]
    assert first.out_lap and first.pit and first.incomplete and first.start_reason == "recording_start"
    assert first.end_reason == "crossing" and first.lap == 0
    assert last.incomplete and last.end_reason == "recording_end" and not last.in_lap
    assert [lap.index for lap in laps] == list(range(len(laps)))
    # laps tile the recording: each starts where the previous ended
    assert all(a.end_index == b.start_index for a, b in itertools.pairwise(laps))
    assert laps[-1].end_index == len(ch["session_time_s"])


def test_flying_start_laps_match_truth() -> None:
    s = simulate_session(track="Monza", laps=2, seed=2)
    ch = {arg: s.channels[name] for arg, name in NAMES.items()}
    laps = detect_laps(**ch)
    assert [lap.complete for lap in laps] == [False, True, True, False]
    assert not laps[0].out_lap  # rolling at the start of the recording
    for lap, expected in zip(laps[1:3], s.lap_times_s):
        assert lap.lap_time_s == pytest.approx(expected, abs=0.02)
    times, after = crossing_times(session_time_s=ch["session_time_s"], lap_dist_pct=ch["lap_dist_pct"])
    truth = [s.truth["laps"][0]["start_time_s"]] + [lap["end_time_s"] for lap in s.truth["laps"]]
    assert times == pytest.approx(truth, abs=0.005)
    assert np.all(np.diff(ch["lap"])[after - 1] == 1)  # iRacing's Lap counter agrees


def test_real_sebring_recording_has_no_complete_lap() -> None:
    laps, ch = _detect_file(DATA / "sebring_amg-gt4_partial.ibt")
    assert laps and not any(lap.complete for lap in laps)
    assert all(lap.lap_time_s is None for lap in laps)
    first = laps[0]
    assert first.out_lap and first.pit
    assert first.start_index == 1  # record 0 is iRacing's dummy (surface -1): skipped
    assert first.end_reason == "reset"  # towed back from ~22 % to the pit box at ~3.5 %
    assert ch["lap_dist_pct"][first.end_index - 1] > 0.2 and ch["lap_dist_pct"][first.end_index] < 0.05
    assert laps[-1].in_lap and laps[-1].end_reason == "recording_end"


def test_crossing_interpolation_by_hand() -> None:
    # 10 Hz, constant speed: pct advances 0.03 per sample; the line is crossed at t = 1/0.3 s
    t = np.arange(0, 7.0, 0.1)
    pct = np.mod(0.0 + 0.3 * t, 1.0)
    times, _after = crossing_times(session_time_s=t, lap_dist_pct=pct)
    assert times == pytest.approx([1 / 0.3, 2 / 0.3], abs=1e-9)
    laps = detect_laps(session_time_s=t, lap_dist_pct=pct)
    assert [lap.complete for lap in laps] == [False, True, False]
    assert laps[1].lap_time_s == pytest.approx(1 / 0.3, abs=1e-9)
    assert laps[0].start_reason == "recording_start" and not laps[0].out_lap  # no speed given


def _synthetic(n_laps: float = 2.5, hz: int = 60):
    t = np.arange(0, n_laps * 60, 1 / hz)
    pct = np.mod(0.4 + t / 60.0, 1.0)  # 60 s laps
    return t, pct


def test_off_track_pit_and_in_lap_flags() -> None:
    t, pct = _synthetic()
    surface = np.full(len(t), 3)
    surface[(t > 30) & (t < 30.3)] = 0          # 0.3 s off: a wheel over, not flagged
    surface[(t > 80) & (t < 81.0)] = 0          # 1 s off track in the second lap
    pits = (t > 140) & (t < 145)                # pit lane entry at the end
    laps = detect_laps(session_time_s=t, lap_dist_pct=pct, track_surface=surface, on_pit_road=pits,
                       speed_mps=np.full(len(t), 50.0))
    assert [lap.complete for lap in laps] == [False, True, False]
    assert [lap.off_track for lap in laps] == [False, True, False]
    assert [lap.pit for lap in laps] == [False, False, True]
    assert [lap.in_lap for lap in laps] == [False, False, False]
    pits_end = t > 140
    laps = detect_laps(session_time_s=t, lap_dist_pct=pct, on_pit_road=pits_end)
    assert laps[-1].in_lap and laps[-1].pit


def test_tow_and_not_in_world_gaps() -> None:
    t, pct = _synthetic(2.0)
    pct = pct.copy()
    pct[t >= 70] = 0.05  # towed to the pit box mid-lap
    surface = np.full(len(t), 3)
    surface[(t > 90) & (t < 95)] = -1  # out of the car
    laps = detect_laps(session_time_s=t, lap_dist_pct=pct, track_surface=surface)
    reasons = [(lap.start_reason, lap.end_reason) for lap in laps]
    assert reasons == [("recording_start", "crossing"), ("crossing", "reset"), ("reset", "gap"),
                       ("gap", "recording_end")]
    assert laps[1].reset and laps[2].reset and not laps[0].reset
    assert laps[1].end_time_s == pytest.approx(70 - 1 / 60, abs=1e-9)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="lap_dist_pct has 3 samples, session_time_s has 4"):
        detect_laps(session_time_s=np.arange(4.0), lap_dist_pct=np.zeros(3))


@pytest.fixture(scope="module")
def stream_source():
    s = simulate_session(track="Norisring", laps=2, start_in_pits=True, seed=5)
    return {arg: s.channels[name] for arg, name in NAMES.items()}


@settings(max_examples=20, deadline=None)
@given(cuts=st.lists(st.integers(1, 20_000), max_size=12))
def test_streaming_equals_batch(stream_source, cuts) -> None:
    ch = stream_source
    n = len(ch["session_time_s"])
    batch = detect_laps(**ch)
    bounds = sorted({0, n, *[c % n for c in cuts]})
    det = LapDetector()
    streamed = []
    for a, b in itertools.pairwise(bounds):
        streamed += det.feed(**{k: v[a:b] for k, v in ch.items()})
    streamed += det.finish()
    assert streamed == batch
    assert sum(lap.complete for lap in batch) == 2


def test_streaming_through_invalid_only_chunks() -> None:
    t, pct = _synthetic(2.0)
    surface = np.full(len(t), 3)
    surface[(t > 90) & (t < 95)] = -1
    ch = {"session_time_s": t, "lap_dist_pct": pct, "track_surface": surface}
    batch = detect_laps(**ch)
    cut_a, cut_b = np.searchsorted(t, 91.0), np.searchsorted(t, 93.0)  # the middle chunk is all invalid
    det = LapDetector()
    streamed = []
    for a, b in ((0, cut_a), (cut_a, cut_b), (cut_b, len(t))):
        streamed += det.feed(**{k: v[a:b] for k, v in ch.items()})
    assert streamed + det.finish() == batch
    assert det.feed(session_time_s=np.zeros(0), lap_dist_pct=np.zeros(0)) == []


def test_sebring_streamed_sample_by_sample_equals_batch() -> None:
    laps, ch = _detect_file(DATA / "sebring_amg-gt4_partial.ibt")
    det = LapDetector()
    streamed = []
    for a in range(0, len(ch["session_time_s"]), 7):
        streamed += det.feed(**{k: v[a:a + 7] for k, v in ch.items()})
    assert streamed + det.finish() == laps
