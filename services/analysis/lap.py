"""One lap's analysis from its samples: resampling, braking zones, corners (C kernels).

When a lap has every channel the analysis needs, the resampling, braking zones and corners
are one ``native.analyze_lap`` call (one crossing into C); otherwise the single kernels run
with zeros for the missing channels. The comparison with a reference lap stays with the single
kernels: it runs later (the reference is chosen after the lap is numbered) on a grid that ends
exactly at the line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from racecoach import native
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.analysis.complexes import split_merged
from racecoach.services.analysis.phases import measure_corners, phase_deltas
from racecoach.services.common.batch import Arrays

G = 9.80665
# Kernel settings of the analysis (reconciled with the simulator's ground truth, see
# tests/services/analysis/test_accuracy.py): any brake pressure starts a zone and each
# application is its own zone; corners follow curvature peaks within ±40 m.
ZONE_PARAMS = {"on_threshold": 0.02, "off_threshold": 0.02, "bridge_m": 0.0, "min_length_m": 5.0}
CORNER_PARAMS = {"peak_window_m": 40.0}
GRID_CHANNELS = ("session_time_s", "speed_mps", "brake", "throttle", "yaw_rate_rps", "lat_accel_mps2", "steering_rad")
# the channels native.analyze_lap needs (yaw rate and steering are optional there too)
FUSED_CHANNELS = ("session_time_s", "speed_mps", "brake", "throttle", "lat_accel_mps2")


@dataclass(frozen=True)
class LapTrace:
    """A lap on the 1 m distance grid; ``time_s`` starts at the start crossing."""

    grid_m: np.ndarray
    time_s: np.ndarray
    channels: dict[str, np.ndarray]
    length_m: float
    # braking zones and corners when the resampling ran as one analysis call (None: not found yet)
    zones: np.ndarray | None = None
    corners: np.ndarray | None = None


def lap_id_for(session_id: str, lap_number: int) -> str:
    """The mesh-wide id of a lap: stable, URL-safe, derived from session and lap number."""
    return f"{session_id}.{lap_number}"


def leaked_mask(pct: np.ndarray) -> np.ndarray:
    """Samples to keep: drops the leading run still on the previous lap (distance in the lap's second
    half before the first sample in its first half) and the trailing run already on the next lap."""
    keep = np.ones(len(pct), bool)
    early = np.flatnonzero(pct <= 0.5)
    late = np.flatnonzero(pct > 0.5)
    if len(early):
        keep[: early[0]] = False
    if len(late):
        keep[late[-1] + 1 :] = False
    return keep


MIN_LAP_LENGTH_M = 50.0  # shorter than any circuit: a length in kilometres or miles, or a broken recording


def trace_from_samples(*, arrays: Arrays, start_time_s: float, end_time_s: float, length_m: float, step_m: float = 1.0) -> LapTrace:
    """Resample a lap between its crossings onto a distance grid, pinning time at both lines."""
    pct = arrays["lap_dist_pct"].astype(np.float64)
    keep = leaked_mask(pct)
    dist = arrays["lap_dist_m"].astype(np.float64)[keep]
    length = length_m if length_m > 0 else float(dist.max()) if len(dist) else 0.0
    if len(dist) < 10 or length <= 0:
        raise ValueError("the lap holds too few samples to analyse")
    if length < MIN_LAP_LENGTH_M:
        raise ValueError(f"the lap is {length:.3f} m long; a lap under {MIN_LAP_LENGTH_M:.0f} m cannot be analysed "
                         "(is Track.length_m in metres?)")
    names = [n for n in GRID_CHANNELS if n in arrays]
    matrix = {n: arrays[n].astype(np.float64)[keep] for n in names}
    # Pin the crossings: distance 0 at the start time, the lap length at the end time.
    dist = np.concatenate([[0.0], np.clip(dist, 1e-6, length - 1e-6), [length]])
    for n in names:
        matrix[n] = np.concatenate([[matrix[n][0]], matrix[n], [matrix[n][-1]]])
    matrix["session_time_s"] = np.concatenate([[start_time_s], matrix["session_time_s"][1:-1], [end_time_s]])
    if all(n in matrix for n in FUSED_CHANNELS):
        result = native.analyze_lap(lap_dist_m=dist, lap_length_m=length, step_m=step_m, zone_params=ZONE_PARAMS,
                                    corner_params=CORNER_PARAMS, **{n: matrix.get(n) for n in GRID_CHANNELS})
        channels = result.channels
        return LapTrace(grid_m=result.grid_m, time_s=channels["session_time_s"] - start_time_s, channels=channels,
                        length_m=length, zones=result.zones, corners=result.corners)
    resampled = native.resample_lap(lap_dist_m=dist, channels=matrix, step_m=step_m, lap_length_m=length)
    channels = resampled.channels
    return LapTrace(grid_m=resampled.grid_m, time_s=channels["session_time_s"] - start_time_s, channels=channels, length_m=length)


def analyze_trace(
    *, trace: LapTrace, session_id: str, lap_number: int, start_time_s: float, end_time_s: float,
    flags: tuple[int, ...], sample_count: int,
) -> analysis_pb2.LapAnalysis:
    """Braking zones and corners of a resampled lap, as a LapAnalysis; corners numbered 1..N along
    the lap (a :class:`~racecoach.services.analysis.catalogue.CornerCatalogue` renumbers them)."""
    ch = trace.channels
    zones, found = trace.zones, trace.corners
    if zones is None or found is None:
        zeros = np.zeros_like(trace.grid_m)
        lat = ch.get("lat_accel_mps2", zeros)
        zones = native.braking_zones(
            dist_m=trace.grid_m, brake=ch.get("brake", zeros), speed_mps=ch["speed_mps"], time_s=ch["session_time_s"],
            lat_accel_mps2=lat, steering_rad=ch.get("steering_rad"), **ZONE_PARAMS,
        )
        found = native.corners(
            dist_m=trace.grid_m, speed_mps=ch["speed_mps"], yaw_rate_rps=ch.get("yaw_rate_rps"), lat_accel_mps2=lat,
            throttle=ch.get("throttle", zeros), brake=ch.get("brake", zeros), **CORNER_PARAMS,
        )
    numbers = range(1, len(found) + 1)
    lap = analysis_pb2.LapAnalysis(
        session_id=session_id, lap_id=lap_id_for(session_id, lap_number), lap_number=lap_number,
        start_session_time_s=start_time_s, end_session_time_s=end_time_s, valid=not flags, flags=list(flags),
        distance_m=trace.length_m, max_speed_mps=float(ch["speed_mps"].max()), sample_count=sample_count,
    )
    lap.lap_time.FromNanoseconds(round((end_time_s - start_time_s) * 1e9))
    for number, row in zip(numbers, found):
        entry, exit_ = float(row["entry_m"]), float(row["exit_m"])
        lap.corners.append(
            analysis_pb2.Corner(
                number=number, entry_m=entry, apex_m=float(row["apex_m"]), exit_m=exit_,
                apex_speed_mps=float(row["apex_speed_mps"]), max_lat_g=float(row["max_lat_g"]),
                direction=analysis_pb2.CORNER_DIRECTION_LEFT if row["direction"] > 0 else analysis_pb2.CORNER_DIRECTION_RIGHT,
                throttle_on_m=0.0 if np.isnan(row["throttle_on_m"]) else float(row["throttle_on_m"]),
                coasting_m=float(row["coasting_m"]),
                time_in_corner_s=float(np.interp(exit_, trace.grid_m, trace.time_s) - np.interp(entry, trace.grid_m, trace.time_s)),
            )
        )
    entries = [(c.entry_m, c.exit_m, c.number) for c in lap.corners]
    for index, zone in enumerate(zones, start=1):
        corner = next((n for entry, exit_, n in entries if exit_ >= zone["brake_point_m"] and entry - zone["end_m"] <= 150.0), 0)
        lap.braking_zones.append(
            analysis_pb2.BrakingZone(
                index=index, brake_point_m=float(zone["brake_point_m"]), end_m=float(zone["end_m"]),
                entry_speed_mps=float(zone["entry_speed_mps"]), peak_brake=float(zone["peak_brake"]),
                min_speed_mps=float(zone["min_speed_mps"]), min_speed_dist_m=float(zone["min_speed_dist_m"]),
                duration_s=float(zone["duration_s"]), trail_brake_fraction=float(zone["trail_brake_fraction"]),
                trail_brake_dist_m=float(zone["trail_brake_dist_m"]), corner_number=corner,
            )
        )
    return lap


def number_and_measure(*, catalogue, lap: analysis_pb2.LapAnalysis, trace: LapTrace) -> None:
    """Number ``lap``'s corners from the layout's catalogue (cutting apart a complex the lap ran together),
    then measure how each numbered corner was driven."""
    catalogue.number(lap)
    split_merged(lap=lap, published=catalogue.model.published, grid_m=trace.grid_m, channels=trace.channels,
                 time_s=trace.time_s)
    measure_corners(grid_m=trace.grid_m, channels=trace.channels, corners=lap.corners)


def compare_traces(
    *, lap: analysis_pb2.LapAnalysis, trace: LapTrace, reference: analysis_pb2.LapAnalysis, reference_trace: LapTrace
) -> analysis_pb2.CompareLapsResponse:
    """Delta trace, per-corner and per-phase losses of ``lap`` against ``reference``; each sums to the lap delta."""
    length = min(trace.length_m, reference_trace.length_m)
    grid = trace.grid_m[trace.grid_m < length]
    grid = np.append(grid, length)
    own = np.interp(grid, np.append(trace.grid_m, trace.length_m), np.append(trace.time_s, lap.lap_time.ToNanoseconds() / 1e9))
    ref = np.interp(
        grid, np.append(reference_trace.grid_m, reference_trace.length_m),
        np.append(reference_trace.time_s, reference.lap_time.ToNanoseconds() / 1e9),
    )
    delta = native.delta_time(grid_m=grid, time_a_s=ref, time_b_s=own)
    exits = sorted(c.exit_m for c in lap.corners if 0 < c.exit_m < length)
    segments = native.corner_time_loss(grid_m=grid, delta_s=delta, boundaries_m=np.asarray(exits, dtype=np.float64))
    numbers = [c.number for c in sorted(lap.corners, key=lambda c: c.exit_m) if 0 < c.exit_m < length] + [0]
    response = analysis_pb2.CompareLapsResponse(
        lap_id=lap.lap_id, reference_lap_id=reference.lap_id, step_m=float(grid[1] - grid[0]) if len(grid) > 1 else 1.0,
    )
    response.lap_delta.FromNanoseconds(round(float(delta[-1]) * 1e9))
    response.delta_s.extend(delta.astype(np.float32).tolist())
    for number, row in zip(numbers, segments):
        response.corner_deltas.append(
            analysis_pb2.CornerDelta(corner_number=number, start_m=float(row["start_m"]), end_m=float(row["end_m"]),
                                     time_loss_s=float(row["time_loss_s"]))
        )
    response.phase_deltas.extend(phase_deltas(lap=lap, reference=reference, grid_m=grid, delta_s=delta))
    return response
