"""The trained lap model: its contract, the committed file and card, runtime settings, bad files."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pytest
from racecoach.services.coaching.model import spec
from racecoach.services.coaching.model.runtime import (
    DEFAULT_MODEL_PATH,
    ModelError,
    load_model,
    open_model,
)

CARD_PATH = DEFAULT_MODEL_PATH.parent / spec.CARD_FILE
N = len(spec.FEATURE_NAMES)


def card() -> dict:
    return json.loads(CARD_PATH.read_text())


def random_rows(count: int, *, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows = rng.uniform(0.0, 1.0, (count, N)).astype(np.float32)
    rows[:, spec.FEATURE_NAMES.index("lap_valid")] = rng.integers(0, 2, count)
    rows[:, spec.FEATURE_NAMES.index("rules_within_reach_s")] = rng.uniform(0.0, 3.0, count)
    return rows


def test_score_is_defined_from_the_time_within_reach():
    assert spec.score_from_reach(0.0) == 100.0
    assert spec.score_from_reach(-0.3) == 100.0  # never above 100
    assert spec.score_from_reach(0.1) == pytest.approx(100 * math.exp(-0.2))
    assert 81 < spec.score_from_reach(0.1) < 82 and 13 < spec.score_from_reach(1.0) < 14
    values = [spec.score_from_reach(r) for r in (0.0, 0.05, 0.2, 0.5, 1.0, 3.0)]
    assert values == sorted(values, reverse=True)


def test_model_predicts_a_non_negative_time_within_reach_per_row():
    model = load_model()
    rows = random_rows(50)
    got = model.predict(rows)
    assert got.shape == (50,) and got.dtype == np.float32
    assert np.all(got >= 0.0) and np.all(np.isfinite(got))
    served = float(got[0]) if model.serves_model else max(float(rows[0][spec.FEATURE_NAMES.index("rules_within_reach_s")]), 0.0)
    assert model.within_reach_s(rows[0]) == pytest.approx(served, rel=1e-6)
    assert model.score(rows[0]) == pytest.approx(spec.score_from_reach(served), rel=1e-6)
    assert 0.0 <= model.score(rows[0]) <= 100.0


def test_a_clean_lap_level_with_its_reference_scores_near_100_and_reach_follows_the_rules():
    model = load_model()
    clean = np.zeros(N, dtype=np.float32)
    clean[spec.FEATURE_NAMES.index("lap_valid")] = 1.0
    clean[spec.FEATURE_NAMES.index("trail_brake_fraction_mean")] = 0.3
    assert model.within_reach_s(clean) < 0.1
    lossy = clean.copy()
    lossy[spec.FEATURE_NAMES.index("rules_within_reach_s")] = 1.0
    lossy[spec.FEATURE_NAMES.index("lap_delta_s")] = 1.0
    lossy[spec.FEATURE_NAMES.index("rel_lap_delta")] = 1.0 / 90.0
    assert model.within_reach_s(lossy) > 0.5
    assert model.score(lossy) < model.score(clean)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="shape"):
        load_model().predict(np.zeros((2, 3), dtype=np.float32))


def test_the_card_beside_the_model_describes_it():
    got = card()
    assert got["model_version"] == spec.MODEL_VERSION and got["model_file"] == spec.MODEL_FILE
    assert got["sha256"] == hashlib.sha256(DEFAULT_MODEL_PATH.read_bytes()).hexdigest()
    assert got["features"]["lap"] == list(spec.FEATURE_NAMES)
    assert not set(got["split"]["train_tracks"]) & set(got["split"]["test_tracks"])
    metrics = got["metrics"]
    assert metrics["held_out_laps"] > 0 and metrics["train_laps"] > 0
    for row in metrics["causes"].values():
        assert row["decision"] in ("model", "rules")
        assert {"precision", "recall", "f1"} <= set(row["model"]) and {"precision", "recall", "f1"} <= set(row["rules"])
    reach = metrics["time_within_reach_mae_s"]
    assert metrics["decisions"]["time_within_reach"] == ("model" if reach["model"] < reach["rules"] else "rules")
    assert {"scikit-learn", "skl2onnx", "onnxruntime"} <= set(got["versions"])


def test_runtime_is_single_threaded_loaded_once_and_versioned():
    model = load_model()
    assert load_model() is model
    options = model.session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1
    assert model.version == "lap_score_v3"


def test_missing_model_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ModelError, match="cannot load the scoring model"):
        open_model(path=tmp_path / "absent.onnx")


def test_corrupt_model_file_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(DEFAULT_MODEL_PATH.read_bytes()[:100])
    with pytest.raises(ModelError, match="cannot load the scoring model"):
        open_model(path=bad)
