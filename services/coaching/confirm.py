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
        if (row is not None and row[model.causes.index(cause)] < cause_spec.CONFIRM_PROBABILITY
                and remark.time_loss_s < cause_spec.KEEP_FROM_S):
            continue
        kept.append(remark)
    return kept
