"""Track model: a layout's corners by consensus over every valid lap seen, with stable numbers.

The rules, in the order a lap goes through them (:func:`observe_lap`):

* **Matching.** A lap's corners are matched to the published corners one to one, nearest apex
  first, within ``CORNER_MATCH_M``, and only to a corner turning the same way. Ties go to the
  earlier lap corner and then to the earlier catalogue corner (apex order), so a complex is cut
  the same way every time: two lap apexes near one catalogue corner give it to the nearer (the
  other is left out), one lap apex between two catalogue corners takes the nearer one of its
  direction (the earlier on a tie).
* **Refining.** A matched corner moves to the median of its last ``WINDOW`` positions, by at most
  ``MAX_STEP_M`` per lap: a lap can never drag a corner away, and numbers never follow it.
* **Candidates.** Lap corners that match no published corner are clustered (same direction, same
  tolerance) into candidates. A candidate is published when it was seen on at least
  max(``MIN_LAPS_TO_PUBLISH``, half) of the laps observed since it was first seen, unless it lies
  within ``MIN_SEPARATION_M`` of a published corner of its direction (that one claims it).
* **Numbers.** Until something is published, the stream's first valid lap numbers its corners
  1..N in apex order and later laps take those numbers by matching. The first publication keeps
  them (a spurious first-lap corner leaves its number unused, so numbers may have gaps), and
  numbers corners the first lap missed after them. A corner published later (seen at least
  ``MIN_SIGHTINGS_TO_ADD`` times as well) gets the next number after the highest ever given
  (appended, not slotted in between): a published
  corner keeps its number for as long as it is published, so "Turn 3" is the same place on every
  lap and in every stored session. A corner seen on fewer than ``DROP_SHARE`` of at least
  ``DROP_AFTER_LAPS`` laps is dropped and its number is not given again in this stream.
* **Versions.** Each change of the published set (corners added or dropped) bumps ``version``
  once for the lap that caused it; the caller logs it. Refinements alone do not.

Counts behind the publish and drop rules are this stream's own (candidates are not stored): a
catalogue loaded from storage starts with every published corner at zero laps observed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

CORNER_MATCH_M = 50.0
MAX_STEP_M = 3.0
WINDOW = 15
STORED_WEIGHT = 7
MIN_LAPS_TO_PUBLISH = 2
MIN_SIGHTINGS_TO_ADD = 3
MIN_SEPARATION_M = 25.0
DROP_SHARE = 0.25
DROP_AFTER_LAPS = 8
MAX_CANDIDATES = 64

Sighting = tuple[float, float, float]  # entry, apex, exit (m from the line)


@dataclass(frozen=True)
class LapCorner:
    """What the model needs of one corner found on a lap."""

    entry_m: float
    apex_m: float
    exit_m: float
    direction: int


@dataclass
class ModelCorner:
    """A published corner (``number`` ≥ 1) or a candidate (``number`` 0) with its evidence."""

    direction: int
    entry_m: float
    apex_m: float
    exit_m: float
    number: int = 0
    laps_seen: int = 0  # every sighting, stored ones included
    stream_seen: int = 0  # sightings in this stream
    stream_laps: int = 0  # laps observed in this stream since first seen (or loaded)
    recent: list[Sighting] = field(default_factory=list)
    name: str = ""
    provisional: int = 0  # the number the stream's first lap gave it while nothing was published


@dataclass
class TrackModel:
    """Published corners (apex order) and candidates of one layout."""

    published: list[ModelCorner] = field(default_factory=list)
    candidates: list[ModelCorner] = field(default_factory=list)
    laps_observed: int = 0
    next_number: int = 1
    version: int = 0


@dataclass(frozen=True)
class LapChanges:
    """What one lap did to the model: numbers added and dropped, and whether positions moved."""

    added: tuple[int, ...] = ()
    dropped: tuple[int, ...] = ()
    refined: bool = False

    @property
    def set_changed(self) -> bool:
        return bool(self.added or self.dropped)


def match_corners(*, apexes_m: Sequence[float], catalogue_apexes_m: Sequence[float], tolerance_m: float = CORNER_MATCH_M,
                  directions: Sequence[int] | None = None, catalogue_directions: Sequence[int] | None = None) -> list[int]:
    """The catalogue index + 1 of each lap corner, 0 where none is within ``tolerance_m``.

    Pairs are taken nearest first (ties: earlier lap corner, then earlier catalogue corner), each
    catalogue corner is given to at most one lap corner, and where both directions are known a
    corner only matches one turning the same way.
    """
    found = np.asarray(apexes_m, dtype=np.float64)
    known = np.asarray(catalogue_apexes_m, dtype=np.float64)
    numbers = [0] * len(found)
    if not len(found) or not len(known):
        return numbers
    gap = np.abs(found[:, None] - known[None, :])
    if directions is not None and catalogue_directions is not None:
        d_found = np.asarray(directions)[:, None]
        d_known = np.asarray(catalogue_directions)[None, :]
        gap[(d_found != 0) & (d_known != 0) & (d_found != d_known)] = np.inf
    taken_found, taken_known = set(), set()
    for flat in np.argsort(gap, axis=None, kind="stable"):
        i, k = divmod(int(flat), len(known))
        if gap[i, k] > tolerance_m:
            break
        if i in taken_found or k in taken_known:
            continue
        numbers[i] = k + 1
        taken_found.add(i)
        taken_known.add(k)
    return numbers


def model_from_stored(*, corners: Sequence, version: int) -> TrackModel:
    """A model holding a stored catalogue (``TrackCorner``-like objects); its positions count as
    ``min(laps_seen, STORED_WEIGHT)`` sightings in the medians that refine them."""
    published = [
        ModelCorner(direction=int(c.direction), entry_m=c.entry_m, apex_m=c.apex_m, exit_m=c.exit_m, number=c.number,
                    laps_seen=c.laps_seen or 1, name=c.name,
                    recent=[(c.entry_m, c.apex_m, c.exit_m)] * max(1, min(c.laps_seen or 1, STORED_WEIGHT)))
        for c in corners
    ]
    published.sort(key=lambda c: (c.apex_m, c.number))
    top = max((c.number for c in published), default=0)
    return TrackModel(published=published, next_number=top + 1, version=version)


def provisional_numbers(*, model: TrackModel, corners: Sequence[LapCorner]) -> list[int]:
    """Numbers for a lap while nothing is published: those the first lap gave the candidates each
    corner matches, 0 for none; on the very first lap, the lap's own apex order."""
    if not model.candidates:
        return _apex_ranks(corners)
    ranked = sorted((c for c in model.candidates if c.provisional), key=lambda c: c.apex_m)
    index = match_corners(apexes_m=[c.apex_m for c in corners], catalogue_apexes_m=[c.apex_m for c in ranked],
                          directions=[c.direction for c in corners], catalogue_directions=[c.direction for c in ranked])
    return [ranked[k - 1].provisional if k else 0 for k in index]


