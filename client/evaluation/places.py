"""Corner places: whether each catalogue corner is found, with its number, at the same place on every lap.

A corner's place is the median of its apex over the track's valid timed laps without a mistake
(the laps the consensus catalogue is about). Per track, every corner number analysis gave on a
valid lap is expected on every valid lap; a lap *holds* a corner when it numbers it, and holds it
*in place* when its apex lies within :data:`PLACE_TOLERANCE_M` of the place. Laps with a mistake
are counted apart: an overshoot or a low minimum speed really moves the slowest point.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from .judge import LapView
from .matching import lap_distance

__all__ = ["PLACE_TOLERANCE_M", "catalogue_places", "corner_places", "with_places"]

PLACE_TOLERANCE_M = 20.0


def _track(view: LapView) -> str:
    return view.session.rsplit(" s", 1)[0]


def _tally(laps: Sequence[LapView], places: dict[str, dict[int, float]]) -> dict[str, Any]:
    pairs = held = in_place = 0
    worst = 0.0
    for view in laps:
        expected = places.get(_track(view), {})
        apexes = {c.number: c.apex_m for c in view.analysis.corners}
        for number, place in expected.items():
            pairs += 1
            if number not in apexes:
                continue
            held += 1
            off = abs(lap_distance(apexes[number], place, length_m=view.length_m))
            worst = max(worst, off)
            in_place += off <= PLACE_TOLERANCE_M
    return {"laps": len(laps), "pairs": pairs, "held": held, "in_place": in_place,
            "max_off_m": round(worst, 1) if held else None}


def catalogue_places(*, laps: Sequence[LapView]) -> dict[str, dict[int, float]]:
    """Track → corner number → its place (the median apex over the valid laps without a mistake)."""
    valid = [v for v in laps if v.lap_truth is not None and v.analysis.valid]
    seen: dict[str, set[int]] = defaultdict(set)
    for view in valid:
        seen[_track(view)] |= {c.number for c in view.analysis.corners}
    apexes: dict[tuple[str, int], list[float]] = defaultdict(list)
    for view in valid:
        if not view.mistakes:
            for corner in view.analysis.corners:
                apexes[(_track(view), corner.number)].append(corner.apex_m)
    places: dict[str, dict[int, float]] = defaultdict(dict)
    for track, numbers in seen.items():
        for number in numbers:
            if apexes.get((track, number)):
                places[track][number] = float(np.median(apexes[(track, number)]))
    return dict(places)


def with_places(laps: Sequence[LapView]) -> list[LapView]:
    """The views, each knowing its track's corner places: a remark on corner N is judged at N's place, as the
    driver reading it finds the corner, not where this lap's slowest point moved to (an overshoot moves it)."""
    places = catalogue_places(laps=laps)
    return [dataclasses.replace(view, places=places.get(_track(view), {})) for view in laps]


def corner_places(*, laps: Sequence[LapView]) -> dict[str, Any]:
    """Held and in-place counts of (lap, corner) pairs, for laps without and with a mistake."""
    valid = [v for v in laps if v.lap_truth is not None and v.analysis.valid]
    clean = [v for v in valid if not v.mistakes]
    places = catalogue_places(laps=laps)
    return {"corners": sum(len(p) for p in places.values()), "without_mistake": _tally(clean, places),
            "with_mistake": _tally([v for v in valid if v.mistakes], places)}
