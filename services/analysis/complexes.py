"""Corners of a complex that one lap ran together, cut apart again at the catalogue's places.

On a lap that overshoots the first part of a chicane the speed stays low from one apex to the
next, and the corner finder sees one long corner where the catalogue has two. Numbering gives it
one of the two numbers and the other goes missing, so the mistake made there is compared with
the wrong corner of the reference. :func:`split_merged` finds each published corner missing from
a numbered lap whose catalogue apex lies inside one of the lap's corners, and cuts that corner in
two at the midpoint between the two catalogue apexes; each part's apex is this lap's slowest point
within its catalogue corner (as the corner finder places it: a held minimum nearest the
catalogue apex), and its pedal measures are taken again on its own span.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from racecoach.analysis.v1 import analysis_pb2

STANDARD_GRAVITY_MPS2 = 9.80665
THROTTLE_ON = 0.20  # the corner finder's throttle_on_threshold
COAST = 0.05  # and its coast_threshold
APEX_HOLD_MPS = 0.01


def _span(grid: np.ndarray, lo_m: float, hi_m: float) -> slice:
    return slice(int(np.searchsorted(grid, lo_m)), int(np.searchsorted(grid, hi_m, side="right")))


def _measure(corner: analysis_pb2.Corner, *, grid: np.ndarray, channels: dict[str, np.ndarray], time_s: np.ndarray,
             near_m: float) -> None:
    """Apex, speeds and pedal measures of ``corner`` on its [entry, exit] span, the apex nearest ``near_m``."""
    part = _span(grid, corner.entry_m, corner.exit_m)
    if part.stop - part.start < 2:
        return
    speed = channels["speed_mps"][part]
    slow = np.flatnonzero(speed <= speed.min() + APEX_HOLD_MPS)
    apex = part.start + int(slow[np.argmin(np.abs(grid[part.start + slow] - near_m))])
    corner.apex_m = float(grid[apex])
    corner.apex_speed_mps = float(channels["speed_mps"][apex])
    zeros = np.zeros_like(channels["speed_mps"])
    lat = channels.get("lat_accel_mps2", zeros)[part]
    corner.max_lat_g = float(np.abs(lat).max() / STANDARD_GRAVITY_MPS2) if len(lat) else 0.0
    throttle, brake = channels.get("throttle", zeros), channels.get("brake", zeros)
    after = throttle[apex:part.stop]
    below = np.flatnonzero(after < THROTTLE_ON)
    if not len(below):
        corner.throttle_on_m = corner.apex_m
    elif below[-1] + 1 < len(after):
        corner.throttle_on_m = float(grid[apex + below[-1] + 1])
    else:
        corner.throttle_on_m = 0.0
    steps = np.diff(grid[part])
    off = (throttle[part][:-1] < COAST) & (brake[part][:-1] < COAST)
    corner.coasting_m = float(steps[off].sum())
    corner.time_in_corner_s = float(np.interp(corner.exit_m, grid, time_s) - np.interp(corner.entry_m, grid, time_s))


def split_merged(*, lap: analysis_pb2.LapAnalysis, published: Sequence, grid_m: np.ndarray,
                 channels: dict[str, np.ndarray], time_s: np.ndarray) -> list[int]:
    """Cut apart the lap corners that hold a missing published corner's apex; returns the numbers restored.

    ``published`` are the catalogue's corners (``number``, ``apex_m``, ``direction``, ``name``), ``lap``'s
    corners are numbered already and in apex order.
    """
    have = {c.number for c in lap.corners}
    restored: list[int] = []
    for missing in sorted((c for c in published if c.number not in have), key=lambda c: c.apex_m):
        host = next((c for c in lap.corners if c.entry_m < missing.apex_m < c.exit_m), None)
        if host is None:
            continue
        own = next((c for c in published if c.number == host.number), None)
        if own is None or abs(own.apex_m - missing.apex_m) < 1.0:
            continue
        cut = (own.apex_m + missing.apex_m) / 2.0
        first_is_host = own.apex_m < missing.apex_m
        added = analysis_pb2.Corner(number=missing.number, name=missing.name or "", direction=int(missing.direction))
        if first_is_host:
            added.entry_m, added.exit_m = cut, host.exit_m
            host.exit_m = cut
        else:
            added.entry_m, added.exit_m = host.entry_m, cut
            host.entry_m = cut
        _measure(host, grid=grid_m, channels=channels, time_s=time_s, near_m=own.apex_m)
        _measure(added, grid=grid_m, channels=channels, time_s=time_s, near_m=missing.apex_m)
        if not added.direction:
            added.direction = host.direction
        lap.corners.append(added)
        restored.append(missing.number)
    if restored:
        ordered = sorted(lap.corners, key=lambda c: c.apex_m)
        del lap.corners[:]
        lap.corners.extend(ordered)
    return restored
