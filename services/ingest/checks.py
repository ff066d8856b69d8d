"""A batch's checks in a few numpy calls: ingest validates every batch once, here, and the mesh reads
it as a raw view after.

:func:`racecoach.services.common.batch.validate` checks channel by channel (four numpy calls each,
some 180 for a full batch), which costs far more than the samples of a 100 ms batch. This runs the
same rules over every float channel at once (one array, one finiteness test, one range test against
the catalogue's bounds laid out beside it) and, only when something is wrong, runs ``validate``
for its exact message. The verdict is the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from racecoach.services.common.batch import validate
from racecoach.services.common.channels import BY_FIELD, REQUIRED


@lru_cache(maxsize=64)
def _bounds(names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The float channels' lows and highs as columns, in the order of ``names``."""
    lows = np.array([[BY_FIELD[name].low] for name in names], dtype=np.float64)
    highs = np.array([[BY_FIELD[name].high] for name in names], dtype=np.float64)
    return lows, highs


@lru_cache(maxsize=64)
def _floats(names: tuple[str, ...]) -> tuple[str, ...]:
    """The float channels among ``names``, in order."""
    return tuple(name for name in names if BY_FIELD[name].dtype.kind == "f")


def _clean(arrays: Mapping[str, np.ndarray], count: int, max_samples: int) -> bool:
    if not 0 < count <= max_samples or any(name not in arrays for name in REQUIRED):
        return False
    if any(len(values) != count for values in arrays.values()):
        return False
    names = _floats(tuple(arrays))
    joined = np.concatenate([arrays[name] for name in names], dtype=np.float64).reshape(len(names), count)
    lows, highs = _bounds(names)
    if not (np.isfinite(joined).all() and (joined >= lows).all() and (joined <= highs).all()):
        return False
    return count == 1 or bool((np.diff(arrays["session_time_s"]) > 0).all())


def check_batch(*, arrays: Mapping[str, np.ndarray], sample_count: int, max_samples: int) -> None:
    """Raise :class:`~racecoach.services.common.batch.BatchValidationError` exactly where ``validate`` would."""
    if not _clean(arrays, sample_count, max_samples):
        validate(arrays=arrays, sample_count=sample_count, max_samples=max_samples)
