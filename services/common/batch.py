"""Columnar batches ↔ numpy, zero-copy through the raw view, with validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from racecoach.common.batch import build_raw_batch  # noqa: F401 the collector's, re-exported for the mesh
from racecoach.services.common.channels import BY_FIELD, CHANNELS, REQUIRED
from racecoach.services.common.limits import field_rules
from racecoach.telemetry.v1 import telemetry_pb2

Arrays = dict[str, np.ndarray]
# The fewest samples a batch may hold: the contract's rule on TelemetryBatch.sample_count (a raw view, read without
# protovalidate, is held to it here).
MIN_SAMPLES = field_rules(telemetry_pb2.TelemetryBatch.DESCRIPTOR.fields_by_name["sample_count"]).uint32.gte


class BatchValidationError(ValueError):
    """A batch broke a rule; ``reason`` is the BatchErrorReason name without its prefix."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def arrays_from_raw(view: telemetry_pb2.TelemetryBatchRawView) -> Arrays | None:
    """Channel arrays straight over the message's buffers, or None if any length is off."""
    count = view.sample_count
    arrays: Arrays = {}
    for channel in CHANNELS:
        data = getattr(view, channel.field)
        if not data:
            continue
        if len(data) != count * channel.dtype.itemsize:
            return None
        arrays[channel.field] = np.frombuffer(data, dtype=channel.dtype)
    return arrays


def arrays_from_typed(batch: telemetry_pb2.TelemetryBatch, *, names: Iterable[str] | None = None) -> Arrays:
    """Channel arrays from a typed batch in the catalogue's dtypes (copies): every channel that
    carries values, or exactly the channels ``names``, empty ones included. Lengths are checked
    by :func:`validate` or :func:`check_lengths`."""
    if names is not None:
        return {name: np.asarray(getattr(batch, name), dtype=BY_FIELD[name].dtype) for name in names}
    arrays: Arrays = {}
    for channel in CHANNELS:
        values = getattr(batch, channel.field)
        if len(values):
            arrays[channel.field] = np.asarray(values, dtype=channel.dtype)
    return arrays


def _length_mismatch(name: str, count: int, sample_count: int) -> BatchValidationError:
    return BatchValidationError("LENGTH_MISMATCH", f"channel {name} has {count} values but sample_count is {sample_count}")


def check_lengths(arrays: Mapping[str, np.ndarray], *, sample_count: int) -> None:
    """Raise :class:`BatchValidationError` (``LENGTH_MISMATCH``) unless every array holds ``sample_count`` values."""
    for name, values in arrays.items():
        if len(values) != sample_count:
            raise _length_mismatch(name, len(values), sample_count)


def decode_raw(view: telemetry_pb2.TelemetryBatchRawView) -> Arrays:
    """Arrays of a raw view, falling back to a typed parse when the view does not fit."""
    arrays = arrays_from_raw(view)
    if arrays is None:
        arrays = arrays_from_typed(telemetry_pb2.TelemetryBatch.FromString(view.SerializeToString()))
    return arrays


def validate(*, arrays: Mapping[str, np.ndarray], sample_count: int, max_samples: int) -> None:
    """Raise :class:`BatchValidationError` unless the batch is complete, finite, in range and in time order."""
    if sample_count < MIN_SAMPLES:
        raise BatchValidationError("LENGTH_MISMATCH", f"sample_count must be at least {MIN_SAMPLES}")
    if sample_count > max_samples:
        raise BatchValidationError(
            "TOO_LARGE", f"batch holds {sample_count} samples; at most {max_samples} are allowed per batch"
        )
    for name in REQUIRED:
        if name not in arrays:
            raise BatchValidationError("MISSING_CHANNEL", f"channel {name} is required but empty")
    for name, values in arrays.items():
        channel = BY_FIELD[name]
        if len(values) != sample_count:
            raise _length_mismatch(name, len(values), sample_count)
        if values.dtype.kind == "f":
            finite = np.isfinite(values)
            if not finite.all():
                index = int(np.argmin(finite))
                raise BatchValidationError(
                    "NOT_FINITE", f"channel {name} holds {values[index]} at sample {index}; values must be finite"
                )
            low, high = float(values.min()), float(values.max())
            if low < channel.low or high > channel.high:
                bad = low if low < channel.low else high
                raise BatchValidationError(
                    "OUT_OF_RANGE",
                    f"channel {name} holds {bad:g} {channel.unit}, outside {channel.low:g}..{channel.high:g}"
                    f" {channel.unit}; check the units",
                )
    times = arrays["session_time_s"]
    if sample_count > 1 and not bool(np.all(np.diff(times) > 0)):
        index = int(np.argmin(np.diff(times) > 0))
        raise BatchValidationError(
            "TIME_NOT_MONOTONIC",
            f"session_time_s goes from {times[index]:.4f} s to {times[index + 1]:.4f} s at sample {index + 1};"
            " it must increase",
        )


def build_batch(*, session_id: str, seq: int, arrays: Mapping[str, np.ndarray]) -> telemetry_pb2.TelemetryBatch:
    """The typed TelemetryBatch of the same arrays (parsed from the raw view's bytes)."""
    raw = build_raw_batch(session_id=session_id, seq=seq, arrays=arrays)
    return telemetry_pb2.TelemetryBatch.FromString(raw.SerializeToString())


def concat(parts: list[Arrays]) -> Arrays:
    """Join consecutive batches' arrays channel by channel (channels missing anywhere are dropped)."""
    if not parts:
        return {}
    names = set(parts[0])
    for part in parts[1:]:
        names &= set(part)
    return {name: np.concatenate([p[name] for p in parts]) for name in sorted(names)}
