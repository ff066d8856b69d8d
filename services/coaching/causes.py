"""Causes: what the driver did differently at each corner, and the time each cause cost.

A corner is compared with the same-numbered corner of the reference lap on the measures analysis
took of both (brake onset, minimum speed, full throttle, approach coasting, lifts). Each cause owns
the phases it acts in, and its time is the loss of those phases (``PhaseDelta``):

==================  =================================================  ==========================
cause               evidence (this lap against the reference)           phases it owns
==================  =================================================  ==========================
brake late          brake onset (or its last stage) later, or more      braking → straight
                    speed into about the same onset; and a lower
                    minimum speed (unless braking is done sooner
                    and full throttle no later) or a later full
                    throttle (overshoot)
brake early         brake onset (or its last stage) earlier, minimum    braking, entry, apex
                    speed not lower; or the reference's stages run
                    together from the same onset and done sooner
                    (then waiting for the apex, not coasting)
low minimum speed   minimum speed lower (not carried in from before,    apex, exit, straight (+
                    unless braked away); braking earlier with it is     braking, entry then)
                    slowing too much
late throttle       full throttle later (or never before braking for    exit, straight
                    the next corner), minimum speed not lower
coasting in corner  more distance with neither pedal in the corner      entry, apex
coasting            more coasting just before the brake onset          approach (+ braking, entry
                                                                        when nothing else explains
                                                                        the corner)
lift                more partial throttle on the straight after        the straight from the
                                                                        lift's start
==================  =================================================  ==========================

A corner gets at most one remark on how it was driven (braking to exit): the cause that cost
most. Coasting into a corner and a lift on the straight after it are remarks of their own, each
with its own time. Without phase deltas (older callers, live cues) a cause carries the whole
corner's loss when one is given, else none.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import evidence, laps
from racecoach.services.coaching.evidence import Measure

FT = coaching_pb2.FeedbackType
PH = analysis_pb2.CornerPhase

BRAKE_POINT_TOLERANCE_M = 5.0
BRAKE_COMPARABLE_M = 100.0  # brake points further apart than this are not the same braking
ENTRY_FASTER_KMH = 5.0
APEX_SPEED_TOLERANCE_KMH = 1.5
BRAKED_DOWN_KMH = 10.0
THROTTLE_TOLERANCE_M = 10.0
# a late throttle told as such: past a consistent driver's own spread (full throttle up to ~11 m later on a
# clean lap); the overshoot test above keeps THROTTLE_TOLERANCE_M
LATE_THROTTLE_M = 12.0
FASTER_APEX_KMH = 0.3  # through the apex faster than the reference by this much ...
GRIP_PRICE_S = 0.1  # ... full throttle a little later (up to twice LATE_THROTTLE_M) costing under this: grip's price
MERGED_ENTRY_SLOWER_KMH = 2.0  # slower than this into the braking, a braking done sooner needed less of it
OVERSHOOT_THROTTLE_RATIO = 3.0  # an overshoot delays full throttle about as much as the braking was late, not 3x more
COASTING_TOLERANCE_M = 10.0
COASTING_LIMIT_M = 15.0  # without a reference: coasting this long is worth a remark on its own
LIFT_SAME_PLACE_M = 30.0  # lifts of both laps starting this close are at the same place
LIFT_TOLERANCE_M = 10.0  # at a kink's grip limit a consistent driver's lift spreads up to 9 m on clean laps
KINK_LIFT_M = 30.0
KINK_FASTER_MPS = 0.05  # faster than the reference at a kink's apex by more than this (m/s): a lift there is grip
FLAT_APEX_M = 10.0  # full throttle this soon after the apex of a corner not braked for: taken flat (as analysis)
IN_CORNER_COAST_S = 0.02  # a gap between the pedals mid-corner is a remark when it costs this much

TECHNIQUE_PHASES = (PH.CORNER_PHASE_BRAKING, PH.CORNER_PHASE_ENTRY, PH.CORNER_PHASE_APEX, PH.CORNER_PHASE_EXIT)
CARRY = "carry"  # the straight after the exit, up to a lift
LIFTED = "lift"  # the straight from a lift's start
WHOLE = "whole"  # the corner's whole loss, when only per-corner deltas are known


@dataclass(frozen=True)
class Finding:
    """One cause at a corner, before it is worded.

    ``distance_m`` is where this lap did it; ``target_m`` where the reference did it (the place a
    live cue points at); values are in ``unit`` (``"m"``, ``"km/h"``, ``"s"``). ``time_s`` is the
    time the cause cost (None: not measured); ``corner_loss_s`` the whole corner's loss.
    """

    corner_number: int
    type: int
    distance_m: float
    target_m: float
    this_value: float
    reference_value: float
    delta_value: float
    unit: str
    time_s: float | None = None
    phase: int = PH.CORNER_PHASE_UNSPECIFIED
    corner_loss_s: float | None = None
    never_full: bool = False  # late throttle: never flat out before braking again (``this_value`` is where it braked)
    evidence: tuple[Measure, ...] = ()  # the measures that decided the cause, then its phases' losses


Booking = Mapping[int, Mapping[object, float]]


def book_phases(phase_deltas: Sequence[analysis_pb2.PhaseDelta]) -> dict[int, dict[object, float]]:
    """Time lost per corner and phase; a corner's straight is split into the exit speed carried and,
    when the straight was cut at a lift, the part from the lift on."""
    booked: dict[int, dict[object, float]] = defaultdict(lambda: defaultdict(float))
    straights: dict[int, int] = defaultdict(int)
    for delta in phase_deltas:
        key: object = delta.phase
        if delta.phase == PH.CORNER_PHASE_STRAIGHT:
            key = CARRY if straights[delta.corner_number] == 0 else LIFTED
            straights[delta.corner_number] += 1
        booked[delta.corner_number][key] += delta.time_loss_s
    return booked


def book_corners(corner_deltas: Sequence[analysis_pb2.CornerDelta]) -> dict[int, dict[object, float]]:
    """The older per-corner deltas as a booking with one whole-corner entry each."""
    return {n: {WHOLE: loss} for n, loss in laps.corner_losses(corner_deltas).items()}


def _share(booked: Mapping[object, float] | None, *phases: object) -> float | None:
    if booked is None:
        return None
    if WHOLE in booked:
        return booked[WHOLE]
    return float(sum(booked.get(p, 0.0) for p in phases))


def _add(a: float | None, b: float | None) -> float | None:
    return None if a is None and b is None else (a or 0.0) + (b or 0.0)


def corner_loss_s(booked: Mapping[object, float] | None) -> float | None:
    """The corner's loss from its braking to the straight after it (approach and lift apart)."""
    return _share(booked, *TECHNIQUE_PHASES, CARRY)


