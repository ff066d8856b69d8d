"""Fit the coaching models on simulator rows, judge them on held-out circuits against the rules,
export the lap model to ONNX and write its model card.

* **Lap model** (served): a gradient-boosted regressor (absolute error, shallow trees) of the correction to the rules' time within
  reach; the exported graph adds the rules' figure (its input ``rules_within_reach_s``) back, so its
  output is the time within reach (s) itself, from which :func:`.spec.score_from_reach` defines the score.
* **Cause models** (served where they win): one gradient-boosted classifier per cause over the corner
  rows, exported together as one ONNX graph (:mod:`.model.cause_spec`: a probability per cause). The
  service lets the model confirm the rules' remarks of a cause (:mod:`racecoach.services.coaching.confirm`)
  where the rules and the model together beat the rules alone by F1 on the held-out circuits, the
  decision the card records. A regressor of the corner's true cost is judged, not served.

Everything is deterministic for a seed: the simulator and the scenarios are seeded, and the
boosting uses neither subsampling nor early stopping.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import sklearn
import skl2onnx
from onnx import TensorProto, helper
from onnx import compose
from racecoach.services.coaching.model import cause_spec, spec
from racecoach.services.coaching.training.dataset import CAUSES, CORNER_FEATURES, Rows, build_rows
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor

RULES_REACH = spec.FEATURE_NAMES.index("rules_within_reach_s")
OPSET = 17


@dataclass(frozen=True)
class Settings:
    """What a training run is: its data, split and model sizes (recorded in the card)."""

    seed: int = 7
    seeds: tuple[int, ...] = (1, 2, 3, 4, 5, 6)
    laps: int = 6
    cars: tuple[str, ...] = ("gt3", "gt4")
    train_tracks: tuple[str, ...] = ("BrandsHatch", "Norisring", "Silverstone", "Spa", "Spielberg")
    test_tracks: tuple[str, ...] = ("Monza", "Suzuka", "Zandvoort")
    max_iter: int = 150
    learning_rate: float = 0.05
    max_depth: int = 3
    min_samples_leaf: int = 20


@dataclass
class Fitted:
    lap: GradientBoostingRegressor
    causes: dict[str, GradientBoostingClassifier | None]
    corner_cost: GradientBoostingRegressor
    metrics: dict = field(default_factory=dict)


def _regressor(settings: Settings) -> GradientBoostingRegressor:
    # classic boosting for what is exported: skl2onnx converts it exactly; no subsampling, so no randomness
    return GradientBoostingRegressor(
        n_estimators=settings.max_iter, learning_rate=settings.learning_rate, max_depth=settings.max_depth,
        min_samples_leaf=settings.min_samples_leaf, subsample=1.0, loss="absolute_error",
        random_state=settings.seed)


def _classifier(settings: Settings) -> GradientBoostingClassifier:
    # classic boosting, as the regressors: skl2onnx converts it exactly; no subsampling, so no randomness
    return GradientBoostingClassifier(
        n_estimators=settings.max_iter, learning_rate=settings.learning_rate, max_depth=settings.max_depth,
        min_samples_leaf=settings.min_samples_leaf, subsample=1.0, random_state=settings.seed)


def prf(*, truth: np.ndarray, said: np.ndarray) -> dict[str, float | int | None]:
    """Precision, recall and F1 of binary decisions ``said`` against ``truth``."""
    tp, fp, fn = int(np.sum(said & truth)), int(np.sum(said & ~truth)), int(np.sum(~said & truth))
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f1 = 2 * p * r / (p + r) if p and r else 0.0
    return {"precision": p, "recall": r, "f1": f1, "instances": tp + fn, "remarks": tp + fp}


def fit_models(*, data: dict[str, np.ndarray], settings: Settings) -> Fitted:
    """Fit on the rows of ``settings.train_tracks``; judge on ``settings.test_tracks``."""
    lap_train = np.isin(data["lap_track"], settings.train_tracks)
    lap_test = np.isin(data["lap_track"], settings.test_tracks)
    corner_train = np.isin(data["corner_track"], settings.train_tracks)
    corner_test = np.isin(data["corner_track"], settings.test_tracks)
    x, reach, rules = data["lap_x"], data["lap_reach_s"], data["lap_rules_reach_s"]
    lap = _regressor(settings).fit(x[lap_train], (reach - rules)[lap_train])
    predicted = np.maximum(rules + lap.predict(x), 0.0)

    cx, cy = data["corner_x"], data["corner_y"].astype(bool)
    causes: dict[str, GradientBoostingClassifier | None] = {}
    cause_metrics = {}
    for i, cause in enumerate(CAUSES):
        labels = cy[corner_train, i]
        model = _classifier(settings).fit(cx[corner_train], labels) if 0 < labels.sum() < len(labels) else None
        causes[cause] = model
        found = (model.predict_proba(cx[corner_test])[:, 1] >= cause_spec.CONFIRM_PROBABILITY) if model is not None \
            else np.zeros(corner_test.sum(), bool)
        rules_said = data["corner_rules_y"][corner_test, i].astype(bool)
        model_m = prf(truth=cy[corner_test, i], said=found)
        rules_m = prf(truth=cy[corner_test, i], said=rules_said)
        # what the service does when it serves the cause: the rules' remark stays when the model finds the cause or
        # the rules' time at the corner is a big loss (cause_spec.KEEP_FROM_S)
        kept = found | (data["corner_rules_cost_s"][corner_test] >= cause_spec.KEEP_FROM_S)
        confirmed_m = prf(truth=cy[corner_test, i], said=rules_said & kept)
        cause_metrics[cause] = {"model": model_m, "rules": rules_m, "rules_confirmed": confirmed_m,
                                "decision": "model" if model is not None and confirmed_m["f1"] > rules_m["f1"] else "rules"}
    # the corner's cost: a correction to the rules' time at the corner, on corners where the truth or the rules put one
    has_cost = (data["corner_cost_s"] > 0) | (data["corner_rules_cost_s"] > 0)
    rules_cost = data["corner_rules_cost_s"]
    cxr = np.column_stack([cx, rules_cost]).astype(np.float32)
    fit_on = corner_train & has_cost
    corner_cost = _regressor(settings).fit(cxr[fit_on], (data["corner_cost_s"] - rules_cost)[fit_on])
    costly = corner_test & has_cost
    cost_model = np.maximum(rules_cost[costly] + corner_cost.predict(cxr[costly]), 0.0)
    mae = lambda a, b: float(np.mean(np.abs(a - b))) if len(a) else None  # noqa: E731
    metrics = {
        "held_out_laps": int(lap_test.sum()), "train_laps": int(lap_train.sum()),
        "held_out_corners": int(corner_test.sum()), "train_corners": int(corner_train.sum()),
        "time_within_reach_mae_s": {"model": mae(predicted[lap_test], reach[lap_test]),
                                    "rules": mae(rules[lap_test], reach[lap_test])},
        "corner_cost_mae_s": {"model": mae(cost_model, data["corner_cost_s"][costly]),
                              "rules": mae(data["corner_rules_cost_s"][costly], data["corner_cost_s"][costly]),
                              "corners": int(costly.sum())},
        "causes": cause_metrics,
    }
    reach_m = metrics["time_within_reach_mae_s"]
    metrics["decisions"] = {
        "score": "score_from_reach of the time within reach served (time_within_reach: the model's or the rules')",
        "time_within_reach": "model" if reach_m["model"] is not None and reach_m["model"] < reach_m["rules"] else "rules",
        "causes_served": [c for c, m in cause_metrics.items() if m["decision"] == "model"],
        "causes_note": "the rules name every remark; for the causes in causes_served the cause model confirms each "
                       "remark (probability >= " f"{cause_spec.CONFIRM_PROBABILITY}" ", or it costs >= " f"{cause_spec.KEEP_FROM_S}" " s) or it is dropped: those where "
                       "rules_confirmed beats rules by F1 on the held-out tracks (causes.*.decision)",
        "time_cost_served": "rules (each remark's time is its phases' loss)",
    }
    return Fitted(lap=lap, causes=causes, corner_cost=corner_cost, metrics=metrics)


def lap_onnx(*, model: GradientBoostingRegressor, serves_model: bool = True) -> onnx.ModelProto:
    """The lap regressor as ONNX, its correction added to the rules' input: features[N, F] → within_reach_s[N, 1].
    ``serves_model`` False (the rules' time within reach was better on the held-out tracks) is written to the
    metadata (``within_reach_served``): the service then scores from the rules' figure."""
    n = len(spec.FEATURE_NAMES)
    raw = skl2onnx.convert_sklearn(model, initial_types=[(spec.INPUT_NAME, FloatTensorType([None, n]))],
                                   final_types=[("correction", FloatTensorType([None, 1]))],
                                   target_opset={"": OPSET, "ai.onnx.ml": 3})
    graph = raw.graph
    graph.name = spec.MODEL_NAME  # the converter names it at random
    for opset in raw.opset_import:  # the converter declares the lowest opset its own nodes need
        if opset.domain in ("", "ai.onnx"):
            opset.version = OPSET
    consts = [helper.make_tensor(name, TensorProto.INT64, [1], [value]) for name, value in
              (("rules_start", RULES_REACH), ("rules_end", RULES_REACH + 1), ("rules_axis", 1))]
    graph.initializer.extend(consts)
    graph.node.extend([
        helper.make_node("Slice", [spec.INPUT_NAME, "rules_start", "rules_end", "rules_axis"], ["rules_reach"],
                         name="rules_reach"),
        helper.make_node("Add", ["correction", "rules_reach"], ["reach_raw"], name="add_rules"),
        helper.make_node("Relu", ["reach_raw"], [spec.OUTPUT_NAME], name="not_negative"),
    ])
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info(spec.OUTPUT_NAME, TensorProto.FLOAT, [None, 1]))
    raw.producer_name, raw.producer_version = "racecoach.services.coaching.training", spec.MODEL_VERSION
    raw.doc_string = "Racing Coach lap model: time within reach (s); see racecoach.services.coaching.model.spec."
    del raw.metadata_props[:]
    helper.set_model_props(raw, {"model_version": spec.MODEL_VERSION, "feature_names": ",".join(spec.FEATURE_NAMES),
                                 "within_reach_served": "model" if serves_model else "rules"})
    onnx.checker.check_model(raw)
    return raw


