"""The evidence behind a remark: the measures that made it this cause, and the time each of its phases lost.

A remark names one cause; its evidence lists, most decisive first, this lap's measures against the
reference's that decided the cause (the brake onset that moved, the minimum speed that did or did not
drop, where full throttle came, ...) and then the loss of every phase the cause's time is made of, so
the report and the dashboard can say what was measured, with the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2

FT = coaching_pb2.FeedbackType
PH = analysis_pb2.CornerPhase
KMH = 3.6

# the booking's keys (causes.CARRY, causes.LIFTED, causes.WHOLE are these strings) and the names of their losses
PHASE_LOSS_NAMES: dict[object, str] = {
    PH.CORNER_PHASE_APPROACH: "loss_approach_s", PH.CORNER_PHASE_BRAKING: "loss_braking_s",
    PH.CORNER_PHASE_ENTRY: "loss_entry_s", PH.CORNER_PHASE_APEX: "loss_apex_s", PH.CORNER_PHASE_EXIT: "loss_exit_s",
    PH.CORNER_PHASE_STRAIGHT: "loss_straight_s", "carry": "loss_straight_s", "lift": "loss_after_lift_s",
    "whole": "loss_corner_s",
}

# per cause, the measures that decide it, most decisive first
CAUSE_MEASURES: dict[int, tuple[str, ...]] = {
    FT.FEEDBACK_TYPE_BRAKE_EARLY: ("brake_onset_m", "min_speed_kmh"),
    FT.FEEDBACK_TYPE_BRAKE_LATE: ("brake_onset_m", "min_speed_kmh", "full_throttle_m", "brake_release_m", "entry_speed_kmh"),
    FT.FEEDBACK_TYPE_LOW_APEX_SPEED: ("min_speed_kmh", "entry_speed_kmh", "brake_onset_m"),
    FT.FEEDBACK_TYPE_LATE_THROTTLE: ("full_throttle_m", "min_speed_kmh"),
    FT.FEEDBACK_TYPE_COASTING: ("coasting_m",),
}


@dataclass(frozen=True)
class Measure:
    """This lap's value against the reference's, in ``unit``; for a phase's loss the value is the seconds lost."""

    name: str
    value: float
    reference_value: float
    unit: str

    def message(self) -> coaching_pb2.Evidence:
        return coaching_pb2.Evidence(name=self.name, value=self.value, reference_value=self.reference_value, unit=self.unit)


def corner_measures(*, corner: analysis_pb2.Corner, ref: analysis_pb2.Corner, onset: float | None,
                    ref_onset: float | None, full: float | None, ref_full: float | None) -> dict[str, Measure]:
    """The measures both laps have of the corner (``onset``/``full``: the brake onset and full-throttle point compared)."""
    found: dict[str, Measure] = {}

    def put(name: str, value: float | None, reference: float | None, unit: str) -> None:
        if value is not None and reference is not None:
            found[name] = Measure(name, float(value), float(reference), unit)

    put("brake_onset_m", onset, ref_onset, "m")
    put("min_speed_kmh", corner.apex_speed_mps * KMH, ref.apex_speed_mps * KMH, "km/h")
    if corner.entry_speed_mps and ref.entry_speed_mps:
        put("entry_speed_kmh", corner.entry_speed_mps * KMH, ref.entry_speed_mps * KMH, "km/h")
    put("full_throttle_m", full, ref_full, "m")
    if corner.brake_release_m and ref.brake_release_m:
        put("brake_release_m", corner.brake_release_m, ref.brake_release_m, "m")
    put("coasting_m", corner.coasting_m, ref.coasting_m, "m")
    return found


def phase_losses(booked: Mapping[object, float] | None, phases: Sequence[object]) -> list[Measure]:
    """The loss of each of ``phases`` as the booking has it (only the whole corner's when that is all it knows)."""
    if not booked:
        return []
    if "whole" in booked:
        return [Measure(PHASE_LOSS_NAMES["whole"], float(booked["whole"]), 0.0, "s")]
    seen: dict[str, float] = {}
    for phase in phases:
        name = PHASE_LOSS_NAMES[phase]
        seen[name] = seen.get(name, 0.0) + float(booked.get(phase, 0.0))
    return [Measure(name, value, 0.0, "s") for name, value in seen.items()]


def for_cause(kind: int, *, measures: Mapping[str, Measure], booked: Mapping[object, float] | None,
              phases: Sequence[object]) -> tuple[Measure, ...]:
    """The evidence of a ``kind`` remark: its deciding measures, then its phases' losses."""
    decided = [measures[name] for name in CAUSE_MEASURES.get(kind, ()) if name in measures]
    return (*decided, *phase_losses(booked, phases))
