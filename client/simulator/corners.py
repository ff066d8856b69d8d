"""Corners as ground truth: curvature peaks, numbered from the start/finish line.

A corner is a local maximum of ``|kappa|`` (within ±``PEAK_WINDOW_M``) tighter than
``MIN_CORNER_RADIUS_M``. On a given speed profile a corner has an apex (the slowest node
within ±``APEX_WINDOW_M`` of the peak), a brake point (the first node of the braking zone
that ends at or shortly before the apex; ``None`` for a corner taken without braking), where
braking for it starts (its first zone at least ``LIGHT_BRAKE_SHARE`` as firm as the firmest: a
braking in stages starts at its first stage, a light correction after it is not where it
starts) and a
throttle point (first full-throttle node after the apex).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .qss import Pedals
from .track import Track

__all__ = ["Corner", "CornerPass", "find_corner_peaks", "measure_corners"]

MIN_CORNER_RADIUS_M = 250.0
PEAK_WINDOW_M = 40.0
APEX_WINDOW_M = 60.0
BRAKE_SEARCH_M = 120.0   # a braking zone must end this close before the apex to belong to it
BRAKE_ZONE_MAX_M = 500.0
THROTTLE_SEARCH_M = 400.0
BRAKE_ON = 0.02          # pedal fraction that counts as braking
LIGHT_BRAKE_SHARE = 0.5  # a zone under this share of the firmest one's peak is a correction, not the braking's start
THROTTLE_FULL = 0.99


@dataclass(frozen=True, slots=True)
class CornerPass:
    """How one corner was driven on one lap (distances in metres from the line)."""

    apex_m: float
    apex_speed_mps: float
    brake_point_m: float | None
    throttle_point_m: float | None
    braking_start_m: float | None = None  # where braking for the corner starts (stages and light corrections merged)

    def as_dict(self) -> dict[str, float | None]:
        r = lambda x, d=2: None if x is None else round(float(x), d)
        return {"apex_m": r(self.apex_m, 1), "apex_speed_mps": r(self.apex_speed_mps, 3),
                "apex_speed_kph": r(self.apex_speed_mps * 3.6, 2),
                "brake_point_m": r(self.brake_point_m, 1), "throttle_point_m": r(self.throttle_point_m, 1),
                "braking_start_m": r(self.braking_start_m, 1)}


@dataclass(frozen=True, slots=True)
class Corner:
    """A corner of the track with its ideal (mistake-free) pass."""

    number: int            # 1-based, along the lap from the start/finish line
    peak_m: float          # where |kappa| peaks
    radius_m: float        # 1/|kappa| at the peak
    direction: str         # "left" or "right"
    ideal: CornerPass

    def as_dict(self) -> dict[str, object]:
        return {"corner": self.number, "peak_m": round(self.peak_m, 1), "radius_m": round(self.radius_m, 1),
                "direction": self.direction, **self.ideal.as_dict()}


def find_corner_peaks(track: Track) -> np.ndarray:
    """Node indices of the curvature peaks that are corners, in lap order."""
    ak = np.abs(track.kappa_per_m)
    w = max(round(PEAK_WINDOW_M / track.ds_m), 1)
    padded = np.concatenate([ak[-w:], ak, ak[:w]])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1)
    is_peak = (ak >= windows.max(axis=1)) & (ak > 1.0 / MIN_CORNER_RADIUS_M)
    idx = np.flatnonzero(is_peak)
    if len(idx) > 1:  # flat-topped peaks: keep the first node of each plateau
        keep = np.concatenate([[True], np.diff(idx) > w])
        idx = idx[keep]
    return idx


def measure_corners(*, peaks: np.ndarray, v: np.ndarray, pedals: Pedals, ds: float,
                    offset: int, lap_nodes: int) -> list[CornerPass]:
    """Apex, brake and throttle points of every corner on one lap.

    ``v`` (node speeds) and ``pedals`` (per segment) cover this lap starting at index
    ``offset`` and should extend about a lap either side (braking for corner 1 starts on the
    previous lap). A corner's search window reaches halfway to its neighbours and at most
    ±``APEX_WINDOW_M``; a corner the speed does not dip for (a flat-out kink) has its apex at
    the curvature peak and no brake point. Returned distances are within the lap (0..length).
    """
    n_nodes = len(v)
    k = len(peaks)
    win = round(APEX_WINDOW_M / ds)
    result = []
    for c, peak in enumerate(peaks):
        prev_peak = peaks[c - 1] - (lap_nodes if c == 0 else 0)
        next_peak = peaks[(c + 1) % k] + (lap_nodes if c == k - 1 else 0)
        centre = offset + int(peak)
        lo = max(centre - win, offset + (prev_peak + peak) // 2 + 1, 0) if k > 1 else max(centre - win, 0)
        hi = min(centre + win, offset + (peak + next_peak) // 2, n_nodes - 1) if k > 1 else min(centre + win, n_nodes - 1)
        seg = v[lo:hi + 1]
        slowest = np.flatnonzero(seg <= seg.min() + 0.01)  # a held minimum: nearest the peak
        apex = lo + int(slowest[np.argmin(np.abs(lo + slowest - centre))])
        if apex in (lo, hi):
            apex = centre  # speed does not dip for this corner: apex at the peak
        previous = max(offset + prev_peak, 0) if k > 1 else 0
        result.append(_measure(apex=apex, search_lo=lo, previous_peak=previous, v=v, pedals=pedals, ds=ds,
                               offset=offset, lap_nodes=lap_nodes))
    return result


def _measure(*, apex: int, search_lo: int, previous_peak: int, v: np.ndarray, pedals: Pedals, ds: float,
             offset: int, lap_nodes: int) -> CornerPass:
    brake = pedals.brake
    bound = max(search_lo, apex - round(BRAKE_SEARCH_M / ds), 0)
    zones: list[tuple[int, float]] = []  # (start, peak) of the braking zones that end in [bound, apex)
    j = min(apex, len(brake)) - 1
    while True:
        while j >= bound and brake[j] < BRAKE_ON:
            j -= 1
        if j < bound:
            break
        end, stop = j, max(j - round(BRAKE_ZONE_MAX_M / ds), 0)
        while j > stop and brake[j - 1] >= BRAKE_ON:  # walk back to the zone's start
            j -= 1
        zones.append((j, float(brake[j:end + 1].max())))
        j -= 1
    brake_point = braking_start = None
    if zones:
        brake_point = zones[0][0]
        # braking for the corner starts at its firmest zone: earlier zones that start past the previous corner's
        # peak are stages of it, and a light zone after the firm one is a correction
        own = [zones[0]] + [z for z in zones[1:] if z[0] > previous_peak]
        firm = LIGHT_BRAKE_SHARE * max(peak for _, peak in own)
        braking_start = min(start for start, peak in own if peak >= firm)
    throttle_point = None
    end = min(apex + round(THROTTLE_SEARCH_M / ds), len(pedals.throttle))
    full = np.flatnonzero(pedals.throttle[apex:end] >= THROTTLE_FULL)
    if len(full):
        throttle_point = apex + int(full[0])
    to_m = lambda i: None if i is None else ((i - offset) % lap_nodes) * ds
    return CornerPass(apex_m=to_m(apex), apex_speed_mps=float(v[apex]),
                      brake_point_m=to_m(brake_point), throttle_point_m=to_m(throttle_point),
                      braking_start_m=to_m(braking_start))
