"""Stored samples made into what a reader asked for, as plain numpy functions: a lap on a distance grid (a lap
comparison's traces) and fewer samples (a downsampled lap). No SQL and no messages here (queries.py has those)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from racecoach.services.common.channels import resample

# the channels of a lap on the grid besides its elapsed time
TRACE_CHANNELS = ("speed_mps", "throttle", "brake", "gear")


def downsample(*, arrays: Mapping[str, np.ndarray], max_samples: int) -> Mapping[str, np.ndarray]:
    """Every k-th sample so that at most ``max_samples`` remain (first and last kept); ``arrays`` itself when it
    holds no more than that, or ``max_samples`` is 0 (every sample)."""
    count = len(arrays["session_time_s"])
    if max_samples <= 0 or count <= max_samples:
        return arrays
    index = np.unique(np.linspace(0, count - 1, max_samples).round().astype(np.int64))
    return {name: values[index] for name, values in arrays.items()}


def lap_length_m(*, distance_m: float, lap_dist_m: np.ndarray) -> float:
    """A lap's length: the distance its analysis measured, or (when it has none) the furthest sample's."""
    return distance_m or float(np.max(lap_dist_m))


def comparison_length_m(*, lap_m: float, reference_m: float) -> float:
    """The length both laps of a comparison cover: the shorter one's."""
    return min(lap_m, reference_m)


def distance_grid(*, length_m: float, step_m: float) -> np.ndarray:
    """The grid points a trace is sampled at: 0, ``step_m``, ... short of ``length_m``."""
    return np.arange(0.0, length_m, step_m)


def forward_only(lap_dist_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lap distance made monotonic (never back), and which samples move it forward (the first is always kept):
    a car standing still, or a distance that went back, leaves one sample per position to resample from."""
    dist = np.maximum.accumulate(np.asarray(lap_dist_m, dtype=np.float64))
    keep = np.concatenate([[True], np.diff(dist) > 0])
    return dist[keep], keep


def lap_on_grid(*, arrays: Mapping[str, np.ndarray], start_session_time_s: float, length_m: float, step_m: float
                ) -> dict[str, np.ndarray]:
    """One lap's main channels on :func:`distance_grid` over its monotonic distance, each by its kind's rule
    (:func:`~racecoach.services.common.channels.resample`): ``elapsed_s`` (session time since
    ``start_session_time_s``), speed and pedals interpolated linearly, the gear held from the last sample at or
    before each grid point. Channels of :data:`TRACE_CHANNELS` missing from ``arrays`` are left out."""
    dist, keep = forward_only(arrays["lap_dist_m"])
    grid = distance_grid(length_m=length_m, step_m=step_m)
    elapsed = arrays["session_time_s"][keep] - start_session_time_s
    traces = {"elapsed_s": resample("session_time_s", x=dist, values=elapsed, at=grid)}
    for name in TRACE_CHANNELS:
        if name in arrays:
            traces[name] = resample(name, x=dist, values=arrays[name][keep], at=grid)
    return traces
