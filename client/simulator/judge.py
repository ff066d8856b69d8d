"""Apply a driver's mistakes to a session's speed limit, and judge what each really cost.

A mistake's *true* time cost on a lap is marginal: the lap's time with all its mistakes (and
its variability) minus the lap's time with the same variability and all its other mistakes
but not this one. Mistakes interact (a driver who brakes early for a corner cannot also lose
much by coasting into it), so the marginal costs of one lap need not add up exactly to the
lap's loss against its clean (variability only) time.

Costs are computed on a window of three laps around the lap (``k - 1 .. k + 1``): a mistake's
effect on the speed trace reaches no further than a braking zone back and an exit forward,
so the lap ``k`` of the window is the lap ``k`` of the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .car import Car
from .corners import Corner
from .mistakes import Mistake
from .profile import apply_mistake, uses_current_speed
from .qss import line_speed, segment_times, solve_profile

__all__ = ["Instance", "MarginalCost", "apply_instances", "lap_time_s", "marginal_costs"]

SPEED_DIFF_MPS = 1e-3  # where the speed traces with and without a mistake differ by more


@dataclass(frozen=True, slots=True)
class Instance:
    """One mistake on one timed lap; ``start_node`` (session node) orders them along the drive."""

    lap: int
    index: int          # position in the profile's mistakes
    mistake: Mistake
    start_node: float


@dataclass(frozen=True, slots=True)
class MarginalCost:
    """What one instance cost its lap, and where along the lap its loss arises."""

    time_cost_s: float
    start_m: float | None   # first lap distance where the speed differs (None: nowhere)
    end_m: float | None     # last one (may be smaller than ``start_m``: the region wraps the line)


def apply_instances(*, limit: np.ndarray, v_ideal: np.ndarray, instances: Sequence[Instance], lo: int,
                    drive_from: int, v_start: float | None, corners: Sequence[Corner], lap_nodes: int,
                    ds: float, car: Car, stale: bool = False) -> None:
    """Apply ``instances`` (in drive order) to ``limit``, an array of session nodes ``lo..``.

    A cap that starts from the car's current speed uses the speed the car has there with the
    caps applied so far (solved from local index ``drive_from`` with ``v_start``); ``stale``
    says ``limit`` is already lower than ``v_ideal`` somewhere (driver variability).
    """
    v_now = v_ideal
    for inst in instances:
        if stale and uses_current_speed(inst.mistake):
            v_now = v_ideal.copy()
            v_now[drive_from:] = solve_profile(limit=limit[drive_from:], ds=ds, car=car, v_start=v_start)
            stale = False
        apply_mistake(limit=limit, v_ideal=v_ideal, v_now=v_now, lap_start=inst.lap * lap_nodes - lo,
                      lap_nodes=lap_nodes, mistake=inst.mistake, corners=corners, ds=ds, car=car)
        stale = True


def lap_time_s(*, v: np.ndarray, corner_limit: np.ndarray, lap_start: int, lap_nodes: int, ds: float) -> float:
    """Time (s) from node ``lap_start`` to ``lap_start + lap_nodes`` of a speed trace ``v``."""
    part = slice(lap_start, lap_start + lap_nodes + 1)
    return float(segment_times(line_speed(v[part], corner_limit[part]), ds).sum())


def marginal_costs(*, base_limit: np.ndarray, corner_limit: np.ndarray, v_ideal: np.ndarray,
                   instances: Sequence[Instance], corners: Sequence[Corner], start: int, v_start: float | None,
                   lap_nodes: int, ds: float, car: Car, varied: bool) -> list[MarginalCost]:
    """The :class:`MarginalCost` of every instance (same order as ``instances``).

    ``base_limit`` is the session's limit with variability but no mistakes (``varied``: it has
    some), ``corner_limit`` the steady cornering speed of every node, the drive starts at node
    ``start`` with ``v_start``.
    """
    n = lap_nodes
    out: list[MarginalCost | None] = [None] * len(instances)
    for lap in sorted({inst.lap for inst in instances}):
        lo, hi = max((lap - 1) * n, start), min((lap + 2) * n + 1, len(base_limit))
        near = [i for i in instances if lap - 1 <= i.lap <= lap + 1 and i.start_node >= lo]
        vs = v_start if lo == start else None

        def drive(skip: Instance | None) -> np.ndarray:
            lim = base_limit[lo:hi].copy()
            apply_instances(limit=lim, v_ideal=v_ideal[lo:hi], instances=[i for i in near if i is not skip],
                            lo=lo, drive_from=0, v_start=vs, corners=corners, lap_nodes=n, ds=ds, car=car,
                            stale=varied)
            return solve_profile(limit=lim, ds=ds, car=car, v_start=vs)

        v_all = drive(None)
        t_all = lap_time_s(v=v_all, corner_limit=corner_limit[lo:hi], lap_start=lap * n - lo, lap_nodes=n, ds=ds)
        for k, inst in enumerate(instances):
            if inst.lap != lap:
                continue
            v_without = drive(inst)
            t_without = lap_time_s(v=v_without, corner_limit=corner_limit[lo:hi], lap_start=lap * n - lo,
                                   lap_nodes=n, ds=ds)
            differs = np.flatnonzero(np.abs(v_all - v_without) > SPEED_DIFF_MPS)
            where = [None, None] if not len(differs) else [float(((lo + d) % n) * ds) for d in (differs[0], differs[-1])]
            out[k] = MarginalCost(time_cost_s=t_all - t_without, start_m=where[0], end_m=where[1])
    return out  # type: ignore[return-value]
