"""The cause model's say on the rules' remarks: a remark of a cause the model decides stays only when
the model, on the corner's features, finds that cause there.

The rules name one main cause per corner from fixed tolerances; on simulated laps with known
mistakes they also name small differences the driver's lap-to-lap spread makes (a brake point
5 m earlier at a corner braked a touch under the limit). Where the trained model and the rules
together beat the rules alone on held-out circuits (the model card's decisions), the model
confirms each such remark (:data:`.model.cause_spec.CONFIRM_PROBABILITY`) unless it costs
:data:`.model.cause_spec.KEEP_FROM_S` or more (a big loss is always shown); the other causes, praise
and notes pass untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching.corner_features import corner_rows
from racecoach.services.coaching.model import cause_spec
from racecoach.services.coaching.model.cause_runtime import CauseModel

FT = coaching_pb2.FeedbackType
CAUSE_TYPES: dict[int, str] = {
    FT.FEEDBACK_TYPE_BRAKE_EARLY: "brake_early",
    FT.FEEDBACK_TYPE_BRAKE_LATE: "brake_late",
    FT.FEEDBACK_TYPE_LOW_APEX_SPEED: "low_apex_speed",
    FT.FEEDBACK_TYPE_LATE_THROTTLE: "late_throttle",
    FT.FEEDBACK_TYPE_COASTING: "coasting",
    FT.FEEDBACK_TYPE_LIFT: "lift",
}


def confirmed_feedback(
    *, feedback: Sequence[coaching_pb2.Feedback], lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None, corner_deltas: Sequence[analysis_pb2.CornerDelta],
    phase_deltas: Sequence[analysis_pb2.PhaseDelta], track_length_m: float, model: CauseModel | None,
) -> list[coaching_pb2.Feedback]:
    """``feedback`` without the remarks of served causes, under :data:`.model.cause_spec.KEEP_FROM_S`, that the
    model does not find at their corner (order kept).

    Nothing is dropped without a model, a reference or phase deltas (the model was trained on corners with
    both), nor a remark whose corner the reference lacks."""
    if model is None or reference is None or not phase_deltas:
        return list(feedback)
    asked = [f for f in feedback if CAUSE_TYPES.get(f.type) in model.served and f.corner_number]
    if not asked:
        return list(feedback)
    rows = corner_rows(lap=lap, reference=reference, corner_deltas=corner_deltas, phase_deltas=phase_deltas,
                       length_m=track_length_m)
    numbers = sorted({f.corner_number for f in asked if f.corner_number in rows})
    if not numbers:
        return list(feedback)
    found = model.probabilities(np.stack([rows[n] for n in numbers]))
    by_corner = {n: found[i] for i, n in enumerate(numbers)}
    kept = []
    for remark in feedback:
        cause = CAUSE_TYPES.get(remark.type)
        row = by_corner.get(remark.corner_number) if cause in model.served else None
        if row is None:
            kept.append(remark)
            continue
        probability = float(row[model.causes.index(cause)])
        if probability < cause_spec.CONFIRM_PROBABILITY and remark.time_loss_s < cause_spec.KEEP_FROM_S:
            continue
        said = coaching_pb2.Feedback()
        said.CopyFrom(remark)
        said.cause_model.CopyFrom(model_say(model=model, row=rows[remark.corner_number], cause=cause,
                                            probability=probability))
        said.description = f"{said.description} {worded(said.cause_model)}".strip()
        kept.append(said)
    return kept


LABELS: dict[str, str] = {
    "d_brake_onset_m": "brake onset", "d_final_brake_onset_m": "last braking stage", "d_peak_brake": "peak brake",
    "d_entry_speed_kmh": "entry speed", "d_min_speed_kmh": "minimum speed", "d_exit_speed_kmh": "exit speed",
    "d_full_throttle_m": "full throttle", "d_approach_coasting_m": "coasting before braking",
    "d_coasting_m": "coasting in the corner", "d_lift_m": "lift", "corner_loss_s": "corner loss",
    "loss_approach_s": "approach loss", "loss_braking_s": "braking loss", "loss_entry_s": "entry loss",
    "loss_apex_s": "apex loss", "loss_exit_s": "exit loss", "loss_straight_s": "straight loss",
}


_FORMATS = {"s": "{:+.2f} s", "m": "{:+.0f} m", "km/h": "{:+.1f} km/h", "": "{:+.1f}"}


def _reason(contribution: coaching_pb2.FeatureContribution) -> str:
    """One measure in words: its label and its value in its unit (``brake onset -12 m``)."""
    value = _FORMATS.get(contribution.unit, "{:+.1f} " + contribution.unit).format(contribution.value)
    return f"{LABELS.get(contribution.feature, contribution.feature)} {value}"


def worded(say: coaching_pb2.CauseModelSay) -> str:
    """The model's say in a sentence: how sure, and the measures that made it so, with their numbers."""
    reasons = ", ".join(_reason(c) for c in say.contributions)
    if say.probability < cause_spec.CONFIRM_PROBABILITY:
        return f"The coaching model doubts this cause ({say.probability:.0%}); it is shown for the time it cost."
    return f"The coaching model is {say.probability:.0%} sure" + (f" ({reasons})." if reasons else ".")


def model_say(*, model: CauseModel, row: np.ndarray, cause: str, probability: float) -> coaching_pb2.CauseModelSay:
    """The model's probability of ``cause`` on ``row`` and the measures that moved it most: for each of the lap's
    own measures (:data:`.model.cause_spec.REASONS`), the probability minus the probability with that measure
    level with the reference (0), the largest :data:`.model.cause_spec.CONTRIBUTIONS` of at least
    :data:`.model.cause_spec.MIN_CONTRIBUTION`, largest first. One batched call of the model."""
    names = cause_spec.FEATURE_NAMES
    columns = [names.index(name) for name in cause_spec.REASONS if row[names.index(name)] != 0.0]
    say = coaching_pb2.CauseModelSay(probability=probability)
    if not columns:
        return say
    levelled = np.repeat(row[None, :], len(columns), axis=0)
    levelled[np.arange(len(columns)), columns] = 0.0
    without = model.probabilities(levelled)[:, model.causes.index(cause)]
    moved = sorted(((probability - float(p), c) for p, c in zip(without, columns)), key=lambda m: -abs(m[0]))
    for contribution, column in moved[:cause_spec.CONTRIBUTIONS]:
        if abs(contribution) < cause_spec.MIN_CONTRIBUTION:
            break
        name = names[column]
        say.contributions.add(feature=name, value=float(row[column]), unit=cause_spec.UNITS[name],
                              contribution=contribution)
    return say
