"""Python entry points of the C analysis kernels.

This module and :mod:`racecoach.native.lap` (the whole lap in one call, which
keeps its own per-thread cffi buffers) are the only ones that touch
``ffi``/``lib``. Each function checks shapes and dtypes, converts its arrays to
contiguous float64 once, hands the buffers to C without copying
(``ffi.from_buffer``) and turns the C return code into a
:mod:`racecoach.native.errors` exception. cffi releases the GIL for the
duration of every kernel call, so several threads can analyse laps at once.

All arrays are one lap's samples (or its resampled grid); units are in the
argument names. :mod:`racecoach.native.reference` has the same functions in
plain numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import _validate as v
from . import errors as e
from ._kernels import ffi, lib
from .results import BRAKE_ZONE_DTYPE, CORNER_DTYPE, SEGMENT_DTYPE, ResampledLap, TrackMap

__all__ = ["resample_lap", "braking_zones", "corners", "delta_time", "corner_time_loss", "track_map"]


def _check_layout(ctype: str, dtype: np.dtype) -> None:
    """The numpy result dtypes must match the C structs byte for byte."""
    ok = ffi.sizeof(ctype) == dtype.itemsize and all(
        ffi.offsetof(ctype, name) == dtype.fields[name][1] for name in dtype.names
    )
    if not ok:  # pragma: no cover - a build/ABI problem, not an input problem
        raise e.KernelInternalError(f"{ctype} layout does not match {dtype}")


_check_layout("rc_brake_zone", BRAKE_ZONE_DTYPE)
_check_layout("rc_corner", CORNER_DTYPE)
_check_layout("rc_segment", SEGMENT_DTYPE)


def _capacities(worst: int) -> tuple[int, ...]:
    """Result rows to make room for: a lap's tens of zones or corners first (a worst-case
    buffer costs page faults on every call), the worst case only when that overflows."""
    return (worst,) if worst <= 256 else (256, worst)


def _buf(a: np.ndarray | None, ctype: str = "double[]"):
    return ffi.NULL if a is None else ffi.from_buffer(ctype, a)


def _raise(func: str, err, args: Sequence[tuple[str, object]]) -> None:
    """Turn a C error into an exception. ``args`` follows the kernel's argument order:
    (name, array) for arrays and (name, value) for parameters."""
    code, arg, index = int(err.code), int(err.arg), int(err.index)
    name, value = args[arg] if 0 <= arg < len(args) else (f"argument {arg}", None)
    if code in (lib.RC_ERR_NAN, lib.RC_ERR_NONFINITE):
        raise e.non_finite(func, name, index, float(value[index]))
    if code == lib.RC_ERR_TOO_SHORT:
        if value is not None and len(value) >= 2:
            raise e.too_few(func, name, index, what="samples with increasing distance")
        raise e.too_few(func, name, index)
    if code == lib.RC_ERR_NOT_INCREASING:
        raise e.not_increasing(func, name, index, float(value[index - 1]), float(value[index]),
                               strict=name != "time_s")
    if code == lib.RC_ERR_PARAM:
        raise e.bad_parameter(func, name, value, "in range (rejected by the kernel)")
    if code == lib.RC_ERR_RANGE:
        rule = "within [-90, 90]" if name == "lat_deg" else "within [-180, 180]"
        if name == "boundaries_m":
            rule = "within the grid (grid_m[0] to grid_m[-1])"
        raise e.out_of_range(func, name, index, float(value[index]), rule)
    if code == lib.RC_ERR_NO_DATA:
        raise e.no_gps(func)
    raise e.KernelInternalError(f"{func}: kernel failed with code {code} (argument {name}, index {index})")


def resample_lap(
    *,
    lap_dist_m: np.ndarray,
    channels: Mapping[str, np.ndarray] | np.ndarray,
    step_m: float = 1.0,
    lap_length_m: float | None = None,
) -> ResampledLap:
    """Resample every channel onto the grid 0, step_m, 2·step_m, … < lap length.

    ``lap_dist_m`` is repaired first: a sample is kept only when its distance is
    strictly greater than that of the last kept sample (repeats and backward
    steps are dropped). Channels are interpolated linearly between kept samples
    and held constant before the first / after the last one. ``lap_length_m``
    defaults to the largest distance. ``channels`` is a mapping name → array or
    a 2-D (n_channels, n_samples) array; pass ``session_time_s`` among them to get
    the time at each distance. NaN or infinite samples raise
    :class:`~racecoach.native.errors.NonFiniteInputError`.
    """
    func = "resample_lap"
    step, length = v.grid_step(func, step_m, lap_length_m)
    dist = v.as_samples(func, "lap_dist_m", lap_dist_m)
    names, rows = v.channel_rows(func, channels, ("lap_dist_m", dist.shape[0]))
    n, n_ch = dist.shape[0], len(rows)
    err = ffi.new("rc_error *")
    n_grid, n_kept = ffi.new("size_t *"), ffi.new("size_t *")
    size_args = [("lap_dist_m", dist), ("step_m", step), ("lap_length_m", lap_length_m)]
    if lib.rc_resample_grid_size(_buf(dist), n, step, length or 0.0, n_grid, n_kept, err) != lib.RC_OK:
        _raise(func, err, size_args)
    grid = np.empty(n_grid[0])
    out = np.empty((n_ch, n_grid[0]))
    row_bufs = [_buf(r) for r in rows]  # keeps every buffer referenced during the call
    row_ptrs = ffi.new("double *[]", row_bufs) if row_bufs else ffi.NULL
    rc = lib.rc_resample_lap(_buf(dist), row_ptrs, n, n_ch, step, _buf(grid), _buf(out), n_grid[0], err)
    if rc != lib.RC_OK:
        _raise(func, err, size_args[:2] + [(f"channels[{k!r}]", rows[i]) for i, k in enumerate(names)])
    return ResampledLap(grid_m=grid, values=out, names=names, step_m=step, samples_dropped=n - n_kept[0])


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
    """Braking zones as a :data:`~racecoach.native.results.BRAKE_ZONE_DTYPE` array.

    Hysteresis on ``brake`` (0–1): on at ``brake >= on_threshold``, off again at
    ``brake < off_threshold``. A zone runs from the first to the last "on"
    sample; zones separated by a release shorter than ``bridge_m`` are merged,
    zones shorter than ``min_length_m`` dropped. ``dist_m`` must be strictly
    increasing (use the resampled grid).

    Trail braking: the distance inside the zone where the brake is still
    applied (``brake >= off_threshold``) while the car is already cornering,
    i.e. ``|lat_accel_mps2| > turn_lat_accel_mps2`` or ``|steering_rad| >
    turn_steering_rad`` (each test only for the channels given; give at least
    one to measure it). ``trail_brake_fraction`` is that distance over the
    zone's length (``end_m - brake_point_m``).
    """
    func = "braking_zones"
    params = v.brake_params(func, on_threshold=on_threshold, off_threshold=off_threshold, bridge_m=bridge_m,
                            min_length_m=min_length_m, turn_lat_accel_mps2=turn_lat_accel_mps2,
                            turn_steering_rad=turn_steering_rad)
    dist = v.as_samples(func, "dist_m", dist_m)
    like = ("dist_m", dist.shape[0])
    arrays = [
        ("dist_m", dist),
        ("brake", v.as_samples(func, "brake", brake, like=like)),
        ("speed_mps", v.as_samples(func, "speed_mps", speed_mps, like=like)),
        ("time_s", v.as_samples(func, "time_s", time_s, like=like)),
        ("lat_accel_mps2", v.optional_samples(func, "lat_accel_mps2", lat_accel_mps2, like)),
        ("steering_rad", v.optional_samples(func, "steering_rad", steering_rad, like)),
    ]
    n = dist.shape[0]
    count, err = ffi.new("size_t *"), ffi.new("rc_error *")
    p = ffi.new("rc_brake_params *", params)
    for capacity in _capacities(n // 2 + 1):
        zones = np.empty(capacity, BRAKE_ZONE_DTYPE)
        rc = lib.rc_braking_zones(*(_buf(a) for _, a in arrays), n, p, _buf(zones, "rc_brake_zone[]"),
                                  zones.shape[0], count, err)
        if rc != lib.RC_ERR_CAPACITY:
            break
    if rc != lib.RC_OK:
        _raise(func, err, arrays + list(params.items()))
    return zones[: count[0]].copy()


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
    """Corners as a :data:`~racecoach.native.results.CORNER_DTYPE` array.

    Curvature (1/m, positive = left): ``yaw_rate_rps / speed_mps`` where the yaw
    rate is given, non-zero and the speed is at least ``min_speed_mps``;
    otherwise ``lat_accel_mps2 / max(speed_mps, min_speed_mps)**2``. It is smoothed
    with a centred moving average of ``smooth_samples`` samples (truncated at
    the ends). A corner is a run of samples with ``|curvature| >
    curvature_threshold_1pm``; same-direction runs less than ``merge_gap_m``
    apart are merged and corners shorter than ``min_length_m`` dropped.

    Fields: ``entry_m``/``exit_m`` (first/last sample of the run), ``apex_m``
    (the coaching apex: with ``peak_window_m == 0`` the first sample with the
    lowest speed in the corner; otherwise see below) and its
    ``apex_speed_mps``, ``max_lat_g``, ``min_radius_m`` (1 / peak smoothed
    curvature), ``throttle_on_m`` (first sample at or after the apex from which
    ``throttle >= throttle_on_threshold`` holds up to the exit; NaN if the
    throttle is below it at the exit), ``coasting_m`` (distance with ``throttle``
    and ``brake`` both below ``coast_threshold``), ``direction`` (+1 left,
    -1 right). ``dist_m`` must be strictly increasing (use the resampled grid).

    With ``peak_window_m > 0`` corners follow curvature peaks (the largest
    ``|curvature|`` within ``±peak_window_m``, above the threshold; of two
    candidates at most that far apart the first): a corner without a peak joins
    its nearest neighbour, a corner with several peaks is split at the lowest
    ``|curvature|`` between them, and the apex is the sample within 0.01 m/s of
    the lowest speed nearest the corner's curvature peak (a held minimum is
    centred on the peak), or the peak itself when that sample is the corner's
    entry or exit (the speed does not dip).
    """
    func = "corners"
    params = v.corner_params(func, curvature_threshold_1pm=curvature_threshold_1pm, min_speed_mps=min_speed_mps,
                             merge_gap_m=merge_gap_m, min_length_m=min_length_m,
                             throttle_on_threshold=throttle_on_threshold, coast_threshold=coast_threshold,
                             smooth_samples=smooth_samples, peak_window_m=peak_window_m)
    dist = v.as_samples(func, "dist_m", dist_m)
    like = ("dist_m", dist.shape[0])
    arrays = [
        ("dist_m", dist),
        ("speed_mps", v.as_samples(func, "speed_mps", speed_mps, like=like)),
        ("yaw_rate_rps", v.optional_samples(func, "yaw_rate_rps", yaw_rate_rps, like)),
        ("lat_accel_mps2", v.as_samples(func, "lat_accel_mps2", lat_accel_mps2, like=like)),
        ("throttle", v.as_samples(func, "throttle", throttle, like=like)),
        ("brake", v.as_samples(func, "brake", brake, like=like)),
    ]
    n = dist.shape[0]
    work = np.empty(2 * n + 1)
    count, err = ffi.new("size_t *"), ffi.new("rc_error *")
    p = ffi.new("rc_corner_params *", params)
    for capacity in _capacities(n + 1):
        out = np.empty(capacity, CORNER_DTYPE)
        rc = lib.rc_corners(*(_buf(a) for _, a in arrays), n, p, _buf(work), _buf(out, "rc_corner[]"),
                            out.shape[0], count, err)
        if rc != lib.RC_ERR_CAPACITY:
            break
    if rc != lib.RC_OK:
        _raise(func, err, arrays + list(params.items()))
    return out[: count[0]].copy()


def delta_time(*, grid_m: np.ndarray, time_a_s: np.ndarray, time_b_s: np.ndarray) -> np.ndarray:
    """Delta-time trace in seconds: ``(time_b_s - time_b_s[0]) - (time_a_s - time_a_s[0])``.

    Both times are sampled on the same strictly increasing distance grid
    ``grid_m`` (e.g. ``resample_lap(...)["session_time_s"]`` of two laps).
    Positive values mean lap b is behind lap a at that distance; the trace
    starts at 0.
    """
    func = "delta_time"
    grid = v.as_samples(func, "grid_m", grid_m)
    like = ("grid_m", grid.shape[0])
    a = v.as_samples(func, "time_a_s", time_a_s, like=like)
    b = v.as_samples(func, "time_b_s", time_b_s, like=like)
    out = np.empty(grid.shape[0])
    err = ffi.new("rc_error *")
    if lib.rc_delta_time(_buf(grid), _buf(a), _buf(b), grid.shape[0], _buf(out), err) != lib.RC_OK:
        _raise(func, err, [("grid_m", grid), ("time_a_s", a), ("time_b_s", b)])
    return out


def corner_time_loss(*, grid_m: np.ndarray, delta_s: np.ndarray, boundaries_m: Sequence[float] | np.ndarray) -> np.ndarray:
    """Time lost per lap segment, as a :data:`~racecoach.native.results.SEGMENT_DTYPE` array.

    ``boundaries_m`` (strictly increasing, within the grid) cut the lap into
    ``len(boundaries_m) + 1`` segments: ``[grid_m[0], b0], [b0, b1], …,
    [b_last, grid_m[-1]]`` — corners and the straights between them. The loss of
    a segment is the change of ``delta_s`` (linearly interpolated) across it, so
    the losses sum to ``delta_s[-1] - delta_s[0]`` (the lap delta) up to
    rounding. Positive: lap b lost time there.
    """
    func = "corner_time_loss"
    grid = v.as_samples(func, "grid_m", grid_m)
    delta = v.as_samples(func, "delta_s", delta_s, like=("grid_m", grid.shape[0]))
    bounds = v.as_samples(func, "boundaries_m", np.asarray(boundaries_m, dtype=np.float64)
                          if isinstance(boundaries_m, (list, tuple)) else boundaries_m)
    out = np.empty(bounds.shape[0] + 1, SEGMENT_DTYPE)
    err = ffi.new("rc_error *")
    rc = lib.rc_segment_time_loss(_buf(grid), _buf(delta), grid.shape[0], _buf(bounds), bounds.shape[0],
                                  _buf(out, "rc_segment[]"), err)
    if rc != lib.RC_OK:
        _raise(func, err, [("grid_m", grid), ("delta_s", delta), ("boundaries_m", bounds)])
    return out


def track_map(
    *,
    lat_deg: np.ndarray | None = None,
    lon_deg: np.ndarray | None = None,
    yaw_rad: np.ndarray | None = None,
    speed_mps: np.ndarray | None = None,
    time_s: np.ndarray | None = None,
) -> TrackMap:
    """Planar track map in metres (x east, y north, origin at the first valid sample).

    With ``lat_deg``/``lon_deg``: a local tangent-plane projection (WGS-84 radii
    of curvature at the first valid latitude); 0/0 dummy samples are ignored
    (they repeat the previous valid position). When GPS is absent or all 0/0:
    ``yaw_rad`` (heading counter-clockwise from east, iRacing ``Yaw``) and
    ``speed_mps`` integrated over ``time_s`` (trapezoidal rule).
    """
    func = "track_map"
    have_gps = lat_deg is not None or lon_deg is not None
    have_dr = yaw_rad is not None and speed_mps is not None and time_s is not None
    if not have_gps and not have_dr:
        raise e.KernelInputError(f"{func}: pass lat_deg and lon_deg, or yaw_rad, speed_mps and time_s")
    err = ffi.new("rc_error *")
    if have_gps:
        lat = v.as_samples(func, "lat_deg", lat_deg)
        lon = v.as_samples(func, "lon_deg", lon_deg, like=("lat_deg", lat.shape[0]))
        x, y, used = np.empty(lat.shape[0]), np.empty(lat.shape[0]), ffi.new("size_t *")
        rc = lib.rc_track_map_latlon(_buf(lat), _buf(lon), lat.shape[0], _buf(x), _buf(y), used, err)
        if rc == lib.RC_OK:
            return TrackMap(x_m=x, y_m=y, source="latlon", samples_used=int(used[0]))
        if rc != lib.RC_ERR_NO_DATA or not have_dr:
            _raise(func, err, [("lat_deg", lat), ("lon_deg", lon)])
    yaw = v.as_samples(func, "yaw_rad", yaw_rad)
    like = ("yaw_rad", yaw.shape[0])
    speed = v.as_samples(func, "speed_mps", speed_mps, like=like)
    t = v.as_samples(func, "time_s", time_s, like=like)
    x, y = np.empty(yaw.shape[0]), np.empty(yaw.shape[0])
    if lib.rc_track_map_dead_reckoning(_buf(yaw), _buf(speed), _buf(t), yaw.shape[0], _buf(x), _buf(y), err) != lib.RC_OK:
        _raise(func, err, [("yaw_rad", yaw), ("speed_mps", speed), ("time_s", t)])
    return TrackMap(x_m=x, y_m=y, source="dead_reckoning", samples_used=int(yaw.shape[0]))


def _defaults(func) -> dict[str, object]:
    import inspect

    return {k: p.default for k, p in inspect.signature(func).parameters.items()
            if p.default is not inspect.Parameter.empty and p.default is not None}


#: Parameter defaults of :func:`braking_zones` and :func:`corners` (used by ``analyze_lap``).
BRAKE_DEFAULTS = _defaults(braking_zones)
CORNER_DEFAULTS = _defaults(corners)