def causes_onnx(*, fitted: Fitted) -> onnx.ModelProto:
    """The cause classifiers as one ONNX graph: corner_features[N, F] → cause_probability[N, C], one column per
    cause that has a classifier (in :data:`CAUSES` order); the metadata names the columns and the served causes."""
    n = len(cause_spec.FEATURE_NAMES)
    names = [c for c in CAUSES if fitted.causes.get(c) is not None]
    if not names:
        raise ValueError("no cause has a classifier: the training rows hold no mistake of any kind")
    graph = helper.make_graph([], cause_spec.MODEL_NAME,
                              [helper.make_tensor_value_info(cause_spec.INPUT_NAME, TensorProto.FLOAT, [None, n])],
                              [helper.make_tensor_value_info(cause_spec.OUTPUT_NAME, TensorProto.FLOAT, [None, len(names)])])
    columns = []
    for cause in names:
        model = fitted.causes[cause]
        raw = skl2onnx.convert_sklearn(model, initial_types=[(cause_spec.INPUT_NAME, FloatTensorType([None, n]))],
                                       options={id(model): {"zipmap": False}},
                                       target_opset={"": OPSET, "ai.onnx.ml": 3})
        raw = compose.add_prefix(raw, prefix=f"{cause}_", rename_inputs=False)
        probabilities = next(o.name for o in raw.graph.output if o.name.endswith("probabilities"))
        graph.node.extend(raw.graph.node)
        graph.initializer.extend(raw.graph.initializer)
        graph.initializer.append(helper.make_tensor(f"{cause}_column", TensorProto.INT64, [1], [1]))
        graph.node.append(helper.make_node("Gather", [probabilities, f"{cause}_column"], [f"{cause}_p"], axis=1,
                                           name=f"{cause}_p"))
        columns.append(f"{cause}_p")
    graph.node.append(helper.make_node("Concat", columns, [cause_spec.OUTPUT_NAME], axis=1, name="by_cause"))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", 3)])
    model.producer_name, model.producer_version = "racecoach.services.coaching.training", cause_spec.MODEL_VERSION
    model.doc_string = "Racing Coach cause model: probability of each cause at a corner; see racecoach.services.coaching.model.cause_spec."
    served = [c for c in names if fitted.metrics["causes"][c]["decision"] == "model"]
    helper.set_model_props(model, {"model_version": cause_spec.MODEL_VERSION,
                                   "feature_names": ",".join(cause_spec.FEATURE_NAMES),
                                   cause_spec.CAUSES_KEY: ",".join(names), cause_spec.SERVED_KEY: ",".join(served)})
    onnx.checker.check_model(model)
    return model


