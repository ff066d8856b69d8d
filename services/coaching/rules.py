"""Explicit coaching rules: the causes found at each corner (:mod:`.causes`), worded, ranked.

Conventions:

* ``delta_value`` is *this lap minus the reference* in ``delta_unit``: BRAKE_EARLY is negative
  metres, BRAKE_LATE positive metres, LOW_APEX_SPEED negative km/h, LATE_THROTTLE positive metres,
  COASTING and LIFT the extra metres; STRENGTH the seconds gained (negative) with a reference or the
  metres trail-braked without one.
* ``time_loss_s`` is the time the remark's own cause cost (its phases' share of the corner's loss);
  ``corner_loss_s`` the corner's whole loss. Causes costing less than ``MIN_CAUSE_S`` are not worth
  a remark, nor are gains smaller than ``STRENGTH_GAIN_S``.
* One remark per corner on how it was driven; coasting and lifts on the straights are their own.
  A corner with a problem is never also a strength. Problems come first, most time first, then
  strengths, most time gained first; ties go along the lap.
* Laps that are not clean laps (out-lap, in-lap, pit, incomplete, reset, off track, spin, near
  stop) get a note and, for incidents, an incident remark, never corner coaching.
"""

from __future__ import annotations

from collections.abc import Sequence

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import laps
from racecoach.services.coaching.causes import (
    APEX_SPEED_TOLERANCE_KMH,
    BRAKE_POINT_TOLERANCE_M,
    Finding,
    book_corners,
    book_phases,
    brake_onset_m,
    corner_findings as _findings,
    corner_loss_s,
)

FT = coaching_pb2.FeedbackType
SEV = coaching_pb2.Severity
LF = analysis_pb2.LapFlag

__all__ = ["APEX_SPEED_TOLERANCE_KMH", "BRAKE_POINT_TOLERANCE_M", "Finding", "corner_findings", "describe",
           "lap_feedback", "lap_note", "severity_for", "summary"]

MIN_CAUSE_S = 0.005
STRENGTH_GAIN_S = 0.05
GOOD_TRAIL_BRAKE_FRACTION = 0.25
NO_TRAIL_BRAKE_FRACTION = 0.05
_SAID_S = 0.005  # losses smaller than this are not worth a clause
_WORTH_NAMING_S = 0.05  # with no cause found, a phase losing this much is named in the summary
_INCIDENTS = {
    LF.LAP_FLAG_RESET: "a reset or tow",
    LF.LAP_FLAG_OFF_TRACK: "time off track",
    LF.LAP_FLAG_SPIN: "a spin",
    LF.LAP_FLAG_NEAR_STOP: "a near stop on track",
}
_NOT_TIMED = {
    LF.LAP_FLAG_OUT_LAP: "an out-lap",
    LF.LAP_FLAG_IN_LAP: "an in-lap",
    LF.LAP_FLAG_PIT: "a lap through the pits",
    LF.LAP_FLAG_INCOMPLETE: "an incomplete lap",
}


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
    *, lap: analysis_pb2.LapAnalysis, reference: analysis_pb2.LapAnalysis | None, track_length_m: float = 0.0,
) -> list[Finding]:
    """Causes on ``lap`` against ``reference`` without measured times (what live cues are planned from),
    plus good trail braking when there is no reference."""
    found = _findings(lap=lap, reference=reference, booking=None, track_length_m=track_length_m)
    if reference is None:
        for corner in lap.corners:
            zone = laps.braking_zone_for(lap, corner.number)
            if zone is not None and zone.trail_brake_fraction >= GOOD_TRAIL_BRAKE_FRACTION:
                found.append(Finding(corner.number, FT.FEEDBACK_TYPE_STRENGTH, zone.brake_point_m, zone.brake_point_m,
                                     zone.trail_brake_dist_m, 0.0, zone.trail_brake_dist_m, "m"))
    return found