def brake_onset_m(lap: analysis_pb2.LapAnalysis, corner: analysis_pb2.Corner) -> float | None:
    """Where braking for ``corner`` starts: the robust onset, else the first braking zone into it."""
    if corner.braked:
        return corner.brake_onset_m
    zone = laps.braking_zone_for(lap, corner.number)
    return zone.brake_point_m if zone is not None else None


def grip_price(*, min_diff: float, throttle_diff: float, time_s: float | None) -> bool:
    """Whether full throttle ``throttle_diff`` m later than the reference after an apex ``min_diff`` km/h faster,
    costing ``time_s`` on the exit and the straight, is the price of the speed carried (a car at its grip reaches
    full throttle a little later) rather than a late throttle worth telling."""
    return (min_diff > FASTER_APEX_KMH and throttle_diff <= 2 * LATE_THROTTLE_M and time_s is not None
            and time_s < GRIP_PRICE_S)


def is_flat(corner: analysis_pb2.Corner) -> bool:
    """Whether analysis saw the corner taken flat out (not braked, full throttle by the apex)."""
    return not corner.braked and 0 < corner.full_throttle_m <= corner.apex_m + FLAT_APEX_M


def full_throttle_m(corner: analysis_pb2.Corner) -> float | None:
    """Where the throttle is full after the apex, else where it is committed; None when never."""
    value = corner.full_throttle_m or corner.throttle_on_m
    return value if value > 0 else None


