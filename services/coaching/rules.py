"""Explicit coaching rules: compare a lap with its reference corner by corner, word the result.

Conventions (all thresholds are module constants):

* Corners are matched by number. A corner's braking zone is the first zone whose
  ``corner_number`` is that corner. A corner's time loss is the ``CornerDelta`` whose
  ``corner_number`` is that corner (the segment ending after it, so it includes the
  braking zone into it); positive is time lost, negative time gained.
* ``delta_value`` is *this lap minus the reference* in ``delta_unit``: BRAKE_EARLY is
  negative metres, BRAKE_LATE positive metres, LOW_APEX_SPEED negative km/h,
  LATE_THROTTLE positive metres. COASTING carries the metres coasted in the corner
  (ideal is 0, so it is judged on its own), STRENGTH the seconds gained (negative) with a
  reference or the metres trail-braked without one.
* Every remark on a corner carries that corner's whole time loss in ``time_loss_s`` and
  its severity follows from it; remarks on the same corner share it, they do not add up.
* Feedback is sorted by time at stake: problems first, most time lost first, then
  strengths, most time gained first; ties go along the lap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import laps

FT = coaching_pb2.FeedbackType
SEV = coaching_pb2.Severity

BRAKE_POINT_TOLERANCE_M = 5.0
APEX_SPEED_TOLERANCE_KMH = 2.0
THROTTLE_TOLERANCE_M = 10.0
COASTING_LIMIT_M = 15.0
STRENGTH_GAIN_S = 0.05
GOOD_TRAIL_BRAKE_FRACTION = 0.25
NO_TRAIL_BRAKE_FRACTION = 0.05
_SAID_S = 0.005  # losses smaller than this are not worth a clause


@dataclass(frozen=True)
class Finding:
    """One measured difference at a corner, before it is worded.

    ``distance_m`` is where this lap did it; ``target_m`` where the reference did it (the
    place a live cue points at); values are in ``unit`` (``"m"``, ``"km/h"``, ``"s"``).
    """

    corner_number: int
    type: int
    distance_m: float
    target_m: float
    this_value: float
    reference_value: float
    delta_value: float
    unit: str


def severity_for(*, time_loss_s: float) -> int:
    """Severity of ``time_loss_s`` seconds at stake (use the absolute gain for strengths)."""
    if time_loss_s < 0.05:
        return SEV.SEVERITY_INFO
    if time_loss_s < 0.2:
        return SEV.SEVERITY_MINOR
    if time_loss_s < 0.5:
        return SEV.SEVERITY_MAJOR
    return SEV.SEVERITY_CRITICAL


def corner_findings(
    *,
    lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None,
    losses: Mapping[int, float] | None = None,
    track_length_m: float = 0.0,
) -> list[Finding]:
    """Findings per corner of ``lap`` along the lap (STRENGTH from time gained is not among them).

    ``losses`` maps corner number to time lost (s); without it (live coaching) BRAKE_LATE
    needs the apex speed to be lower than the reference's instead of a measured loss.
    """
    length = laps.lap_length_m(lap, reference, track_length_m=track_length_m)
    ref_corners = laps.corners_by_number(reference) if reference is not None else {}
    findings: list[Finding] = []
    for corner in lap.corners:
        n = corner.number
        ref = ref_corners.get(n)
        if ref is not None:
            findings += _against_reference(lap, reference, corner, ref, losses, length)
        if corner.coasting_m > COASTING_LIMIT_M:
            target = ref.entry_m if ref is not None else corner.entry_m
            ref_coast = ref.coasting_m if ref is not None else 0.0
            findings.append(
                Finding(
                    n,
                    FT.FEEDBACK_TYPE_COASTING,
                    corner.entry_m,
                    target,
                    corner.coasting_m,
                    ref_coast,
                    corner.coasting_m,
                    "m",
                )
            )
        if reference is None:
            zone = laps.braking_zone_for(lap, n)
            if zone is not None and zone.trail_brake_fraction >= GOOD_TRAIL_BRAKE_FRACTION:
                findings.append(
                    Finding(
                        n,
                        FT.FEEDBACK_TYPE_STRENGTH,
                        zone.brake_point_m,
                        zone.brake_point_m,
                        zone.trail_brake_dist_m,
                        0.0,
                        zone.trail_brake_dist_m,
                        "m",
                    )
                )
    return findings


def _against_reference(lap, reference, corner, ref, losses, length) -> list[Finding]:
    n = corner.number
    found: list[Finding] = []
    apex_diff_kmh = (corner.apex_speed_mps - ref.apex_speed_mps) * laps.MPS_TO_KMH
    zone, ref_zone = laps.braking_zone_for(lap, n), laps.braking_zone_for(reference, n)
    if zone is not None and ref_zone is not None:
        diff = laps.along_diff_m(zone.brake_point_m, ref_zone.brake_point_m, length)
        if diff < -BRAKE_POINT_TOLERANCE_M:
            kind = FT.FEEDBACK_TYPE_BRAKE_EARLY
        elif diff > BRAKE_POINT_TOLERANCE_M and (
            losses.get(n, 0.0) > 0 if losses is not None else apex_diff_kmh < -APEX_SPEED_TOLERANCE_KMH
        ):
            kind = FT.FEEDBACK_TYPE_BRAKE_LATE
        else:
            kind = None
        if kind is not None:
            found.append(
                Finding(
                    n,
                    kind,
                    zone.brake_point_m,
                    ref_zone.brake_point_m,
                    zone.brake_point_m,
                    ref_zone.brake_point_m,
                    diff,
                    "m",
                )
            )
    if apex_diff_kmh < -APEX_SPEED_TOLERANCE_KMH:
        found.append(
            Finding(
                n,
                FT.FEEDBACK_TYPE_LOW_APEX_SPEED,
                corner.apex_m,
                ref.apex_m,
                corner.apex_speed_mps * laps.MPS_TO_KMH,
                ref.apex_speed_mps * laps.MPS_TO_KMH,
                apex_diff_kmh,
                "km/h",
            )
        )
    if corner.throttle_on_m > 0 and ref.throttle_on_m > 0:
        diff = laps.along_diff_m(corner.throttle_on_m, ref.throttle_on_m, length)
        if diff > THROTTLE_TOLERANCE_M:
            found.append(
                Finding(
                    n,
                    FT.FEEDBACK_TYPE_LATE_THROTTLE,
                    corner.throttle_on_m,
                    ref.throttle_on_m,
                    corner.throttle_on_m,
                    ref.throttle_on_m,
                    diff,
                    "m",
                )
            )
    return found


def _outcome(loss: float | None) -> str:
    if loss is None or abs(loss) < _SAID_S:
        return ""
    return f" and lost {loss:.2f} s" if loss > 0 else f" yet still gained {-loss:.2f} s"


def describe(*, finding: Finding, loss: float | None, lap: analysis_pb2.LapAnalysis | None = None) -> str:
    """The finding in words a driver can act on, naming the corner, the metres and the cause."""
    f, turn = finding, f"Turn {finding.corner_number}"
    if f.type == FT.FEEDBACK_TYPE_BRAKE_EARLY:
        return (
            f"{turn}: you braked {abs(f.delta_value):.0f} m earlier than your reference "
            f"(at {f.this_value:.0f} m instead of {f.reference_value:.0f} m){_outcome(loss)}."
        )
    if f.type == FT.FEEDBACK_TYPE_BRAKE_LATE:
        return (
            f"{turn}: you braked {f.delta_value:.0f} m later than your reference "
            f"(at {f.this_value:.0f} m instead of {f.reference_value:.0f} m){_outcome(loss)}; "
            "brake nearer the reference point to make the apex."
        )
    if f.type == FT.FEEDBACK_TYPE_LOW_APEX_SPEED:
        return (
            f"{turn}: your apex speed at {f.distance_m:.0f} m was {abs(f.delta_value):.1f} km/h lower than "
            f"your reference ({f.this_value:.1f} km/h instead of {f.reference_value:.1f} km/h){_outcome(loss)}."
        )
    if f.type == FT.FEEDBACK_TYPE_LATE_THROTTLE:
        return (
            f"{turn}: you committed to the throttle {f.delta_value:.0f} m later than your reference "
            f"(at {f.this_value:.0f} m instead of {f.reference_value:.0f} m){_outcome(loss)}."
        )
    if f.type == FT.FEEDBACK_TYPE_COASTING:
        text = f"{turn}: you coasted for {f.this_value:.0f} m with neither brake nor throttle"
        if loss is not None:
            text += f" (reference: {f.reference_value:.0f} m){_outcome(loss)}"
        zone = laps.braking_zone_for(lap, f.corner_number) if lap is not None else None
        if zone is not None and zone.trail_brake_fraction < NO_TRAIL_BRAKE_FRACTION:
            text += ", releasing the brake before turning in"
        return text + "; go from brake to throttle without a gap."
    if f.type == FT.FEEDBACK_TYPE_STRENGTH:
        return (
            f"{turn}: good trail braking, {f.this_value:.0f} m of the braking zone from "
            f"{f.distance_m:.0f} m braked while turning in; keep it up."
        )
    raise ValueError(f"no wording for feedback type {f.type}")


def lap_feedback(
    *,
    lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None,
    corner_deltas: Sequence[analysis_pb2.CornerDelta],
    track_length_m: float = 0.0,
) -> list[coaching_pb2.Feedback]:
    """Structured feedback on ``lap``, most time at stake first (see the module notes)."""
    losses = laps.corner_losses(corner_deltas) if reference is not None else {}
    measured = reference is not None and len(corner_deltas) > 0
    findings = corner_findings(
        lap=lap, reference=reference, losses=losses if measured else None, track_length_m=track_length_m
    )
    feedback: list[coaching_pb2.Feedback] = []
    for finding in findings:
        loss = losses.get(finding.corner_number) if measured else None
        stake = loss if loss is not None else 0.0
        feedback.append(
            coaching_pb2.Feedback(
                corner_number=finding.corner_number,
                distance_m=finding.distance_m,
                type=finding.type,
                severity=severity_for(time_loss_s=max(stake, 0.0)),
                delta_value=finding.delta_value,
                delta_unit=finding.unit,
                time_loss_s=stake,
                description=describe(finding=finding, loss=loss, lap=lap),
            )
        )
    if measured:
        feedback += _strengths(lap=lap, reference=reference, losses=losses, length=track_length_m)
    feedback.sort(key=_stake_order)
    return feedback


def _strengths(*, lap, reference, losses, length) -> list[coaching_pb2.Feedback]:
    ref_corners = laps.corners_by_number(reference)
    length = laps.lap_length_m(lap, reference, track_length_m=length)
    result = []
    for corner in lap.corners:
        gain = -losses.get(corner.number, 0.0)
        if gain <= STRENGTH_GAIN_S:
            continue
        causes = []
        ref = ref_corners.get(corner.number)
        zone, ref_zone = laps.braking_zone_for(lap, corner.number), laps.braking_zone_for(reference, corner.number)
        if zone is not None and ref_zone is not None:
            later = laps.along_diff_m(zone.brake_point_m, ref_zone.brake_point_m, length)
            if later > BRAKE_POINT_TOLERANCE_M:
                causes.append(f"braking {later:.0f} m later (at {zone.brake_point_m:.0f} m)")
        if ref is not None:
            faster = (corner.apex_speed_mps - ref.apex_speed_mps) * laps.MPS_TO_KMH
            if faster > APEX_SPEED_TOLERANCE_KMH:
                causes.append(f"carrying {faster:.1f} km/h more to the apex at {corner.apex_m:.0f} m")
        how = " by " + " and ".join(causes) if causes else f" between {corner.entry_m:.0f} m and {corner.exit_m:.0f} m"
        result.append(
            coaching_pb2.Feedback(
                corner_number=corner.number,
                distance_m=corner.apex_m,
                type=FT.FEEDBACK_TYPE_STRENGTH,
                severity=severity_for(time_loss_s=gain),
                delta_value=-gain,
                delta_unit="s",
                time_loss_s=-gain,
                description=f"Turn {corner.number}: you gained {gain:.2f} s on your reference{how}; keep it up.",
            )
        )
    return result


def _stake_order(item: coaching_pb2.Feedback) -> tuple:
    strength = item.type == FT.FEEDBACK_TYPE_STRENGTH
    return (strength, -abs(item.time_loss_s), item.distance_m, item.corner_number, item.type)


def summary(
    *,
    lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None,
    lap_delta_s: float | None,
    feedback: Sequence[coaching_pb2.Feedback],
) -> str:
    """One sentence for the driver: the lap against its reference and where most time went."""
    time_s = laps.lap_time_s(lap)
    head = f"Lap {lap.lap_number}" + (f" ({_clock(time_s)})" if time_s is not None else "")
    if not lap.valid:
        head += ", not a valid lap,"
    problems = [f for f in feedback if f.type != FT.FEEDBACK_TYPE_STRENGTH]
    if reference is None:
        tail = (
            "no reference lap yet, so the remarks cover coasting and trail braking only"
            f" ({len(feedback)} remark{'s' if len(feedback) != 1 else ''})"
        )
        return f"{head}: {tail}."
    if lap_delta_s is None:
        versus = "compared with your reference"
    elif abs(lap_delta_s) < 0.0005:
        versus = "level with your reference"
    else:
        versus = f"{abs(lap_delta_s):.3f} s {'slower' if lap_delta_s > 0 else 'faster'} than your reference"
    losing = [f for f in problems if f.time_loss_s > _SAID_S]
    if losing:
        worst = losing[0]
        where = f"; most time went at Turn {worst.corner_number} ({worst.time_loss_s:.2f} s, {_cause(worst.type)})"
    elif problems:
        where = f"; {len(problems)} thing{'s' if len(problems) != 1 else ''} to tidy up"
    else:
        where = "; nothing to correct against it"
    return f"{head}: {versus}{where}."


def _cause(kind: int) -> str:
    return {
        FT.FEEDBACK_TYPE_BRAKE_EARLY: "braking too early",
        FT.FEEDBACK_TYPE_BRAKE_LATE: "braking too late",
        FT.FEEDBACK_TYPE_LOW_APEX_SPEED: "low apex speed",
        FT.FEEDBACK_TYPE_LATE_THROTTLE: "late throttle",
        FT.FEEDBACK_TYPE_COASTING: "coasting",
    }.get(kind, "time lost")


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds, 3), 60.0)
    return f"{int(minutes)}:{rest:06.3f}"
