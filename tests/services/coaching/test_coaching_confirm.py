"""The cause model's say on the rules' remarks: real ONNX graphs run by the real runtime.

The graphs here are built by hand (``onnx.helper``) so their answer is known: brake early is found
at a corner when it braked more than 8 m before the reference; every other cause always.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402
from racecoach.analysis.v1 import analysis_pb2  # noqa: E402
from racecoach.coaching.v1 import coaching_pb2  # noqa: E402
from racecoach.services.coaching.confirm import CAUSE_TYPES, confirmed_feedback  # noqa: E402
from racecoach.services.coaching.model import cause_spec, spec  # noqa: E402
from racecoach.services.coaching.model.cause_runtime import (  # noqa: E402
    DEFAULT_CAUSE_MODEL_PATH,
    load_cause_model,
    open_cause_model,
)
from racecoach.services.coaching.model.runtime import ModelError  # noqa: E402

FT = coaching_pb2.FeedbackType
PH = analysis_pb2.CornerPhase
CAUSES = ("brake_early", "brake_late", "low_apex_speed", "late_throttle", "coasting", "lift")
EARLY_M = 8.0


def graph_file(tmp_path: Path, *, served: str = "brake_early,low_apex_speed", causes: tuple[str, ...] = CAUSES,
               features: tuple[str, ...] = cause_spec.FEATURE_NAMES, columns: int | None = None) -> Path:
    """brake_early = sigmoid(-5 (d_brake_onset_m + 8)); every other column 1."""
    n, k = len(features), columns if columns is not None else len(causes)
    onset = features.index("d_brake_onset_m") if "d_brake_onset_m" in features else 0
    nodes = [
        helper.make_node("Gather", [cause_spec.INPUT_NAME, "onset_col"], ["onset"], axis=1),
        helper.make_node("Add", ["onset", "early_m"], ["shifted"]),
        helper.make_node("Mul", ["shifted", "minus_five"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p_early"]),
        helper.make_node("Sub", ["onset", "onset"], ["zero"]),
        helper.make_node("Add", ["zero", "one"], ["p_one"]),
        helper.make_node("Concat", ["p_early", *["p_one"] * (k - 1)], [cause_spec.OUTPUT_NAME], axis=1),
    ]
    inits = [helper.make_tensor("onset_col", TensorProto.INT64, [1], [onset]),
             helper.make_tensor("early_m", TensorProto.FLOAT, [], [EARLY_M]),
             helper.make_tensor("minus_five", TensorProto.FLOAT, [], [-5.0]),
             helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])]
    graph = helper.make_graph(nodes, "test_causes", [helper.make_tensor_value_info(cause_spec.INPUT_NAME, TensorProto.FLOAT, [None, n])],
                              [helper.make_tensor_value_info(cause_spec.OUTPUT_NAME, TensorProto.FLOAT, [None, k])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"model_version": "causes_test", "feature_names": ",".join(features),
                                   cause_spec.CAUSES_KEY: ",".join(causes), cause_spec.SERVED_KEY: served})
    path = tmp_path / "causes.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def corner(number: int, *, onset_m: float, apex_m: float) -> analysis_pb2.Corner:
    return analysis_pb2.Corner(number=number, braked=True, brake_onset_m=onset_m, apex_m=apex_m, entry_m=onset_m,
                               apex_speed_mps=30.0, entry_speed_mps=50.0, exit_speed_mps=40.0, max_lat_g=1.3)


def laps(*, early_m: dict[int, float]):
    ref_onsets = {1: 400.0, 2: 1200.0, 3: 2500.0}
    reference = analysis_pb2.LapAnalysis(lap_id="ref", corners=[corner(n, onset_m=m, apex_m=m + 100) for n, m in ref_onsets.items()])
    lap = analysis_pb2.LapAnalysis(lap_id="lap", corners=[
        corner(n, onset_m=m - early_m.get(n, 0.0), apex_m=m + 100) for n, m in ref_onsets.items()])
    phases = [analysis_pb2.PhaseDelta(corner_number=n, phase=PH.CORNER_PHASE_BRAKING, time_loss_s=0.05) for n in ref_onsets]
    deltas = [analysis_pb2.CornerDelta(corner_number=n, time_loss_s=0.05) for n in ref_onsets]
    return lap, reference, deltas, phases


def remark(kind: int, number: int, loss_s: float = 0.05) -> coaching_pb2.Feedback:
    return coaching_pb2.Feedback(type=kind, corner_number=number, time_loss_s=loss_s)


def test_a_served_cause_the_model_does_not_find_is_dropped_the_rest_kept_in_order(tmp_path):
    model = open_cause_model(path=graph_file(tmp_path))
    lap, reference, deltas, phases = laps(early_m={1: 5.0, 2: 20.0})
    feedback = [remark(FT.FEEDBACK_TYPE_BRAKE_EARLY, 2), remark(FT.FEEDBACK_TYPE_BRAKE_EARLY, 1),
                remark(FT.FEEDBACK_TYPE_LATE_THROTTLE, 1), remark(FT.FEEDBACK_TYPE_LOW_APEX_SPEED, 3),
                remark(FT.FEEDBACK_TYPE_STRENGTH, 3, -0.1)]
    kept = confirmed_feedback(feedback=feedback, lap=lap, reference=reference, corner_deltas=deltas,
                              phase_deltas=phases, track_length_m=3000.0, model=model)
    # 5 m early at T1 is under the graph's 8 m: dropped; 20 m at T2 kept; late throttle is not served; the rest found
    assert [(f.type, f.corner_number) for f in kept] == [
        (FT.FEEDBACK_TYPE_BRAKE_EARLY, 2), (FT.FEEDBACK_TYPE_LATE_THROTTLE, 1),
        (FT.FEEDBACK_TYPE_LOW_APEX_SPEED, 3), (FT.FEEDBACK_TYPE_STRENGTH, 3)]


def test_a_cause_not_served_passes_whatever_the_model_says(tmp_path):
    model = open_cause_model(path=graph_file(tmp_path, served="low_apex_speed"))
    lap, reference, deltas, phases = laps(early_m={1: 5.0})
    feedback = [remark(FT.FEEDBACK_TYPE_BRAKE_EARLY, 1)]
    assert confirmed_feedback(feedback=feedback, lap=lap, reference=reference, corner_deltas=deltas,
                              phase_deltas=phases, track_length_m=3000.0, model=model) == feedback


def test_without_a_model_a_reference_or_phases_nothing_is_dropped(tmp_path):
    model = open_cause_model(path=graph_file(tmp_path))
    lap, reference, deltas, phases = laps(early_m={1: 5.0})
    feedback = [remark(FT.FEEDBACK_TYPE_BRAKE_EARLY, 1)]
    for kwargs in ({"model": None}, {"reference": None}, {"phase_deltas": []}):
        args = {"feedback": feedback, "lap": lap, "reference": reference, "corner_deltas": deltas,
                "phase_deltas": phases, "track_length_m": 3000.0, "model": model, **kwargs}
        assert confirmed_feedback(**args) == feedback


def test_feedback_types_name_the_causes_the_training_labels():
    from racecoach.client.evaluation.matching import KIND_TYPES

    assert {kind: value for value, kind in CAUSE_TYPES.items()} == KIND_TYPES


def test_the_committed_cause_model_loads_and_serves_what_its_card_says():
    model = load_cause_model()
    assert load_cause_model() is model and model.version == cause_spec.MODEL_VERSION
    card = json.loads((DEFAULT_CAUSE_MODEL_PATH.parent / spec.CARD_FILE).read_text())
    assert card["cause_model"]["model_file"] == DEFAULT_CAUSE_MODEL_PATH.name
    import hashlib

    assert card["cause_model"]["sha256"] == hashlib.sha256(DEFAULT_CAUSE_MODEL_PATH.read_bytes()).hexdigest()
    assert model.served == set(card["cause_model"]["served_causes"]) == set(card["metrics"]["decisions"]["causes_served"])
    for cause in model.served:  # served only where confirming beat the rules alone on held-out tracks
        row = card["metrics"]["causes"][cause]
        assert row["decision"] == "model" and row["rules_confirmed"]["f1"] > row["rules"]["f1"]
    probabilities = model.probabilities(np.zeros((3, len(cause_spec.FEATURE_NAMES)), dtype=np.float32))
    assert probabilities.shape == (3, len(model.causes)) and np.all((probabilities >= 0) & (probabilities <= 1))
    assert model.session.get_session_options().intra_op_num_threads == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"served": "brake_early,spin"}, "every served cause must be one of its outputs"),
    ({"features": cause_spec.FEATURE_NAMES[:-1]}, "expects features"),
    ({"columns": 4}, "columns for the 6 causes"),
])
def test_a_model_that_does_not_match_is_a_clear_error(tmp_path, kwargs, match):
    with pytest.raises(ModelError, match=match):
        open_cause_model(path=graph_file(tmp_path, **kwargs))


def test_a_missing_or_corrupt_cause_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="cannot load the cause model"):
        open_cause_model(path=tmp_path / "absent.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(DEFAULT_CAUSE_MODEL_PATH.read_bytes()[:100])
    with pytest.raises(ModelError, match="cannot load the cause model"):
        open_cause_model(path=bad)


def test_a_confirmed_remark_carries_the_models_probability_and_the_measures_that_moved_it(tmp_path):
    model = open_cause_model(path=graph_file(tmp_path))
    lap, reference, deltas, phases = laps(early_m={2: 20.0})
    feedback = [coaching_pb2.Feedback(type=FT.FEEDBACK_TYPE_BRAKE_EARLY, corner_number=2, time_loss_s=0.2,
                                      description="T2: you braked 20 m earlier."),
                remark(FT.FEEDBACK_TYPE_LATE_THROTTLE, 1)]
    confirmed, untouched = confirmed_feedback(feedback=feedback, lap=lap, reference=reference, corner_deltas=deltas,
                                              phase_deltas=phases, track_length_m=3000.0, model=model)
    say = confirmed.cause_model
    # the graph: sigmoid(-5 (d + 8)) at d = -20 m; levelled (d = 0) it is sigmoid(-40), about 0
    expected = 1 / (1 + np.exp(-60.0))
    assert say.probability == pytest.approx(expected, rel=1e-5)
    assert [(c.feature, c.unit) for c in say.contributions] == [("d_brake_onset_m", "m")]
    assert say.contributions[0].value == pytest.approx(-20.0) and say.contributions[0].contribution == pytest.approx(expected, rel=1e-5)
    assert confirmed.description == "T2: you braked 20 m earlier. The coaching model is 100% sure (brake onset -20 m)."
    assert not untouched.HasField("cause_model") and untouched == feedback[1]


def test_a_costly_remark_the_model_doubts_is_kept_and_says_so(tmp_path):
    model = open_cause_model(path=graph_file(tmp_path))
    lap, reference, deltas, phases = laps(early_m={1: 5.0})
    costly = remark(FT.FEEDBACK_TYPE_BRAKE_EARLY, 1, cause_spec.KEEP_FROM_S)
    (kept,) = confirmed_feedback(feedback=[costly], lap=lap, reference=reference, corner_deltas=deltas,
                                 phase_deltas=phases, track_length_m=3000.0, model=model)
    assert kept.cause_model.probability < cause_spec.CONFIRM_PROBABILITY
    assert kept.description.endswith("The coaching model doubts this cause (0%); it is shown for the time it cost.")
