"""Quasi-steady-state speed profile on a distance grid, and the pedals that produce it.

Classic QSS: the speed limit of every node is the steady cornering speed (capped at top
speed, or lower where a driver mistake caps it); a forward pass limits acceleration by
engine power, traction and drag; a backward pass limits deceleration by tyre grip plus
drag. Every segment ``i → i+1`` (``ds`` metres) then has constant acceleration, so

* segment time      ``dt = 2·ds / (v_i + v_{i+1})``
* throttle (0..1)   ``(a + coast(v_i)) / (drive(v_i) + engine_brake/m)``, 1 on full acceleration
* brake (0..1)      ``(-a - coast(v_{i+1})) / (grip(v_{i+1}) - engine_brake/m)``, 1 at the grip limit
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .car import Car, G

__all__ = ["Pedals", "line_speed", "pedals", "periodic_profile", "segment_times", "solve_profile"]


def solve_profile(*, limit: np.ndarray, ds: float, car: Car, v_start: float | None = None,
                  v_end: float | None = None) -> np.ndarray:
    """Fastest speeds (m/s) under ``limit`` (m/s per node) with the car's accel/brake limits.

    ``v_start``/``v_end`` pin the first/last node (e.g. 0 for a standing start); ``None``
    leaves them free (only the limit applies).
    """
    v = [float(x) for x in limit]
    if v_start is not None:
        v[0] = min(v[0], v_start)
    if v_end is not None:
        v[-1] = min(v[-1], v_end)
    m, power, mu, share = car.mass_kg, car.power_w, car.mu, car.drive_share
    cd, cl, roll = car.c_drag / m, car.c_downforce / m, car.rolling_n / m
    two_ds = 2.0 * ds
    sqrt = math.sqrt
    for i in range(len(v) - 1):  # forward: power / traction / drag
        vi = v[i]
        v2 = vi * vi
        drive = min(power / (m * (max(1.0, vi))), share * mu * (G + cl * v2))
        nxt = v2 + two_ds * (drive - cd * v2 - roll)
        nxt = sqrt(nxt) if nxt > 0.0 else 0.0
        v[i + 1] = min(v[i + 1], nxt)
    for i in range(len(v) - 2, -1, -1):  # backward: tyre grip + drag + rolling resistance
        vn = v[i + 1]
        v2 = vn * vn
        prev = sqrt(v2 + two_ds * (mu * (G + cl * v2) + cd * v2 + roll))
        v[i] = min(v[i], prev)
    return np.asarray(v)


def periodic_profile(*, limit: np.ndarray, ds: float, car: Car) -> np.ndarray:
    """Speed profile of a flying lap on a closed loop (solved over three laps, middle kept)."""
    n = len(limit)
    v = solve_profile(limit=np.tile(limit, 3), ds=ds, car=car)
    return v[n:2 * n].copy()


def segment_times(v: np.ndarray, ds: float) -> np.ndarray:
    """Seconds spent on each segment ``i → i+1`` at constant acceleration."""
    v = np.asarray(v, dtype=float)
    vsum = v[:-1] + v[1:]
    with np.errstate(divide="ignore"):
        return np.where(vsum > 0, 2.0 * ds / np.maximum(vsum, 1e-300), np.inf)


def line_speed(v: np.ndarray, corner_limit: np.ndarray) -> np.ndarray:
    """Speed along the race line (m/s) of a car at speed ``v`` on a line whose steady cornering
    speed is ``corner_limit``.

    A car faster than the corner allows cannot hold the line: its path curves only as much as
    the tyres can hold, ``kappa·limit²/v²``, so it runs wide and covers race-line distance at
    ``limit²/v`` -- slower than at the limit itself, and the more so the faster it arrives.
    Elsewhere (``v <= limit``) the car is on the line and this is ``v``.
    """
    v = np.asarray(v, dtype=float)
    lim = np.asarray(corner_limit, dtype=float)[:len(v)]
    with np.errstate(divide="ignore", invalid="ignore"):
        wide = np.where(v > 0, lim * lim / np.maximum(v, 1e-9), v)
    return np.where(v > lim, wide, v)


@dataclass(frozen=True, slots=True)
class Pedals:
    """Per-segment values: ``accel_mps2`` (dv/dt), ``throttle`` and ``brake`` (0..1)."""

    accel_mps2: np.ndarray
    throttle: np.ndarray
    brake: np.ndarray


def pedals(v: np.ndarray, ds: float, car: Car, *, v_line: np.ndarray | None = None) -> Pedals:
    """The constant acceleration of each segment and the pedal positions that produce it.

    ``v_line`` (see :func:`line_speed`) is the speed along the line where the car runs wide;
    a segment then takes ``2·ds/(v_line_i + v_line_{i+1})`` and the acceleration in time is
    the speed change over that time (without it, ``(v_{i+1}² - v_i²)/(2·ds)``).
    """
    v0, v1 = v[:-1], v[1:]
    if v_line is None:
        accel = (v1 * v1 - v0 * v0) / (2.0 * ds)
    else:
        accel = (v1 - v0) * (v_line[:-1] + v_line[1:]) / (2.0 * ds)
    eb = car.engine_brake_n / car.mass_kg
    throttle = np.clip((accel + car.coast(v0)) / (car.drive(v0) + eb), 0.0, 1.0)
    brake = np.clip((-accel - car.coast(v1)) / (car.grip(v1) - eb), 0.0, 1.0)
    # round-off near the limits (and the 1 m grid): within 1e-3 of full is full, of zero is zero
    throttle = np.where(throttle > 1 - 1e-3, 1.0, np.where(throttle < 1e-3, 0.0, throttle))
    brake = np.where(brake > 1 - 1e-3, 1.0, np.where(brake < 1e-3, 0.0, brake))
    return Pedals(accel, throttle, brake)
