"""Feedback rules on laps with known brake points, apex speeds, throttle points and losses."""

from __future__ import annotations

import pytest
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import rules

from .factories import corner_deltas, driver_lap, reference_lap

FT = coaching_pb2.FeedbackType
SEV = coaching_pb2.Severity


def feedback_for(changes, losses, **lap_kwargs):
    return rules.lap_feedback(
        lap=driver_lap(changes=changes, **lap_kwargs), reference=reference_lap(), corner_deltas=corner_deltas(losses)
    )


def test_brake_early_is_reported_with_metres_loss_and_words():
    (item,) = feedback_for({1: {"brake": 412.0}}, {1: 0.21})
    assert item.type == FT.FEEDBACK_TYPE_BRAKE_EARLY
    assert item.corner_number == 1
    assert item.delta_value == pytest.approx(-14.0)
    assert item.delta_unit == "m"
    assert item.distance_m == pytest.approx(412.0)
    assert item.time_loss_s == pytest.approx(0.21)
    assert item.severity == SEV.SEVERITY_MAJOR
    assert item.description == (
        "Turn 1: you braked 14 m earlier than your reference (at 412 m instead of 426 m), which cost 0.21 s;"
        " brake later, at the reference point."
    )


def test_brake_late_is_an_overshoot():
    (item,) = feedback_for({2: {"brake": 1209.0, "kmh": 114.0}}, {2: 0.12})
    assert (item.type, item.corner_number, item.delta_unit) == (FT.FEEDBACK_TYPE_BRAKE_LATE, 2, "m")
    assert item.delta_value == pytest.approx(9.0)
    assert item.severity == SEV.SEVERITY_MINOR
    assert "Turn 2" in item.description and "9 m later" in item.description and "1209 m" in item.description
    assert "overshot" in item.description
    # Braking later with the same minimum speed and throttle is no overshoot, whatever the corner lost.
    assert feedback_for({2: {"brake": 1209.0}}, {2: 0.12}) == []
    # Braking later and gaining time is no fault (a gain over 0.05 s is praised instead).
    (praise,) = feedback_for({2: {"brake": 1209.0}}, {2: -0.08})
    assert praise.type == FT.FEEDBACK_TYPE_STRENGTH
    assert praise.corner_number == 2
    assert praise.delta_value == pytest.approx(-0.08) and praise.delta_unit == "s"
    assert "Turn 2" in praise.description and "9 m later" in praise.description


def test_small_differences_are_not_remarks():
    assert feedback_for({1: {"brake": 422.0, "kmh": 96.2, "throttle": 528.0, "coast": 13.0}}, {1: 0.04}) == []
    assert feedback_for({}, {2: -0.04}) == []  # a gain under 0.05 s is not worth praise


def test_low_apex_speed_in_kmh():
    (item,) = feedback_for({3: {"kmh": 74.5}}, {3: 0.34})
    assert (item.type, item.corner_number, item.delta_unit) == (FT.FEEDBACK_TYPE_LOW_APEX_SPEED, 3, "km/h")
    assert item.delta_value == pytest.approx(-5.5, abs=1e-6)
    assert item.distance_m == pytest.approx(2780.0)
    assert item.severity == SEV.SEVERITY_MAJOR
    assert "Turn 3" in item.description and "5.5 km/h lower" in item.description and "2780 m" in item.description


def test_late_throttle_in_metres():
    (item,) = feedback_for({1: {"throttle": 538.0}}, {1: 0.6})
    assert (item.type, item.corner_number, item.delta_unit) == (FT.FEEDBACK_TYPE_LATE_THROTTLE, 1, "m")
    assert item.delta_value == pytest.approx(18.0)
    assert item.severity == SEV.SEVERITY_CRITICAL
    assert item.description == (
        "Turn 1: you reached full throttle 18 m later than your reference (at 538 m instead of 520 m),"
        " which cost 0.60 s; get back to full throttle sooner after the apex."
    )


def test_coasting_in_metres():
    (item,) = feedback_for({2: {"coast": 22.0}}, {2: 0.03})
    assert (item.type, item.corner_number, item.delta_unit) == (FT.FEEDBACK_TYPE_COASTING, 2, "m")
    assert item.delta_value == pytest.approx(22.0 - 3.0)  # against the reference's 3 m
    assert item.severity == SEV.SEVERITY_INFO
    assert "Turn 2" in item.description and "22 m" in item.description