def sklearn_cause_probabilities(*, fitted: Fitted, x: np.ndarray) -> np.ndarray:
    """What the exported cause graph computes, in scikit-learn: each classifier's probability of its cause."""
    x = np.asarray(x, dtype=np.float32)
    return np.column_stack([m.predict_proba(x)[:, 1] for c in CAUSES if (m := fitted.causes.get(c)) is not None])


def sklearn_reach(*, model: GradientBoostingRegressor, x: np.ndarray) -> np.ndarray:
    """What the exported graph computes, in scikit-learn: the rules' figure plus the correction, never negative."""
    x = np.asarray(x, dtype=np.float32)
    return np.maximum(x[:, RULES_REACH] + model.predict(x), 0.0)


def versions() -> dict[str, str]:
    return {"python": platform.python_version(), "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "skl2onnx": skl2onnx.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}


def card(*, settings: Settings, data: dict[str, np.ndarray], fitted: Fitted, model_bytes: bytes,
         cause_bytes: bytes) -> dict:
    return {
        "model_version": spec.MODEL_VERSION, "model_file": spec.MODEL_FILE,
        "sha256": hashlib.sha256(model_bytes).hexdigest(),
        "cause_model": {"model_version": cause_spec.MODEL_VERSION, "model_file": cause_spec.MODEL_FILE,
                        "sha256": hashlib.sha256(cause_bytes).hexdigest(),
                        "served_causes": fitted.metrics["decisions"]["causes_served"],
                        "confirm_probability": cause_spec.CONFIRM_PROBABILITY, "keep_from_s": cause_spec.KEEP_FROM_S},
        "command": f"racing-coach train --seed {settings.seed}",
        "settings": asdict(settings),
        "data": {"source": "the project's simulator (client/simulator) with driver variability and the eval's "
                           "injected mistakes (client/evaluation/scenarios), analysed in-process; judged laps only",
                 "lap_rows": int(len(data["lap_x"])), "corner_rows": int(len(data["corner_x"])),
                 "lap_target": "sum of the true time_cost_s of the lap's mistakes",
                 "corner_targets": "the causes the truth injected at the corner and their summed time_cost_s"},
        "features": {"lap": list(spec.FEATURE_NAMES), "corner": list(CORNER_FEATURES)},
        "split": {"train_tracks": list(settings.train_tracks), "test_tracks": list(settings.test_tracks),
                  "note": "metrics are on the test tracks only, never trained on"},
        "score": f"100 * exp(-max(within_reach_s, 0) / {spec.SCORE_SCALE_S})",
        "metrics": fitted.metrics,
        "versions": versions(),
    }


def train(*, settings: Settings, out_dir: Path, rows: Rows | None = None) -> dict:
    """Build the rows (unless given), fit, export and write ``spec.MODEL_FILE``, ``cause_spec.MODEL_FILE`` and
    ``spec.CARD_FILE`` under ``out_dir``; returns the card."""
    rows = rows if rows is not None else build_rows(
        tracks=[*settings.train_tracks, *settings.test_tracks], cars=settings.cars, seeds=settings.seeds,
        laps=settings.laps)
    data = rows.arrays()
    fitted = fit_models(data=data, settings=settings)
    serves_model = fitted.metrics["decisions"]["time_within_reach"] == "model"
    model_bytes = lap_onnx(model=fitted.lap, serves_model=serves_model).SerializeToString(deterministic=True)
    cause_bytes = causes_onnx(fitted=fitted).SerializeToString(deterministic=True)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / spec.MODEL_FILE).write_bytes(model_bytes)
    (out_dir / cause_spec.MODEL_FILE).write_bytes(cause_bytes)
    result = card(settings=settings, data=data, fitted=fitted, model_bytes=model_bytes, cause_bytes=cause_bytes)
    (out_dir / spec.CARD_FILE).write_text(json.dumps(result, indent=2, sort_keys=False) + "\n")
    return result


def settings_from(*, seed: int, seeds: Sequence[int] | None = None, **overrides) -> Settings:
    base = Settings(seed=seed)
    if seeds is not None:
        overrides["seeds"] = tuple(seeds)
    return Settings(**{**asdict(base), **overrides})
