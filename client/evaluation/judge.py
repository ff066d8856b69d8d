"""Metrics of coaching quality: the laps' analyses and reports against the simulator's truth.

Pure functions over :class:`LapView` (one timed lap: the session's truth, the lap's
``LapAnalysis`` and its ``LapReport``). A lap is *judged* when it is a timed lap of the truth,
analysis found it valid and its report names a reference lap. ``references`` maps lap ids to
the views of the run, so a reference from another session of the same run is known too.

* recall of a kind: truth mistakes of that kind on judged laps that a problem remark of the
  lap names (right corner and cause) / those mistakes (a mistake whose true cost on its lap is
  under :data:`NEGLIGIBLE_COST_S` did not change the lap and is counted apart, not in recall);
  a remark that names no injected mistake but that the truth's passes bear out (the driver's
  variability really braked earlier there, see :func:`truth_supports`) is still a miss of
  precision, and counted apart so the precision it would have is shown too; precision of a type: problem remarks
  of that type on judged laps that name a truth mistake of their lap / those remarks;
* top advice: on judged laps at least :data:`LOST_S` slower than their reference, whether the
  first problem remark names the lap's costliest truth mistake;
* harmful: a problem remark whose advice contradicts the truth (see :func:`harm_reason`);
* brake-point error: |analysis brake point − truth brake point| per braking truth corner;
* lap-time error: |analysis lap time − truth lap time| per timed lap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2

from .matching import (
    KIND_TYPES,
    analysis_corner_for,
    feedback_kind,
    lap_distance,
    matches,
    mistake_cost_s,
    nearest_truth_corner,
    problem_remarks,
    remark_truth_corner,
)

__all__ = [
    "LOST_S",
    "KindStats",
    "LapView",
    "TopAdvice",
    "brake_point_errors",
    "detection",
    "false_alarms",
    "harm_reason",
    "harmful_remarks",
    "is_judged",
    "lap_time_errors",
    "lap_views",
    "reference_index",
    "top_advice",
    "unmapped_remarks",
]

LOST_S = 0.1
NEGLIGIBLE_COST_S = 0.01
SUPPORT_BRAKE_M = 3.0
SUPPORT_THROTTLE_M = 5.0
SUPPORT_APEX_KPH = 1.0
FT = coaching_pb2.FeedbackType
BRAKE_TOLERANCE_M = 1.0
THROTTLE_TOLERANCE_M = 1.0
APEX_TOLERANCE_KPH = 0.5


@dataclass(frozen=True)
class LapView:
    """One lap of a simulated session: its truth, analysis and report."""

    session: str
    truth: Mapping[str, Any]
    analysis: analysis_pb2.LapAnalysis
    report: coaching_pb2.LapReport
    places: Mapping[int, float] | None = None  # corner number → its place on the track (places.with_places)

    @property
    def number(self) -> int:
        return int(self.analysis.lap_number)

    @property
    def lap_truth(self) -> Mapping[str, Any] | None:
        return next((lap for lap in self.truth["laps"] if lap["lap"] == self.number), None)

    @property
    def mistakes(self) -> list[Mapping[str, Any]]:
        return [m for m in self.truth.get("mistakes", []) if m["lap"] == self.number]

    @property
    def length_m(self) -> float:
        return float(self.truth["track"]["length_m"])

    @property
    def truth_corners(self) -> list[Mapping[str, Any]]:
        return self.truth["track"]["corners"]

    @property
    def label(self) -> str:
        return f"{self.session} lap {self.number}"

    def lap_time_s(self) -> float | None:
        if not self.analysis.HasField("lap_time"):
            return None
        return self.analysis.lap_time.seconds + self.analysis.lap_time.nanos / 1e9

    def corner_of(self, remark: coaching_pb2.Feedback) -> int | None:
        if self.places and remark.corner_number in self.places:
            return nearest_truth_corner(apex_m=self.places[remark.corner_number], truth_corners=self.truth_corners,
                                        length_m=self.length_m)
        return remark_truth_corner(remark=remark, analysis=self.analysis, truth_corners=self.truth_corners,
                                   length_m=self.length_m)

    def names(self, remark: coaching_pb2.Feedback, mistake: Mapping[str, Any]) -> bool:
        return matches(remark=remark, mistake=mistake, mapped=self.corner_of(remark),
                       truth_corners=self.truth_corners, length_m=self.length_m)


@dataclass
class KindStats:
    """Detection of one mistake kind: truth instances found, remarks right, cost errors (s)."""

    instances: int = 0
    negligible: int = 0
    found: int = 0
    remarks: int = 0
    correct: int = 0
    supported: int = 0
    cost_errors_s: list[float] = field(default_factory=list)
    missed: list[dict[str, Any]] = field(default_factory=list)
    wrong: list[dict[str, Any]] = field(default_factory=list)
    borne: list[dict[str, Any]] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.found / self.instances if self.instances else None

    @property
    def precision(self) -> float | None:
        return self.correct / self.remarks if self.remarks else None

    @property
    def precision_supported(self) -> float | None:
        """Precision counting as right the remarks the truth's own passes bear out (driver variability)."""
        return (self.correct + self.supported) / self.remarks if self.remarks else None