def test_one_remark_per_corner_sorted_by_time_at_stake():
    items = feedback_for(
        {1: {"brake": 412.0}, 2: {"kmh": 110.0, "throttle": 1295.0}, 3: {"brake": 2710.0}},
        {1: 0.1, 2: 0.45, 3: -0.2},
    )
    got = [(f.corner_number, f.type, round(f.time_loss_s, 3), f.severity) for f in items]
    assert got == [  # corner 2's late throttle follows from its low minimum speed: one remark, its main cause
        (2, FT.FEEDBACK_TYPE_LOW_APEX_SPEED, 0.45, SEV.SEVERITY_MAJOR),
        (1, FT.FEEDBACK_TYPE_BRAKE_EARLY, 0.1, SEV.SEVERITY_MINOR),
        (3, FT.FEEDBACK_TYPE_STRENGTH, -0.2, SEV.SEVERITY_MAJOR),
    ]


@pytest.mark.parametrize(
    ("loss", "severity"),
    [
        (-0.3, SEV.SEVERITY_INFO),
        (0.0, SEV.SEVERITY_INFO),
        (0.049, SEV.SEVERITY_INFO),
        (0.05, SEV.SEVERITY_MINOR),
        (0.199, SEV.SEVERITY_MINOR),
        (0.2, SEV.SEVERITY_MAJOR),
        (0.499, SEV.SEVERITY_MAJOR),
        (0.5, SEV.SEVERITY_CRITICAL),
        (2.0, SEV.SEVERITY_CRITICAL),
    ],
)
def test_severity_thresholds(loss, severity):
    assert rules.severity_for(time_loss_s=loss) == severity


def test_distances_compare_across_the_start_finish_line():
    ref = reference_lap()
    ref.corners[2].throttle_on_m = 2990.0  # the reference commits 10 m before the line
    lap = driver_lap(changes={3: {"throttle": 15.0}})  # this lap 25 m later, after the line
    items = rules.lap_feedback(lap=lap, reference=ref, corner_deltas=corner_deltas({3: 0.1}))
    (item,) = items
    assert item.type == FT.FEEDBACK_TYPE_LATE_THROTTLE
    assert item.delta_value == pytest.approx(25.0)


def test_without_a_reference_only_coasting_and_trail_braking_are_judged():
    lap = driver_lap(changes={1: {"brake": 300.0, "kmh": 60.0}, 2: {"coast": 30.0}}, trail_brake_fraction=0.02)
    items = rules.lap_feedback(lap=lap, reference=None, corner_deltas=[])
    (item,) = items
    assert (item.type, item.corner_number, item.delta_value, item.delta_unit) == (
        FT.FEEDBACK_TYPE_COASTING,
        2,
        30.0,
        "m",
    )
    assert item.time_loss_s == 0.0 and item.severity == SEV.SEVERITY_INFO
    assert "Turn 2" in item.description and "30 m" in item.description and "before turning in" in item.description

    good = rules.lap_feedback(lap=driver_lap(trail_brake_fraction=0.4), reference=None, corner_deltas=[])
    assert [(f.type, f.corner_number, f.delta_unit) for f in good] == [
        (FT.FEEDBACK_TYPE_STRENGTH, n, "m") for n in (1, 2, 3)
    ]
    assert good[0].delta_value == pytest.approx(0.4 * (500.0 - 426.0))
    assert "Turn 1" in good[0].description and "trail braking" in good[0].description


def test_summary_is_one_sentence_naming_the_worst_corner():
    lap = driver_lap(changes={1: {"brake": 412.0}}, lap_time_s=90.84)
    deltas = corner_deltas({0: 0.63, 1: 0.21})
    items = rules.lap_feedback(lap=lap, reference=reference_lap(), corner_deltas=deltas)
    text = rules.summary(lap=lap, reference=reference_lap(), lap_delta_s=0.84, feedback=items)
    assert (
        text
        == "Lap 3 (1:30.840): 0.840 s slower than your reference; 0.21 s within reach, most at Turn 1"
        " (0.21 s, braking too early)."
    )
    alone = rules.summary(lap=lap, reference=None, lap_delta_s=None, feedback=[])
    assert alone.startswith("Lap 3 (1:30.840): no reference lap yet") and alone.count(".") == 2  # 1:30.840 and the end
