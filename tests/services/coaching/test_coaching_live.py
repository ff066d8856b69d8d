"""Live cues: planned from the last lap against the reference, issued once per lap ahead of the target."""

from __future__ import annotations

import time

import numpy as np
import pytest
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching.live import LiveCoach, LiveInputError, plan_cues

from .factories import (
    REFERENCE_CORNERS,
    SESSION_ID,
    TRACK_LENGTH_M,
    drive,
    driver_lap,
    lap_analysis,
    reference_lap,
)

CK = coaching_pb2.CueKind
BATCH = 6


def stream(coach: LiveCoach, arrays: dict[str, np.ndarray], *, batch: int = BATCH, first_seq: int = 1):
    cues = []
    n = len(arrays["lap_dist_m"])
    for seq, start in enumerate(range(0, n, batch), start=first_seq):
        cues += coach.feed(seq=seq, arrays={k: v[start : start + batch] for k, v in arrays.items()})
    return cues


def sample_of(arrays, cue) -> int:
    (index,) = np.nonzero(arrays["session_time_s"] == cue.session_time_s)[0]
    return int(index)


def brake_early_coach(**kwargs) -> LiveCoach:
    coach = LiveCoach(**kwargs)
    coach.set_context(
        session_id=SESSION_ID,
        reference=reference_lap(),
        last_lap=driver_lap(changes={1: {"brake": 411.0}}),
        track_length_m=TRACK_LENGTH_M,
    )
    return coach


def test_plan_has_one_cue_per_corner_in_track_order():
    last = driver_lap(
        changes={
            1: {"brake": 411.0},
            2: {"kmh": 110.0, "throttle": 1300.0},
            3: {"brake": 2712.0, "kmh": 75.0},
        }
    )
    plan = plan_cues(last_lap=last, reference=reference_lap(), track_length_m=TRACK_LENGTH_M)
    assert [(c.corner_number, c.kind, c.target_m, c.text) for c in plan] == [
        (1, CK.CUE_KIND_BRAKE_LATER, 426.0, "Turn 1: brake 15 m later"),
        (2, CK.CUE_KIND_CARRY_SPEED, 1200.0, "Turn 2: carry 10 km/h more to the apex"),
        (3, CK.CUE_KIND_BRAKE_EARLIER, 2700.0, "Turn 3: brake 12 m earlier"),
    ]
    only_throttle = plan_cues(last_lap=driver_lap(changes={2: {"throttle": 1300.0}}), reference=reference_lap())
    assert [(c.kind, c.target_m, c.text) for c in only_throttle] == [
        (CK.CUE_KIND_THROTTLE_EARLIER, 1275.0, "Turn 2: throttle 25 m sooner")
    ]


def test_cue_is_issued_once_before_the_target_with_a_speed_scaled_lead():
    coach = brake_early_coach()
    arrays = drive(start_m=0.0, metres=2990.0, lap=3)
    (cue,) = stream(coach, arrays)
    assert (cue.session_id, cue.kind, cue.corner_number, cue.text) == (
        SESSION_ID,
        CK.CUE_KIND_BRAKE_LATER,
        1,
        "Turn 1: brake 15 m later",
    )
    assert cue.target_distance_m == 426.0
    s = sample_of(arrays, cue)
    assert cue.seq == s // BATCH + 1
    d, v = float(arrays["lap_dist_m"][s]), float(arrays["speed_mps"][s])
    lead = v * 2.5
    assert 40.0 < lead < 250.0
    assert d < 426.0
    assert cue.lead_distance_m == pytest.approx(426.0 - d, abs=1e-3)
    # issued at the first sample within the lead: at most one sample's travel inside it
    assert lead - v / 60.0 - 1e-3 <= cue.lead_distance_m <= lead + 1e-3
    d_prev, v_prev = float(arrays["lap_dist_m"][s - 1]), float(arrays["speed_mps"][s - 1])
    assert 426.0 - d_prev > v_prev * 2.5


def test_cue_repeats_once_per_lap():
    coach = brake_early_coach()
    arrays = drive(start_m=0.0, metres=3 * TRACK_LENGTH_M - 10.0, lap=3)
    cues = stream(coach, arrays)
    assert len(cues) == 3
    assert [int(arrays["lap"][sample_of(arrays, c)]) for c in cues] == [3, 4, 5]


def test_no_cue_without_a_reference_or_a_last_lap_or_when_nothing_to_fix():
    arrays = drive(start_m=0.0, metres=2990.0, lap=3)
    for reference, last in [
        (None, driver_lap(changes={1: {"brake": 411.0}})),
        (reference_lap(), None),
        (reference_lap(), reference_lap()),
    ]:
        coach = LiveCoach()
        coach.set_context(session_id=SESSION_ID, reference=reference, last_lap=last)
        assert coach.plan == []
        assert stream(coach, arrays) == []