def lap_note(lap: analysis_pb2.LapAnalysis) -> str:
    """A short note for a lap that is not coached corner by corner; empty for a clean lap."""
    incidents = [text for flag, text in _INCIDENTS.items() if flag in lap.flags]
    if incidents:
        return f"Lap {lap.lap_number} had {' and '.join(incidents)}, so it is not coached corner by corner."
    kinds = [text for flag, text in _NOT_TIMED.items() if flag in lap.flags]
    if kinds:
        return f"Lap {lap.lap_number} is {kinds[0]}: no corner coaching."
    if not lap.valid:
        return f"Lap {lap.lap_number} is not a valid lap: no corner coaching."
    return ""


def _incident_feedback(lap: analysis_pb2.LapAnalysis) -> list[coaching_pb2.Feedback]:
    return [
        coaching_pb2.Feedback(type=FT.FEEDBACK_TYPE_INCIDENT, severity=SEV.SEVERITY_INFO, delta_unit="s",
                              description=f"Lap {lap.lap_number}: {text} — reported as an incident, not as technique.")
        for flag, text in _INCIDENTS.items() if flag in lap.flags
    ]


def _outcome(loss: float | None) -> str:
    if loss is None or abs(loss) < _SAID_S:
        return ""
    return f", which cost {loss:.2f} s" if loss > 0 else f" yet still gained {-loss:.2f} s"


def _turn(finding: Finding, names: dict[int, str]) -> str:
    """The corner as a driver knows it: its official name (and number) where known, else its number."""
    return names.get(finding.corner_number) or f"Turn {finding.corner_number}"


def describe(*, finding: Finding, loss: float | None, lap: analysis_pb2.LapAnalysis | None = None) -> str:
    """The finding in words a driver can act on, naming the corner, the metres, the cause and its time."""
    f = finding
    turn = _turn(f, {c.number: c.name for c in lap.corners} if lap is not None else {})
    if f.type == FT.FEEDBACK_TYPE_BRAKE_EARLY:
        return (
            f"{turn}: you braked {abs(f.delta_value):.0f} m earlier than your reference "
            f"(at {f.this_value:.0f} m instead of {f.reference_value:.0f} m){_outcome(loss)}; brake later, at the reference point."
        )
    if f.type == FT.FEEDBACK_TYPE_BRAKE_LATE:
        return (
            f"{turn}: you braked {f.delta_value:.0f} m later than your reference "
            f"(at {f.this_value:.0f} m instead of {f.reference_value:.0f} m), overshot and came out slower{_outcome(loss)}; "
            "brake at the reference point to make the apex."
        )
    if f.type == FT.FEEDBACK_TYPE_LOW_APEX_SPEED:
        return (
            f"{turn}: your minimum speed at {f.distance_m:.0f} m was {abs(f.delta_value):.1f} km/h lower than "
            f"your reference ({f.this_value:.1f} km/h instead of {f.reference_value:.1f} km/h){_outcome(loss)}; "
            "carry more speed through the apex."
        )
    if f.type == FT.FEEDBACK_TYPE_LATE_THROTTLE and f.never_full:
        return (
            f"{turn}: you did not get back to full throttle before slowing again at {f.this_value:.0f} m; your "
            f"reference was flat out from {f.reference_value:.0f} m{_outcome(loss)}; get back to full throttle sooner after the apex."
        )
    if f.type == FT.FEEDBACK_TYPE_LATE_THROTTLE:
        return (
            f"{turn}: you reached full throttle {f.delta_value:.0f} m later than your reference "
            f"(at {f.this_value:.0f} m instead of {f.reference_value:.0f} m){_outcome(loss)}; "
            "get back to full throttle sooner after the apex."
        )
    if f.type == FT.FEEDBACK_TYPE_COASTING:
        text = f"{turn}: you coasted for {f.this_value:.0f} m from {f.distance_m:.0f} m with neither brake nor throttle"
        text += f" (reference: {f.reference_value:.0f} m){_outcome(loss)}" if f.unit == "m" and loss is not None else ""
        zone = laps.braking_zone_for(lap, f.corner_number) if lap is not None else None
        if zone is not None and zone.trail_brake_fraction < NO_TRAIL_BRAKE_FRACTION and loss is None:
            text += ", releasing the brake before turning in"
        return text + "; stay on the throttle until you brake."
    if f.type == FT.FEEDBACK_TYPE_LIFT:
        return (
            f"After {turn}: you lifted for {f.this_value:.0f} m from {f.distance_m:.0f} m where your reference "
            f"stayed flat{_outcome(loss)}; keep your foot in."
        )
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
    phase_deltas: Sequence[analysis_pb2.PhaseDelta] = (),
    track_length_m: float = 0.0,
) -> list[coaching_pb2.Feedback]:
    """Structured feedback on ``lap``, most time at stake first (see the module notes)."""
    if lap_note(lap):
        return _incident_feedback(lap)
    if reference is None:
        findings = corner_findings(lap=lap, reference=None, track_length_m=track_length_m)
        return sorted((_feedback(f, lap, None) for f in findings), key=_stake_order)
    booking = book_phases(phase_deltas) if phase_deltas else book_corners(corner_deltas) if corner_deltas else None
    findings = _findings(lap=lap, reference=reference, booking=booking, track_length_m=track_length_m)
    if booking is not None:
        findings = [f for f in findings if f.time_s is not None and f.time_s >= MIN_CAUSE_S]
    feedback = [_feedback(f, lap, f.time_s) for f in findings]
    if booking is not None:
        flagged = {f.corner_number for f in findings}
        feedback += _strengths(lap=lap, reference=reference, booking=booking, skip=flagged,
                               length=laps.lap_length_m(lap, reference, track_length_m=track_length_m))
    feedback.sort(key=_stake_order)
    return feedback


