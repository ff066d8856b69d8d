"""A sample's tick: its identity within its session, the same for the collector, ingest and storage.

``floor(session_time_s × tick_rate_hz + 0.5)``: iRacing's SessionTime advances by one tick of the
session's tick rate per sample, live and in a ``.ibt``, so the tick names the sample whatever batch
carries it (see Session.tick_rate_hz and SessionAccepted.committed_tick in the contracts).
"""

from __future__ import annotations

import numpy as np

DEFAULT_TICK_RATE_HZ = 60.0


def ticks_of(session_time_s, *, tick_rate_hz: float) -> np.ndarray:
    """Each sample's tick: its session time in ticks of ``tick_rate_hz`` (0 means the default rate), rounded."""
    rate = tick_rate_hz or DEFAULT_TICK_RATE_HZ
    return np.floor(np.asarray(session_time_s, dtype=np.float64) * rate + 0.5).astype(np.int64)
