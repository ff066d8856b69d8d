"""The new samples of a write: a sample's identity is its session and its tick (common/ticks.py), so a
resend in any batching is stored once. Batch boundaries and ``seq`` play no part in it.

Writes of one session are serialised by the lock on its ``sessions`` row, which also holds the
highest tick stored (``stored_through_tick``). The usual write only carries ticks above it, in
increasing order: everything is new and goes straight to COPY (the hot path costs one numpy pass).
Anything else (a resend, the same file in another batching, overlapping batches) takes
:func:`select_new`: samples whose tick is already stored, or repeated inside the write, are
dropped, and the others are stored, wherever they fall.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import numpy as np

from racecoach.services.common.errors import InvalidInputError
from racecoach.services.common.ticks import ticks_of
from racecoach.services.storage import readback
from racecoach.services.storage.binary_copy import BatchRows


def tick_bounds(*, low: int, high: int, tick_rate_hz: float) -> tuple[float, float]:
    """Session times that enclose every sample of ticks ``low`` to ``high`` (one tick of margin each side)."""
    return (low - 1.5) / tick_rate_hz, (high + 1.5) / tick_rate_hz


@dataclass(frozen=True)
class NewSamples:
    """What a write adds: the batches cut down to their new samples, and per seq how many that is."""

    batches: list[BatchRows]
    stored_per_seq: dict[int, int]
    top_tick: int | None  # the highest tick among the new samples; None when there are none

    @property
    def count(self) -> int:
        return sum(self.stored_per_seq.values())


def batch_ticks(batches: Sequence[BatchRows], *, tick_rate_hz: float) -> tuple[list[np.ndarray], bool]:
    """The ticks of every batch's samples, and whether they increase throughout (one numpy pass over the run);
    InvalidInputError when two samples of one batch share a tick."""
    counts = [b.sample_count for b in batches]
    joined = ticks_of(np.concatenate([b.arrays["session_time_s"] for b in batches]), tick_rate_hz=tick_rate_hz)
    ticks = np.split(joined, np.cumsum(counts)[:-1])
    if bool(np.all(np.diff(joined) > 0)):
        return ticks, True
    for batch, batch_ticks_ in zip(batches, ticks):
        if len(batch_ticks_) > 1 and not bool(np.all(np.diff(batch_ticks_) > 0)):
            at = int(np.argmin(np.diff(batch_ticks_) > 0)) + 1
            raise InvalidInputError(
                f"batch seq {batch.seq}: samples {at - 1} and {at} fall on the same tick at {tick_rate_hz:g} Hz;"
                " session_time_s must advance by at least one tick of the session's tick_rate_hz"
            )
    return ticks, False


def all_new(ticks: Sequence[np.ndarray], *, increasing: bool, stored_through_tick: int | None) -> bool:
    """True when the run's ticks increase throughout and all lie above the highest stored tick."""
    first = next((int(t[0]) for t in ticks if len(t)), None)
    return increasing and (first is None or stored_through_tick is None or first > stored_through_tick)


def whole(batches: Sequence[BatchRows], ticks: Sequence[np.ndarray]) -> NewSamples:
    """Every sample is new (see :func:`all_new`)."""
    top = max((int(t[-1]) for t in ticks if len(t)), default=None)
    return NewSamples(batches=list(batches), stored_per_seq={b.seq: b.sample_count for b in batches}, top_tick=top)


async def stored_ticks(conn: asyncpg.Connection, *, session_pk: int, low: int, high: int, tick_rate_hz: float) -> np.ndarray:
    """The ticks the session already holds between ``low`` and ``high`` (read through the session-time index)."""
    start, end = tick_bounds(low=low, high=high, tick_rate_hz=tick_rate_hz)
    arrays = await readback.fetch_columns(
        conn, names=["session_time_s"], where="session_pk = $1 AND session_time_s >= $2 AND session_time_s <= $3",
        args=(session_pk, start, end),
    )
    return ticks_of(arrays["session_time_s"], tick_rate_hz=tick_rate_hz)


async def select_new(
    conn: asyncpg.Connection, *, session_pk: int, batches: Sequence[BatchRows], ticks: Sequence[np.ndarray],
    stored_through_tick: int | None, tick_rate_hz: float,
) -> NewSamples:
    """The samples of ``batches`` whose tick the session does not hold yet, each once (the first sent wins)."""
    joined = np.concatenate(ticks) if ticks else np.empty(0, np.int64)
    keep = np.zeros(len(joined), bool)
    _, first = np.unique(joined, return_index=True)
    keep[first] = True
    if stored_through_tick is not None and len(joined) and int(joined.min()) <= stored_through_tick:
        held = await stored_ticks(conn, session_pk=session_pk, low=int(joined.min()), high=stored_through_tick,
                                  tick_rate_hz=tick_rate_hz)
        keep &= ~np.isin(joined, held)
    kept: list[BatchRows] = []
    per_seq: dict[int, int] = {}
    start = 0
    for batch, batch_ticks_ in zip(batches, ticks):
        mask = keep[start : start + len(batch_ticks_)]
        start += len(batch_ticks_)
        count = int(mask.sum())
        per_seq[batch.seq] = per_seq.get(batch.seq, 0) + count
        if count == batch.sample_count:
            kept.append(batch)
        elif count:
            chosen = np.nonzero(mask)[0]
            kept.append(BatchRows(seq=batch.seq, arrays={n: a[chosen] for n, a in batch.arrays.items()}, sample_count=count,
                                  indexes=chosen if batch.indexes is None else batch.indexes[chosen]))
    top = int(joined[keep].max()) if keep.any() else None
    return NewSamples(batches=kept, stored_per_seq=per_seq, top_tick=top)
