"""Driver variability: no two laps alike, none faster than the physical limit.

The ideal QSS lap is the car's limit, so a real driver's spread can only cost time. Per timed
lap and per corner the driver draws small half-normal deviations from the ideal pass:

* brake a little early   – the ideal braking zone shifted ``brake_early_m`` earlier;
* brake under the limit  – at some braked corners (``brake_under_share`` of them) the brake
  pressure peaks at ``brake_fraction`` of the grip limit, so braking starts earlier too;
* a lower minimum speed  – from the brake point to the apex the corner is driven at
  ``(v_apex - apex_kph) / v_apex`` of the ideal speed (braking a touch under the limit
  too), easing back to the ideal by the full-throttle point;
* throttle a little late – the ideal exit shifted ``throttle_late_m`` later.

Each deviation lowers the speed *limit* the QSS solver sees (never raises it), so the drive
stays physically consistent and only ever slower. ``line_sd_m`` adds a smooth lateral offset
to the position channels (the line wanders a little; lap distance does not change).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .car import Car
from .corners import Corner

__all__ = ["CornerDeviation", "Variability", "apply_deviation", "line_offsets"]

CORNER_REACH_M = 800.0        # how far before/after the apex the entry/exit of a corner may reach
APEX_HALF_WIDTH_M = 10.0      # the slower part spans at least the apex ± this
MIN_DIP_MPS = 0.3             # corners the speed dips less for (flat-out kinks) are driven as ideal
LINE_KNOT_SPACING_M = 100.0   # lateral line offsets: random knots this far apart, smoothed


@dataclass(frozen=True, slots=True)
class CornerDeviation:
    """How one pass of one corner deviates from the ideal (all zero/one: the ideal pass)."""

    corner: int
    brake_early_m: float = 0.0
    brake_fraction: float = 1.0
    apex_kph: float = 0.0
    throttle_late_m: float = 0.0

    @property
    def is_ideal(self) -> bool:
        return (self.brake_early_m, self.brake_fraction, self.apex_kph, self.throttle_late_m) == (0.0, 1.0, 0.0, 0.0)

    def as_dict(self) -> dict[str, float | int]:
        return {"corner": self.corner, "brake_early_m": round(self.brake_early_m, 3),
                "brake_fraction": round(self.brake_fraction, 4), "apex_kph": round(self.apex_kph, 3),
                "throttle_late_m": round(self.throttle_late_m, 3)}


@dataclass(frozen=True, slots=True)
class Variability:
    """Spreads (standard deviations of half-normal draws) of a driver's lap-to-lap variation.

    The default is zero: every lap the ideal lap. :meth:`typical` is a consistent club driver.
    """

    brake_early_sd_m: float = 0.0
    apex_speed_sd_kph: float = 0.0
    throttle_late_sd_m: float = 0.0
    brake_under_share: float = 0.0   # fraction of braked corners with a pressure peak under the limit
    brake_under_sd: float = 0.0      # how far under (fraction of the grip limit)
    line_sd_m: float = 0.0           # lateral wander of the line in Lat/Lon

    def __post_init__(self) -> None:
        for name in ("brake_early_sd_m", "apex_speed_sd_kph", "throttle_late_sd_m", "brake_under_sd", "line_sd_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if not 0 <= self.brake_under_share <= 1:
            raise ValueError(f"brake_under_share must be in [0, 1], got {self.brake_under_share!r}")
        if self.brake_under_sd > 0.5:
            raise ValueError(f"brake_under_sd must be <= 0.5, got {self.brake_under_sd!r}")

    @classmethod
    def typical(cls) -> Variability:
        """A consistent driver: brake ~2 m early, ~0.6 km/h slow, throttle ~3 m late, per corner."""
        return cls(brake_early_sd_m=2.0, apex_speed_sd_kph=0.6, throttle_late_sd_m=3.0,
                   brake_under_share=0.3, brake_under_sd=0.03, line_sd_m=0.2)

    @property
    def is_zero(self) -> bool:
        return self == Variability()

    def draw(self, *, rng: np.random.Generator, corners: Sequence[Corner], laps: int) -> list[list[CornerDeviation]]:
        """Deviations of every corner (inner list, in corner order) on timed laps 1..``laps``."""
        out = []
        for _ in range(laps):
            lap = []
            for c in corners:
                braked = c.ideal.brake_point_m is not None
                early, kph, late, under, size = np.abs(rng.normal(0.0, 1.0, 5))
                fraction = 1.0
                if braked and rng.uniform() < self.brake_under_share:
                    fraction = max(1.0 - self.brake_under_sd * float(size), 0.5)
                lap.append(CornerDeviation(
                    corner=c.number, brake_early_m=float(early) * self.brake_early_sd_m if braked else 0.0,
                    brake_fraction=fraction, apex_kph=float(kph) * self.apex_speed_sd_kph,
                    throttle_late_m=float(late) * self.throttle_late_sd_m))
            out.append(lap)
        return out


def _backward_braking(v_end: float, count: int, ds: float, car: Car, *, fraction: float) -> np.ndarray:
    """Speeds of the ``count`` nodes before a node reached at ``v_end``, braking at ``fraction`` of grip."""
    out = np.empty(count)
    v = v_end
    for i in range(count - 1, -1, -1):
        v = math.sqrt(v * v + 2 * ds * (fraction * float(car.grip(v)) + float(car.resistance(v))))
        out[i] = v
    return out


def apply_deviation(*, limit: np.ndarray, v_ideal: np.ndarray, lap_start: int, lap_nodes: int,
                    corner: Corner, deviation: CornerDeviation, ds: float, car: Car) -> None:
    """Lower ``limit`` in place so that ``corner`` is driven with ``deviation`` on one lap.

    Arrays are session-long node arrays as in :func:`~.profile.apply_mistake`; every cap is at
    most ``v_ideal``, so the lap can only get slower.
    """
    if deviation.is_ideal:
        return
    ideal = corner.ideal
    apex = lap_start + round(ideal.apex_m / ds)
    reach = round(CORNER_REACH_M / ds)
    lo = apex
    while lo > max(apex - reach, 1) and v_ideal[lo - 1] >= v_ideal[lo]:
        lo -= 1
    hi = apex
    while hi < min(apex + reach, len(v_ideal) - 2) and v_ideal[hi + 1] >= v_ideal[hi]:
        hi += 1
    if v_ideal[lo] - v_ideal[apex] < MIN_DIP_MPS and v_ideal[hi] - v_ideal[apex] < MIN_DIP_MPS:
        return  # a flat-out kink: nothing to do differently
    turn_in = lo
    while turn_in < apex and v_ideal[turn_in + 1] < v_ideal[turn_in] - 1e-9:
        turn_in += 1
    shift = round(deviation.brake_early_m / ds)
    cap = v_ideal[lo:hi + 1].copy()
    idx = np.arange(lo, hi + 1)
    if ideal.brake_point_m is not None and shift:  # the braking zone, earlier
        entry = idx <= apex
        cap[entry] = v_ideal[np.minimum(idx[entry] + shift, apex)]
    if ideal.throttle_point_m is not None and deviation.throttle_late_m > 0:  # the exit, later
        delay = round(deviation.throttle_late_m / ds)
        exit_ = idx >= apex
        cap[exit_] = v_ideal[np.maximum(idx[exit_] - delay, apex)]
    if deviation.apex_kph > 0:  # the whole corner, from the brake point to full throttle, a little slower
        v_apex = float(v_ideal[apex])
        scale = max(v_apex - deviation.apex_kph / 3.6, 1.0) / v_apex
        tp_m = ideal.throttle_point_m
        tp = apex if tp_m is None else lap_start + round(tp_m / ds) + (lap_nodes if tp_m < ideal.apex_m else 0)
        half = round(APEX_HALF_WIDTH_M / ds)
        if ideal.brake_point_m is not None:
            bp = lap_start + round(ideal.brake_point_m / ds) - (lap_nodes if ideal.brake_point_m > ideal.apex_m else 0)
            a = min(bp - shift, apex - half)
        else:
            a = apex - half
        b = max(tp + round(deviation.throttle_late_m / ds), apex + half)
        ramp = np.clip((idx - apex) / max(b - apex, 1), 0.0, 1.0)  # back to the ideal by full throttle
        sel = (idx >= a) & (idx <= b)
        cap[sel] *= scale + (1.0 - scale) * ramp[sel]
    np.maximum(cap, 1.0, out=cap)
    limit[lo:hi + 1] = np.minimum(limit[lo:hi + 1], cap)
    if ideal.brake_point_m is not None and deviation.brake_fraction < 1.0:  # pressure under the limit
        end = turn_in - shift
        v_end = float(limit[end])
        count = min(end, round(2 * CORNER_REACH_M / ds))
        curve = _backward_braking(v_end, count, ds, car, fraction=deviation.brake_fraction)
        above = np.flatnonzero(curve >= v_ideal[end - count:end])
        first = int(above[-1]) if len(above) else 0  # from where the gentle braking curve starts
        limit[end - count + first:end] = np.minimum(limit[end - count + first:end], curve[first:])


def line_offsets(*, rng: np.random.Generator, nodes: int, ds: float, sd_m: float) -> np.ndarray:
    """A smooth lateral offset (m) per node: knots every ``LINE_KNOT_SPACING_M``, eased between."""
    if sd_m <= 0 or nodes < 2:
        return np.zeros(max(nodes, 0))
    step = max(round(LINE_KNOT_SPACING_M / ds), 2)
    knots = rng.normal(0.0, sd_m, nodes // step + 2)
    pos = np.arange(nodes) / step
    i = np.floor(pos).astype(int)
    f = pos - i
    ease = f * f * (3 - 2 * f)  # smoothstep: continuous heading between knots
    return knots[i] * (1 - ease) + knots[i + 1] * ease