def _apex_ranks(corners: Sequence[LapCorner]) -> list[int]:
    order = sorted(range(len(corners)), key=lambda i: corners[i].apex_m)
    numbers = [0] * len(corners)
    for rank, i in enumerate(order, start=1):
        numbers[i] = rank
    return numbers


def published_numbers(*, model: TrackModel, corners: Sequence[LapCorner]) -> list[int]:
    """The published number of each lap corner, 0 where it matches none."""
    index = match_corners(apexes_m=[c.apex_m for c in corners], catalogue_apexes_m=[c.apex_m for c in model.published],
                          directions=[c.direction for c in corners],
                          catalogue_directions=[c.direction for c in model.published])
    return [model.published[k - 1].number if k else 0 for k in index]


def _absorb(corner: ModelCorner, seen: LapCorner, *, max_step_m: float | None) -> None:
    """Add one sighting; move to the median of the recent ones (by at most ``max_step_m``)."""
    corner.recent.append((seen.entry_m, seen.apex_m, seen.exit_m))
    del corner.recent[:-WINDOW]
    corner.laps_seen += 1
    corner.stream_seen += 1
    target = np.median(np.asarray(corner.recent), axis=0)
    now = np.array([corner.entry_m, corner.apex_m, corner.exit_m])
    step = target - now
    if max_step_m is not None:
        step = np.clip(step, -max_step_m, max_step_m)
    corner.entry_m, corner.apex_m, corner.exit_m = (float(x) for x in now + step)


