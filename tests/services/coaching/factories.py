"""Factories for analysis messages with known brake points, apex speeds and losses.

The reference track is 3000 m long with three corners; ``driver_lap`` starts from the
reference and changes only what a test names.
"""

from __future__ import annotations

import numpy as np
from google.protobuf import duration_pb2
from racecoach.analysis.v1 import analysis_pb2

TRACK_LENGTH_M = 3000.0
SESSION_ID = "8a1c6a0e-5a3f-4a1e-9d59-3c2b8f0c1d2e"

# number: (brake_point_m, entry_m, apex_m, exit_m, apex_speed_kmh, throttle_on_m, coasting_m)
REFERENCE_CORNERS = {
    1: (426.0, 450.0, 500.0, 560.0, 97.5, 520.0, 4.0),
    2: (1200.0, 1220.0, 1260.0, 1320.0, 120.0, 1275.0, 3.0),
    3: (2700.0, 2720.0, 2780.0, 2850.0, 80.0, 2800.0, 2.0),
}


def duration(seconds: float) -> duration_pb2.Duration:
    whole = int(seconds)
    return duration_pb2.Duration(seconds=whole, nanos=round((seconds - whole) * 1e9))


def corner(
    *,
    number: int,
    entry_m: float,
    apex_m: float,
    exit_m: float,
    apex_speed_kmh: float,
    throttle_on_m: float,
    coasting_m: float = 0.0,
) -> analysis_pb2.Corner:
    return analysis_pb2.Corner(
        number=number,
        entry_m=entry_m,
        apex_m=apex_m,
        exit_m=exit_m,
        apex_speed_mps=apex_speed_kmh / 3.6,
        throttle_on_m=throttle_on_m,
        coasting_m=coasting_m,
        direction=analysis_pb2.CORNER_DIRECTION_RIGHT,
        max_lat_g=1.4,
        time_in_corner_s=(exit_m - entry_m) / 25.0,
    )


def braking_zone(
    *, index: int, corner_number: int, brake_point_m: float, end_m: float, trail_brake_fraction: float = 0.3
) -> analysis_pb2.BrakingZone:
    length = end_m - brake_point_m
    return analysis_pb2.BrakingZone(
        index=index,
        corner_number=corner_number,
        brake_point_m=brake_point_m,
        end_m=end_m,
        entry_speed_mps=60.0,
        peak_brake=0.95,
        min_speed_mps=25.0,
        min_speed_dist_m=end_m,
        duration_s=length / 40.0,
        trail_brake_fraction=trail_brake_fraction,
        trail_brake_dist_m=trail_brake_fraction * length,
    )


def lap_analysis(
    *,
    lap_number: int,
    lap_time_s: float | None,
    corners: dict[int, tuple],
    trail_brake_fraction: float = 0.3,
    valid: bool = True,
    session_id: str = SESSION_ID,
    extra_zones: int = 0,
) -> analysis_pb2.LapAnalysis:
    """A lap from ``{number: (brake_point_m, entry_m, apex_m, exit_m, apex_kmh, throttle_on_m, coasting_m)}``."""
    lap = analysis_pb2.LapAnalysis(
        session_id=session_id,
        lap_id=f"{session_id}:{lap_number}",
        lap_number=lap_number,
        valid=valid,
        distance_m=TRACK_LENGTH_M,
        max_speed_mps=70.0,
        sample_count=5400,
        start_session_time_s=100.0 + 90.0 * lap_number,
    )
    if lap_time_s is not None:
        lap.lap_time.CopyFrom(duration(lap_time_s))
        lap.end_session_time_s = lap.start_session_time_s + lap_time_s
    index = 0
    for number, (brake, entry, apex, exit_, kmh, throttle, coast) in sorted(corners.items()):
        if brake is not None:
            index += 1
            lap.braking_zones.append(
                braking_zone(
                    index=index,
                    corner_number=number,
                    brake_point_m=brake,
                    end_m=apex,
                    trail_brake_fraction=trail_brake_fraction,
                )
            )
        lap.corners.append(
            corner(
                number=number,
                entry_m=entry,
                apex_m=apex,
                exit_m=exit_,
                apex_speed_kmh=kmh,
                throttle_on_m=throttle,
                coasting_m=coast,
            )
        )
    for extra in range(extra_zones):
        index += 1
        lap.braking_zones.append(
            braking_zone(
                index=index,
                corner_number=0,
                brake_point_m=1800.0 + 50 * extra,
                end_m=1810.0 + 50 * extra,
                trail_brake_fraction=0.0,
            )
        )
    return lap


