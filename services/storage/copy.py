"""PostgreSQL binary COPY payloads for telemetry rows, built with numpy (no per-value Python)."""

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
# Column wire types: float32 channels are ``real``, float64 ``double precision``, flags ``bigint``.
_WIRE = {np.dtype("<f4"): ">f4", np.dtype("<f8"): ">f8", np.dtype("<u4"): ">i8"}
_KEY_WIRE = {"session_pk": ">i8", "seq": ">i8", "idx": ">i4"}


@dataclass(frozen=True)
class BatchRows:
    """One batch's samples, ready to copy."""

    seq: int
    arrays: Mapping[str, np.ndarray]
    sample_count: int


@lru_cache(maxsize=64)
def _row_dtype(present: frozenset[str]) -> np.dtype:
    fields: list[tuple[str, str]] = [("nfields", ">i2")]
    for name in KEY_COLUMNS:
        fields += [(f"{name}__len", ">i4"), (name, _KEY_WIRE[name])]
    for channel in CHANNELS:
        fields.append((f"{channel.field}__len", ">i4"))
        if channel.field in present:
            fields.append((channel.field, _WIRE[channel.dtype]))
    return np.dtype(fields)


def encode_rows(*, session_pk: int, batches: Sequence[BatchRows]) -> bytes:
    """The complete binary COPY payload (header, rows, trailer) for ``batches`` of one session."""
    chunks = [HEADER]
    for batch in batches:
        present = frozenset(batch.arrays)
        dtype = _row_dtype(present)
        rows = np.empty(batch.sample_count, dtype=dtype)
        rows["nfields"] = len(COLUMNS)
        for name in KEY_COLUMNS:
            rows[f"{name}__len"] = np.dtype(_KEY_WIRE[name]).itemsize
        rows["session_pk"] = session_pk
        rows["seq"] = batch.seq
        rows["idx"] = np.arange(batch.sample_count)
        for channel in CHANNELS:
            if channel.field in present:
                wire = np.dtype(_WIRE[channel.dtype])
                rows[f"{channel.field}__len"] = wire.itemsize
                rows[channel.field] = batch.arrays[channel.field]
            else:
                rows[f"{channel.field}__len"] = -1
        chunks.append(rows.tobytes())
    chunks.append(TRAILER)
    return b"".join(chunks)
