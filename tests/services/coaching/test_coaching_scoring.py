"""Lap features and the lap report (model score plus rules)."""

from __future__ import annotations

import numpy as np
import pytest
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import rules
from racecoach.services.coaching.features import lap_features
from racecoach.services.coaching.model import spec
from racecoach.services.coaching.model.runtime import load_model
from racecoach.services.coaching.scoring import score_lap

from .factories import corner_deltas, driver_lap, reference_lap

FT = coaching_pb2.FeedbackType


def as_dict(vector: np.ndarray) -> dict[str, float]:
    return dict(zip(spec.FEATURE_NAMES, vector.tolist()))


def test_features_of_a_known_lap():
    lap = driver_lap(
        lap_time_s=91.8,
        changes={1: {"kmh": 90.0, "coast": 20.0}, 2: {"coast": 10.0}},
        trail_brake_fraction=0.2,
        extra_zones=1,
    )
    deltas = corner_deltas({0: -0.1, 1: 1.5, 2: 0.4})
    got = as_dict(lap_features(lap=lap, reference=reference_lap(), corner_deltas=deltas))
    assert got["rel_lap_delta"] == pytest.approx(1.8 / 90.0, rel=1e-5)
    assert got["corner_loss_fraction"] == pytest.approx(1.9 / 91.8, rel=1e-5)
    assert got["extra_braking_zones"] == 1.0
    assert got["trail_brake_fraction_mean"] == pytest.approx((3 * 0.2 + 0.0) / 4, rel=1e-5)
    assert got["coasting_m_per_km"] == pytest.approx((20.0 + 10.0 + 2.0) / 3.0, rel=1e-5)
    assert got["apex_deficit_fraction"] == pytest.approx(1 / 3, rel=1e-5)
    assert got["lap_valid"] == 1.0


def test_features_without_a_reference_or_lap_time():
    lap = driver_lap(lap_time_s=None, valid=False)
    got = as_dict(lap_features(lap=lap, reference=None, corner_deltas=corner_deltas({1: 0.5})))
    assert got["rel_lap_delta"] == got["corner_loss_fraction"] == got["apex_deficit_fraction"] == 0.0
    assert got["extra_braking_zones"] == 0.0 and got["lap_valid"] == 0.0
    assert got["trail_brake_fraction_mean"] == pytest.approx(0.3)


def test_a_loss_past_float32s_range_is_held_at_its_edge_not_made_infinite():
    deltas = corner_deltas({1: 1e300})
    got = lap_features(lap=driver_lap(lap_time_s=90.0), reference=reference_lap(), corner_deltas=deltas,
                       rules_within_reach_s=-1e300)
    assert np.isfinite(got).all()
    assert as_dict(got)["rules_within_reach_s"] == pytest.approx(-float(np.finfo(np.float32).max))


def test_report_combines_model_score_and_rules():
    lap = driver_lap(lap_time_s=90.84, changes={1: {"brake": 412.0}})
    deltas = corner_deltas({0: 0.63, 1: 0.21})
    ref = reference_lap()
    report = score_lap(lap=lap, reference=ref, corner_deltas=deltas, model=load_model())
    reach = rules.within_reach_s(report.feedback)
    expected = load_model().score(lap_features(lap=lap, reference=ref, corner_deltas=deltas, rules_within_reach_s=reach))
    assert report.score == pytest.approx(expected, rel=1e-5)
    assert report.time_within_reach_s == pytest.approx(reach)
    assert (report.session_id, report.lap_id, report.lap_number) == (lap.session_id, lap.lap_id, 3)
    assert report.reference_lap_id == ref.lap_id
    assert report.model_version == "lap_score_v3"
    assert [(f.type, f.corner_number) for f in report.feedback] == [(FT.FEEDBACK_TYPE_BRAKE_EARLY, 1)]
    assert "0.840 s slower" in report.summary and "Turn 1" in report.summary


def test_faster_cleaner_laps_score_higher():
    model, ref = load_model(), reference_lap()
    level = score_lap(lap=driver_lap(lap_time_s=90.0), reference=ref, corner_deltas=corner_deltas({}), model=model)
    slow = score_lap(
        lap=driver_lap(lap_time_s=91.0, changes={2: {"kmh": 110.0, "coast": 25.0}}),
        reference=ref,
        corner_deltas=corner_deltas({2: 1.0}),
        model=model,
    )
    invalid = score_lap(
        lap=driver_lap(lap_time_s=90.0, valid=False), reference=ref, corner_deltas=corner_deltas({}), model=model
    )
    assert 95.0 < level.score <= 100.0
    assert slow.score < level.score
    # the model learnt from judged (valid) laps only: validity does not raise a score
    assert invalid.score <= level.score
    assert level.feedback == [] and "level with your reference" in level.summary


def test_report_without_a_reference():
    lap = driver_lap(changes={3: {"coast": 40.0}}, trail_brake_fraction=0.1)
    report = score_lap(lap=lap, reference=None, corner_deltas=corner_deltas({3: 0.4}), model=load_model())
    assert report.reference_lap_id == ""
    assert 0.0 < report.score <= 100.0
    assert [(f.type, f.corner_number, f.time_loss_s) for f in report.feedback] == [(FT.FEEDBACK_TYPE_COASTING, 3, 0.0)]
    assert "no reference lap yet" in report.summary
