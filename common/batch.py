"""Channel arrays → a wire-compatible TelemetryBatch, as the collector sends it and ingest forwards it."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from racecoach.common.channels import BY_FIELD
from racecoach.telemetry.v1 import telemetry_pb2

Arrays = dict[str, np.ndarray]


def build_raw_batch(*, session_id: str, seq: int, arrays: Mapping[str, np.ndarray]) -> telemetry_pb2.TelemetryBatchRawView:
    """A wire-compatible batch from channel arrays (one ``tobytes`` per channel, no per-value work)."""
    times = np.asarray(arrays["session_time_s"], dtype="<f8")
    view = telemetry_pb2.TelemetryBatchRawView(
        session_id=session_id, seq=seq, sample_count=len(times), first_session_time_s=float(times[0]) if len(times) else 0.0
    )
    for name, values in arrays.items():
        channel = BY_FIELD.get(name)
        if channel is None:
            raise KeyError(f"unknown channel {name!r}")
        setattr(view, name, np.ascontiguousarray(values, dtype=channel.dtype).tobytes())
    return view