@dataclass
class TopAdvice:
    """Laps that lost at least :data:`LOST_S`, and whether their first remark was the costliest mistake."""

    laps: int = 0
    correct: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)
    without_mistake: list[str] = field(default_factory=list)
    unknown_reference: int = 0

    @property
    def share(self) -> float | None:
        return self.correct / self.laps if self.laps else None


def lap_views(*, session: str, truth: Mapping[str, Any],
              laps: Sequence[tuple[analysis_pb2.LapAnalysis, coaching_pb2.LapReport]]) -> list[LapView]:
    """Views of the timed laps of one session (partial laps and laps the truth lacks are left out)."""
    timed = {lap["lap"] for lap in truth["laps"]}
    return [LapView(session=session, truth=truth, analysis=a, report=r) for a, r in laps if a.lap_number in timed]


def reference_index(views: Sequence[LapView]) -> dict[str, LapView]:
    """lap_id → view, for finding reference laps."""
    return {v.analysis.lap_id: v for v in views}


def is_judged(view: LapView) -> bool:
    """A timed, valid lap whose report names a reference."""
    return view.lap_truth is not None and view.analysis.valid and bool(view.report.reference_lap_id)


def detection(*, laps: Sequence[LapView], references: Mapping[str, LapView] | None = None) -> dict[str, KindStats]:
    """Recall, precision and time-cost errors per mistake kind over the judged laps; with ``references``, the
    remarks that name no injected mistake but that the truth's passes bear out are counted too."""
    stats = {kind: KindStats() for kind in KIND_TYPES}
    for view in filter(is_judged, laps):
        reference = references.get(view.report.reference_lap_id) if references is not None else None
        remarks = problem_remarks(view.report)
        for mistake in view.mistakes:
            kind = stats[mistake["kind"]]
            if mistake_cost_s(mistake) < NEGLIGIBLE_COST_S:
                kind.negligible += 1  # it did not change the lap: nothing for a coach to find
                continue
            kind.instances += 1
            named = next((r for r in remarks if view.names(r, mistake)), None)
            if named is not None:
                kind.found += 1
                kind.cost_errors_s.append(abs(named.time_loss_s - mistake_cost_s(mistake)))
            else:
                kind.missed.append({"lap": view.label, "truth": _describe_mistake(mistake),
                                    "cost_s": round(mistake_cost_s(mistake), 4)})
        for remark in remarks:
            kind = feedback_kind(remark.type)
            if kind is None:
                continue
            stats[kind].remarks += 1
            if any(view.names(remark, m) for m in view.mistakes):
                stats[kind].correct += 1
            elif truth_supports(view=view, remark=remark, reference=reference):
                stats[kind].supported += 1
                stats[kind].borne.append({"lap": view.label, "remark": _describe_remark(view, remark),
                                          "truth": _support_evidence(view=view, remark=remark, reference=reference)})
            else:
                stats[kind].wrong.append({"lap": view.label, "remark": _describe_remark(view, remark)})
    return stats


def _describe_remark(view: LapView, remark: coaching_pb2.Feedback) -> str:
    name = FT.Name(remark.type).removeprefix("FEEDBACK_TYPE_").lower()
    corner = view.corner_of(remark)
    where = f"T{remark.corner_number}" if remark.corner_number else f"{remark.distance_m:.0f} m"
    mapped = f" (truth T{corner})" if corner is not None and corner != remark.corner_number else ""
    return f"{name} {where}{mapped}, {remark.time_loss_s:.2f} s"


def _describe_mistake(mistake: Mapping[str, Any]) -> str:
    return f"{mistake.get('spec') or mistake['kind']} ({mistake_cost_s(mistake):.2f} s)"


def top_advice(*, laps: Sequence[LapView], references: Mapping[str, LapView]) -> TopAdvice:
    """Whether the first problem remark of a lap that lost time names its costliest truth mistake."""
    result = TopAdvice()
    for view in filter(is_judged, laps):
        reference = references.get(view.report.reference_lap_id)
        mine = view.lap_time_s()
        theirs = reference.lap_time_s() if reference is not None else None
        if mine is None or theirs is None:
            result.unknown_reference += 1
            continue
        lost = mine - theirs
        if lost < LOST_S:
            continue
        remarks = problem_remarks(view.report)
        if not remarks:
            result.silent.append(f"{view.label} (+{lost:.2f} s{'' if view.mistakes else ', no mistake'})")
        if not view.mistakes:
            result.without_mistake.append(f"{view.label} (+{lost:.2f} s)")
            continue
        result.laps += 1
        costliest = max(view.mistakes, key=mistake_cost_s)
        if remarks and view.names(remarks[0], costliest):
            result.correct += 1
            continue
        result.misses.append({
            "lap": view.label, "lost_s": round(lost, 3), "truth": _describe_mistake(costliest),
            "first_remark": _describe_remark(view, remarks[0]) if remarks else "no problem remark",
        })
    result.misses.sort(key=lambda m: -m["lost_s"])
    result.silent.sort(key=lambda label: label.endswith("no mistake)"))  # laps with a mistake first
    return result


