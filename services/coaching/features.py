"""The lap-score model's feature vector (order and meaning documented in :mod:`.model.spec`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.coaching import laps
from racecoach.services.coaching.model import spec
from racecoach.services.coaching.rules import APEX_SPEED_TOLERANCE_KMH

PH = analysis_pb2.CornerPhase
F32_MAX = float(np.finfo(np.float32).max)
PHASE_KEYS = {getattr(PH, f"CORNER_PHASE_{name.upper()}"): name for name in spec.PHASE_NAMES}


def lap_delta_s(
    *,
    lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None,
    corner_deltas: Sequence[analysis_pb2.CornerDelta],
) -> float | None:
    """Lap time minus reference lap time (s): from the lap times, else the corner deltas' sum; None without."""
    if reference is None:
        return None
    this_s, ref_s = laps.lap_time_s(lap), laps.lap_time_s(reference)
    if this_s is not None and ref_s is not None:
        return this_s - ref_s
    if corner_deltas:
        return float(sum(d.time_loss_s for d in corner_deltas))
    return None


def lap_features(
    *,
    lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None,
    corner_deltas: Sequence[analysis_pb2.CornerDelta],
    phase_deltas: Sequence[analysis_pb2.PhaseDelta] = (),
    rules_within_reach_s: float = 0.0,
) -> np.ndarray:
    """The feature vector (float32, shape ``[len(spec.FEATURE_NAMES)]``) of one lap."""
    this_s = laps.lap_time_s(lap)
    ref_s = laps.lap_time_s(reference) if reference is not None else None
    delta = lap_delta_s(lap=lap, reference=reference, corner_deltas=corner_deltas)
    rel_delta = delta / ref_s if delta is not None and ref_s else 0.0

    basis_s = this_s or ref_s
    positive_loss = sum(max(d.time_loss_s, 0.0) for d in corner_deltas) if reference is not None else 0.0
    loss_fraction = positive_loss / basis_s if basis_s else 0.0

    extra_zones = max(len(lap.braking_zones) - len(reference.braking_zones), 0) if reference is not None else 0

    fractions = [z.trail_brake_fraction for z in lap.braking_zones]
    trail_mean = float(np.mean(fractions)) if fractions else 0.0

    length_km = laps.lap_length_m(lap, reference) / 1000.0
    coasting = sum(c.coasting_m for c in lap.corners)
    coasting_per_km = coasting / length_km if length_km > 0 else 0.0

    deficit_fraction = 0.0
    if reference is not None:
        ref_corners = laps.corners_by_number(reference)
        matched = [(c, ref_corners[c.number]) for c in lap.corners if c.number in ref_corners]
        if matched:
            short = sum(
                (r.apex_speed_mps - c.apex_speed_mps) * laps.MPS_TO_KMH > APEX_SPEED_TOLERANCE_KMH for c, r in matched
            )
            deficit_fraction = short / len(matched)

    phase_loss = dict.fromkeys(spec.PHASE_NAMES, 0.0)
    gain = 0.0
    if reference is not None:
        for phase in phase_deltas:
            name = PHASE_KEYS.get(phase.phase)
            if name is not None and phase.time_loss_s > 0:
                phase_loss[name] += phase.time_loss_s
            elif phase.time_loss_s < 0:
                gain -= phase.time_loss_s

    values = {
        "rel_lap_delta": rel_delta,
        "corner_loss_fraction": loss_fraction,
        "extra_braking_zones": float(extra_zones),
        "trail_brake_fraction_mean": trail_mean,
        "coasting_m_per_km": coasting_per_km,
        "apex_deficit_fraction": deficit_fraction,
        "lap_valid": 1.0 if lap.valid else 0.0,
        "lap_delta_s": delta if delta is not None else 0.0,
        **{f"loss_{name}_s": value for name, value in phase_loss.items()},
        "gain_s": gain,
        "rules_within_reach_s": float(rules_within_reach_s),
    }
    row = np.asarray([values[name] for name in spec.FEATURE_NAMES], dtype=np.float64)
    # a value past float32's range (a nonsense request) is held at its edge, never cast to inf
    return row.clip(-F32_MAX, F32_MAX).astype(np.float32)
