"""Driver profiles: which mistakes a simulated driver makes, turned into speed caps.

A mistake changes the speed *limit* the QSS solver sees on the laps it applies to; the
solver then produces a physically consistent speed trace, and the pedals follow from it.
Every cap starts from the ideal (mistake-free) flying-lap speed ``v_ideal``:

* brake early  – from ``bp - N`` a braking curve at 99.5 % of the car's grip, floored at the
  ideal apex speed, held to the apex (the driver crawls to the corner);
* brake late   – keeps accelerating to ``bp + N``, brakes at 99.5 % grip from there and so
  arrives too fast: above the corner's limit the car runs wide (see
  :func:`~.qss.line_speed`), its minimum speed is 92 % of the ideal apex speed, held to 20 m
  past the apex at least and to the ideal full-throttle point plus the overshoot (how far
  past the ideal turn-in it is still slowing down, at least ``N``) -- a later throttle;
* low apex     – apex speed capped ``kph`` lower (or by ``fraction``) over ±10 m;
* late throttle – apex speed held until ``N`` m past the ideal full-throttle point;
* coasting     – both pedals released from ``bp - N`` to ``bp`` (drag + engine braking), then
  braking at the usual marker ``bp`` at 99.5 % grip, floored at the ideal apex speed (the
  coasting car is slower there, so it reaches the apex speed early and crawls);
* lift         – coasting for ``seconds`` from ``at_m``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .car import Car, G
from .corners import Corner, CornerPass
from .mistakes import Mistake, MistakeKind
from .variability import Variability

__all__ = ["DriverProfile", "apply_mistake", "mistake_start_m", "uses_current_speed"]

BRAKE_CAP_FRACTION = 0.995
LATE_BRAKE_RECOVERY = 0.92
LATE_BRAKE_HOLD_M = 20.0
LOW_APEX_HALF_WIDTH_M = 10.0


@dataclass(frozen=True)
class DriverProfile:
    """A simulated driver: a name, the mistakes they make and how much their laps vary.

    Defaults: no mistakes and no variability -- every lap the ideal lap.
    """

    name: str = "Sim Driver"
    mistakes: tuple[Mistake, ...] = field(default=())
    variability: Variability = field(default_factory=Variability)

    def mistakes_on(self, lap: int) -> list[Mistake]:
        return [m for m in self.mistakes if m.applies_to(lap)]


def _braking_curve(v0: float, count: int, ds: float, car: Car, *, fraction: float) -> np.ndarray:
    out = np.empty(count)
    v = v0
    m, mu, cl, cd, roll = car.mass_kg, car.mu, car.c_downforce, car.c_drag, car.rolling_n
    for i in range(count):
        out[i] = v
        decel = fraction * mu * (G + cl * v * v / m) + (cd * v * v + roll) / m
        v = math.sqrt(max(v * v - 2 * ds * decel, 0.0))
    return out


def _coast_curve(v0: float, count: int, ds: float, car: Car) -> np.ndarray:
    out = np.empty(count)
    v = v0
    for i in range(count):
        out[i] = v
        decel = float(car.coast(v))
        v = math.sqrt(max(v * v - 2 * ds * decel, 0.0))
    return out


def _accel_curve(v0: float, count: int, ds: float, car: Car) -> np.ndarray:
    out = np.empty(count)
    v = v0
    for i in range(count):
        out[i] = v
        a = float(car.drive(v) - car.resistance(v))
        v = min(math.sqrt(max(v * v + 2 * ds * a, 0.0)), car.top_speed_mps)
    return out


def _cap(limit: np.ndarray, start: int, cap: np.ndarray, *, replace: bool = False) -> None:
    lo, hi = max(start, 0), min(start + len(cap), len(limit))
    if hi <= lo:
        return
    part = cap[lo - start:hi - start]
    limit[lo:hi] = part if replace else np.minimum(limit[lo:hi], part)


def apply_mistake(*, limit: np.ndarray, v_ideal: np.ndarray, lap_start: int, lap_nodes: int,
                  mistake: Mistake, corners: Sequence[Corner], ds: float, car: Car,
                  v_now: np.ndarray | None = None) -> None:
    """Lower (or, for late braking, reshape) ``limit`` in place for ``mistake`` on one lap.

    ``limit`` and ``v_ideal`` are session-long node arrays; ``lap_start`` is the node index
    of this lap's start/finish line (distances of the lap are ``lap_start + s/ds``) and
    ``lap_nodes`` the nodes per lap. Targets (apex speeds) come from ``v_ideal``; where a cap
    starts from the car's speed (lift, coasting, brake early/late) it uses ``v_now``, the speed
    the car really has there given the mistakes already applied (default ``v_ideal``).
    """
    v_now = v_ideal if v_now is None else v_now
    node = lambda metres: lap_start + round(metres / ds)
    if mistake.kind is MistakeKind.LIFT:
        a0 = node(mistake.at_m)  # type: ignore[arg-type]
        if not 0 <= a0 < len(v_ideal):
            return
        curve = _coast_curve(float(v_now[a0]), round(400 / ds), ds, car)
        dt = 2 * ds / np.maximum(curve[:-1] + curve[1:], 1e-6)
        steps = int(np.searchsorted(np.cumsum(dt), mistake.seconds)) + 1
        _cap(limit, a0, curve[:steps + 1])
        return

    corner = corners[mistake.corner - 1]  # type: ignore[operator]
    ideal = corner.ideal
    apex = node(ideal.apex_m)
    v_apex = float(v_ideal[apex])
    kind = mistake.kind
    if kind is MistakeKind.LOW_APEX_SPEED:
        target = v_apex - mistake.kph / 3.6 if mistake.kph is not None else v_apex * (1 - mistake.fraction)  # type: ignore[operator]
        half = round(LOW_APEX_HALF_WIDTH_M / ds)
        _cap(limit, apex - half, np.full(2 * half + 1, max(target, 1.0)))
        return
    if kind is MistakeKind.LATE_THROTTLE:
        end = _throttle_node(ideal, node=node, lap_nodes=lap_nodes) + round(mistake.metres / ds)  # type: ignore[operator]
        _cap(limit, apex, np.full(end - apex + 1, v_apex))
        return

    if ideal.brake_point_m is None:
        raise ValueError(f"corner {corner.number} is taken without braking: {kind.cli_name} needs a braking corner")
    bp = node(ideal.brake_point_m) - (lap_nodes if ideal.brake_point_m > ideal.apex_m else 0)
    metres = round(mistake.metres / ds)  # type: ignore[operator]
    if kind is MistakeKind.BRAKE_EARLY:
        start = bp - metres
        curve = _braking_curve(float(v_now[start]), apex - start + 1, ds, car, fraction=BRAKE_CAP_FRACTION)
        _cap(limit, start, np.maximum(curve, v_apex))
    elif kind is MistakeKind.COASTING:
        start = bp - metres
        coast = _coast_curve(float(v_now[start]), metres + 1, ds, car)
        brake = _braking_curve(float(coast[-1]), apex - bp + 1, ds, car, fraction=BRAKE_CAP_FRACTION)
        _cap(limit, start, np.concatenate([coast[:-1], np.maximum(brake, v_apex)]))
    elif kind is MistakeKind.BRAKE_LATE:
        accel = _accel_curve(float(v_now[bp]), metres + 1, ds, car)
        brake = _braking_curve(float(accel[-1]), round(600 / ds), ds, car, fraction=BRAKE_CAP_FRACTION)
        recover = LATE_BRAKE_RECOVERY * v_apex
        below = np.flatnonzero(brake <= recover)
        reach = bp + metres + (int(below[0]) if len(below) else len(brake) - 1)
        turn_in = bp
        while turn_in < apex and v_ideal[turn_in + 1] < v_ideal[turn_in] - 1e-9:
            turn_in += 1
        tp = _throttle_node(ideal, node=node, lap_nodes=lap_nodes)
        hold_end = max(apex + round(LATE_BRAKE_HOLD_M / ds), reach, tp + max(reach - turn_in, metres))
        cap = np.concatenate([accel[:-1], np.maximum(brake[:reach - bp - metres + 1], recover)])
        _cap(limit, bp, cap, replace=True)
        _cap(limit, reach, np.full(hold_end - reach + 1, recover))


def _throttle_node(ideal: CornerPass, *, node: Callable[[float], int], lap_nodes: int) -> int:
    """Node of the ideal full-throttle point after the apex (on the next lap if it wraps)."""
    tp_m = ideal.throttle_point_m if ideal.throttle_point_m is not None else ideal.apex_m
    return node(tp_m) + (lap_nodes if tp_m < ideal.apex_m else 0)


def mistake_start_m(mistake: Mistake, corners: Sequence[Corner], lap_length_m: float) -> float:
    """Where on the lap (m, may be negative: previous lap) a mistake starts changing the drive."""
    if mistake.kind is MistakeKind.LIFT:
        return float(mistake.at_m)  # type: ignore[arg-type]
    ideal = corners[mistake.corner - 1].ideal  # type: ignore[operator]
    if ideal.brake_point_m is None:
        return ideal.apex_m
    bp = ideal.brake_point_m - (lap_length_m if ideal.brake_point_m > ideal.apex_m else 0.0)
    return bp - (mistake.metres or 0.0) if mistake.kind in (MistakeKind.BRAKE_EARLY, MistakeKind.COASTING) else bp


def uses_current_speed(mistake: Mistake) -> bool:
    """Whether the cap of ``mistake`` starts from the car's actual speed."""
    return mistake.kind in (MistakeKind.LIFT, MistakeKind.COASTING, MistakeKind.BRAKE_EARLY, MistakeKind.BRAKE_LATE)