def _feedback(finding: Finding, lap: analysis_pb2.LapAnalysis, loss: float | None) -> coaching_pb2.Feedback:
    names = {c.number: c.name for c in lap.corners}
    stake = loss if loss is not None else 0.0
    return coaching_pb2.Feedback(
        corner_number=finding.corner_number, distance_m=finding.distance_m, type=finding.type,
        severity=severity_for(time_loss_s=max(stake, 0.0)), delta_value=finding.delta_value, delta_unit=finding.unit,
        time_loss_s=stake, description=describe(finding=finding, loss=loss, lap=lap), phase=finding.phase,
        corner_name=names.get(finding.corner_number, ""), corner_loss_s=finding.corner_loss_s or 0.0,
        evidence=[measure.message() for measure in finding.evidence],
    )


def _strengths(*, lap, reference, booking, skip, length) -> list[coaching_pb2.Feedback]:
    ref_corners = laps.corners_by_number(reference)
    result = []
    for corner in lap.corners:
        whole = corner_loss_s(booking.get(corner.number, {}))
        gain = -(whole or 0.0)
        if gain <= STRENGTH_GAIN_S or corner.number in skip:
            continue
        causes = []
        ref = ref_corners.get(corner.number)
        if ref is not None:
            onset, ref_onset = brake_onset_m(lap, corner), brake_onset_m(reference, ref)
            if onset is not None and ref_onset is not None:
                later = laps.along_diff_m(onset, ref_onset, length)
                if later > BRAKE_POINT_TOLERANCE_M:
                    causes.append(f"braking {later:.0f} m later (at {onset:.0f} m)")
            faster = (corner.apex_speed_mps - ref.apex_speed_mps) * laps.MPS_TO_KMH
            if faster > APEX_SPEED_TOLERANCE_KMH:
                causes.append(f"carrying {faster:.1f} km/h more to the apex at {corner.apex_m:.0f} m")
        how = " by " + " and ".join(causes) if causes else f" between {corner.entry_m:.0f} m and {corner.exit_m:.0f} m"
        turn = corner.name or f"Turn {corner.number}"
        result.append(
            coaching_pb2.Feedback(
                corner_number=corner.number, distance_m=corner.apex_m, type=FT.FEEDBACK_TYPE_STRENGTH,
                severity=severity_for(time_loss_s=gain), delta_value=-gain, delta_unit="s", time_loss_s=-gain,
                description=f"{turn}: you gained {gain:.2f} s on your reference{how}; keep it up.",
                corner_name=corner.name, corner_loss_s=-gain,
            )
        )
    return result