def test_lap_wrap_cue_for_a_target_just_after_the_line():
    corners = dict(REFERENCE_CORNERS)
    corners[1] = (60.0, 80.0, 120.0, 170.0, 97.5, 140.0, 0.0)
    reference = lap_analysis(lap_number=2, lap_time_s=90.0, corners=corners)
    corners[1] = (40.0, 80.0, 120.0, 170.0, 97.5, 140.0, 0.0)
    last = lap_analysis(lap_number=3, lap_time_s=90.3, corners=corners)
    coach = LiveCoach()
    coach.set_context(session_id=SESSION_ID, reference=reference, last_lap=last)  # length from the laps' distance
    assert [(c.target_m, c.text) for c in coach.plan] == [(60.0, "Turn 1: brake 20 m later")]
    arrays = drive(start_m=2500.0, metres=2 * TRACK_LENGTH_M, lap=3)
    cues = stream(coach, arrays)
    assert len(cues) == 2
    for cue, lap_before_line in zip(cues, (3, 4)):
        s = sample_of(arrays, cue)
        d, v = float(arrays["lap_dist_m"][s]), float(arrays["speed_mps"][s])
        assert int(arrays["lap"][s]) == lap_before_line and d > TRACK_LENGTH_M - 100.0  # still before the line
        assert cue.lead_distance_m == pytest.approx(TRACK_LENGTH_M - d + 60.0, abs=1e-2)
        assert v * 2.5 - v / 60.0 - 1e-2 <= cue.lead_distance_m <= v * 2.5 + 1e-2


def test_stream_starting_inside_the_window_after_the_line_cues_once():
    corners = dict(REFERENCE_CORNERS)
    corners[1] = (60.0, 80.0, 120.0, 170.0, 97.5, 140.0, 0.0)
    reference = lap_analysis(lap_number=2, lap_time_s=90.0, corners=corners)
    corners[1] = (40.0, 80.0, 120.0, 170.0, 97.5, 140.0, 0.0)
    coach = LiveCoach()
    coach.set_context(
        session_id=SESSION_ID,
        reference=reference,
        last_lap=lap_analysis(lap_number=3, lap_time_s=90.3, corners=corners),
    )
    arrays = drive(start_m=2950.0, metres=200.0, lap=3)  # crosses the line inside the lead window
    cues = stream(coach, arrays)
    assert len(cues) == 1 and int(arrays["lap"][sample_of(arrays, cues[0])]) == 3
    fresh = LiveCoach()
    fresh.set_context(
        session_id=SESSION_ID,
        reference=reference,
        last_lap=lap_analysis(lap_number=3, lap_time_s=90.3, corners=corners),
    )
    late = drive(start_m=20.0, metres=200.0, lap=4)  # 40 m before the target at ~60 m/s: too late to be useful
    assert stream(fresh, late) == []
    assert len(stream(fresh, drive(start_m=2800.0, metres=400.0, lap=4, t0_s=600.0))) == 1  # the next lap is cued


def test_lead_distance_is_speed_times_lead_time_clamped():
    coach = LiveCoach()
    np.testing.assert_allclose(
        coach.lead_m(np.array([5.0, 16.0, 40.0, 100.0, 150.0])), [40.0, 40.0, 100.0, 250.0, 250.0]
    )
    quick = LiveCoach(lead_time_s=1.0, min_lead_m=10.0, max_lead_m=50.0)
    np.testing.assert_allclose(quick.lead_m(np.array([5.0, 30.0, 80.0])), [10.0, 30.0, 50.0])
    with pytest.raises(ValueError):
        LiveCoach(lead_time_s=0.0)


def test_shorter_lead_time_cues_closer_to_the_target():
    arrays = drive(start_m=0.0, metres=1000.0, lap=3)
    (default,) = stream(brake_early_coach(), arrays)
    (short,) = stream(brake_early_coach(lead_time_s=1.5), arrays)
    assert short.lead_distance_m < default.lead_distance_m
    assert short.session_time_s > default.session_time_s


def test_missing_channels_are_reported():
    coach = brake_early_coach()
    with pytest.raises(LiveInputError, match="speed_mps"):
        coach.feed(seq=1, arrays={"lap_dist_m": np.zeros(3), "lap": np.zeros(3), "session_time_s": np.zeros(3)})


def test_feeding_is_cheap():
    coach = brake_early_coach()
    arrays = drive(start_m=0.0, metres=3 * TRACK_LENGTH_M, lap=3)
    batches = [{k: v[i : i + 600] for k, v in arrays.items()} for i in range(0, len(arrays["lap"]), 600)]
    started = time.perf_counter()
    for _ in range(20):
        for seq, batch in enumerate(batches, start=1):
            coach.feed(seq=seq, arrays=batch)
    per_batch_s = (time.perf_counter() - started) / (20 * len(batches))
    assert per_batch_s < 2e-3
