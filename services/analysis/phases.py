"""How each corner was driven, from the lap's pedals and speed on the distance grid, and the
delta-time trace cut into each corner's phases.

Per corner (``measure_corners``), between the previous corner's apex and the next one's:

* the brake onset is where the brake pressure first reaches ``ONSET_SHARE`` of its peak, and holds
  it for ``ONSET_HOLD_M``, in the
  braking for the corner: applications with no throttle between them are one braking, and so are
  those less than ``BRAKE_MERGE_M`` apart or a light correction after the braking, when the one
  before is at least ``BRAKE_MIN_M`` long; a tap the driver comes off to get back on the throttle
  never moves the brake point; release is where it ends; its last stage starts at the last
  application after a release, else at the last firm re-application (eased under ``REAPPLY_LOW``
  of the peak, pressed to ``REAPPLY_HIGH`` of it within ``REAPPLY_RISE_M``), else at the onset;
* full throttle is the first point after the apex at ``FULL_THROTTLE`` from which the throttle
  stays committed (``THROTTLE_COMMITTED``, a short dip is no lift) for ``FULL_THROTTLE_HOLD_M``
  (or up to the next braking);
* approach coasting is the run with neither pedal (both under ``PEDAL_OFF``) that ends within
  ``COAST_END_M`` of the brake onset (of the apex, for a corner not braked for), within
  ``APPROACH_M`` before it;
* a lift is throttle under ``LIFT_THROTTLE`` while the car slows or is below ``TOP_SPEED_SHARE``
  of the lap's top speed (partial throttle that holds a top speed is no lift), on the straight
  from ``LIFT_AFTER_M`` past full throttle to the next corner's approach (the last corner's straight
  goes on from the line to the first corner's approach: a lift there has its start before the
  corner's full throttle, and one already under way at the line is the previous lap's); easing off
  that runs into the braking is the approach's, no lift.

Phases (``phase_deltas``) are cut at the same distances on both laps, taken from both laps'
measures so each phase holds what either lap did there: approach (coast start → brake onset),
braking (→ turn-in), entry (→ apex zone), apex (±``APEX_HALF_WIDTH_M`` around both apexes),
exit (→ full throttle), straight (→ the next corner's approach; split at a lift's start so the
lift's loss is kept apart from the exit speed carried). A corner the reference takes flat out (and this
lap did not brake for, nor reach full throttle ``KINK_LATE_M`` later at) is no corner for this: it
lies on the straight of the corner before it. The losses telescope, so per corner and
phase they sum to the lap delta exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from racecoach.analysis.v1 import analysis_pb2

PH = analysis_pb2.CornerPhase
BRAKE_ON = 0.05
ONSET_SHARE = 0.3
ONSET_HOLD_M = 5.0
STAGE_MIN_M = 5.0  # an application this long after a release is a stage of its own
# braking in one go can still be in stages: eased to REAPPLY_LOW of the peak and pressed again to REAPPLY_HIGH
# within REAPPLY_RISE_M (a second, firm braking on the way in, not a trail-braking modulation)
REAPPLY_LOW = 0.5
REAPPLY_HIGH = 0.8
REAPPLY_RISE_M = 12.0
BRAKE_MERGE_M = 30.0
BRAKE_MIN_M = 10.0
THROTTLE_BACK = 0.2
LIGHT_SHARE = 0.5
BRAKE_SEARCH_M = 800.0
FULL_THROTTLE = 0.95
FULL_THROTTLE_HOLD_M = 20.0
THROTTLE_COMMITTED = 0.75
PEDAL_OFF = 0.05
APPROACH_M = 200.0
COAST_END_M = 40.0
LIFT_THROTTLE = 0.9
TOP_SPEED_SHARE = 0.97
LIFT_MIN_M = 3.0
LIFT_AFTER_M = 30.0
APEX_HALF_WIDTH_M = 15.0
FLAT_APEX_M = 10.0
KINK_LATE_M = 10.0


MEASURES = ("braked", "brake_onset_m", "final_brake_onset_m", "brake_release_m", "peak_brake", "entry_speed_mps", "exit_speed_mps",
            "full_throttle_m", "approach_coasting_m", "approach_coasting_start_m", "lift_m", "lift_start_m")


@dataclass(frozen=True)
class _Runs:
    """Start and end grid indices (inclusive) of the runs where a mask holds."""

    starts: np.ndarray
    ends: np.ndarray


def _runs(mask: np.ndarray) -> _Runs:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.diff(padded)
    return _Runs(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1)


def _index(grid: np.ndarray, metres: float) -> int:
    return int(np.clip(np.searchsorted(grid, metres), 0, len(grid) - 1))


def _braking(brake: np.ndarray, throttle: np.ndarray, lo: int, apex: int, step_m: float) -> tuple[int, int, float, int] | None:
    """Onset index, release index, peak, and the start of the last stage (the onset when in one) of the braking
    that leads into the apex at ``apex``."""
    runs = _runs(brake[lo:apex + 1] >= BRAKE_ON)
    starts, ends = runs.starts + lo, runs.ends + lo
    if len(starts) and starts[0] == lo and lo > 0 and brake[lo - 1] >= BRAKE_ON and (ends[0] - lo + 1) * step_m < ONSET_HOLD_M:
        starts, ends = starts[1:], ends[1:]  # the last metres of the corner before's braking, past its apex
    if not len(starts):
        return None
    first = len(starts) - 1  # the last application before the apex, merged with those that belong to it
    group_peak = float(brake[starts[first]:ends[first] + 1].max())
    while first > 0:
        before = slice(starts[first - 1], ends[first - 1] + 1)
        before_peak, before_long = float(brake[before].max()), (ends[first - 1] - starts[first - 1] + 1) * step_m >= BRAKE_MIN_M
        gap_m = (starts[first] - ends[first - 1]) * step_m
        back_on = throttle[ends[first - 1]:starts[first]].max(initial=0.0) >= THROTTLE_BACK
        if back_on and not (before_long and (gap_m <= BRAKE_MERGE_M or group_peak < LIGHT_SHARE * before_peak)):
            break  # a tap the driver came off to get back on the throttle is not the braking
        first -= 1  # braking in stages, or a light correction after the braking, is one braking
        group_peak = max(group_peak, before_peak)
    begin, release = int(starts[first]), int(ends[-1])
    # the braking may go on past the apex (trail braking deep into the corner)
    while release + 1 < len(brake) and brake[release + 1] >= BRAKE_ON:
        release += 1
    peak = float(brake[begin:release + 1].max())
    firm = _runs(brake[begin:release + 1] >= ONSET_SHARE * peak)  # held for ONSET_HOLD_M: a spike is no onset
    held = np.flatnonzero((firm.ends - firm.starts + 1) * step_m >= ONSET_HOLD_M)
    onset = begin + int(firm.starts[held[0]] if len(held) else firm.starts[0])
    stages = [i for i in range(first + 1, len(starts)) if (ends[i] - starts[i] + 1) * step_m >= STAGE_MIN_M]
    final = int(starts[stages[-1]]) if stages else _reapplied(brake, onset, release, peak, step_m)
    return onset, release, peak, final


def _reapplied(brake: np.ndarray, onset: int, release: int, peak: float, step_m: float) -> int:
    """The start of the last firm re-application inside one braking (``onset`` when there is none): where the
    pressure, eased to :data:`REAPPLY_LOW` of the peak, rises again to :data:`REAPPLY_HIGH` of it within
    :data:`REAPPLY_RISE_M`, held for :data:`STAGE_MIN_M`."""
    firm = _runs(brake[onset:release + 1] >= REAPPLY_HIGH * peak)
    rise = max(int(round(REAPPLY_RISE_M / step_m)), 1)
    for s, e in zip(firm.starts[::-1], firm.ends[::-1]):
        if s == 0 or (e - s + 1) * step_m < STAGE_MIN_M:
            continue
        window = brake[onset + max(s - rise, 0):onset + s]
        if len(window) and window.min() <= REAPPLY_LOW * peak and (firm.ends < s).any():
            dip = len(window) - 1 - int(np.argmin(window[::-1]))  # the last lowest point before the rise
            return onset + max(s - rise, 0) + dip
    return onset


def _approach_coasting(throttle: np.ndarray, brake: np.ndarray, lo: int, onset: int, step_m: float) -> tuple[int, float] | None:
    """Start index and metres of the coasting (neither pedal) that ends within ``COAST_END_M`` of the brake onset;
    runs less than ``BRAKE_MERGE_M / 2`` apart are one (a blip of throttle does not end it)."""
    runs = _runs((throttle[lo:onset] < PEDAL_OFF) & (brake[lo:onset] < BRAKE_ON))
    if not len(runs.starts) or (onset - lo - 1 - runs.ends[-1]) * step_m > COAST_END_M:
        return None
    first = len(runs.starts) - 1
    while first > 0 and (runs.starts[first] - runs.ends[first - 1]) * step_m <= BRAKE_MERGE_M / 2:
        first -= 1
    metres = float((runs.ends[first:] - runs.starts[first:] + 1).sum() * step_m)
    return int(runs.starts[first] + lo), metres


def _full_throttle(throttle: np.ndarray, brake: np.ndarray, start: int, stop: int, step_m: float) -> int | None:
    """The first index in ``[start, stop)`` at full throttle from which the throttle stays committed (at or
    above ``THROTTLE_COMMITTED``, no brake) for ``FULL_THROTTLE_HOLD_M`` or up to ``stop``."""
    hold = max(int(round(FULL_THROTTLE_HOLD_M / step_m)), 1)
    if start < len(throttle) and throttle[start] >= FULL_THROTTLE and brake[start] < BRAKE_ON:
        return start  # flat out at the apex itself: a lift later on is the straight's, not this corner's exit
    committed = (throttle[start:stop] >= THROTTLE_COMMITTED) & (brake[start:stop] < BRAKE_ON)
    runs = _runs(committed)
    for s, e in zip(runs.starts, runs.ends):
        full = np.flatnonzero(throttle[start + s:start + e + 1] >= FULL_THROTTLE)
        to_braking = start + e + 1 < len(brake) and brake[start + e + 1] >= BRAKE_ON  # flat out until the next braking
        if len(full) and (e - s - full[0] + 1 >= hold or e + start >= stop - 1 or to_braking):
            return int(start + s + full[0])
    return None


def _clear_edge_run(part: np.ndarray, run: np.ndarray, *, first: bool) -> None:
    """Clear ``part`` in place over the run of ``run`` that holds its first sample (``first``) or its last."""
    if not len(run) or not run[0 if first else -1]:
        return
    off = np.flatnonzero(~run)
    if first:
        part[: off[0] if len(off) else len(part)] = False
    else:
        part[off[-1] + 1 if len(off) else 0:] = False


def measure_corners(*, grid_m: np.ndarray, channels: dict[str, np.ndarray], corners: Sequence[analysis_pb2.Corner]) -> None:
    """Fill each corner's brake onset, release, peak, entry/exit speed, full throttle, approach
    coasting and lift fields in place (``corners`` in order along the lap). Run it on the numbered
    corners: a corner the catalogue leaves out must not cut its neighbour's braking short."""
    for corner in corners:
        for name in MEASURES:
            corner.ClearField(name)
    if not len(corners) or len(grid_m) < 2:
        return
    step = float(grid_m[1] - grid_m[0])
    speed = channels["speed_mps"]
    zeros = np.zeros_like(speed)
    brake, throttle = channels.get("brake", zeros), channels.get("throttle", zeros)
    apexes = [_index(grid_m, c.apex_m) for c in corners]
    for k, corner in enumerate(corners):
        apex = apexes[k]
        lo = apexes[k - 1] + 1 if k else max(apex - int(BRAKE_SEARCH_M / step), 0)
        lo = max(lo, apex - int(BRAKE_SEARCH_M / step))
        found = _braking(brake, throttle, lo, apex, step)
        if found is not None:
            onset, release, peak, final = found
            corner.final_brake_onset_m = float(grid_m[final])
            corner.braked = True
            corner.brake_onset_m = float(grid_m[onset])
            corner.brake_release_m = float(grid_m[release])
            corner.peak_brake = peak
            corner.entry_speed_mps = float(speed[onset])
            coast = _approach_coasting(throttle, brake, max(lo, onset - int(APPROACH_M / step)), onset, step)
            if coast is not None:
                corner.approach_coasting_start_m = float(grid_m[coast[0]])
                corner.approach_coasting_m = coast[1]
        else:
            corner.entry_speed_mps = float(speed[_index(grid_m, corner.entry_m)])
            # not braked: a coast that ends at the apex is this corner's approach (the second part of a chicane)
            coast = _approach_coasting(throttle, brake, max(lo, apex - int(APPROACH_M / step)), apex, step)
            if coast is not None:
                corner.approach_coasting_start_m = float(grid_m[coast[0]])
                corner.approach_coasting_m = coast[1]
        stop = apexes[k + 1] if k + 1 < len(corners) else len(grid_m)
        full = _full_throttle(throttle, brake, apex, stop, step)
        after = found[1] + 1 if found is not None else apex
        if full is None and not (brake[after:stop] >= BRAKE_ON).any():
            # still not flat out at the next apex, and not braked for it: look on to the next braking
            braking = np.flatnonzero(brake[stop:] >= BRAKE_ON)
            full = _full_throttle(throttle, brake, apex, stop + int(braking[0]) if len(braking) else len(grid_m), step)
        if full is not None:
            corner.full_throttle_m = float(grid_m[full])
            corner.exit_speed_mps = float(speed[full])
        else:
            corner.exit_speed_mps = float(speed[_index(grid_m, corner.exit_m)])
    driven = [c for c in corners if not is_flat(c)]
    top = float(speed.max())

    def lifted(start: int, end: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices of ``[start, end)`` and whether each is in a lift."""
        slowing = np.diff(speed[start:end + 1], append=speed[min(end, len(speed) - 1)]) < 0
        below_top = speed[start:end] < TOP_SPEED_SHARE * top
        part = (throttle[start:end] < LIFT_THROTTLE) & (brake[start:end] < BRAKE_ON) & (slowing[: end - start] | below_top)
        return np.arange(start, max(end, start)), part

    for k, corner in enumerate(driven):  # lifts on the straight after each corner, through flat-out kinks
        if not corner.full_throttle_m:
            continue
        start = _index(grid_m, corner.full_throttle_m + LIFT_AFTER_M)  # a lift is on the straight, not the exit
        end = _index(grid_m, approach_start_m(driven[k + 1])) if k + 1 < len(driven) else len(grid_m)
        at, part = lifted(start, end)
        if k + 1 == len(driven):  # the last corner's straight runs on past the line, to the first corner's approach
            wrap_at, wrap_part = lifted(0, min(_index(grid_m, approach_start_m(driven[0])), int(at[0]) if len(at) else start))
            _clear_edge_run(wrap_part, wrap_part, first=True)  # lifting as the lap began: the previous lap's lift
            at, part = np.concatenate([at, wrap_at]), np.concatenate([part, wrap_part])
        # off the throttle up to the next approach (the brake coming on before the onset's firm pressure counts):
        # lifting into it, not on the straight
        _clear_edge_run(part, part | (brake[at] >= BRAKE_ON), first=False)
        metres = float(part.sum() * step)
        if metres >= LIFT_MIN_M:
            runs = _runs(part)  # the lift is where the longest run starts (a one-sample dip is not its start)
            longest = int(np.argmax(runs.ends - runs.starts))
            corner.lift_m = metres
            corner.lift_start_m = float(grid_m[at[int(runs.starts[longest])]])


def is_flat(corner: analysis_pb2.Corner) -> bool:
    """Whether the corner was taken flat out (no braking, full throttle by the apex): it is part of the
    straight it lies on, and a lower speed there is carried from the corner before."""
    return not corner.braked and 0 < corner.full_throttle_m <= corner.apex_m + FLAT_APEX_M


def approach_start_m(corner: analysis_pb2.Corner) -> float:
    """Where the approach to ``corner`` starts on its lap: its coasting, else its brake onset, else its entry."""
    if corner.approach_coasting_m > 0:
        return corner.approach_coasting_start_m
    if corner.braked:
        return corner.brake_onset_m
    return corner.entry_m


@dataclass(frozen=True)
class _Cut:
    corner: int
    phase: int
    start_m: float


def _phase_cuts(lap: analysis_pb2.LapAnalysis, reference: analysis_pb2.LapAnalysis) -> list[_Cut]:
    """Phase starts along the lap, from both laps' measures of each corner (lap's numbering)."""
    ref = {c.number: c for c in reference.corners}
    cuts: list[_Cut] = []
    coasting = {c.approach_coasting_start_m for c in lap.corners if c.approach_coasting_m > 0}
    for corner in sorted(lap.corners, key=lambda c: c.apex_m):
        pair = [corner] + ([ref[corner.number]] if corner.number in ref else [])
        if is_flat(pair[-1]) and not corner.braked and corner.full_throttle_m <= pair[-1].full_throttle_m + KINK_LATE_M:
            continue  # a kink the reference takes flat out (and this lap did not brake or stay off full throttle for)
        n = corner.number
        cuts.append(_Cut(n, PH.CORNER_PHASE_APPROACH, min(approach_start_m(c) for c in pair)))
        braked = [c.brake_onset_m for c in pair if c.braked]
        entry = min(c.entry_m for c in pair)
        cuts.append(_Cut(n, PH.CORNER_PHASE_BRAKING, min(braked) if braked else entry))
        cuts.append(_Cut(n, PH.CORNER_PHASE_ENTRY, entry))
        cuts.append(_Cut(n, PH.CORNER_PHASE_APEX, min(c.apex_m for c in pair) - APEX_HALF_WIDTH_M))
        apex_end = max(c.apex_m for c in pair) + APEX_HALF_WIDTH_M
        cuts.append(_Cut(n, PH.CORNER_PHASE_EXIT, apex_end))
        full = [c.full_throttle_m for c in pair if c.full_throttle_m > 0]
        cuts.append(_Cut(n, PH.CORNER_PHASE_STRAIGHT, max(full + [c.exit_m for c in pair if not c.full_throttle_m] or [apex_end])))
        lifts = [c.lift_start_m for c in pair if c.lift_m > 0 and not wrapped_lift(c)]
        if lifts:
            cuts.append(_Cut(n, PH.CORNER_PHASE_STRAIGHT, min(lifts)))
    # Where this lap coasted into a corner, its approach starts there even if that is before the corner
    # ahead reached full throttle: the earlier cuts give way. Otherwise phases follow each other (a cut
    # never lies before the one ahead of it).
    for i, cut in enumerate(cuts):
        if cut.phase == PH.CORNER_PHASE_APPROACH and cut.start_m in coasting:
            for j in range(i - 1, -1, -1):
                if cuts[j].start_m <= cut.start_m:
                    break
                cuts[j] = _Cut(cuts[j].corner, cuts[j].phase, cut.start_m)
    placed: list[_Cut] = []
    floor = 0.0
    for cut in cuts:
        floor = max(floor, cut.start_m)
        placed.append(_Cut(cut.corner, cut.phase, floor))
    return placed


def wrapped_lift(corner: analysis_pb2.Corner) -> bool:
    """Whether the corner's lift is past the line (on the last corner's straight, before the first corner)."""
    return corner.lift_m > 0 and corner.lift_start_m < corner.full_throttle_m


def phase_deltas(
    *, lap: analysis_pb2.LapAnalysis, reference: analysis_pb2.LapAnalysis, grid_m: np.ndarray, delta_s: np.ndarray,
) -> list[analysis_pb2.PhaseDelta]:
    """The delta trace (``delta_s`` on ``grid_m``, from 0 at the line) cut into each corner's phases; the losses
    sum to ``delta_s[-1]``. The run from the line to the first approach is corner 0's straight, split in two at
    the start of a lift there (either lap's, as the last corner's ``lift_start_m``)."""
    length = float(grid_m[-1])
    cuts = [c for c in _phase_cuts(lap, reference) if c.start_m < length]
    first = cuts[0].start_m if cuts else length
    wrapped = [c.lift_start_m for c in (*lap.corners, *reference.corners) if wrapped_lift(c) and 0 < c.lift_start_m < first]
    starts = [_Cut(0, PH.CORNER_PHASE_STRAIGHT, 0.0)] + ([_Cut(0, PH.CORNER_PHASE_STRAIGHT, min(wrapped))] if wrapped else [])
    bounds = [c.start_m for c in starts] + [c.start_m for c in cuts] + [length]
    owners = starts + cuts
    at = np.interp(np.asarray(bounds), grid_m, delta_s)
    at[0], at[-1] = 0.0, float(delta_s[-1])
    return [
        analysis_pb2.PhaseDelta(corner_number=owner.corner, phase=owner.phase, start_m=bounds[i], end_m=bounds[i + 1],
                                time_loss_s=float(at[i + 1] - at[i]))
        for i, owner in enumerate(owners)
    ]