def _stake_order(item: coaching_pb2.Feedback) -> tuple:
    strength = item.type == FT.FEEDBACK_TYPE_STRENGTH
    return (strength, -abs(item.time_loss_s), item.distance_m, item.corner_number, item.type)


def within_reach_s(feedback: Sequence[coaching_pb2.Feedback]) -> float:
    """The time the problem remarks account for: what the driver can find on this lap."""
    return float(sum(max(f.time_loss_s, 0.0) for f in feedback
                     if f.type not in (FT.FEEDBACK_TYPE_STRENGTH, FT.FEEDBACK_TYPE_INCIDENT)))


def summary(
    *,
    lap: analysis_pb2.LapAnalysis,
    reference: analysis_pb2.LapAnalysis | None,
    lap_delta_s: float | None,
    feedback: Sequence[coaching_pb2.Feedback],
    phase_deltas: Sequence[analysis_pb2.PhaseDelta] = (),
) -> str:
    """One sentence for the driver: the lap against its reference and where most time went (with no cause to
    name, the phase that lost most, from ``phase_deltas``)."""
    time_s = laps.lap_time_s(lap)
    head = f"Lap {lap.lap_number}" + (f" ({_clock(time_s)})" if time_s is not None else "")
    note = lap_note(lap)
    if note:
        return note if time_s is None else f"{head}: {note[0].lower()}{note[1:]}"
    problems = [f for f in feedback if f.type not in (FT.FEEDBACK_TYPE_STRENGTH, FT.FEEDBACK_TYPE_INCIDENT)]
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
        reach = within_reach_s(feedback)
        where = (f"; {reach:.2f} s within reach, most at {worst.corner_name or f'Turn {worst.corner_number}'}"
                 f" ({worst.time_loss_s:.2f} s, {_cause(worst.type)})")
    elif problems:
        where = f"; {len(problems)} thing{'s' if len(problems) != 1 else ''} to tidy up"
    else:
        worst = max(phase_deltas, key=lambda d: d.time_loss_s, default=None)
        if worst is not None and worst.time_loss_s >= _WORTH_NAMING_S:
            names = {c.number: c.name for c in lap.corners}
            turn = names.get(worst.corner_number) or (f"Turn {worst.corner_number}" if worst.corner_number else "the start")
            phase = analysis_pb2.CornerPhase.Name(worst.phase).removeprefix("CORNER_PHASE_").lower()
            where = (f"; no single cause stands out, most time went {'on the straight after' if phase == 'straight' else 'in the ' + phase + ' of'}"
                     f" {turn} ({worst.time_loss_s:.2f} s, {worst.start_m:.0f}–{worst.end_m:.0f} m)")
        else:
            where = "; nothing to correct against it"
    return f"{head}: {versus}{where}."


def _cause(kind: int) -> str:
    return {
        FT.FEEDBACK_TYPE_BRAKE_EARLY: "braking too early",
        FT.FEEDBACK_TYPE_BRAKE_LATE: "braking too late",
        FT.FEEDBACK_TYPE_LOW_APEX_SPEED: "low minimum speed",
        FT.FEEDBACK_TYPE_LATE_THROTTLE: "late throttle",
        FT.FEEDBACK_TYPE_COASTING: "coasting",
        FT.FEEDBACK_TYPE_LIFT: "a lift",
    }.get(kind, "time lost")


def _clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds, 3), 60.0)
    return f"{int(minutes)}:{rest:06.3f}"
