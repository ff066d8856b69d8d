"""Official turn numbers and names from ``data/corner_names.json``, matched to corners by position.

Each known circuit lists its turns by where the apex lies as a fraction of the lap. A catalogue
corner takes the label of the reference turn nearest its apex (one to one, same direction, within
``NAME_MATCH_M``); corners of circuits the file does not know, or matching no listed turn, stay
unnamed (their catalogue number is all they have). Labels read "Remus (T3)", "T5" where only the
number is known, or "Druids" where only the name is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from racecoach.services.analysis.track_model import match_corners

NAME_MATCH_M = 60.0
_DIRECTIONS = {"left": 1, "right": 2}  # CornerDirection values


@dataclass(frozen=True)
class ReferenceTurn:
    """One official turn: its apex as a fraction of the lap, direction and label."""

    apex_fraction: float
    direction: int
    label: str


@dataclass(frozen=True)
class TrackReference:
    """A circuit's official turns on its known layouts."""

    track: str
    length_m: float
    turns: tuple[ReferenceTurn, ...]


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def turn_label(*, turn: int | None, name: str | None) -> str:
    """How a turn is called: "Name (T3)", "T3" or "Name"."""
    if turn and name:
        return f"{name} (T{turn})"
    return f"T{turn}" if turn else (name or "")


@lru_cache(maxsize=1)
def _references() -> dict[tuple[str, str], TrackReference]:
    text = (resources.files("racecoach.services.analysis") / "data" / "corner_names.json").read_text(encoding="utf-8")
    found: dict[tuple[str, str], TrackReference] = {}
    for track in json.loads(text)["tracks"]:
        turns = tuple(
            ReferenceTurn(apex_fraction=float(t["apex_fraction"]), direction=_DIRECTIONS.get(t.get("direction", ""), 0),
                          label=turn_label(turn=t.get("turn"), name=t.get("name")))
            for t in track["turns"]
        )
        reference = TrackReference(track=track["track"], length_m=float(track["length_m"]), turns=turns)
        for alias in (track["track"], *track.get("aliases", ())):
            for layout in track.get("layouts", ("",)):
                found[(_key(alias), _key(layout))] = reference
    return found


def reference_for(*, track_name: str, layout: str) -> TrackReference | None:
    """The official turns of ``track_name`` on ``layout`` (names compared ignoring case and punctuation)."""
    return _references().get((_key(track_name), _key(layout)))


def name_corners(*, track_name: str, layout: str, apexes_m: Sequence[float], directions: Sequence[int],
                 length_m: float = 0.0) -> list[str]:
    """The label of each corner (apex metres from the line, direction), "" where none is known.

    ``length_m`` is the lap length the apexes are measured on (the file's own when 0)."""
    reference = reference_for(track_name=track_name, layout=layout)
    if reference is None or not apexes_m:
        return [""] * len(apexes_m)
    length = length_m if length_m > 0 else reference.length_m
    index = match_corners(
        apexes_m=apexes_m, catalogue_apexes_m=[t.apex_fraction * length for t in reference.turns], tolerance_m=NAME_MATCH_M,
        directions=directions, catalogue_directions=[t.direction for t in reference.turns],
    )
    return [reference.turns[k - 1].label if k else "" for k in index]
