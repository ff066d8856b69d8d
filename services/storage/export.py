"""Export a lap or a whole session as CSV or Parquet, streamed in pieces of bytes.

Samples are read in slices of the session-time axis (binary COPY into numpy, see
readback.py), each slice is written as one CSV block or one Parquet row group, and the
bytes the writer produced so far are handed on, so memory stays bounded by one slice.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import asyncpg
import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from racecoach.services.common.channels import BY_FIELD
from racecoach.services.common.errors import InvalidInputError, NotFoundError
from racecoach.services.storage import readback
from racecoach.services.storage.identity import User
from racecoach.services.storage.queries import find_lap
from racecoach.storage.v1 import storage_pb2

CSV = storage_pb2.EXPORT_FORMAT_CSV
PARQUET = storage_pb2.EXPORT_FORMAT_PARQUET
CONTENT_TYPES = {CSV: "text/csv", PARQUET: "application/vnd.apache.parquet"}
EXTENSIONS = {CSV: "csv", PARQUET: "parquet"}
SLICE_SAMPLES = 60_000  # samples read and encoded at a time (~17 minutes at 60 Hz)
PIECE_BYTES = 1 << 20  # bytes per streamed piece; well under gRPC's 4 MiB default message limit


@dataclass(frozen=True)
class ExportPiece:
    """One piece of the file; content type and file name ride on the first piece only."""

    data: bytes
    content_type: str = ""
    filename: str = ""


class _Sink:
    """A write-only file object whose contents are taken away piece by piece."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.closed = False

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def export_format(value: int) -> int:
    """The format asked for (unspecified means CSV); InvalidInputError for unknown values."""
    chosen = value or CSV
    if chosen not in CONTENT_TYPES:
        raise InvalidInputError(f"format {value} is not a known ExportFormat; use CSV or PARQUET")
    return chosen


def safe_filename(*parts: str, extension: str) -> str:
    stem = "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", p).strip("._") or "export" for p in parts)
    return f"{stem[:150]}.{extension}"


def table_for(arrays: dict[str, np.ndarray], *, names: Sequence[str]) -> pa.Table:
    """An Arrow table with the ``names`` columns in order; values never stored become nulls."""
    count = len(arrays["session_time_s"])
    columns = []
    for name in names:
        values = arrays.get(name)
        channel_dtype = BY_FIELD[name].dtype
        if values is None:
            columns.append(pa.nulls(count, type=pa.from_numpy_dtype(channel_dtype)))
        elif values.dtype.kind == "f":
            missing = np.isnan(values)
            columns.append(pa.array(values, mask=missing if missing.any() else None))
        else:
            columns.append(pa.array(values))
    return pa.Table.from_arrays(columns, names=list(names))


def _pieces(data: bytes) -> list[bytes]:
    return [data[i : i + PIECE_BYTES] for i in range(0, len(data), PIECE_BYTES)]


async def _encode(
    slices: AsyncIterator[dict[str, np.ndarray]], *, fmt: int, filename: str, channels: Sequence[str] | None
) -> AsyncIterator[ExportPiece]:
    """Encode the slices into one file; the columns are the requested channels, or those the first slice holds."""
    sink = _Sink()
    writer: pa_csv.CSVWriter | pq.ParquetWriter | None = None
    names: list[str] = []
    first = True

    def emit(data: bytes) -> list[ExportPiece]:
        nonlocal first
        out = []
        for piece in _pieces(data) or ([b""] if first else []):
            out.append(ExportPiece(piece, CONTENT_TYPES[fmt], filename) if first else ExportPiece(piece))
            first = False
        return out

    async for arrays in slices:
        if writer is None:
            names = readback.channel_names(channels) if channels else list(arrays)
            schema = table_for(arrays, names=names).schema
            writer = pa_csv.CSVWriter(sink, schema) if fmt == CSV else pq.ParquetWriter(sink, schema, compression="zstd")
        writer.write_table(table_for(arrays, names=names))
        for piece in emit(sink.take()):
            yield piece
    if writer is None:  # nothing stored: a header-only CSV, an empty Parquet file
        names = readback.channel_names(channels)
        empty = table_for({"session_time_s": np.empty(0)}, names=names)
        writer = pa_csv.CSVWriter(sink, empty.schema) if fmt == CSV else pq.ParquetWriter(sink, empty.schema)
        writer.write_table(empty)
    writer.close()
    for piece in emit(sink.take()):
        yield piece


async def export_lap(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, lap_id: str, fmt: int, channels: Sequence[str] | None = None
) -> AsyncIterator[ExportPiece]:
    """The lap's samples as one file (a lap is a few thousand samples: one slice)."""
    fmt = export_format(fmt)
    names = readback.channel_names(channels)
    found = await find_lap(conn, user=user, lap_id=lap_id)

    async def slices() -> AsyncIterator[dict[str, np.ndarray]]:
        yield await readback.fetch_columns(
            conn, names=names, where="session_pk = $1 AND session_time_s >= $2 AND session_time_s < $3",
            args=(found.session_pk, found.lap.start_session_time_s, found.lap.end_session_time_s),
        )

    filename = safe_filename(found.session.session_id, f"lap-{found.lap.lap_number}", extension=EXTENSIONS[fmt])
    async for piece in _encode(slices(), fmt=fmt, filename=filename, channels=channels):
        yield piece


def slice_bounds(batches: Sequence[asyncpg.Record], *, slice_samples: int) -> list[float]:
    """Session times that cut the session into slices of about ``slice_samples`` samples.

    The slices [-inf, b1), [b1, b2), ..., [bk, +inf) cover the time axis exactly once, so
    every stored sample lands in exactly one slice whatever the batches look like.
    """
    bounds: list[float] = []
    counted = 0
    for row in batches:
        if counted >= slice_samples:
            bounds.append(float(row["first_session_time_s"]))
            counted = 0
        counted += row["sample_count"]
    return sorted(set(bounds))


async def export_session(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, session_id: str, fmt: int, channels: Sequence[str] | None = None
) -> AsyncIterator[ExportPiece]:
    """Every sample of the session as one file, read and encoded one time slice at a time."""
    fmt = export_format(fmt)
    names = readback.channel_names(channels)
    session_pk = await conn.fetchval(
        "SELECT session_pk FROM sessions WHERE session_id = $1 AND user_id = $2", session_id, user.user_id
    )
    if session_pk is None:
        raise NotFoundError(f"session {session_id} not found")
    batches = await conn.fetch(
        "SELECT sample_count, first_session_time_s FROM telemetry_batches WHERE session_pk = $1 ORDER BY seq", session_pk
    )
    edges = [float("-inf"), *slice_bounds(batches, slice_samples=SLICE_SAMPLES), float("inf")]

    async def slices() -> AsyncIterator[dict[str, np.ndarray]]:
        for low, high in zip(edges, edges[1:]):
            arrays = await readback.fetch_columns(
                conn, names=names, where="session_pk = $1 AND session_time_s >= $2 AND session_time_s < $3",
                args=(session_pk, low, high),
            )
            if len(arrays["session_time_s"]):
                yield arrays

    filename = safe_filename(session_id, extension=EXTENSIONS[fmt])
    async for piece in _encode(slices(), fmt=fmt, filename=filename, channels=channels):
        yield piece
