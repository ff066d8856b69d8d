"""Which remark of a report is about which truth corner and which injected mistake.

Distances are along the lap and wrap at the track length. A remark's corner is the analysis
corner with its ``corner_number``; that corner's apex is mapped to the nearest truth apex
within :data:`CORNER_MATCH_M`. A remark and a truth mistake match when the remark's type is
the mistake's kind and it is about the mistake's corner; a lift matches a LIFT remark within
:data:`LIFT_MATCH_M` of where it happened (or inside its ``start_m``..``end_m`` where the
truth has them), or one that names the corner whose straight holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2

__all__ = [
    "CORNER_MATCH_M",
    "KIND_TYPES",
    "LIFT_MATCH_M",
    "analysis_corner_for",
    "feedback_kind",
    "lap_distance",
    "matches",
    "mistake_cost_s",
    "nearest_truth_corner",
    "problem_remarks",
    "remark_truth_corner",
    "straight_owner",
]

CORNER_MATCH_M = 40.0
LIFT_MATCH_M = 150.0
FT = coaching_pb2.FeedbackType
KIND_TYPES: dict[str, int] = {
    "brake_early": FT.Value("FEEDBACK_TYPE_BRAKE_EARLY"),
    "brake_late": FT.Value("FEEDBACK_TYPE_BRAKE_LATE"),
    "low_apex_speed": FT.Value("FEEDBACK_TYPE_LOW_APEX_SPEED"),
    "late_throttle": FT.Value("FEEDBACK_TYPE_LATE_THROTTLE"),
    "coasting": FT.Value("FEEDBACK_TYPE_COASTING"),
    "lift": FT.Value("FEEDBACK_TYPE_LIFT"),
}
_TYPE_KINDS = {value: kind for kind, value in KIND_TYPES.items()}
# Feedback types that are not technique problems: praise, and incidents or notes where the contract has them.
NOT_PROBLEMS = frozenset(
    value for name, value in FT.items()
    if name.endswith(("_UNSPECIFIED", "_STRENGTH")) or "INCIDENT" in name or "NOTE" in name
)


def lap_distance(a: float, b: float, *, length_m: float) -> float:
    """Signed ``a - b`` along the lap, folded into (-length/2, length/2]."""
    if length_m <= 0:
        return a - b
    d = (a - b) % length_m
    return d - length_m if d > length_m / 2 else d


def feedback_kind(feedback_type: int) -> str | None:
    """The mistake kind a feedback type names (``None`` for other types)."""
    return _TYPE_KINDS.get(feedback_type)


def problem_remarks(report: coaching_pb2.LapReport) -> list[coaching_pb2.Feedback]:
    """The report's remarks about problems (not praise, incidents or notes), in report order."""
    return [f for f in report.feedback if f.type not in NOT_PROBLEMS]


def nearest_truth_corner(*, apex_m: float, truth_corners: Sequence[Mapping[str, Any]], length_m: float,
                         within_m: float = CORNER_MATCH_M) -> int | None:
    """The number of the truth corner whose apex is nearest ``apex_m``, if within ``within_m``."""
    best, best_d = None, within_m
    for corner in truth_corners:
        d = abs(lap_distance(apex_m, corner["apex_m"], length_m=length_m))
        if d <= best_d:
            best, best_d = int(corner["corner"]), d
    return best


def remark_truth_corner(*, remark: coaching_pb2.Feedback, analysis: analysis_pb2.LapAnalysis,
                        truth_corners: Sequence[Mapping[str, Any]], length_m: float) -> int | None:
    """The truth corner a remark is about, or ``None`` when its corner cannot be mapped."""
    if not remark.corner_number:
        return None
    for corner in analysis.corners:
        if corner.number == remark.corner_number:
            return nearest_truth_corner(apex_m=corner.apex_m, truth_corners=truth_corners, length_m=length_m)
    return None


def analysis_corner_for(*, truth_corner: Mapping[str, Any], analysis: analysis_pb2.LapAnalysis,
                        length_m: float) -> analysis_pb2.Corner | None:
    """The analysis corner whose apex is nearest the truth corner's, within :data:`CORNER_MATCH_M`."""
    best, best_d = None, CORNER_MATCH_M
    for corner in analysis.corners:
        d = abs(lap_distance(corner.apex_m, truth_corner["apex_m"], length_m=length_m))
        if d <= best_d:
            best, best_d = corner, d
    return best


def straight_owner(*, at_m: float, truth_corners: Sequence[Mapping[str, Any]], length_m: float) -> int | None:
    """The corner whose straight holds ``at_m``: the last corner with its apex at or before it."""
    if not truth_corners:
        return None
    behind = min(truth_corners, key=lambda c: (at_m - c["apex_m"]) % length_m)
    return int(behind["corner"])


def mistake_cost_s(mistake: Mapping[str, Any]) -> float:
    """The true time cost of a mistake: ``time_cost_s`` where the truth has it, else the expected cost."""
    cost = mistake.get("time_cost_s")
    return float(cost if cost is not None else mistake.get("expected_time_cost_s") or 0.0)


def _lift_matches(remark: coaching_pb2.Feedback, mistake: Mapping[str, Any], *, mapped: int | None,
                  truth_corners: Sequence[Mapping[str, Any]], length_m: float) -> bool:
    at = mistake.get("at_m")
    if at is None:
        return False
    if abs(lap_distance(remark.distance_m, at, length_m=length_m)) <= LIFT_MATCH_M:
        return True
    start, end = mistake.get("start_m"), mistake.get("end_m")
    if start is not None and end is not None and (remark.distance_m - start) % length_m <= (end - start) % length_m:
        return True
    return mapped is not None and mapped == straight_owner(at_m=at, truth_corners=truth_corners, length_m=length_m)


def matches(*, remark: coaching_pb2.Feedback, mistake: Mapping[str, Any], mapped: int | None,
            truth_corners: Sequence[Mapping[str, Any]], length_m: float) -> bool:
    """Whether ``remark`` (about truth corner ``mapped``) names ``mistake``: right cause and place."""
    if feedback_kind(remark.type) != mistake["kind"]:
        return False
    if mistake["kind"] == "lift":
        return _lift_matches(remark, mistake, mapped=mapped, truth_corners=truth_corners, length_m=length_m)
    return mapped is not None and mapped == mistake.get("corner")
