"""Telemetry rows back into numpy arrays through binary COPY (no per-value Python).

Every selected column is made fixed-width with ``coalesce`` (NULL → NaN for floats, −1 for
the flags), so a COPY payload is a plain array of identical records that numpy reads in one
go. Stored floats are never NaN (writes refuse them), so NaN here always means "not stored".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import asyncpg
import numpy as np

from racecoach.services.common.batch import build_batch
from racecoach.services.common.channels import BY_FIELD, CHANNELS
from racecoach.services.common.errors import InvalidInputError
from racecoach.services.storage.binary_copy import WIRE
from racecoach.telemetry.v1 import telemetry_pb2

_HEADER = 19  # signature (11) + flags (4) + header extension length (4)
DEFAULT_CHUNK_SAMPLES = 1000
_MISSING = {np.dtype("<f4"): "'NaN'::real", np.dtype("<f8"): "'NaN'::double precision", np.dtype("<u4"): "-1"}


def channel_names(channels: Sequence[str] | None) -> list[str]:
    """The requested channel names (all when empty), checked, with ``session_time_s`` first."""
    names = list(dict.fromkeys(channels)) if channels else [c.field for c in CHANNELS]
    unknown = [n for n in names if n not in BY_FIELD]
    if unknown:
        raise InvalidInputError(f"unknown channels {unknown}; ListChannels lists the valid names")
    if "session_time_s" in names:
        names.remove("session_time_s")
    return ["session_time_s", *names]


def select_list(names: Sequence[str]) -> str:
    """``coalesce`` expressions that make every column fixed-width."""
    return ", ".join(f"coalesce({n}, {_MISSING[BY_FIELD[n].dtype]}) AS {n}" for n in names)


def _row_dtype(names: Sequence[str]) -> np.dtype:
    fields: list[tuple[str, str]] = [("nfields", ">i2")]
    for name in names:
        fields += [(f"{name}__len", ">i4"), (name, WIRE[BY_FIELD[name].dtype])]
    return np.dtype(fields)


def decode(payload: bytes, *, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Arrays of a binary COPY payload of ``select_list(names)``; channels never stored are left out."""
    if len(payload) < _HEADER + 2:
        raise ValueError("binary COPY payload is truncated")
    extension = int.from_bytes(payload[15:19], "big")
    body = memoryview(payload)[_HEADER + extension : len(payload) - 2]
    dtype = _row_dtype(names)
    if len(body) % dtype.itemsize:
        raise ValueError("binary COPY payload does not hold whole fixed-width rows")
    rows = np.frombuffer(body, dtype=dtype)
    arrays: dict[str, np.ndarray] = {}
    for name in names:
        values = rows[name]
        dtype_out = BY_FIELD[name].dtype
        if dtype_out.kind == "f":
            if len(values) and np.isnan(values[0]) and np.isnan(values).all():
                continue
        elif len(values) and values[0] < 0 and (values < 0).all():
            continue
        arrays[name] = values.astype(dtype_out)
    if "session_time_s" not in arrays:
        arrays["session_time_s"] = np.empty(0, dtype=np.float64)
    return arrays


async def fetch_columns(
    conn: asyncpg.Connection | asyncpg.Pool, *, names: Sequence[str], where: str, args: Sequence[object]
) -> dict[str, np.ndarray]:
    """``SELECT names FROM telemetry_samples WHERE where ORDER BY session_time_s`` as arrays."""
    parts: list[bytes] = []

    async def sink(data: bytes) -> None:
        parts.append(bytes(data))

    query = f"SELECT {select_list(names)} FROM telemetry_samples WHERE {where} ORDER BY session_time_s"
    await conn.copy_from_query(query, *args, output=sink, format="binary")
    return decode(b"".join(parts), names=names)


def chunks(*, arrays: Mapping[str, np.ndarray], session_id: str, chunk_samples: int) -> Iterator[telemetry_pb2.TelemetryBatch]:
    """``arrays`` as consecutive batches of ``session_id`` of at most ``chunk_samples`` samples each
    (:data:`DEFAULT_CHUNK_SAMPLES` when 0), seq from 1; none when there are no samples."""
    size = chunk_samples or DEFAULT_CHUNK_SAMPLES
    count = len(arrays.get("session_time_s", ()))
    for seq, start in enumerate(range(0, count, size), start=1):
        yield build_batch(session_id=session_id, seq=seq, arrays={name: values[start : start + size] for name, values in arrays.items()})