def _pass(view: LapView | None, corner: int) -> Mapping[str, Any] | None:
    lap = view.lap_truth if view is not None else None
    if lap is None:
        return None
    return next((c for c in lap["corners"] if c["corner"] == corner), None)


def _diff(mine: Mapping[str, Any], ref: Mapping[str, Any], key: str, length_m: float) -> float | None:
    if mine.get(key) is None or ref.get(key) is None:
        return None
    return lap_distance(mine[key], ref[key], length_m=length_m)


def _brake_diffs(mine: Mapping[str, Any], ref: Mapping[str, Any], length_m: float) -> dict[str, float]:
    """This pass's braking against the reference's: where braking starts (stages merged, a light correction
    after it left out) and where its last application starts (the brake point), those both passes have."""
    found = {}
    for key, name in (("braking_start_m", "braking start"), ("brake_point_m", "brake point")):
        d = _diff(mine, ref, key, length_m)
        if d is not None:
            found[name] = d
    return found


def harm_reason(*, view: LapView, remark: coaching_pb2.Feedback, reference: LapView | None) -> str | None:
    """Why ``remark`` contradicts the truth, or ``None`` when it does not.

    Against the truth passes of the remark's corner on this lap and on the reference lap:
    BRAKE_EARLY when the lap did not brake earlier (diff ≥ −1 m, by where braking starts and by
    its last application alike), BRAKE_LATE when it did not brake later (≤ +1 m, both), LOW_APEX_SPEED when the apex was not slower (≥ −0.5 km/h),
    LATE_THROTTLE when full throttle did not come later (≤ +1 m); and brake-early advice where
    the lap's truth mistake at that corner is brake-late, or the other way round. A remark that
    names a truth mistake of its lap is never harmful: the injected mistake outranks the pass
    measured on the simulated trace (a driver who braked early and crawled to the apex may
    touch the brake again just before it, which the pass reports as a late brake point).
    """
    corner = view.corner_of(remark)
    if corner is None or any(view.names(remark, m) for m in view.mistakes):
        return None
    opposite = {FT.Value("FEEDBACK_TYPE_BRAKE_EARLY"): "brake_late", FT.Value("FEEDBACK_TYPE_BRAKE_LATE"): "brake_early"}
    if remark.type in opposite and any(m["kind"] == opposite[remark.type] and m.get("corner") == corner
                                       for m in view.mistakes):
        return f"truth at T{corner} is {opposite[remark.type].replace('_', '-')}"
    mine, ref = _pass(view, corner), _pass(reference, corner)
    if mine is None or ref is None:
        return None
    length = view.length_m
    if remark.type in (FT.Value("FEEDBACK_TYPE_BRAKE_EARLY"), FT.Value("FEEDBACK_TYPE_BRAKE_LATE")):
        sign = -1 if remark.type == FT.Value("FEEDBACK_TYPE_BRAKE_EARLY") else 1
        diffs = _brake_diffs(mine, ref, length)
        if diffs and all(sign * d <= BRAKE_TOLERANCE_M for d in diffs.values()):
            return ", ".join(f"truth {name} {d:+.1f} m against the reference" for name, d in diffs.items())
        return None
    if remark.type == FT.Value("FEEDBACK_TYPE_LATE_THROTTLE"):
        d = _diff(mine, ref, "throttle_point_m", length)
        return f"truth throttle point {d:+.1f} m against the reference" if d is not None and d <= THROTTLE_TOLERANCE_M else None
    if remark.type == FT.Value("FEEDBACK_TYPE_LOW_APEX_SPEED"):
        d = (mine["apex_speed_mps"] - ref["apex_speed_mps"]) * 3.6
        return f"truth apex speed {d:+.1f} km/h against the reference" if d >= -APEX_TOLERANCE_KPH else None
    return None


