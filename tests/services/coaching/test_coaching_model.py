"""The ONNX lap-score model: formula, determinism of the committed file, runtime settings."""

from __future__ import annotations

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


def numpy_score(features: np.ndarray) -> np.ndarray:
    """The documented formula, independently: 100 / (1 + exp(-(bias + x · w))), in float64."""
    z = spec.BIAS + np.asarray(features, dtype=np.float64) @ np.asarray(spec.WEIGHTS, dtype=np.float64)
    return 100.0 / (1.0 + np.exp(-z))


FEATURE_ROWS = np.array(
    [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.3, 0.0, 0.0, 1.0],  # clean lap level with the reference
        [0.01, 0.008, 0.0, 0.2, 10.0, 1 / 3, 1.0],
        [0.05, 0.03, 2.0, 0.1, 40.0, 1.0, 0.0],  # far off and invalid
        [-0.004, 0.0, 0.0, 0.45, 1.5, 0.0, 1.0],  # faster than the reference
        [0.2, 0.15, 5.0, 0.0, 120.0, 1.0, 0.0],
    ],
    dtype=np.float32,
)


def test_model_matches_the_documented_formula_on_chosen_rows():
    model = load_model()
    got = model.predict(FEATURE_ROWS)
    assert got.shape == (len(FEATURE_ROWS),)
    np.testing.assert_allclose(got, numpy_score(FEATURE_ROWS), rtol=1e-5, atol=1e-5)


def test_model_matches_the_formula_on_random_rows_and_stays_in_range():
    rng = np.random.default_rng(7)
    rows = np.column_stack(
        [
            rng.uniform(-0.02, 0.08, 50),
            rng.uniform(0, 0.05, 50),
            rng.integers(0, 4, 50),
            rng.uniform(0, 1, 50),
            rng.uniform(0, 60, 50),
            rng.uniform(0, 1, 50),
            rng.integers(0, 2, 50),
        ]
    ).astype(np.float32)
    got = load_model().predict(rows)
    np.testing.assert_allclose(got, numpy_score(rows), rtol=1e-5, atol=1e-5)
    assert np.all((got >= 0) & (got <= 100))


def test_score_of_one_vector_and_bad_shapes():
    model = load_model()
    assert model.score(FEATURE_ROWS[1]) == pytest.approx(float(numpy_score(FEATURE_ROWS[1:2])[0]), rel=1e-5)
    assert model.score(FEATURE_ROWS[1]) > 99.0
    with pytest.raises(ValueError, match="shape"):
        model.predict(np.zeros((2, 3), dtype=np.float32))


def test_committed_model_is_what_the_script_builds():
    build = pytest.importorskip("racecoach.services.coaching.model.build_model")
    committed = DEFAULT_MODEL_PATH.read_bytes()
    assert build.model_bytes() == committed
    assert build.model_bytes() == build.model_bytes()


def test_committed_model_weights_are_the_documented_ones():
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    model = onnx.load(str(DEFAULT_MODEL_PATH))
    weights = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    np.testing.assert_array_equal(weights["weights"].reshape(-1), np.asarray(spec.WEIGHTS, dtype=np.float32))
    np.testing.assert_array_equal(weights["bias"], np.asarray([spec.BIAS], dtype=np.float32))
    np.testing.assert_array_equal(weights["scale"], np.asarray([spec.SCALE], dtype=np.float32))
    assert [node.op_type for node in model.graph.node] == ["MatMul", "Add", "Sigmoid", "Mul"]


def test_script_writes_the_model(tmp_path: Path):
    build = pytest.importorskip("racecoach.services.coaching.model.build_model")
    out = build.write_model(path=tmp_path / "m.onnx")
    assert out.read_bytes() == DEFAULT_MODEL_PATH.read_bytes()
    assert open_model(path=out).version == spec.MODEL_VERSION


def test_runtime_is_single_threaded_loaded_once_and_versioned():
    model = load_model()
    assert load_model() is model
    options = model.session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1
    assert model.version == "lap_score_v2"


def test_missing_model_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ModelError, match="cannot load the scoring model"):
        open_model(path=tmp_path / "absent.onnx")