def staged(corner: analysis_pb2.Corner) -> bool:
    """Whether the corner's braking came in stages (its last stage starts after its onset)."""
    return bool(corner.final_brake_onset_m) and corner.final_brake_onset_m - corner.brake_onset_m > BRAKE_POINT_TOLERANCE_M


def coasted_more(corner: analysis_pb2.Corner, ref: analysis_pb2.Corner) -> bool:
    """Whether this pass coasted more than the reference into its braking, or at all more in the corner (half the
    coasting tolerance: a braking done sooner is waited out on the throttle, never coasted)."""
    return (corner.coasting_m - ref.coasting_m > COASTING_TOLERANCE_M / 2
            or corner.approach_coasting_m - ref.approach_coasting_m > COASTING_TOLERANCE_M)


def compared_braking(*, corner: analysis_pb2.Corner, ref: analysis_pb2.Corner, onset: float | None,
                     ref_onset: float | None, length_m: float) -> tuple[float | None, float | None, float]:
    """The brake points this pass and the reference's are compared at, and how far apart (m, + later): the onsets,
    or the last stages of two brakings alike (both in stages, or both in one go; or one in one go far from the
    reference's onset, its first stage skipped), never stages against one go from the same onset; where the
    reference's stages ran together from the same onset and finished sooner, the release."""
    brake_diff = laps.along_diff_m(onset, ref_onset, length_m) if onset is not None and ref_onset is not None else 0.0
    same_onset = abs(brake_diff) <= BRAKE_POINT_TOLERANCE_M
    if abs(brake_diff) > BRAKE_COMPARABLE_M:
        brake_diff = 0.0  # not the same braking on both laps (a corner the catalogue left out on one of them)
    by_stage = staged(corner) == staged(ref) or (staged(ref) and not same_onset)
    if abs(brake_diff) <= BRAKE_POINT_TOLERANCE_M and by_stage and corner.final_brake_onset_m and ref.final_brake_onset_m:
        final_diff = laps.along_diff_m(corner.final_brake_onset_m, ref.final_brake_onset_m, length_m)
        if BRAKE_POINT_TOLERANCE_M < abs(final_diff) <= BRAKE_COMPARABLE_M:
            # the same first braking, but the last stage of it (braking again after a release) moved
            return corner.final_brake_onset_m, ref.final_brake_onset_m, final_diff
    elif (same_onset and staged(ref) and not staged(corner) and corner.brake_release_m and ref.brake_release_m
          and not coasted_more(corner, ref) and (ref.entry_speed_mps - corner.entry_speed_mps) * laps.MPS_TO_KMH
          < MERGED_ENTRY_SLOWER_KMH):
        # the reference's stages run together into one braking from the same onset, done sooner (then waiting
        # for the apex on the throttle): the last stage came that much earlier, measured where the braking ended.
        # Coasting instead (into the braking or in the corner), or arriving slower, is why less braking was needed.
        release_diff = laps.along_diff_m(corner.brake_release_m, ref.brake_release_m, length_m)
        if -BRAKE_COMPARABLE_M <= release_diff < -BRAKE_POINT_TOLERANCE_M:
            return ref.final_brake_onset_m + release_diff, ref.final_brake_onset_m, release_diff
    return onset, ref_onset, brake_diff


def next_braking_m(lap: analysis_pb2.LapAnalysis, corner: analysis_pb2.Corner) -> float | None:
    """Where this lap slows for the corner after ``corner``: its brake onset, else its apex; None for the last corner."""
    after = [c for c in lap.corners if c.apex_m > corner.apex_m]
    if not after:
        return None
    nxt = min(after, key=lambda c: c.apex_m)
    onset = brake_onset_m(lap, nxt)
    return onset if onset is not None and onset > corner.apex_m else nxt.apex_m


