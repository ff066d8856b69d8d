"""Input coercion and parameter checks shared by the C wrappers and the reference.

Only shapes, dtypes and scalar parameters are checked here; sample values
(NaN, monotonic distance, too few usable samples) are checked by each
implementation itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from .errors import InputDtypeError, InputShapeError, LengthMismatchError, bad_parameter

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def as_samples(func: str, name: str, x: object, *, like: tuple[str, int] | None = None) -> np.ndarray:
    """``x`` as a contiguous 1-D float64 array (float32/float64 input only).

    ``like`` is ``(other_name, other_length)``: the length ``x`` must have.
    """
    if x is None:
        raise InputShapeError(f"{func}: {name} is required")
    a = np.asarray(x)
    if a.dtype not in FLOAT_DTYPES:
        raise InputDtypeError(
            f"{func}: {name} must be a float32 or float64 array, got dtype {a.dtype}; "
            f"convert it with np.asarray({name}, dtype=np.float64)"
        )
    if a.ndim != 1:
        raise InputShapeError(f"{func}: {name} must be 1-D (one value per sample), got shape {a.shape}")
    if like is not None and a.shape[0] != like[1]:
        raise LengthMismatchError(
            f"{func}: {name} has {a.shape[0]} samples but {like[0]} has {like[1]}; "
            "every channel must describe the same samples"
        )
    return np.ascontiguousarray(a, dtype=np.float64)


def optional_samples(func: str, name: str, x: object, like: tuple[str, int]) -> np.ndarray | None:
    return None if x is None else as_samples(func, name, x, like=like)


def channel_rows(
    func: str, channels: Mapping[str, object] | np.ndarray | Sequence[object], like: tuple[str, int]
) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """Channel names and one contiguous float64 1-D array per channel (no copy when
    the input already is one).

    ``channels`` is a mapping name → 1-D array, or a 2-D array shaped
    (n_channels, n_samples) whose channels are named "0", "1", ...
    """
    if isinstance(channels, Mapping):
        names = tuple(str(k) for k in channels)
        return names, [as_samples(func, f"channels[{k!r}]", v, like=like) for k, v in channels.items()]
    a = np.asarray(channels)
    if a.dtype not in FLOAT_DTYPES:
        raise InputDtypeError(f"{func}: channels must be float32 or float64, got dtype {a.dtype}")
    if a.ndim != 2:
        raise InputShapeError(
            f"{func}: channels must be a mapping of 1-D arrays or a 2-D (n_channels, n_samples) array, "
            f"got shape {a.shape}"
        )
    if a.shape[1] != like[1]:
        raise LengthMismatchError(
            f"{func}: channels has {a.shape[1]} samples per channel but {like[0]} has {like[1]}"
        )
    matrix = np.ascontiguousarray(a, dtype=np.float64)
    return tuple(str(i) for i in range(a.shape[0])), list(matrix)


def number(func: str, name: str, value: object, *, minimum: float | None = None,
           strict: bool = False, rule: str | None = None) -> float:
    """A finite float parameter, optionally bounded below (``strict``: exclusive)."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise bad_parameter(func, name, value, rule or "a finite number") from None
    ok = math.isfinite(v)
    if ok and minimum is not None:
        ok = v > minimum if strict else v >= minimum
    if not ok:
        if rule is None:
            rule = "a finite number" if minimum is None else f"a finite number {'>' if strict else '>='} {minimum}"
        raise bad_parameter(func, name, value, rule)
    return v


def odd_count(func: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1 or value % 2 == 0:
        raise bad_parameter(func, name, value, "an odd integer >= 1")
    return int(value)


def grid_step(func: str, step_m: object, lap_length_m: object) -> tuple[float, float | None]:
    step = number(func, "step_m", step_m, minimum=0.0, strict=True)
    if lap_length_m is None:
        return step, None
    return step, number(func, "lap_length_m", lap_length_m, minimum=0.0, strict=True)


def brake_params(func: str, *, on_threshold: object, off_threshold: object, bridge_m: object,
                 min_length_m: object, turn_lat_accel_mps2: object, turn_steering_rad: object) -> dict[str, float]:
    on = number(func, "on_threshold", on_threshold)
    off = number(func, "off_threshold", off_threshold)
    if off > on:
        raise bad_parameter(func, "off_threshold", off_threshold, f"<= on_threshold ({on})")
    return {
        "on_threshold": on,
        "off_threshold": off,
        "bridge_m": number(func, "bridge_m", bridge_m, minimum=0.0),
        "min_length_m": number(func, "min_length_m", min_length_m, minimum=0.0),
        "turn_lat_accel_mps2": number(func, "turn_lat_accel_mps2", turn_lat_accel_mps2, minimum=0.0),
        "turn_steering_rad": number(func, "turn_steering_rad", turn_steering_rad, minimum=0.0),
    }


def corner_params(func: str, *, curvature_threshold_1pm: object, min_speed_mps: object, merge_gap_m: object,
                  min_length_m: object, throttle_on_threshold: object, coast_threshold: object,
                  smooth_samples: object, peak_window_m: object = 0.0) -> dict[str, float | int]:
    return {
        "curvature_threshold_1pm": number(func, "curvature_threshold_1pm", curvature_threshold_1pm,
                                          minimum=0.0, strict=True),
        "min_speed_mps": number(func, "min_speed_mps", min_speed_mps, minimum=0.0, strict=True),
        "merge_gap_m": number(func, "merge_gap_m", merge_gap_m, minimum=0.0),
        "min_length_m": number(func, "min_length_m", min_length_m, minimum=0.0),
        "throttle_on_threshold": number(func, "throttle_on_threshold", throttle_on_threshold),
        "coast_threshold": number(func, "coast_threshold", coast_threshold),
        "smooth_samples": odd_count(func, "smooth_samples", smooth_samples),
        "peak_window_m": number(func, "peak_window_m", peak_window_m, minimum=0.0),
    }