def reference_lap(*, lap_time_s: float = 90.0, lap_number: int = 2) -> analysis_pb2.LapAnalysis:
    return lap_analysis(lap_number=lap_number, lap_time_s=lap_time_s, corners=REFERENCE_CORNERS)


def driver_lap(
    *,
    lap_time_s: float | None = 90.5,
    lap_number: int = 3,
    changes: dict[int, dict[str, float]] | None = None,
    **kwargs,
) -> analysis_pb2.LapAnalysis:
    """The reference's corners with per-corner ``changes`` (keys: brake, entry, apex, exit, kmh, throttle, coast)."""
    names = ("brake", "entry", "apex", "exit", "kmh", "throttle", "coast")
    corners = {}
    for number, values in REFERENCE_CORNERS.items():
        row = dict(zip(names, values))
        row.update((changes or {}).get(number, {}))
        corners[number] = tuple(row[n] for n in names)
    return lap_analysis(lap_number=lap_number, lap_time_s=lap_time_s, corners=corners, **kwargs)


def corner_deltas(losses: dict[int, float]) -> list[analysis_pb2.CornerDelta]:
    """Segments along the lap (segment k ends after corner k; 0 before the first corner and after
    the last) with ``losses`` (s) per corner number, 0 elsewhere; they sum to the lap delta."""
    spans = [(0, 0.0, 300.0), (1, 300.0, 600.0), (2, 600.0, 1400.0), (3, 1400.0, 2900.0), (0, 2900.0, TRACK_LENGTH_M)]
    result = []
    for i, (k, start, end) in enumerate(spans):
        loss = losses.get(k, 0.0) if (k != 0 or i == 0) else 0.0
        result.append(analysis_pb2.CornerDelta(corner_number=k, start_m=start, end_m=end, time_loss_s=loss))
    return result


def drive(
    *, start_m: float, metres: float, lap: int, t0_s: float = 500.0, rate_hz: float = 60.0
) -> dict[str, np.ndarray]:
    """Channel arrays of a car driving ``metres`` from ``start_m`` on ``lap`` at 60 Hz, wrapping at the line.

    Speed varies along the lap: ``speed_mps(d) = 45 + 15 cos(2π d / TRACK_LENGTH_M)`` (30–60 m/s).
    """
    dist, speeds, laps_, times = [], [], [], []
    d, n, t, travelled = start_m, lap, t0_s, 0.0
    while travelled <= metres:
        v = speed_mps(d)
        dist.append(d), speeds.append(v), laps_.append(n), times.append(t)
        step = v / rate_hz
        d, t, travelled = d + step, t + 1.0 / rate_hz, travelled + step
        if d >= TRACK_LENGTH_M:
            d -= TRACK_LENGTH_M
            n += 1
    return {
        "lap_dist_m": np.asarray(dist, dtype=np.float32),
        "speed_mps": np.asarray(speeds, dtype=np.float32),
        "lap": np.asarray(laps_, dtype=np.float32),
        "session_time_s": np.asarray(times, dtype=np.float64),
    }


def speed_mps(d: float) -> float:
    """The synthetic car's speed (m/s) at ``d`` metres from the line."""
    return 45.0 + 15.0 * np.cos(2 * np.pi * d / TRACK_LENGTH_M)