def technique_finding(
    *, lap: analysis_pb2.LapAnalysis, reference: analysis_pb2.LapAnalysis, corner: analysis_pb2.Corner,
    ref: analysis_pb2.Corner, booked: Mapping[object, float] | None, length_m: float,
) -> Finding | None:
    """The main cause of how ``corner`` was driven from braking to exit, or None when it matched the reference."""
    n = corner.number
    whole = corner_loss_s(booked)
    kink = is_flat(ref) and not corner.braked  # a kink the reference takes flat out: its speed is the straight's
    candidates: list[Finding] = []
    min_diff = (corner.apex_speed_mps - ref.apex_speed_mps) * laps.MPS_TO_KMH
    # a lower minimum speed counts when the driver lost it here, not when it was carried in from before
    # (braking that takes off BRAKED_DOWN_KMH or more chooses the minimum speed: what came in is braked away)
    braked_down = corner.braked and (corner.entry_speed_mps - corner.apex_speed_mps) * laps.MPS_TO_KMH >= BRAKED_DOWN_KMH
    carried = (corner.entry_speed_mps - ref.entry_speed_mps) * laps.MPS_TO_KMH if (
        corner.entry_speed_mps and ref.entry_speed_mps and not braked_down) else 0.0
    slower_apex = min_diff < -APEX_SPEED_TOLERANCE_KMH and min_diff < min(carried, 0.0) - APEX_SPEED_TOLERANCE_KMH / 2
    onset, ref_onset = brake_onset_m(lap, corner), brake_onset_m(reference, ref)
    full, ref_full = full_throttle_m(corner), full_throttle_m(ref)
    never_full = full is None and ref_full is not None and not is_flat(ref)
    if never_full:  # off full throttle until braking for the next corner (the gap in a chicane) where the reference was flat
        full = next_braking_m(lap, corner)
        never_full = full is not None
    throttle_diff = laps.along_diff_m(full, ref_full, length_m) if full is not None and ref_full is not None else 0.0
    onset, ref_onset, brake_diff = compared_braking(corner=corner, ref=ref, onset=onset, ref_onset=ref_onset,
                                                    length_m=length_m)
    # carrying more speed into about the same braking point is braking late too (the first, light stage skipped)
    faster_in = corner.entry_speed_mps and ref.entry_speed_mps and (
        (corner.entry_speed_mps - ref.entry_speed_mps) * laps.MPS_TO_KMH > ENTRY_FASTER_KMH)
    both_braked = onset is not None and ref_onset is not None
    late = both_braked and (brake_diff > BRAKE_POINT_TOLERANCE_M or (faster_in and brake_diff > -BRAKE_POINT_TOLERANCE_M))
    # an overshoot brakes on at least as far into the corner, or gets back to full throttle later; braking later
    # but done sooner for a lower minimum speed, and on the throttle as soon, is slowing more than the reference
    released_sooner = bool(corner.brake_release_m and ref.brake_release_m) and laps.along_diff_m(
        corner.brake_release_m, ref.brake_release_m, length_m) < -BRAKE_POINT_TOLERANCE_M
    slowed_more = released_sooner and throttle_diff <= THROTTLE_TOLERANCE_M / 2

    measures = evidence.corner_measures(corner=corner, ref=ref, onset=onset, ref_onset=ref_onset, full=full, ref_full=ref_full)

    def add(kind: int, distance: float, target: float, this: float, other: float, diff: float, unit: str,
            phases: tuple[object, ...], phase: int) -> None:
        flag = never_full and kind == FT.FEEDBACK_TYPE_LATE_THROTTLE
        why = evidence.for_cause(kind, measures=measures, booked=booked, phases=phases)
        candidates.append(Finding(n, kind, distance, target, this, other, diff, unit, _share(booked, *phases), phase,
                                  whole, flag, why))

    if kink:  # only staying off full throttle there is this kink's own
        if throttle_diff > THROTTLE_TOLERANCE_M:
            add(FT.FEEDBACK_TYPE_LATE_THROTTLE, full, ref_full, full, ref_full, throttle_diff, "m",
                (PH.CORNER_PHASE_APEX, PH.CORNER_PHASE_EXIT, CARRY), PH.CORNER_PHASE_EXIT)
    elif late and ((slower_apex and not slowed_more) or THROTTLE_TOLERANCE_M < throttle_diff <= (
            OVERSHOOT_THROTTLE_RATIO * brake_diff + THROTTLE_TOLERANCE_M)):
        # (braking a little later, as fast through the apex, then full throttle far later: the throttle is the cause)
        add(FT.FEEDBACK_TYPE_BRAKE_LATE, onset, ref_onset, onset, ref_onset, brake_diff, "m", (*TECHNIQUE_PHASES, CARRY),
            PH.CORNER_PHASE_BRAKING)
    else:
        # a minimum speed only a little lower (by under twice its tolerance) needs a metre or a few of earlier
        # braking (the speeds' squares apart over the deceleration), never twice the brake point tolerance: braking
        # that much earlier is the cause, and the lower speed its consequence
        slower_apex = slower_apex and not (brake_diff < -2 * BRAKE_POINT_TOLERANCE_M
                                           and min_diff > -2 * APEX_SPEED_TOLERANCE_KMH)
        if brake_diff < -BRAKE_POINT_TOLERANCE_M and not slower_apex:
            add(FT.FEEDBACK_TYPE_BRAKE_EARLY, onset, ref_onset, onset, ref_onset, brake_diff, "m",
                (PH.CORNER_PHASE_BRAKING, PH.CORNER_PHASE_ENTRY, PH.CORNER_PHASE_APEX), PH.CORNER_PHASE_BRAKING)
        if slower_apex:  # braking earlier for a lower minimum speed is slowing too much: the speed is the cause
            phases = (PH.CORNER_PHASE_BRAKING, PH.CORNER_PHASE_ENTRY) if brake_diff < -BRAKE_POINT_TOLERANCE_M else ()
            add(FT.FEEDBACK_TYPE_LOW_APEX_SPEED, corner.apex_m, ref.apex_m, corner.apex_speed_mps * laps.MPS_TO_KMH,
                ref.apex_speed_mps * laps.MPS_TO_KMH, min_diff, "km/h",
                (*phases, PH.CORNER_PHASE_APEX, PH.CORNER_PHASE_EXIT, CARRY), PH.CORNER_PHASE_APEX)
        elif throttle_diff > LATE_THROTTLE_M and not grip_price(min_diff=min_diff, throttle_diff=throttle_diff,
                                                                time_s=_share(booked, PH.CORNER_PHASE_EXIT, CARRY)):
            add(FT.FEEDBACK_TYPE_LATE_THROTTLE, full, ref_full, full, ref_full, throttle_diff, "m",
                (PH.CORNER_PHASE_EXIT, CARRY), PH.CORNER_PHASE_EXIT)
    in_corner = _share(booked, PH.CORNER_PHASE_ENTRY, PH.CORNER_PHASE_APEX)
    if not kink and corner.coasting_m - ref.coasting_m > COASTING_TOLERANCE_M and (in_corner is None or in_corner >= IN_CORNER_COAST_S):
        add(FT.FEEDBACK_TYPE_COASTING, corner.entry_m, ref.entry_m, corner.coasting_m, ref.coasting_m,
            corner.coasting_m - ref.coasting_m, "m", (PH.CORNER_PHASE_ENTRY, PH.CORNER_PHASE_APEX),
            PH.CORNER_PHASE_ENTRY)
    if not candidates:
        return None
    if booked is None:
        return candidates[0]
    main = max(candidates, key=lambda f: f.time_s or 0.0)
    # a cause never costs more than the whole corner lost: braking earlier than a reference that overshot
    # loses in the braking what it wins back at the exit
    return dataclasses.replace(main, time_s=min(main.time_s, whole)) if main.time_s is not None and whole is not None else main


