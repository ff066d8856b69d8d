"""PostgreSQL binary COPY payloads for telemetry rows, built with numpy (no per-value Python).

:data:`WIRE` is the one table of the columns' wire types; :mod:`.readback` decodes with it too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from racecoach.services.common.channels import CHANNELS

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
KEY_COLUMNS = ("session_pk", "seq", "idx")
COLUMNS: tuple[str, ...] = KEY_COLUMNS + tuple(c.field for c in CHANNELS)
# Column wire types by channel dtype: float32 channels are ``real``, float64 ``double precision``,
# the uint32 flags ``bigint`` (binary COPY is big-endian both ways).
WIRE: dict[np.dtype, str] = {np.dtype("<f4"): ">f4", np.dtype("<f8"): ">f8", np.dtype("<u4"): ">i8"}
_KEY_WIRE = {"session_pk": ">i8", "seq": ">i8", "idx": ">i4"}


@dataclass(frozen=True)
class BatchRows:
    """One batch's samples, ready to copy; ``indexes`` are their positions in the batch as sent
    (None: all of them, in order) when some of its samples were stored before."""

    seq: int
    arrays: Mapping[str, np.ndarray]
    sample_count: int
    indexes: np.ndarray | None = None


@lru_cache(maxsize=64)
def _row_dtype(present: frozenset[str]) -> np.dtype:
    fields: list[tuple[str, str]] = [("nfields", ">i2")]
    for name in KEY_COLUMNS:
        fields += [(f"{name}__len", ">i4"), (name, _KEY_WIRE[name])]
    for channel in CHANNELS:
        fields.append((f"{channel.field}__len", ">i4"))
        if channel.field in present:
            fields.append((channel.field, WIRE[channel.dtype]))
    return np.dtype(fields)


@lru_cache(maxsize=64)
def _template(present: frozenset[str]) -> np.ndarray:
    """One row with every part that is the same in all rows of this layout (field count, lengths) set, values 0."""
    row = np.zeros(1, dtype=_row_dtype(present))
    row["nfields"] = len(COLUMNS)
    for name in KEY_COLUMNS:
        row[f"{name}__len"] = np.dtype(_KEY_WIRE[name]).itemsize
    for channel in CHANNELS:
        row[f"{channel.field}__len"] = np.dtype(WIRE[channel.dtype]).itemsize if channel.field in present else -1
    return row


def encode_batches(batches: Sequence[BatchRows]) -> list[np.ndarray]:
    """Structured binary-COPY rows of ``batches`` (``session_pk`` left 0, see :func:`payload`).

    Consecutive batches carrying the same channels are encoded together: one numpy assignment
    per column for the whole run rather than per batch.
    """
    encoded: list[np.ndarray] = []
    start = 0
    while start < len(batches):
        present = frozenset(batches[start].arrays)
        end = start + 1
        while end < len(batches) and frozenset(batches[end].arrays) == present:
            end += 1
        encoded.append(_encode_run(batches[start:end], present))
        start = end
    return encoded


def _encode_run(run: Sequence[BatchRows], present: frozenset[str]) -> np.ndarray:
    if len(run) == 1:
        columns = run[0].arrays
    else:
        columns = {name: np.concatenate([b.arrays[name] for b in run]) for name in present}
    return encode_joined(run, columns=columns)


def encode_joined(run: Sequence[BatchRows], *, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Structured rows of consecutive batches whose channels are already joined end to end in ``columns``."""
    counts = np.fromiter((b.sample_count for b in run), dtype=np.int64, count=len(run))
    total = int(counts.sum())
    rows = np.repeat(_template(frozenset(columns)), total)  # field count and lengths in one copy; session_pk 0
    starts = np.cumsum(counts) - counts
    rows["seq"] = np.repeat(np.fromiter((b.seq for b in run), dtype=np.int64, count=len(run)), counts)
    if any(b.indexes is not None for b in run):
        rows["idx"] = np.concatenate([np.arange(b.sample_count) if b.indexes is None else b.indexes for b in run])
    else:
        rows["idx"] = np.arange(total) - np.repeat(starts, counts)
    for channel in CHANNELS:
        if channel.field in columns:
            rows[channel.field] = columns[channel.field]
    return rows


def payload(encoded: Sequence[np.ndarray], *, session_pk: int) -> bytes:
    """The complete binary COPY payload of pre-encoded rows, stamped with ``session_pk``."""
    chunks = [HEADER]
    for rows in encoded:
        rows["session_pk"] = session_pk
        chunks.append(rows.tobytes())
    chunks.append(TRAILER)
    return b"".join(chunks)


def payload_of_runs(runs: Sequence[tuple[Sequence[np.ndarray], int]]) -> memoryview:
    """One binary COPY payload holding several sessions' pre-encoded rows, ``(encoded, session_pk)`` each, copied
    once into one buffer and stamped there (asyncpg sends a memoryview as it is, with no task or thread of its own)."""
    size = len(HEADER) + sum(rows.nbytes for encoded, _ in runs for rows in encoded) + len(TRAILER)
    out = np.empty(size, dtype=np.uint8)
    out[: len(HEADER)] = np.frombuffer(HEADER, dtype=np.uint8)
    at = len(HEADER)
    for encoded, session_pk in runs:
        for rows in encoded:
            part = out[at : at + rows.nbytes]
            part[:] = rows.view(np.uint8).reshape(-1)  # a plain copy of the bytes
            part.view(rows.dtype)["session_pk"] = session_pk
            at += rows.nbytes
    out[at:] = np.frombuffer(TRAILER, dtype=np.uint8)
    return memoryview(out)


def encode_rows(*, session_pk: int, batches: Sequence[BatchRows]) -> bytes:
    """The complete binary COPY payload (header, rows, trailer) for ``batches`` of one session."""
    return payload(encode_batches(batches), session_pk=session_pk)
