"""Per-corner features of a lap against its reference, as the cause model takes them.

One row per corner that both laps have (same number), in :data:`.model.cause_spec.FEATURE_NAMES`
order. The same function builds the training rows (:mod:`.training.dataset`) and the rows the
service asks the model about, so what was trained is what is served.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.coaching import laps
from racecoach.services.coaching.model import cause_spec

PH = analysis_pb2.CornerPhase
KMH = 3.6
PHASES: tuple[int, ...] = (PH.CORNER_PHASE_APPROACH, PH.CORNER_PHASE_BRAKING, PH.CORNER_PHASE_ENTRY,
                           PH.CORNER_PHASE_APEX, PH.CORNER_PHASE_EXIT, PH.CORNER_PHASE_STRAIGHT)
assert len(PHASES) == len(cause_spec.PHASE_NAMES)


def corner_features(*, corner: analysis_pb2.Corner, ref: analysis_pb2.Corner, phases: Mapping[int, float],
                    corner_loss_s: float, length_m: float) -> list[float]:
    """The corner's measures against the reference corner's (metres along the lap, km/h, s); a distance either
    lap lacks (0: not measured) is 0. ``phases``: the corner's time lost per phase (s)."""
    def dist(a: float, b: float) -> float:
        return laps.along_diff_m(a, b, length_m) if a and b else 0.0

    return [
        dist(corner.brake_onset_m, ref.brake_onset_m), dist(corner.final_brake_onset_m, ref.final_brake_onset_m),
        corner.peak_brake - ref.peak_brake, (corner.entry_speed_mps - ref.entry_speed_mps) * KMH,
        (corner.apex_speed_mps - ref.apex_speed_mps) * KMH, (corner.exit_speed_mps - ref.exit_speed_mps) * KMH,
        dist(corner.full_throttle_m, ref.full_throttle_m), corner.approach_coasting_m - ref.approach_coasting_m,
        corner.coasting_m - ref.coasting_m, corner.lift_m - ref.lift_m,
        float(corner.braked), float(ref.braked), corner_loss_s,
        *(phases.get(phase, 0.0) for phase in PHASES),
        ref.max_lat_g, ref.entry_speed_mps * KMH, ref.apex_speed_mps * KMH,
    ]


def corner_rows(*, lap: analysis_pb2.LapAnalysis, reference: analysis_pb2.LapAnalysis,
                corner_deltas: Sequence[analysis_pb2.CornerDelta], phase_deltas: Sequence[analysis_pb2.PhaseDelta],
                length_m: float) -> dict[int, np.ndarray]:
    """Corner number → its feature row (float32), for every corner of ``lap`` the reference has too."""
    booked: dict[int, dict[int, float]] = {}
    for delta in phase_deltas:
        phases = booked.setdefault(delta.corner_number, {})
        phases[delta.phase] = phases.get(delta.phase, 0.0) + delta.time_loss_s
    loss = {d.corner_number: d.time_loss_s for d in corner_deltas}
    ref_corners = {c.number: c for c in reference.corners}
    rows = {}
    for corner in lap.corners:
        ref = ref_corners.get(corner.number)
        if ref is not None:
            rows[corner.number] = np.asarray(
                corner_features(corner=corner, ref=ref, phases=booked.get(corner.number, {}),
                                corner_loss_s=loss.get(corner.number, 0.0), length_m=length_m), dtype=np.float32)
    return rows