def straight_findings(
    *, corner: analysis_pb2.Corner, ref: analysis_pb2.Corner | None, booked: Mapping[object, float] | None,
    line_booked: Mapping[object, float] | None = None,
) -> list[Finding]:
    """Coasting into ``corner`` and a lift on the straight after it, each with its own time. A lift past the line
    (on the last corner's straight, starting before its full throttle) takes its time from ``line_booked``, the
    booking of the run from the line (corner 0)."""
    n = corner.number
    found: list[Finding] = []
    ref_coast = ref.approach_coasting_m if ref is not None else 0.0
    coast = corner.approach_coasting_m
    if ref is not None and coast - ref_coast > COASTING_TOLERANCE_M:
        found.append(Finding(n, FT.FEEDBACK_TYPE_COASTING, corner.approach_coasting_start_m,
                             ref.brake_onset_m or ref.entry_m, coast, ref_coast, coast - ref_coast, "m",
                             _share(booked, PH.CORNER_PHASE_APPROACH), PH.CORNER_PHASE_APPROACH,
                             evidence=(Measure("approach_coasting_m", coast, ref_coast, "m"),
                                       *evidence.phase_losses(booked, (PH.CORNER_PHASE_APPROACH,)))))
    elif ref is None and max(coast, corner.coasting_m) > COASTING_LIMIT_M:
        metres = max(coast, corner.coasting_m)
        start = corner.approach_coasting_start_m if coast >= corner.coasting_m else corner.entry_m
        found.append(Finding(n, FT.FEEDBACK_TYPE_COASTING, start, start, metres, 0.0, metres, "m"))
    # the reference's lift offsets this lap's only where it lifted too (a breath at a kink's grip 250 m on is no excuse)
    ref_lift = ref.lift_m if ref is not None and abs(corner.lift_start_m - ref.lift_start_m) <= LIFT_SAME_PLACE_M else 0.0
    if ref is not None and corner.lift_m - ref_lift > LIFT_TOLERANCE_M:
        # the straight from the lift's start; when analysis did not cut the straight there, the whole straight
        where = line_booked if corner.lift_start_m < corner.full_throttle_m and line_booked is not None else booked
        lifted = LIFTED if where is None or LIFTED in where else CARRY
        found.append(Finding(n, FT.FEEDBACK_TYPE_LIFT, corner.lift_start_m, corner.lift_start_m, corner.lift_m,
                             ref_lift, corner.lift_m - ref_lift, "m", _share(where, lifted),
                             PH.CORNER_PHASE_STRAIGHT,
                             evidence=(Measure("lift_m", corner.lift_m, ref_lift, "m"),
                                       *evidence.phase_losses(where, (lifted,)))))
    return found