def _qualifies(candidate: ModelCorner, *, published: Sequence[ModelCorner]) -> bool:
    wanted = max(MIN_LAPS_TO_PUBLISH if not published else MIN_SIGHTINGS_TO_ADD, math.ceil(candidate.stream_laps / 2))
    if candidate.stream_seen < wanted:
        return False
    return not any(p.direction == candidate.direction and abs(p.apex_m - candidate.apex_m) < MIN_SEPARATION_M
                   for p in published)


def _fading(corner: ModelCorner) -> bool:
    return corner.stream_laps >= DROP_AFTER_LAPS and corner.stream_seen < DROP_SHARE * corner.stream_laps


def observe_lap(*, model: TrackModel, corners: Sequence[LapCorner]) -> LapChanges:
    """Take in one valid lap's corners (updates ``model`` in place) and say what changed."""
    first = not model.published and not model.candidates
    model.laps_observed += 1
    for c in (*model.published, *model.candidates):
        c.stream_laps += 1
    numbers = published_numbers(model=model, corners=corners)
    by_number = {c.number: c for c in model.published}
    for seen, number in zip(corners, numbers):
        if number:
            _absorb(by_number[number], seen, max_step_m=MAX_STEP_M)
    refined = any(numbers)  # positions may move, laps_seen grew
    rest = [seen for seen, number in zip(corners, numbers) if not number]
    ranked = sorted(model.candidates, key=lambda c: c.apex_m)
    index = match_corners(apexes_m=[c.apex_m for c in rest], catalogue_apexes_m=[c.apex_m for c in ranked],
                          directions=[c.direction for c in rest], catalogue_directions=[c.direction for c in ranked])
    ranks = _apex_ranks(rest) if first else [0] * len(rest)
    for seen, k, rank in zip(rest, index, ranks):
        if k:
            _absorb(ranked[k - 1], seen, max_step_m=None)
        else:
            fresh = ModelCorner(direction=seen.direction, entry_m=seen.entry_m, apex_m=seen.apex_m, exit_m=seen.exit_m,
                                stream_laps=1, provisional=rank)
            _absorb(fresh, seen, max_step_m=None)
            model.candidates.append(fresh)

    ready = sorted((c for c in model.candidates if _qualifies(c, published=model.published)), key=lambda c: c.apex_m)
    if ready and not model.published:  # the first publication keeps the first lap's numbers
        for c in ready:
            c.number = c.provisional
        given = [c.provisional for c in model.candidates if c.provisional]
        model.next_number = max(model.next_number, max(given, default=0) + 1)
    added = []
    for c in ready:
        if not c.number:
            c.number = model.next_number
            model.next_number += 1
        added.append(c.number)
    dropped = [c.number for c in model.published if _fading(c)]
    if dropped:
        model.published = [c for c in model.published if c.number not in dropped]
    model.candidates = [c for c in model.candidates if not c.number and not _fading(c)]
    model.candidates.sort(key=lambda c: (-c.stream_seen, c.apex_m))
    del model.candidates[MAX_CANDIDATES:]
    model.published = sorted((*model.published, *ready), key=lambda c: (c.apex_m, c.number))
    if added or dropped:
        model.version += 1
    return LapChanges(added=tuple(added), dropped=tuple(dropped), refined=refined or bool(added or dropped))
