"""The training pipeline end to end on a tiny set (seconds): simulator rows → fit → ONNX → onnxruntime."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("skl2onnx")

from racecoach.services.coaching.model import cause_spec, spec  # noqa: E402
from racecoach.services.coaching.model.cause_runtime import open_cause_model  # noqa: E402
from racecoach.services.coaching.model.runtime import DEFAULT_MODEL_PATH, open_model  # noqa: E402
from racecoach.services.coaching.training.dataset import CAUSES, build_rows  # noqa: E402
from racecoach.services.coaching.training.fit import (  # noqa: E402
    Settings,
    causes_onnx,
    fit_models,
    lap_onnx,
    settings_from,
    sklearn_cause_probabilities,
    sklearn_reach,
    train,
)

TINY = settings_from(seed=3, seeds=[1], cars=("gt3",), train_tracks=("Spielberg",), test_tracks=("Norisring",),
                     max_iter=25, min_samples_leaf=2)


@pytest.fixture(scope="module")
def rows():
    return build_rows(tracks=[*TINY.train_tracks, *TINY.test_tracks], cars=TINY.cars, seeds=TINY.seeds, laps=4)


def test_onnxruntime_gives_what_scikit_learn_gives(rows, tmp_path):
    data = rows.arrays()
    fitted = fit_models(data=data, settings=TINY)
    path = tmp_path / spec.MODEL_FILE
    path.write_bytes(lap_onnx(model=fitted.lap).SerializeToString(deterministic=True))
    model = open_model(path=path)
    assert model.version == spec.MODEL_VERSION
    rng = np.random.default_rng(0)
    probe = np.vstack([data["lap_x"], data["lap_x"] * rng.uniform(0.5, 1.5, data["lap_x"].shape)]).astype(np.float32)
    np.testing.assert_allclose(model.predict(probe), sklearn_reach(model=fitted.lap, x=probe), atol=1e-4)


def test_the_cause_graph_gives_what_each_classifier_gives(rows, tmp_path):
    data = rows.arrays()
    fitted = fit_models(data=data, settings=TINY)
    path = tmp_path / cause_spec.MODEL_FILE
    path.write_bytes(causes_onnx(fitted=fitted).SerializeToString(deterministic=True))
    model = open_cause_model(path=path)
    assert model.version == cause_spec.MODEL_VERSION
    assert model.causes == tuple(c for c in CAUSES if fitted.causes[c] is not None) and model.causes
    served = {c for c, m in fitted.metrics["causes"].items() if m["decision"] == "model"}
    assert model.served == served == set(fitted.metrics["decisions"]["causes_served"])
    rng = np.random.default_rng(1)
    probe = np.vstack([data["corner_x"], data["corner_x"] * rng.uniform(0.5, 1.5, data["corner_x"].shape)]).astype(np.float32)
    got = model.probabilities(probe)
    np.testing.assert_allclose(got, sklearn_cause_probabilities(fitted=fitted, x=probe), atol=1e-4)
    assert got.shape == (len(probe), len(model.causes)) and np.all((got >= 0) & (got <= 1))
    for cause, row in fitted.metrics["causes"].items():  # served only where confirming beats the rules alone
        if row["decision"] == "model":
            assert row["rules_confirmed"]["f1"] > row["rules"]["f1"]


def test_training_is_deterministic_and_writes_model_and_card(rows, tmp_path):
    first = train(settings=TINY, out_dir=tmp_path / "a", rows=rows)
    second = train(settings=TINY, out_dir=tmp_path / "b", rows=rows)
    assert (tmp_path / "a" / spec.MODEL_FILE).read_bytes() == (tmp_path / "b" / spec.MODEL_FILE).read_bytes()
    assert (tmp_path / "a" / cause_spec.MODEL_FILE).read_bytes() == (tmp_path / "b" / cause_spec.MODEL_FILE).read_bytes()
    assert first["cause_model"]["sha256"] == second["cause_model"]["sha256"]
    assert first["metrics"] == second["metrics"] and first["sha256"] == second["sha256"]
    written = json.loads((tmp_path / "a" / spec.CARD_FILE).read_text())
    assert written["settings"]["test_tracks"] == ["Norisring"] and written["metrics"]["held_out_laps"] > 0
    assert set(written["metrics"]["causes"]) == set(CAUSES)


def test_the_committed_card_records_the_default_command():
    committed = json.loads((DEFAULT_MODEL_PATH.parent / spec.CARD_FILE).read_text())
    assert committed["command"] == f"racing-coach train --seed {Settings().seed}"
    assert committed["settings"] == json.loads(json.dumps(asdict(Settings())))


def test_a_lap_model_that_lost_to_the_rules_scores_from_the_rules_figure(rows, tmp_path):
    data = rows.arrays()
    fitted = fit_models(data=data, settings=TINY)
    reach = spec.FEATURE_NAMES.index("rules_within_reach_s")
    served, kept = tmp_path / "model.onnx", tmp_path / "rules.onnx"
    served.write_bytes(lap_onnx(model=fitted.lap).SerializeToString(deterministic=True))
    kept.write_bytes(lap_onnx(model=fitted.lap, serves_model=False).SerializeToString(deterministic=True))
    model, rules = open_model(path=served), open_model(path=kept)
    assert model.serves_model and not rules.serves_model
    for row in data["lap_x"][:20]:
        assert rules.within_reach_s(row) == pytest.approx(max(float(row[reach]), 0.0), abs=1e-6)
        assert rules.score(row) == pytest.approx(spec.score_from_reach(float(row[reach])), abs=1e-4)
        assert model.within_reach_s(row) == pytest.approx(float(model.predict(row)[0]))
    # the committed model serves what its card decided
    committed = json.loads((DEFAULT_MODEL_PATH.parent / spec.CARD_FILE).read_text())
    assert open_model(path=DEFAULT_MODEL_PATH).serves_model == (committed["metrics"]["decisions"]["time_within_reach"] == "model")