def corner_findings(
    *, lap: analysis_pb2.LapAnalysis, reference: analysis_pb2.LapAnalysis | None,
    booking: Booking | None = None, track_length_m: float = 0.0,
) -> list[Finding]:
    """Every cause found on ``lap`` against ``reference`` along the lap (strengths are not findings)."""
    length = laps.lap_length_m(lap, reference, track_length_m=track_length_m)
    refs = laps.corners_by_number(reference) if reference is not None else {}
    findings: list[Finding] = []
    line_booked = booking.get(0, {}) if booking is not None else None  # the run from the line (a lift past it)
    for corner in lap.corners:
        ref = refs.get(corner.number)
        booked = booking.get(corner.number, {}) if booking is not None else None
        found = None
        if ref is not None:
            found = technique_finding(lap=lap, reference=reference, corner=corner, ref=ref, booked=booked, length_m=length)
            if found is not None:
                findings.append(found)
        for finding in straight_findings(corner=corner, ref=ref, booked=booked, line_booked=line_booked):
            if finding.phase == PH.CORNER_PHASE_APPROACH and found is not None and found.type == FT.FEEDBACK_TYPE_COASTING:
                # coasting into the corner and on through it: one remark, both stretches, both times
                findings.remove(found)
                finding = dataclasses.replace(finding, this_value=finding.this_value + found.this_value,
                                              reference_value=finding.reference_value + found.reference_value,
                                              delta_value=finding.delta_value + found.delta_value,
                                              time_s=_add(finding.time_s, found.time_s), corner_loss_s=found.corner_loss_s,
                                              evidence=(*finding.evidence[:1], *found.evidence[:1],
                                                        *evidence.phase_losses(booked, (PH.CORNER_PHASE_APPROACH,
                                                                                        PH.CORNER_PHASE_ENTRY,
                                                                                        PH.CORNER_PHASE_APEX))))
            elif (finding.phase == PH.CORNER_PHASE_APPROACH and found is not None and not corner.braked
                  and found.type == FT.FEEDBACK_TYPE_LOW_APEX_SPEED):
                # coasted down to the corner and never braked: the lower minimum speed is what the coasting took off
                findings.remove(found)
                finding = dataclasses.replace(finding, time_s=_add(finding.time_s, found.time_s),
                                              corner_loss_s=found.corner_loss_s,
                                              evidence=(*finding.evidence[:1], *found.evidence[:1],
                                                        *evidence.phase_losses(booked, (PH.CORNER_PHASE_APPROACH,
                                                                                        PH.CORNER_PHASE_ENTRY,
                                                                                        PH.CORNER_PHASE_APEX))))
            elif finding.phase == PH.CORNER_PHASE_APPROACH and found is None and booked is not None:
                # braking at the usual marker after coasting arrives too slow: the crawl to the corner is the coasting's
                crawl = (PH.CORNER_PHASE_APPROACH, PH.CORNER_PHASE_BRAKING, PH.CORNER_PHASE_ENTRY)
                finding = dataclasses.replace(finding, time_s=_share(booked, *crawl), corner_loss_s=corner_loss_s(booked),
                                              evidence=(*finding.evidence[:1], *evidence.phase_losses(booked, crawl)))
            findings.append(finding)
    return [kept for f in findings if (kept := _kink_exit(f, lap=lap, refs=refs)) is not None]