def truth_supports(*, view: LapView, remark: coaching_pb2.Feedback, reference: LapView | None) -> bool:
    """Whether the truth's passes of the remark's corner bear it out though no mistake was injected there: the
    driver's variability really braked :data:`SUPPORT_BRAKE_M` earlier (later: where braking starts or its
    last application), took the apex
    :data:`SUPPORT_APEX_KPH` slower, or reached full throttle :data:`SUPPORT_THROTTLE_M` later than on the reference."""
    corner = view.corner_of(remark)
    mine, ref = (_pass(view, corner), _pass(reference, corner)) if corner is not None else (None, None)
    if mine is None or ref is None:
        return False
    length = view.length_m
    if remark.type in (FT.Value("FEEDBACK_TYPE_BRAKE_EARLY"), FT.Value("FEEDBACK_TYPE_BRAKE_LATE")):
        sign = -1 if remark.type == FT.Value("FEEDBACK_TYPE_BRAKE_EARLY") else 1
        return any(sign * d >= SUPPORT_BRAKE_M for d in _brake_diffs(mine, ref, length).values())
    if remark.type == FT.Value("FEEDBACK_TYPE_LATE_THROTTLE"):
        d = _diff(mine, ref, "throttle_point_m", length)
        return d is not None and d >= SUPPORT_THROTTLE_M
    if remark.type == FT.Value("FEEDBACK_TYPE_LOW_APEX_SPEED"):
        return (mine["apex_speed_mps"] - ref["apex_speed_mps"]) * 3.6 <= -SUPPORT_APEX_KPH
    return False


def _support_evidence(*, view: LapView, remark: coaching_pb2.Feedback, reference: LapView | None) -> str:
    """What the truth's passes say of the remark's corner against the reference (for the remarks it bears out)."""
    corner = view.corner_of(remark)
    mine, ref = _pass(view, corner), _pass(reference, corner)
    length = view.length_m
    said = [f"{name} {d:+.1f} m" for name, d in _brake_diffs(mine, ref, length).items()]
    throttle = _diff(mine, ref, "throttle_point_m", length)
    if throttle is not None:
        said.append(f"throttle point {throttle:+.1f} m")
    said.append(f"apex {(mine['apex_speed_mps'] - ref['apex_speed_mps']) * 3.6:+.1f} km/h")
    return ", ".join(said)


def harmful_remarks(*, laps: Sequence[LapView], references: Mapping[str, LapView]) -> list[dict[str, Any]]:
    """Problem remarks of judged laps whose advice contradicts the truth, with the reason."""
    found = []
    for view in filter(is_judged, laps):
        reference = references.get(view.report.reference_lap_id)
        for remark in problem_remarks(view.report):
            reason = harm_reason(view=view, remark=remark, reference=reference)
            if reason is not None:
                found.append({"lap": view.label, "remark": _describe_remark(view, remark), "why": reason})
    return found


def unmapped_remarks(*, laps: Sequence[LapView]) -> list[dict[str, Any]]:
    """Problem remarks of judged laps whose corner maps to no truth corner (a LIFT without a corner is placed by distance)."""
    found = []
    for view in filter(is_judged, laps):
        for remark in problem_remarks(view.report):
            if remark.type == FT.Value("FEEDBACK_TYPE_LIFT") and not remark.corner_number:
                continue
            if view.corner_of(remark) is None:
                found.append({"lap": view.label, "remark": _describe_remark(view, remark)})
    return found


def false_alarms(*, laps: Sequence[LapView]) -> list[dict[str, Any]]:
    """Problem remarks on judged laps that have no truth mistake."""
    return [{"lap": view.label, "remark": _describe_remark(view, remark)}
            for view in filter(is_judged, laps) if not view.mistakes
            for remark in problem_remarks(view.report)]


def brake_point_errors(*, laps: Sequence[LapView]) -> tuple[list[float], int]:
    """|analysis − truth| brake point (m) per braking truth corner of the judged laps, and how many such corners.

    The analysis brake point is that of the last braking zone into the analysis corner mapped
    to the truth corner; a truth corner without one counts in the total, not in the errors.
    """
    errors: list[float] = []
    total = 0
    for view in filter(is_judged, laps):
        for passed in view.lap_truth["corners"]:
            if passed.get("brake_point_m") is None:
                continue
            total += 1
            track_corner = next((c for c in view.truth_corners if c["corner"] == passed["corner"]), passed)
            corner = analysis_corner_for(truth_corner=track_corner, analysis=view.analysis, length_m=view.length_m)
            if corner is None:
                continue
            zones = [z for z in view.analysis.braking_zones if z.corner_number == corner.number]
            if zones:
                errors.append(abs(lap_distance(zones[-1].brake_point_m, passed["brake_point_m"], length_m=view.length_m)))
    return errors, total


def lap_time_errors(*, laps: Sequence[LapView]) -> list[float]:
    """|analysis − truth| lap time (s) of every timed lap with a lap time."""
    errors = []
    for view in laps:
        lap, measured = view.lap_truth, view.lap_time_s()
        if lap is not None and measured is not None:
            errors.append(abs(measured - lap["lap_time_s"]))
    return errors
