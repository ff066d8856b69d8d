"""One lap's whole analysis in a single C call: resample the analysis channels, braking zones,
corners and, against a reference lap, delta time and time lost per segment.

It returns exactly what :func:`resample_lap`, :func:`braking_zones`, :func:`corners`,
:func:`delta_time` and :func:`corner_time_loss` return one after the other (the numpy reference
in :mod:`racecoach.native.reference` composes them that way), but crosses into C once: one
argument check, no intermediate Python objects, the GIL released for the whole lap.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping

import numpy as np

from . import _validate as v
from . import errors as e
from . import kernels
from ._kernels import ffi, lib
from .results import (
    BRAKE_ZONE_DTYPE,
    CORNER_DTYPE,
    LAP_CHANNELS,
    SEGMENT_DTYPE,
    LapResult,
)

__all__ = ["analyze_lap"]

_F64 = np.dtype(np.float64)
_PARAMS: dict[tuple, object] = {}
TYPICAL_ITEMS = 256  # zones / corners room tried first
_N_CH = len(LAP_CHANNELS)
_ZONE_BYTES, _CORNER_BYTES, _SEGMENT_BYTES = (d.itemsize for d in (BRAKE_ZONE_DTYPE, CORNER_DTYPE, SEGMENT_DTYPE))


def _samples(name: str, x: object, n: int | None) -> np.ndarray:
    """Fast path for contiguous float64 1-D arrays of the right length; the full check otherwise."""
    if type(x) is np.ndarray and x.dtype is _F64 and x.ndim == 1 and x.flags.c_contiguous and (n is None or x.shape[0] == n):
        return x
    return v.as_samples("analyze_lap", name, x, like=None if n is None else ("lap_dist_m", n))


def _params(kind: str, given: Mapping[str, object] | None):
    key = (kind, tuple(given.items()) if given else ())
    struct = _PARAMS.get(key)
    if struct is None:
        defaults = kernels.BRAKE_DEFAULTS if kind == "brake" else kernels.CORNER_DEFAULTS
        unknown = set(given or {}) - set(defaults)
        if unknown:
            raise e.KernelInputError(f"analyze_lap: unknown {kind} parameters {sorted(unknown)}; known: {sorted(defaults)}")
        merged = {**defaults, **(given or {})}
        checked = v.brake_params("analyze_lap", **merged) if kind == "brake" else v.corner_params("analyze_lap", **merged)
        struct = ffi.new("rc_brake_params *" if kind == "brake" else "rc_corner_params *", checked)
        if len(_PARAMS) < 64:
            _PARAMS[key] = struct
    return struct


class _Scratch:
    """One thread's reusable buffers: the corner kernel's work room, the zone / corner /
    segment rows before they are copied out, the segment boundaries and the counts, each
    with its cffi pointer made once (the GIL is released during the call, so every thread
    has its own)."""

    def __init__(self, cap: int, items: int) -> None:
        self.cap, self.items = cap, items
        self.work = np.empty(2 * cap + 1)
        self.zones = np.empty(items, BRAKE_ZONE_DTYPE)
        self.corners = np.empty(items, CORNER_DTYPE)
        self.segments = np.empty(items + 1, SEGMENT_DTYPE)
        self.bounds = np.empty(items)
        self.p_work = ffi.from_buffer("double[]", self.work)
        self.p_zones = ffi.from_buffer("rc_brake_zone[]", self.zones)
        self.p_corners = ffi.from_buffer("rc_corner[]", self.corners)
        self.p_segments = ffi.from_buffer("rc_segment[]", self.segments)
        self.p_bounds = ffi.from_buffer("double[]", self.bounds)
        self.counts, self.err = ffi.new("rc_lap_counts *"), ffi.new("rc_error *")
        self.rows = ffi.new("double *[]", _N_CH)
        self.zone_bytes, self.corner_bytes, self.segment_bytes = (
            a.view(np.uint8) for a in (self.zones, self.corners, self.segments))


_local = threading.local()


def _scratch(cap: int, items: int) -> _Scratch:
    s = getattr(_local, "scratch", None)
    if s is None or s.cap < cap or s.items != items:
        s = _Scratch(cap, items)
        if items == TYPICAL_ITEMS:  # keep the usual size; a worst-case one only for its call
            _local.scratch = s
    return s


def _rows(staged: np.ndarray, count: int, itemsize: int, dtype: np.dtype) -> np.ndarray:
    """A (writable) copy of the first ``count`` rows of ``staged`` (bytes, seen as uint8): a
    byte copy costs a third of a structured array's copy."""
    return np.frombuffer(bytearray(staged[: count * itemsize]), dtype)


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
    """The lap's analysis; ``reference_time_s`` is the reference lap's time on the same grid
    (e.g. its ``LapResult.channels["session_time_s"]``). Segment boundaries are the corner exits
    strictly inside the compared grid. ``zone_params`` / ``corner_params`` are the keyword
    parameters of :func:`braking_zones` / :func:`corners`."""
    dist = _samples("lap_dist_m", lap_dist_m, None)
    n = dist.shape[0]
    given = (session_time_s, speed_mps, brake, throttle, yaw_rate_rps, lat_accel_mps2, steering_rad)
    rows = [None if x is None else _samples(name, x, n) for name, x in zip(LAP_CHANNELS, given)]
    if type(step_m) is float and type(lap_length_m) is float and 0.0 < step_m < math.inf and 0.0 < lap_length_m < math.inf:
        step, length = step_m, lap_length_m
    else:
        step, length = v.grid_step("analyze_lap", step_m, lap_length_m)
    bp, cp = _params("brake", zone_params), _params("corner", corner_params)
    cap = int(math.ceil(length / step)) + 2
    if not cap < 100_000_000:
        raise e.bad_parameter("analyze_lap", "step_m", step_m, "large enough for a grid under 1e8 points")
    ref = None if reference_time_s is None else _samples("reference_time_s", reference_time_s, None)
    # grid, the channel rows and the delta trace in one block (the results are views of it)
    block = np.empty((_N_CH + 2, cap))
    p_block = ffi.from_buffer("double[]", block)
    # A lap has tens of zones and corners: small result buffers first (large ones cost page
    # faults on every call), the worst case only if they overflow.
    for items in (TYPICAL_ITEMS, cap + 1):
        s = _scratch(cap, items)
        for c, r in enumerate(rows):
            s.rows[c] = ffi.NULL if r is None else ffi.from_buffer("double[]", r)
        rc = lib.rc_analyze_lap(
            ffi.from_buffer("double[]", dist), s.rows, n, step, length, bp, cp,
            ffi.NULL if ref is None else ffi.from_buffer("double[]", ref), 0 if ref is None else ref.shape[0],
            p_block, p_block + cap, cap, s.p_work, s.p_zones, items, s.p_corners, items,
            ffi.NULL if ref is None else p_block + (_N_CH + 1) * cap,
            ffi.NULL if ref is None else s.p_segments, ffi.NULL if ref is None else s.p_bounds, s.counts, s.err,
        )
        counts = s.counts
        if rc != lib.RC_ERR_CAPACITY or counts.stage == 1:
            break
    for c in range(_N_CH):
        s.rows[c] = ffi.NULL  # the buffers of this call's inputs are not kept alive
    if rc != lib.RC_OK:
        _explain(dist=dist, rows=rows, step=step, length=length, ref=ref, zone_params=zone_params,
                 corner_params=corner_params, stage=int(counts.stage))
        raise e.KernelInternalError(f"analyze_lap: kernel failed with code {rc} at stage {int(counts.stage)}")
    g = counts.n_grid
    compared = min(g, ref.shape[0]) if ref is not None else 0
    return LapResult(
        grid_m=block[0, :g],
        channels={name: block[c + 1, :g] for c, name in enumerate(LAP_CHANNELS) if rows[c] is not None},
        zones=_rows(s.zone_bytes, counts.n_zones, _ZONE_BYTES, BRAKE_ZONE_DTYPE),
        corners=_rows(s.corner_bytes, counts.n_corners, _CORNER_BYTES, CORNER_DTYPE),
        delta_s=None if ref is None else block[_N_CH + 1, :compared],
        segments=None if ref is None else _rows(s.segment_bytes, counts.n_segments, _SEGMENT_BYTES, SEGMENT_DTYPE),
        samples_dropped=n - counts.n_kept,
    )


def _explain(*, dist, rows, step, length, ref, zone_params, corner_params, stage) -> None:
    """Re-run the failing step with the single kernels, which raise the precise error."""
    chans = {name: r for name, r in zip(LAP_CHANNELS, rows) if r is not None}
    lap = kernels.resample_lap(lap_dist_m=dist, channels=chans, step_m=step, lap_length_m=length)
    g = lap.channels
    zones = kernels.braking_zones(dist_m=lap.grid_m, brake=g["brake"], speed_mps=g["speed_mps"], time_s=g["session_time_s"],
                                  lat_accel_mps2=g["lat_accel_mps2"], steering_rad=g.get("steering_rad"), **(zone_params or {}))
    found = kernels.corners(dist_m=lap.grid_m, speed_mps=g["speed_mps"], yaw_rate_rps=g.get("yaw_rate_rps"),
                            lat_accel_mps2=g["lat_accel_mps2"], throttle=g["throttle"], brake=g["brake"], **(corner_params or {}))
    del zones
    if ref is not None:
        m = min(len(lap.grid_m), len(ref))
        kernels.delta_time(grid_m=lap.grid_m[:m], time_a_s=ref[:m], time_b_s=g["session_time_s"][:m])
        del found
