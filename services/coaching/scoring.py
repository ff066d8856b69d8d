"""The lap report: rules for the feedback (causes and their times), confirmed by the trained cause model
for the causes it decides (:mod:`.confirm`), the trained lap model for the time within reach and the
score defined from it (see :mod:`.model.spec`)."""

from __future__ import annotations

from collections.abc import Sequence

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import rules
from racecoach.services.coaching.confirm import confirmed_feedback
from racecoach.services.coaching.features import lap_delta_s, lap_features
from racecoach.services.coaching.model.cause_runtime import CauseModel
from racecoach.services.coaching.model.runtime import ScoringModel


def score_lap(
    *,
    lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None,
    corner_deltas: Sequence[analysis_pb2.CornerDelta],
    model: ScoringModel,
    phase_deltas: Sequence[analysis_pb2.PhaseDelta] = (),
    track_length_m: float = 0.0,
    causes: CauseModel | None = None,
) -> coaching_pb2.LapReport:
    """Score ``lap`` (0–100) against ``reference`` (None: on its own) and explain where time went.

    ``corner_deltas`` are the per-segment time losses of ``lap`` against ``reference`` (s);
    ``track_length_m`` (0: unknown) is used to compare distances across the start/finish line;
    ``causes`` (None: the rules decide every cause) confirms the remarks of the causes it serves. The lap
    model sees the rules' own remarks (what it was trained on); the report shows the confirmed ones.
    """
    deltas = list(corner_deltas) if reference is not None else []
    phases = list(phase_deltas) if reference is not None else []
    feedback = rules.lap_feedback(lap=lap, reference=reference, corner_deltas=deltas, phase_deltas=phases,
                                  track_length_m=track_length_m)
    rules_reach = rules.within_reach_s(feedback)
    features = lap_features(lap=lap, reference=reference, corner_deltas=deltas, phase_deltas=phases,
                            rules_within_reach_s=rules_reach)
    score = min(max(model.score(features), 0.0), 100.0)
    feedback = confirmed_feedback(feedback=feedback, lap=lap, reference=reference, corner_deltas=deltas,
                                  phase_deltas=phases, track_length_m=track_length_m, model=causes)
    delta = lap_delta_s(lap=lap, reference=reference, corner_deltas=deltas)
    return coaching_pb2.LapReport(
        session_id=lap.session_id,
        lap_id=lap.lap_id,
        lap_number=lap.lap_number,
        score=score,
        feedback=feedback,
        reference_lap_id=reference.lap_id if reference is not None else "",
        model_version=model.version,
        summary=rules.summary(lap=lap, reference=reference, lap_delta_s=delta, feedback=feedback, phase_deltas=phases),
        time_within_reach_s=rules.within_reach_s(feedback),
        note=rules.lap_note(lap),
    )
