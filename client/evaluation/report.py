"""The evaluation's summary: every metric of :mod:`.judge` over a run's laps, as data and as text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .judge import (
    LapView,
    brake_point_errors,
    detection,
    false_alarms,
    harmful_remarks,
    is_judged,
    lap_time_errors,
    reference_index,
    top_advice,
    unmapped_remarks,
)
from .places import PLACE_TOLERANCE_M, corner_places, with_places

__all__ = ["format_summary", "spread", "summarize"]

WORST_CASES = 5


def spread(values: Sequence[float]) -> dict[str, float | int | None]:
    """Median, 95th percentile, max and count of ``values`` (``None`` where there are none)."""
    if not values:
        return {"median": None, "p95": None, "max": None, "count": 0}
    array = np.asarray(values, dtype=float)
    return {"median": round(float(np.median(array)), 4), "p95": round(float(np.percentile(array, 95)), 4),
            "max": round(float(array.max()), 4), "count": len(array)}


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summarize(*, views: Sequence[LapView], sessions: int) -> dict[str, Any]:
    """Every metric over ``views`` (the timed laps of all sessions of a run), JSON-serialisable."""
    views = with_places(views)
    references = reference_index(views)
    kinds = detection(laps=views, references=references)
    instances = sum(k.instances for k in kinds.values())
    remarks = sum(k.remarks for k in kinds.values())
    advice = top_advice(laps=views, references=references)
    bp_errors, braking_corners = brake_point_errors(laps=views)
    return {
        "sessions": sessions,
        "timed_laps": len(views),
        "judged_laps": sum(1 for v in views if is_judged(v)),
        "kinds": {
            kind: {"instances": s.instances, "negligible": s.negligible, "found": s.found, "recall": _ratio(s.recall), "remarks": s.remarks,
                   "correct": s.correct, "precision": _ratio(s.precision),
                   "supported": s.supported, "precision_supported": _ratio(s.precision_supported),
                   "time_cost_mae_s": round(float(np.mean(s.cost_errors_s)), 4) if s.cost_errors_s else None,
                   "missed": s.missed, "wrong": s.wrong, "borne": s.borne}
            for kind, s in kinds.items()
        },
        "recall": _ratio(sum(k.found for k in kinds.values()) / instances if instances else None),
        "precision": _ratio(sum(k.correct for k in kinds.values()) / remarks if remarks else None),
        "precision_supported": _ratio(sum(k.correct + k.supported for k in kinds.values()) / remarks if remarks else None),
        "top_advice": {"share": _ratio(advice.share), "laps": advice.laps, "correct": advice.correct,
                       "misses": advice.misses, "silent_laps": advice.silent,
                       "lost_without_mistake": advice.without_mistake, "unknown_reference": advice.unknown_reference},
        "harmful": harmful_remarks(laps=views, references=references),
        "unmapped": unmapped_remarks(laps=views),
        "false_alarms": false_alarms(laps=views),
        "brake_point_error_m": {**spread(bp_errors), "braking_corners": braking_corners},
        "lap_time_error_s": spread(lap_time_errors(laps=views)),
        "corner_places": corner_places(laps=views),
    }


def _pct(value: float | None) -> str:
    return "   —" if value is None else f"{100 * value:3.0f}%"


def _num(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def format_summary(summary: dict[str, Any]) -> str:
    """The printed form of :func:`summarize`'s result."""
    lines = [f"{summary['sessions']} sessions, {summary['timed_laps']} timed laps, {summary['judged_laps']} judged",
             "", f"{'mistake':<16}{'instances':>10}{'recall':>8}{'remarks':>9}{'precision':>10}{'+ true':>8}{'cost MAE':>10}"]
    for kind, s in summary["kinds"].items():
        mae = "—" if s["time_cost_mae_s"] is None else f"{s['time_cost_mae_s']:.2f} s"
        lines.append(f"{kind.replace('_', '-'):<16}{s['instances']:>10}{_pct(s['recall']):>8}{s['remarks']:>9}"
                     f"{_pct(s['precision']):>10}{_pct(s.get('precision_supported')):>8}{mae:>10}")
    lines.append(f"{'all':<16}{sum(s['instances'] for s in summary['kinds'].values()):>10}{_pct(summary['recall']):>8}"
                 f"{sum(s['remarks'] for s in summary['kinds'].values()):>9}{_pct(summary['precision']):>10}"
                 f"{_pct(summary.get('precision_supported')):>8}")
    lines.append("(precision: remarks naming an injected mistake; + true: also those the truth's own passes bear out)")
    negligible = sum(s.get("negligible", 0) for s in summary["kinds"].values())
    if negligible:
        lines.append(f"({negligible} injected mistakes cost under 0.01 s on their lap and are not counted)")
    advice = summary["top_advice"]
    bp, lt = summary["brake_point_error_m"], summary["lap_time_error_s"]
    lines += [
        "",
        (f"top advice        {_pct(advice['share'])} of {advice['laps']} laps that lost ≥ 0.1 s"
         + (f" ({len(advice['lost_without_mistake'])} more lost time without a mistake)" if advice["lost_without_mistake"] else "")),
        (f"silent laps       {len(advice['silent_laps'])} lost ≥ 0.1 s without a problem remark"
         + (f": {', '.join(advice['silent_laps'][:WORST_CASES])}" if advice["silent_laps"] else "")
         + (", …" if len(advice["silent_laps"]) > WORST_CASES else "")),
        f"harmful remarks   {len(summary['harmful'])}",
        f"unmapped remarks  {len(summary['unmapped'])}",
        f"false alarms      {len(summary['false_alarms'])} (problem remarks on laps without a mistake)",
        (f"brake-point error median {_num(bp['median'], '.1f')} m, p95 {_num(bp['p95'], '.1f')} m, "
         f"max {_num(bp['max'], '.1f')} m ({bp['count']} of {bp['braking_corners']} braking corners matched)"),
        f"lap-time error    median {_num(lt['median'], '.3f')} s, max {_num(lt['max'], '.3f')} s ({lt['count']} laps)",
    ]
    places = summary.get("corner_places")
    if places and places["corners"]:
        clean, mistaken = places["without_mistake"], places["with_mistake"]

        def share(part: int, whole: int) -> str:
            return _pct(part / whole if whole else None).strip()

        lines.append(
            f"corner places     {places['corners']} corners; on {clean['laps']} laps without a mistake "
            f"{share(clean['held'], clean['pairs'])} found, {share(clean['in_place'], clean['pairs'])} within "
            f"{PLACE_TOLERANCE_M:.0f} m (max {_num(clean['max_off_m'], '.1f')} m); on {mistaken['laps']} with one "
            f"{share(mistaken['held'], mistaken['pairs'])} found, {share(mistaken['in_place'], mistaken['pairs'])} within")
    missed = sorted((m for s in summary["kinds"].values() for m in s["missed"]), key=lambda m: -m["cost_s"])
    if missed:
        lines += ["", "costliest missed mistakes:"]
        lines += [f"  {m['lap']}: {m['truth']}" for m in missed[:WORST_CASES]]
    if advice["misses"]:
        lines += ["", "worst top-advice misses:"]
        lines += [f"  {m['lap']} (+{m['lost_s']:.2f} s): truth {m['truth']}; report first: {m['first_remark']}"
                  for m in advice["misses"][:WORST_CASES]]
    if summary["harmful"]:
        lines += ["", "harmful remarks:"]
        lines += [f"  {h['lap']}: {h['remark']}: {h['why']}" for h in summary["harmful"][:WORST_CASES]]
    return "\n".join(lines)
