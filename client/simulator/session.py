"""Simulate a practice session on a real circuit and write it as ``.ibt`` + truth sidecar.

Session layout (distances along the race line, ``L`` = lap length):

* lap 0, partial: either a flying lead-in over the last ``LEAD_IN_M`` of a lap, or (with
  ``start_in_pits``) ``PIT_WAIT_S`` stationary in the pit stall ``PIT_STALL_M`` past the
  line, then the pit lane at the pit speed limit for ``PIT_LANE_M`` — an out-lap;
* laps 1..N: complete, timed laps (line to line), with the profile's mistakes;
* lap N+1, partial: ``RUN_OUT_M`` past the last crossing, then the recording stops.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..ibt import write_ibt
from .car import Car, get_car
from .channels import Drive, sample_channels
from .corners import Corner, find_corner_peaks, measure_corners
from .judge import Instance, apply_instances, lap_time_s, marginal_costs
from .mistakes import Mistake
from .profile import DriverProfile, apply_mistake, mistake_start_m
from .qss import line_speed, pedals, periodic_profile, segment_times, solve_profile
from .session_info import build_session_info
from .track import Track, available_tracks, load_track
from .variability import Variability, apply_deviation, line_offsets

__all__ = ["SimulatedSession", "available_tracks", "ideal_corners", "mistake_time_cost_s", "simulate_session",
           "truth_path_for", "write_session"]

TICK_RATE_HZ = 60
LEAD_IN_M = 600.0
RUN_OUT_M = 300.0
PIT_STALL_M = 150.0
PIT_LANE_M = 350.0
PIT_SPEED_LIMIT_MPS = 60 / 3.6
PIT_WAIT_S = 3.0
SESSION_START_S = 120.0


@dataclass(frozen=True)
class SimulatedSession:
    """A simulated session: iRacing channels, session info, and the ground truth."""

    channels: dict[str, np.ndarray]
    session_info: dict[str, Any]
    truth: dict[str, Any]
    track: Track
    car: Car
    corners: list[Corner]
    tick_rate_hz: int = TICK_RATE_HZ
    profile: DriverProfile = field(default_factory=DriverProfile)

    @property
    def lap_times_s(self) -> list[float]:
        """Exact times of the timed laps 1..N (s)."""
        return [lap["lap_time_s"] for lap in self.truth["laps"]]


def _ideal(track: Track, car: Car) -> tuple[np.ndarray, np.ndarray, list[Corner], float]:
    """The ideal flying lap of ``car`` on ``track``: limit, speeds, corners, lap time (cached)."""
    return _ideal_cached(track.name, car.key)


@lru_cache(maxsize=32)
def _ideal_cached(track_name: str, car_key: str) -> tuple[np.ndarray, np.ndarray, list[Corner], float]:
    track, car = load_track(track_name), get_car(car_key)
    limit = car.corner_speed(track.kappa_per_m)
    v = periodic_profile(limit=limit, ds=track.ds_m, car=car)
    n = track.n
    v3 = np.tile(v, 3)
    peaks = find_corner_peaks(track)
    passes = measure_corners(peaks=peaks, v=v3, pedals=pedals(v3, track.ds_m, car), ds=track.ds_m,
                             offset=n, lap_nodes=n)
    corners = [
        Corner(number=i + 1, peak_m=float(p * track.ds_m), radius_m=float(1 / abs(track.kappa_per_m[p])),
               direction="left" if track.kappa_per_m[p] > 0 else "right", ideal=cp)
        for i, (p, cp) in enumerate(zip(peaks, passes))
    ]
    lap_time = float(segment_times(np.append(v, v[0]), track.ds_m).sum())
    for a in (limit, v):
        a.flags.writeable = False
    return limit, v, corners, lap_time


def ideal_corners(*, track: str = "Spielberg", car: str = "gt3") -> list[Corner]:
    """The corners of ``track`` numbered from the line, with the ideal pass of ``car``."""
    return list(_ideal(load_track(track), get_car(car))[2])


def mistake_time_cost_s(*, mistake: Mistake, track: str = "Spielberg", car: str = "gt3") -> float:
    """Time (s) ``mistake`` alone costs ``car`` on a lap of ``track`` between two ideal laps.

    This is the truth's ``expected_time_cost_s``; ``time_cost_s`` is the marginal cost on the
    lap as driven (with its variability and other mistakes).
    """
    trk, vehicle = load_track(track), get_car(car)
    limit, v, corners, ideal_s = _ideal(trk, vehicle)
    _validate((mistake,), corners, max(mistake.laps or (1,)), trk)
    return _lap_time_with(mistake, limit=limit, v_ideal=v, corners=corners, track=trk, car=vehicle, ideal_lap_s=ideal_s)


def _validate(mistakes: tuple[Mistake, ...], corners: list[Corner], laps: int, track: Track) -> None:
    for m in mistakes:
        if m.corner is not None:
            if m.corner > len(corners):
                raise ValueError(f"{m.describe()}: corner {m.corner} does not exist; "
                                 f"{track.name} has {len(corners)} corners")
            if m.kind.value in ("brake_early", "brake_late", "coasting") and corners[m.corner - 1].ideal.brake_point_m is None:
                raise ValueError(f"{m.describe()}: corner {m.corner} of {track.name} is taken without braking")
        if m.at_m is not None and m.at_m >= track.length_m:
            raise ValueError(f"{m.describe()}: at_m is beyond the {track.length_m:.0f} m lap")
        if m.laps is not None and max(m.laps) > laps:
            raise ValueError(f"{m.describe()}: the session has timed laps 1..{laps}")


def _lap_time_with(mistake: Mistake, *, limit: np.ndarray, v_ideal: np.ndarray, corners: list[Corner],
                   track: Track, car: Car, ideal_lap_s: float) -> float:
    """Time lost (s) by ``mistake`` alone on a lap between two ideal laps."""
    n = track.n
    lim3, v3 = np.tile(limit, 3), np.tile(v_ideal, 3)
    apply_mistake(limit=lim3, v_ideal=v3, lap_start=n, lap_nodes=n, mistake=mistake, corners=corners,
                  ds=track.ds_m, car=car)
    v = solve_profile(limit=lim3, ds=track.ds_m, car=car)
    return lap_time_s(v=v, corner_limit=np.tile(limit, 3), lap_start=n, lap_nodes=n, ds=track.ds_m) - ideal_lap_s


def simulate_session(*, track: str = "Spielberg", laps: int = 3, car: str = "gt3",
                     profile: DriverProfile | None = None, seed: int = 0,
                     start_in_pits: bool = False) -> SimulatedSession:
    """Simulate ``laps`` timed laps (see the module docstring for the partial laps around them).

    Everything random (weather, sensor noise, the profile's variability) is drawn from
    ``numpy.random.default_rng(seed)``: a seed reproduces a session exactly.
    """
    if laps < 1:
        raise ValueError(f"laps must be >= 1, got {laps}")
    profile = profile or DriverProfile()
    trk, vehicle = load_track(track), get_car(car)
    n, ds = trk.n, trk.ds_m
    limit_lap, v_ideal_lap, corners, ideal_lap_s = _ideal(trk, vehicle)
    _validate(profile.mistakes, corners, laps, trk)
    rng = np.random.default_rng(seed)
    air = round(float(rng.uniform(16.0, 28.0)), 2)
    track_temp = round(air + float(rng.uniform(6.0, 16.0)), 2)

    end = (laps + 1) * n + round(RUN_OUT_M / ds) + 1
    corner_limit = np.tile(limit_lap, laps + 3)[:end]
    limit = corner_limit.copy()
    v_ideal = np.tile(v_ideal_lap, laps + 3)[:end]
    if start_in_pits:
        start = round(PIT_STALL_M / ds)
        pit_end = start + round(PIT_LANE_M / ds)
        limit[start:pit_end] = np.minimum(limit[start:pit_end], PIT_SPEED_LIMIT_MPS)
        v_start, wait = 0.0, PIT_WAIT_S
    else:
        start = n - round(LEAD_IN_M / ds)
        pit_end, v_start, wait = start, float(v_ideal[start]), 0.0

    spread = profile.variability
    varied = not spread.is_zero
    deviations = spread.draw(rng=rng, corners=corners, laps=laps) if varied else [[] for _ in range(laps)]
    for lap, lap_devs in enumerate(deviations, start=1):
        for c, dev in zip(corners, lap_devs):
            apply_deviation(limit=limit, v_ideal=v_ideal, lap_start=lap * n, lap_nodes=n, corner=c,
                            deviation=dev, ds=ds, car=vehicle)
    base_limit = limit.copy()

    instances = sorted(
        (Instance(lap=lap, index=i, mistake=m, start_node=lap * n + mistake_start_m(m, corners, trk.length_m) / ds)
         for lap in range(1, laps + 1) for i, m in enumerate(profile.mistakes_on(lap))),
        key=lambda x: (x.start_node, x.lap, x.index))
    apply_instances(limit=limit, v_ideal=v_ideal, instances=instances, lo=0, drive_from=start, v_start=v_start,
                    corners=corners, lap_nodes=n, ds=ds, car=vehicle, stale=varied)
    judged = marginal_costs(base_limit=base_limit, corner_limit=corner_limit, v_ideal=v_ideal, instances=instances,
                            corners=corners, start=start, v_start=v_start, lap_nodes=n, ds=ds, car=vehicle,
                            varied=varied)
    costs: dict[Mistake, float] = {}
    injected = []
    for inst, judge in zip(instances, judged):
        m = inst.mistake
        if m not in costs:
            costs[m] = _lap_time_with(m, limit=limit_lap, v_ideal=v_ideal_lap, corners=corners,
                                      track=trk, car=vehicle, ideal_lap_s=ideal_lap_s)
        amount, unit = m.amount
        r = lambda x: None if x is None else round(x, 1)
        injected.append({"lap": inst.lap, "corner": m.corner, "kind": m.kind.value, "amount": amount,
                         "unit": unit, "at_m": m.at_m, "spec": m.describe(),
                         "expected_time_cost_s": round(costs[m], 4), "time_cost_s": round(judge.time_cost_s, 4),
                         "start_m": r(judge.start_m), "end_m": r(judge.end_m)})
    injected.sort(key=lambda e: e["lap"])

    v = solve_profile(limit=limit[start:], ds=ds, car=vehicle, v_start=v_start)
    v_line = line_speed(v, corner_limit[start:])
    ped = pedals(v, ds, vehicle, v_line=v_line)
    t_nodes = SESSION_START_S + wait + np.concatenate([[0.0], np.cumsum(segment_times(v_line, ds))])
    crossing_nodes = np.arange(1, laps + 2) * n - start
    crossings = t_nodes[crossing_nodes]
    v_clean = solve_profile(limit=base_limit[start:], ds=ds, car=vehicle, v_start=v_start) if instances else v
    clean_s = [lap_time_s(v=v_clean, corner_limit=corner_limit[start:], lap_start=lap * n - start, lap_nodes=n, ds=ds)
               for lap in range(1, laps + 1)]
    lateral = line_offsets(rng=rng, nodes=len(v), ds=ds, sd_m=spread.line_sd_m) if varied else None
    drive = Drive(start=start, v=v, pedals=ped, t_nodes=t_nodes, t_begin=SESSION_START_S, wait_s=wait,
                  pit_end=pit_end, crossing_times=crossings, timed_laps=laps, v_line=v_line, lateral_m=lateral)
    channels = sample_channels(drive=drive, track=trk, car=vehicle, tick_rate_hz=TICK_RATE_HZ, rng=rng,
                               air_temp_c=air, track_temp_c=track_temp,
                               fuel_start_l=round(0.4 * vehicle.fuel_capacity_l, 1))

    lap_truth = []
    for lap in range(1, laps + 1):
        offset = lap * n - start
        passes = measure_corners(peaks=np.array([round(c.peak_m / ds) for c in corners]), v=v, pedals=ped,
                                 ds=ds, offset=offset, lap_nodes=n)
        lap_truth.append({
            "lap": lap, "start_time_s": float(crossings[lap - 1]), "end_time_s": float(crossings[lap]),
            "lap_time_s": float(crossings[lap] - crossings[lap - 1]), "complete": True,
            "out_lap": False, "in_lap": False,
            "mistakes": [e["spec"] for e in injected if e["lap"] == lap],
            "corners": [{"corner": c.number, **p.as_dict()} for c, p in zip(corners, passes)],
            "clean_lap_time_s": clean_s[lap - 1],
            "variability": [d.as_dict() for d in deviations[lap - 1] if not d.is_ideal],
        })
    t = channels["SessionTime"]
    truth = {
        "format": "racecoach-simulator-truth/2",
        "track": {"name": trk.name, "display_name": trk.meta.display_name, "length_m": round(trk.length_m, 3),
                  "corners": [c.as_dict() for c in corners]},
        "car": {"key": vehicle.key, "screen_name": vehicle.screen_name, "car_path": vehicle.car_path,
                "car_id": vehicle.car_id},
        "driver": profile.name, "seed": seed, "start_in_pits": start_in_pits, "tick_rate_hz": TICK_RATE_HZ,
        "session_time_start_s": float(t[0]), "session_time_end_s": float(t[-1]), "record_count": len(t),
        "lap_count": laps, "ideal_lap_time_s": ideal_lap_s,
        "variability": {"spreads": asdict(spread), "typical": spread == Variability.typical()},
        "partial_laps": [
            {"lap": 0, "start_time_s": float(t[0]), "end_time_s": float(crossings[0]), "out_lap": start_in_pits,
             "complete": False},
            {"lap": laps + 1, "start_time_s": float(crossings[-1]), "end_time_s": float(t[-1]), "complete": False},
        ],
        "laps": lap_truth,
        "mistakes": injected,
    }
    info = build_session_info(track=trk, car=vehicle, corners=corners, driver=profile.name,
                              air_temp_c=air, track_temp_c=track_temp, ideal_lap_s=ideal_lap_s)
    return SimulatedSession(channels=channels, session_info=info, truth=truth, track=trk, car=vehicle,
                            corners=corners, profile=profile)


def truth_path_for(path: str | os.PathLike[str]) -> Path:
    """``out.ibt`` → ``out.truth.json`` (the sidecar next to the telemetry)."""
    path = Path(path)
    return path.with_name(path.stem + ".truth.json")


def write_session(session: SimulatedSession, path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``path`` (.ibt) and its ``.truth.json`` sidecar; returns both paths."""
    path = Path(path)
    write_ibt(path, channels=session.channels, session_info=session.session_info,
              tick_rate_hz=session.tick_rate_hz, lap_count=session.truth["lap_count"])
    sidecar = truth_path_for(path)
    sidecar.write_text(json.dumps(session.truth, indent=1) + "\n", encoding="utf-8")
    return path, sidecar