def _kink_exit(finding: Finding, *, lap: analysis_pb2.LapAnalysis, refs: Mapping[int, analysis_pb2.Corner]) -> Finding | None:
    """A lift that starts at the apex of a kink the reference takes flat is a late throttle at that kink (unless this
    lap was flat out through the kink before the lift began: then it is a lift on the straight). A lift that begins
    within ``FLAT_APEX_M`` of the apex is the throttle not kept full at the apex, however full it was there: a late
    throttle at the kink; but not when this lap came to the kink's apex faster than the reference (by more than
    ``KINK_FASTER_MPS``): then the car met the kink's grip and the lift is the price of the speed carried (no remark)."""
    if finding.type != FT.FEEDBACK_TYPE_LIFT:
        return finding
    for corner in lap.corners:
        ref = refs.get(corner.number)
        # flat through the kink, lifting after it
        flat_before = 0 < corner.full_throttle_m < finding.distance_m and finding.distance_m > corner.apex_m + FLAT_APEX_M
        if ref is not None and is_flat(ref) and abs(finding.distance_m - corner.apex_m) <= KINK_LIFT_M and not flat_before:
            if corner.apex_speed_mps > ref.apex_speed_mps + KINK_FASTER_MPS:
                return None  # carried more speed to the kink: the lift is its grip, not a throttle to hold
            return dataclasses.replace(finding, corner_number=corner.number, type=FT.FEEDBACK_TYPE_LATE_THROTTLE,
                                       target_m=ref.full_throttle_m, this_value=finding.distance_m + finding.this_value,
                                       reference_value=ref.full_throttle_m, phase=PH.CORNER_PHASE_EXIT)
    return finding
