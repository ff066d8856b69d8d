"""Live cues: from the last lap against the reference, cue each corner ahead of where it matters.

A :class:`LiveCoach` is given the context (session, reference lap, last lap), plans at most
one cue per corner (the first along the corner of: brake point, apex speed, throttle,
coasting) and is then fed batches of channel arrays. A cue is issued when the car's
distance to the cue's target, measured forward along the lap (so across the start/finish
line too), first drops to the lead distance ``clip(speed × lead_time_s, min_lead_m,
max_lead_m)``; it is issued once per lap, i.e. once per passage of the target. A cue that
first becomes due with less than half its lead left (the stream started, or samples were
missing, inside the window) is dropped for that passage rather than issued too late.
Every batch is handled with a handful of array operations over (cues × samples).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import laps, rules

CK = coaching_pb2.CueKind
FT = coaching_pb2.FeedbackType

DEFAULT_LEAD_TIME_S = 2.5
DEFAULT_MIN_LEAD_M = 40.0
DEFAULT_MAX_LEAD_M = 250.0
REFIRE_GUARD_S = 5.0  # a cue never repeats within this many seconds, whatever the lap counter says
TOO_LATE_FRACTION = 0.5  # a cue first due with less than this share of its lead left (a gap, a stream start) is dropped
CHANNELS = ("lap_dist_m", "speed_mps", "session_time_s", "lap")


class LiveInputError(ValueError):
    """A batch lacks a channel live coaching needs, or its arrays disagree in length."""


@dataclass(frozen=True)
class PlannedCue:
    """A cue waiting for the car: what to say and where the action applies (m from the line)."""

    corner_number: int
    kind: int
    target_m: float
    text: str


@dataclass(frozen=True)
class Cue:
    """An issued cue: ``lead_distance_m`` is how far before ``target_distance_m`` the car was."""

    session_id: str
    seq: int
    session_time_s: float
    kind: int
    corner_number: int
    target_distance_m: float
    lead_distance_m: float
    text: str


def plan_cues(
    *,
    last_lap: analysis_pb2.LapAnalysis | None,
    reference: analysis_pb2.LapAnalysis | None,
    track_length_m: float = 0.0,
) -> list[PlannedCue]:
    """At most one cue per corner where ``last_lap`` fell short of ``reference``; none without both."""
    if last_lap is None or reference is None:
        return []
    findings = rules.corner_findings(lap=last_lap, reference=reference, track_length_m=track_length_m)
    planned: dict[int, PlannedCue] = {}
    for finding in findings:
        cue = _cue_for(finding, reference)
        if cue is not None and finding.corner_number not in planned:
            planned[finding.corner_number] = cue
    return sorted(planned.values(), key=lambda c: c.target_m)


def _cue_for(f: rules.Finding, reference: analysis_pb2.LapAnalysis) -> PlannedCue | None:
    turn = f"Turn {f.corner_number}"
    if f.type == FT.FEEDBACK_TYPE_BRAKE_EARLY:
        return PlannedCue(
            f.corner_number, CK.CUE_KIND_BRAKE_LATER, f.target_m, f"{turn}: brake {abs(f.delta_value):.0f} m later"
        )
    if f.type == FT.FEEDBACK_TYPE_BRAKE_LATE:
        return PlannedCue(
            f.corner_number, CK.CUE_KIND_BRAKE_EARLIER, f.target_m, f"{turn}: brake {f.delta_value:.0f} m earlier"
        )
    if f.type == FT.FEEDBACK_TYPE_LOW_APEX_SPEED:
        # Apex speed is won on the way in, so the cue points at the reference's brake point (or entry).
        zone = laps.braking_zone_for(reference, f.corner_number)
        ref_corner = laps.corners_by_number(reference).get(f.corner_number)
        target = zone.brake_point_m if zone is not None else (ref_corner.entry_m if ref_corner else f.target_m)
        return PlannedCue(
            f.corner_number,
            CK.CUE_KIND_CARRY_SPEED,
            target,
            f"{turn}: carry {abs(f.delta_value):.0f} km/h more to the apex",
        )
    if f.type == FT.FEEDBACK_TYPE_LATE_THROTTLE:
        return PlannedCue(
            f.corner_number, CK.CUE_KIND_THROTTLE_EARLIER, f.target_m, f"{turn}: throttle {f.delta_value:.0f} m sooner"
        )
    if f.type == FT.FEEDBACK_TYPE_COASTING:
        return PlannedCue(
            f.corner_number, CK.CUE_KIND_NO_COASTING, f.target_m, f"{turn}: brake to throttle, no coasting"
        )
    return None


class LiveCoach:
    """Issues cues for one live session; not thread-safe (one per stream)."""

    def __init__(
        self,
        *,
        lead_time_s: float = DEFAULT_LEAD_TIME_S,
        min_lead_m: float = DEFAULT_MIN_LEAD_M,
        max_lead_m: float = DEFAULT_MAX_LEAD_M,
    ) -> None:
        if lead_time_s <= 0 or min_lead_m < 0 or max_lead_m < min_lead_m:
            raise ValueError("need lead_time_s > 0 and 0 <= min_lead_m <= max_lead_m")
        self.lead_time_s, self.min_lead_m, self.max_lead_m = lead_time_s, min_lead_m, max_lead_m
        self.session_id = ""
        self.length_m = 0.0
        self.plan: list[PlannedCue] = []
        self._targets = np.empty(0)
        self._fired: dict[tuple[int, int], tuple[int, float]] = {}  # (corner, kind) → (passage lap, time s)

    def set_context(
        self,
        *,
        session_id: str,
        reference: analysis_pb2.LapAnalysis | None,
        last_lap: analysis_pb2.LapAnalysis | None,
        track_length_m: float = 0.0,
    ) -> None:
        """Set or replace what to coach against; cues already issued this lap stay issued."""
        self.session_id = session_id
        self.length_m = laps.lap_length_m(reference, last_lap, track_length_m=track_length_m)
        self.plan = (
            plan_cues(last_lap=last_lap, reference=reference, track_length_m=self.length_m) if self.length_m > 0 else []
        )
        self._targets = np.asarray([c.target_m for c in self.plan], dtype=np.float64)

    def lead_m(self, speed_mps: np.ndarray) -> np.ndarray:
        """Lead distance (m) at ``speed_mps``: speed × lead time, clamped to [min_lead_m, max_lead_m]."""
        return np.clip(np.asarray(speed_mps, dtype=np.float64) * self.lead_time_s, self.min_lead_m, self.max_lead_m)

    def feed(self, *, seq: int, arrays: Mapping[str, np.ndarray]) -> list[Cue]:
        """The cues due within this batch, in sample order (vectorised over cues × samples)."""
        missing = [name for name in CHANNELS if name not in arrays]
        if missing:
            raise LiveInputError(f"live coaching needs the channels {', '.join(missing)}, which the batch lacks")
        dist = np.asarray(arrays["lap_dist_m"], dtype=np.float64)
        n = len(dist)
        if any(len(arrays[name]) != n for name in CHANNELS):
            raise LiveInputError("the batch's lap_dist_m, speed_mps, session_time_s and lap arrays differ in length")
        if not self.plan or n == 0:
            return []
        lead = self.lead_m(arrays["speed_mps"])
        targets = self._targets[:, None]
        ahead = np.mod(targets - dist[None, :], self.length_m)  # forward distance to each target, (K, N)
        on_track = np.isfinite(dist) & (dist >= 0)
        hit = (ahead > 0) & (ahead <= lead[None, :]) & on_track[None, :]
        if not hit.any():
            return []
        lap_no = np.asarray(arrays["lap"]).astype(np.int64)
        passage = lap_no[None, :] + (dist[None, :] > targets)  # the lap on which the car reaches the target
        cue_i, sample_i = np.nonzero(hit)
        keys = cue_i.astype(np.int64) * 1_000_000 + passage[cue_i, sample_i]
        _, first = np.unique(keys, return_index=True)
        times = arrays["session_time_s"]
        due: list[Cue] = []
        for j in sorted(first, key=lambda j: (sample_i[j], cue_i[j])):
            k, s = int(cue_i[j]), int(sample_i[j])
            planned, lap_of_passage, time_s = self.plan[k], int(passage[k, s]), float(times[s])
            if ahead[k, s] < TOO_LATE_FRACTION * lead[s]:
                continue
            key = (planned.corner_number, planned.kind)
            previous = self._fired.get(key)
            if previous is not None and (previous[0] == lap_of_passage or time_s - previous[1] < REFIRE_GUARD_S):
                continue
            self._fired[key] = (lap_of_passage, time_s)
            due.append(
                Cue(
                    self.session_id,
                    seq,
                    time_s,
                    planned.kind,
                    planned.corner_number,
                    planned.target_m,
                    float(ahead[k, s]),
                    planned.text,
                )
            )
        return due
