"""Plain-numpy reference implementation of every analysis kernel.

Same signatures, results and exceptions as :mod:`racecoach.native.kernels`,
written with whole-array numpy operations (forward fills, convolutions,
``np.interp``) rather than the single-pass loops of the C code, so that
comparing the two is meaningful. The definitions are documented on the C
wrappers; only how each is computed differs here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import _validate as v
from . import errors as e
from .results import BRAKE_ZONE_DTYPE, CORNER_DTYPE, LAP_CHANNELS, SEGMENT_DTYPE, LapResult, ResampledLap, TrackMap

__all__ = ["analyze_lap", "resample_lap", "braking_zones", "corners", "delta_time", "corner_time_loss", "track_map"]

G_MPS2 = 9.80665
WGS84_A_M = 6378137.0
WGS84_E2 = 0.00669437999014
MAX_GRID = 100_000_000
APEX_HOLD_MPS = 0.01  # a held speed minimum: within this of the lowest speed
KAPPA_TIE_1PM = 1e-9  # curvatures closer than this are equal (peaks, cuts)


def _finite(func: str, name: str, a: np.ndarray | None) -> None:
    if a is None:
        return
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise e.non_finite(func, name, int(bad[0]), float(a[bad[0]]))


def _at_least_two(func: str, name: str, a: np.ndarray) -> None:
    if a.shape[0] < 2:
        raise e.too_few(func, name, a.shape[0])


def _increasing(func: str, name: str, a: np.ndarray, strict: bool = True) -> None:
    _finite(func, name, a)
    step = np.diff(a)
    bad = np.flatnonzero(step <= 0 if strict else step < 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise e.not_increasing(func, name, i, float(a[i - 1]), float(a[i]), strict=strict)


def resample_lap(
    *,
    lap_dist_m: np.ndarray,
    channels: Mapping[str, np.ndarray] | np.ndarray,
    step_m: float = 1.0,
    lap_length_m: float | None = None,
) -> ResampledLap:
    """Reference of :func:`racecoach.native.kernels.resample_lap`."""
    func = "resample_lap"
    step, length = v.grid_step(func, step_m, lap_length_m)
    dist = v.as_samples(func, "lap_dist_m", lap_dist_m)
    names, rows = v.channel_rows(func, channels, ("lap_dist_m", dist.shape[0]))
    _at_least_two(func, "lap_dist_m", dist)
    _finite(func, "lap_dist_m", dist)
    # a sample survives when it beats the running maximum of everything before it
    before = np.concatenate(([-np.inf], np.maximum.accumulate(dist)[:-1]))
    keep = dist > before
    if keep.sum() < 2:
        raise e.too_few(func, "lap_dist_m", int(keep.sum()), what="samples with increasing distance")
    for i, name in enumerate(names):
        _finite(func, f"channels[{name!r}]", rows[i])
    xp = dist[keep]
    total = xp[-1] if length is None else length
    if not np.ceil(total / step) < MAX_GRID:
        raise e.bad_parameter(func, "step_m", step_m, "large enough for a grid under 1e8 points")
    grid = np.arange(int(np.ceil(total / step)) + 1) * step
    grid = grid[grid < total]
    out = np.empty((len(names), grid.shape[0]))
    for i in range(len(names)):
        out[i] = np.interp(grid, xp, rows[i][keep])
    return ResampledLap(grid_m=grid, values=out, names=names, step_m=step,
                        samples_dropped=int(dist.shape[0] - keep.sum()))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) index pairs of the True runs in ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


def _merge(runs, dist, gap_m, min_length_m, key=None):
    """Merge runs closer than ``gap_m`` (and with equal ``key``), drop short ones."""
    merged: list[list[int]] = []
    for s, t in runs:
        k = key(s, t) if key else 0
        if merged and merged[-1][2] == k and dist[s] - dist[merged[-1][1]] < gap_m:
            merged[-1][1] = t
        else:
            merged.append([s, t, k])
    return [(s, t, k) for s, t, k in merged if dist[t] - dist[s] >= min_length_m]


def braking_zones(
    *,
    dist_m: np.ndarray,
    brake: np.ndarray,
    speed_mps: np.ndarray,
    time_s: np.ndarray,
    lat_accel_mps2: np.ndarray | None = None,
    steering_rad: np.ndarray | None = None,
    on_threshold: float = 0.10,
    off_threshold: float = 0.05,
    bridge_m: float = 10.0,
    min_length_m: float = 5.0,
    turn_lat_accel_mps2: float = 3.0,
    turn_steering_rad: float = 0.10,
) -> np.ndarray:
    """Reference of :func:`racecoach.native.kernels.braking_zones`."""
    func = "braking_zones"
    p = v.brake_params(func, on_threshold=on_threshold, off_threshold=off_threshold, bridge_m=bridge_m,
                       min_length_m=min_length_m, turn_lat_accel_mps2=turn_lat_accel_mps2,
                       turn_steering_rad=turn_steering_rad)
    dist = v.as_samples(func, "dist_m", dist_m)
    like = ("dist_m", dist.shape[0])
    b = v.as_samples(func, "brake", brake, like=like)
    speed = v.as_samples(func, "speed_mps", speed_mps, like=like)
    t = v.as_samples(func, "time_s", time_s, like=like)
    lat = v.optional_samples(func, "lat_accel_mps2", lat_accel_mps2, like)
    steer = v.optional_samples(func, "steering_rad", steering_rad, like)
    _at_least_two(func, "dist_m", dist)
    _increasing(func, "dist_m", dist)
    for name, a in (("brake", b), ("speed_mps", speed), ("time_s", t), ("lat_accel_mps2", lat),
                    ("steering_rad", steer)):
        _finite(func, name, a)

    # hysteresis as a forward fill of the last decisive sample (1 on, 0 off)
    decisive = np.where(b >= p["on_threshold"], 1, np.where(b < p["off_threshold"], 0, -1))
    last = np.maximum.accumulate(np.where(decisive >= 0, np.arange(b.shape[0]), -1))
    state = np.where(last >= 0, decisive[np.maximum(last, 0)], 0) == 1
    turning = np.zeros(b.shape[0], dtype=bool)
    if lat is not None:
        turning |= np.abs(lat) > p["turn_lat_accel_mps2"]
    if steer is not None:
        turning |= np.abs(steer) > p["turn_steering_rad"]
    trail_mask = (b >= p["off_threshold"]) & turning
    step = np.diff(dist)

    zones = _merge(_runs(state), dist, p["bridge_m"], p["min_length_m"])
    out = np.zeros(len(zones), BRAKE_ZONE_DTYPE)
    for row, (s, z, _) in zip(out, zones):
        imin = s + int(np.argmin(speed[s : z + 1]))
        trail = float(np.sum(step[s:z][trail_mask[s:z]]))
        length = dist[z] - dist[s]
        row["brake_point_m"], row["end_m"] = dist[s], dist[z]
        row["entry_speed_mps"] = speed[s]
        row["peak_brake"] = b[s : z + 1].max()
        row["min_speed_mps"], row["min_speed_dist_m"] = speed[imin], dist[imin]
        row["duration_s"] = t[z] - t[s]
        row["trail_brake_dist_m"] = trail
        row["trail_brake_fraction"] = trail / length if length > 0 else 0.0
    return out


def corners(
    *,
    dist_m: np.ndarray,
    speed_mps: np.ndarray,
    yaw_rate_rps: np.ndarray | None,
    lat_accel_mps2: np.ndarray,
    throttle: np.ndarray,
    brake: np.ndarray,
    curvature_threshold_1pm: float = 0.004,
    min_speed_mps: float = 5.0,
    merge_gap_m: float = 20.0,
    min_length_m: float = 15.0,
    throttle_on_threshold: float = 0.20,
    coast_threshold: float = 0.05,
    smooth_samples: int = 15,
    peak_window_m: float = 0.0,
) -> np.ndarray:
    """Reference of :func:`racecoach.native.kernels.corners`."""
    func = "corners"
    p = v.corner_params(func, curvature_threshold_1pm=curvature_threshold_1pm, min_speed_mps=min_speed_mps,
                        merge_gap_m=merge_gap_m, min_length_m=min_length_m,
                        throttle_on_threshold=throttle_on_threshold, coast_threshold=coast_threshold,
                        smooth_samples=smooth_samples, peak_window_m=peak_window_m)
    dist = v.as_samples(func, "dist_m", dist_m)
    like = ("dist_m", dist.shape[0])
    speed = v.as_samples(func, "speed_mps", speed_mps, like=like)
    yaw = v.optional_samples(func, "yaw_rate_rps", yaw_rate_rps, like)
    lat = v.as_samples(func, "lat_accel_mps2", lat_accel_mps2, like=like)
    thr = v.as_samples(func, "throttle", throttle, like=like)
    brk = v.as_samples(func, "brake", brake, like=like)
    _at_least_two(func, "dist_m", dist)
    _increasing(func, "dist_m", dist)
    for name, a in (("speed_mps", speed), ("yaw_rate_rps", yaw), ("lat_accel_mps2", lat),
                    ("throttle", thr), ("brake", brk)):
        _finite(func, name, a)

    vmin = p["min_speed_mps"]
    floor = np.maximum(speed, vmin)
    kappa = lat / floor**2
    if yaw is not None:
        use_yaw = (yaw != 0.0) & (speed >= vmin)
        kappa = np.where(use_yaw, yaw / np.where(use_yaw, speed, 1.0), kappa)
    # centred moving average (truncated at the ends) from prefix sums, as the C kernel does it:
    # the same sums round the same way, so samples at the threshold fall on the same side
    h = p["smooth_samples"] // 2
    prefix = np.concatenate(([0.0], np.cumsum(kappa)))
    at = np.arange(kappa.shape[0])
    lo, hi = np.maximum(at - h, 0), np.minimum(at + h + 1, kappa.shape[0])
    smooth = (prefix[hi] - prefix[lo]) / (hi - lo)

    runs = _runs(np.abs(smooth) > p["curvature_threshold_1pm"])
    found = _merge(runs, dist, p["merge_gap_m"], p["min_length_m"],
                   key=lambda s, t: 1 if smooth[s : t + 1].sum() > 0 else -1)
    window = p["peak_window_m"]
    if window > 0 and found:
        found = _split_by_peaks(found, dist, smooth, p["curvature_threshold_1pm"], window)
    step = np.diff(dist)
    coasting = (thr < p["coast_threshold"]) & (brk < p["coast_threshold"])
    out = np.zeros(len(found), CORNER_DTYPE)
    for row, (s, t, direction) in zip(out, found):
        apex = s + int(np.argmin(speed[s : t + 1]))
        if window > 0:
            peak = _first_near_max(np.abs(smooth), s, t)
            held = s + np.flatnonzero(speed[s : t + 1] <= speed[apex] + APEX_HOLD_MPS)
            apex = int(held[np.argmin(np.abs(dist[held] - dist[peak]))])
            if t > s and apex in (s, t):  # the speed does not dip: apex at the curvature peak
                apex = peak
        on = thr[apex : t + 1] >= p["throttle_on_threshold"]
        if on[-1]:
            off = np.flatnonzero(~on)
            throttle_on = dist[apex + (int(off[-1]) + 1 if off.size else 0)]
        else:
            throttle_on = np.nan
        row["entry_m"], row["apex_m"], row["exit_m"] = dist[s], dist[apex], dist[t]
        row["apex_speed_mps"] = speed[apex]
        row["max_lat_g"] = np.abs(lat[s : t + 1]).max() / G_MPS2
        row["min_radius_m"] = 1.0 / np.abs(smooth[s : t + 1]).max()
        row["throttle_on_m"] = throttle_on
        row["coasting_m"] = step[s:t][coasting[s:t]].sum()
        row["direction"] = direction
    return out


def _curvature_peaks(dist: np.ndarray, ak: np.ndarray, thr: float, window: float) -> np.ndarray:
    """Indices whose |curvature| is above ``thr`` and the largest within ±``window`` metres;
    of two such candidates at most ``window`` apart only the first."""
    lo = np.searchsorted(dist, dist - window, side="left")
    hi = np.searchsorted(dist, dist + window, side="right")
    padded = np.append(ak, -np.inf)  # hi may be n
    wmax = np.maximum.reduceat(padded, np.column_stack([lo, hi]).ravel())[::2]
    cand = np.flatnonzero((ak >= wmax - KAPPA_TIE_1PM) & (ak > thr))
    keep = np.concatenate(([True], np.diff(dist[cand]) > window)) if cand.size else np.zeros(0, bool)
    return cand[keep]


def _first_near_max(ak: np.ndarray, s: int, t: int) -> int:
    part = ak[s : t + 1]
    return s + int(np.argmax(part >= part.max() - KAPPA_TIE_1PM))


def _split_by_peaks(found, dist, smooth, thr, window):
    """Merge corners without a curvature peak into their nearest neighbour; split corners with several."""
    ak = np.abs(smooth)
    peaks = _curvature_peaks(dist, ak, thr, window)
    regions = [[s, t, d, [int(q) for q in peaks[(peaks >= s) & (peaks <= t)]]] for s, t, d in found]
    held = np.array([q for r in regions for q in r[3]], dtype=np.int64)
    r = 0
    while held.size and r < len(regions):
        s, t, _, own = regions[r]
        if own:
            r += 1
            continue
        m = _first_near_max(ak, s, t)
        nearest = int(held[np.argmin(np.abs(dist[held] - dist[m]))])
        target = r - 1 if nearest < s and r > 0 else r + 1 if nearest > t and r + 1 < len(regions) else None
        if target is None:
            r += 1
            continue
        ts, tt, td, tp = regions[target]
        regions[min(r, target)] = [min(s, ts), max(t, tt), td, tp]
        del regions[max(r, target)]
        r = 0
    out = []
    for s, t, d, own in regions:
        if len(own) < 2:
            out.append((s, t, d))
            continue
        start = s
        for a, b in zip(own[:-1], own[1:]):
            part = ak[a : b + 1]
            cut = a + int(np.argmax(part <= part.min() + KAPPA_TIE_1PM))
            out.append((start, cut, 1 if smooth[start : cut + 1].sum() > 0 else -1))
            start = cut + 1
        out.append((start, t, 1 if smooth[start : t + 1].sum() > 0 else -1))
    return out


def delta_time(*, grid_m: np.ndarray, time_a_s: np.ndarray, time_b_s: np.ndarray) -> np.ndarray:
    """Reference of :func:`racecoach.native.kernels.delta_time`."""
    func = "delta_time"
    grid = v.as_samples(func, "grid_m", grid_m)
    a = v.as_samples(func, "time_a_s", time_a_s, like=("grid_m", grid.shape[0]))
    b = v.as_samples(func, "time_b_s", time_b_s, like=("grid_m", grid.shape[0]))
    _at_least_two(func, "grid_m", grid)
    _increasing(func, "grid_m", grid)
    _finite(func, "time_a_s", a)
    _finite(func, "time_b_s", b)
    gap = b - a
    return gap - gap[0]


def corner_time_loss(*, grid_m: np.ndarray, delta_s: np.ndarray, boundaries_m: Sequence[float] | np.ndarray) -> np.ndarray:
    """Reference of :func:`racecoach.native.kernels.corner_time_loss`."""
    func = "corner_time_loss"
    grid = v.as_samples(func, "grid_m", grid_m)
    delta = v.as_samples(func, "delta_s", delta_s, like=("grid_m", grid.shape[0]))
    bounds = v.as_samples(func, "boundaries_m", np.asarray(boundaries_m, dtype=np.float64)
                          if isinstance(boundaries_m, (list, tuple)) else boundaries_m)
    _at_least_two(func, "grid_m", grid)
    _increasing(func, "grid_m", grid)
    _finite(func, "delta_s", delta)
    _increasing(func, "boundaries_m", bounds)
    outside = np.flatnonzero((bounds < grid[0]) | (bounds > grid[-1]))
    if outside.size:
        k = int(outside[0])
        raise e.out_of_range(func, "boundaries_m", k, float(bounds[k]), "within the grid (grid_m[0] to grid_m[-1])")
    edges = np.concatenate(([grid[0]], bounds, [grid[-1]]))
    at_edges = np.interp(edges, grid, delta)
    out = np.zeros(edges.shape[0] - 1, SEGMENT_DTYPE)
    out["start_m"], out["end_m"] = edges[:-1], edges[1:]
    out["time_loss_s"] = np.diff(at_edges)
    return out


def _forward_fill(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    idx = np.maximum.accumulate(np.where(valid, np.arange(values.shape[0]), -1))
    first = int(np.argmax(valid))
    return values[np.where(idx >= 0, idx, first)]


def track_map(
    *,
    lat_deg: np.ndarray | None = None,
    lon_deg: np.ndarray | None = None,
    yaw_rad: np.ndarray | None = None,
    speed_mps: np.ndarray | None = None,
    time_s: np.ndarray | None = None,
) -> TrackMap:
    """Reference of :func:`racecoach.native.kernels.track_map`."""
    func = "track_map"
    have_dr = yaw_rad is not None and speed_mps is not None and time_s is not None
    if lat_deg is None and lon_deg is None and not have_dr:
        raise e.KernelInputError(f"{func}: pass lat_deg and lon_deg, or yaw_rad, speed_mps and time_s")
    if lat_deg is not None or lon_deg is not None:
        lat = v.as_samples(func, "lat_deg", lat_deg)
        lon = v.as_samples(func, "lon_deg", lon_deg, like=("lat_deg", lat.shape[0]))
        _at_least_two(func, "lat_deg", lat)
        _finite(func, "lat_deg", lat)
        _finite(func, "lon_deg", lon)
        bad = np.flatnonzero((np.abs(lat) > 90.0) | (np.abs(lon) > 180.0))
        if bad.size:
            i = int(bad[0])
            name, value, rule = (("lat_deg", lat[i], "within [-90, 90]") if abs(lat[i]) > 90.0
                                 else ("lon_deg", lon[i], "within [-180, 180]"))
            raise e.out_of_range(func, name, i, float(value), rule)
        valid = (lat != 0.0) | (lon != 0.0)
        if valid.any():
            first = int(np.argmax(valid))
            phi0 = np.radians(lat[first])
            w = 1.0 - WGS84_E2 * np.sin(phi0) ** 2
            north = WGS84_A_M * (1.0 - WGS84_E2) / w**1.5
            east = WGS84_A_M / np.sqrt(w) * np.cos(phi0)
            dlon = (lon - lon[first] + 180.0) % 360.0 - 180.0
            x = _forward_fill(east * np.radians(dlon), valid)
            y = _forward_fill(north * np.radians(lat - lat[first]), valid)
            return TrackMap(x_m=x, y_m=y, source="latlon", samples_used=int(valid.sum()))
        if not have_dr:
            raise e.no_gps(func)
    yaw = v.as_samples(func, "yaw_rad", yaw_rad)
    speed = v.as_samples(func, "speed_mps", speed_mps, like=("yaw_rad", yaw.shape[0]))
    t = v.as_samples(func, "time_s", time_s, like=("yaw_rad", yaw.shape[0]))
    _at_least_two(func, "yaw_rad", yaw)
    for name, a in (("yaw_rad", yaw), ("speed_mps", speed)):
        _finite(func, name, a)
    _increasing(func, "time_s", t, strict=False)
    dt = np.diff(t)
    vx, vy = speed * np.cos(yaw), speed * np.sin(yaw)
    x = np.concatenate(([0.0], np.cumsum(0.5 * (vx[1:] + vx[:-1]) * dt)))
    y = np.concatenate(([0.0], np.cumsum(0.5 * (vy[1:] + vy[:-1]) * dt)))
    return TrackMap(x_m=x, y_m=y, source="dead_reckoning", samples_used=int(yaw.shape[0]))


def analyze_lap(
    *,
    lap_dist_m: np.ndarray,
    session_time_s: np.ndarray,
    speed_mps: np.ndarray,
    brake: np.ndarray,
    throttle: np.ndarray,
    lat_accel_mps2: np.ndarray,
    lap_length_m: float,
    yaw_rate_rps: np.ndarray | None = None,
    steering_rad: np.ndarray | None = None,
    step_m: float = 1.0,
    reference_time_s: np.ndarray | None = None,
    zone_params: Mapping[str, float] | None = None,
    corner_params: Mapping[str, float] | None = None,
) -> LapResult:
    """Reference of :func:`racecoach.native.lap.analyze_lap`: the reference kernels one after the other."""
    given = (session_time_s, speed_mps, brake, throttle, yaw_rate_rps, lat_accel_mps2, steering_rad)
    chans = {name: x for name, x in zip(LAP_CHANNELS, given) if x is not None}
    lap = resample_lap(lap_dist_m=lap_dist_m, channels=chans, step_m=step_m, lap_length_m=lap_length_m)
    g = lap.channels
    zones = braking_zones(dist_m=lap.grid_m, brake=g["brake"], speed_mps=g["speed_mps"], time_s=g["session_time_s"],
                          lat_accel_mps2=g["lat_accel_mps2"], steering_rad=g.get("steering_rad"), **(zone_params or {}))
    found = corners(dist_m=lap.grid_m, speed_mps=g["speed_mps"], yaw_rate_rps=g.get("yaw_rate_rps"),
                    lat_accel_mps2=g["lat_accel_mps2"], throttle=g["throttle"], brake=g["brake"], **(corner_params or {}))
    delta = segments = None
    if reference_time_s is not None:
        ref = v.as_samples("analyze_lap", "reference_time_s", reference_time_s)
        m = min(lap.grid_m.shape[0], ref.shape[0])
        grid = lap.grid_m[:m]
        delta = delta_time(grid_m=grid, time_a_s=ref[:m], time_b_s=g["session_time_s"][:m])
        exits = found["exit_m"][(found["exit_m"] > grid[0]) & (found["exit_m"] < grid[-1])]
        exits = exits[np.concatenate(([True], exits[1:] > np.maximum.accumulate(exits)[:-1]))] if exits.size else exits
        segments = corner_time_loss(grid_m=grid, delta_s=delta, boundaries_m=exits)
    return LapResult(grid_m=lap.grid_m, channels=g, zones=zones, corners=found, delta_s=delta, segments=segments,
                     samples_dropped=lap.samples_dropped)
