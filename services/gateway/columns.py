"""Lap telemetry for charts as one binary body, straight from storage's columnar arrays.

``GET /api/v1/laps/{lapId}/columns`` answers ``application/vnd.racecoach.columns``:

    "RCC1"  uint32 LE header length H  header (JSON, H bytes, space-padded)  columns

The header is ``{"sampleCount": n, "channels": [{"name", "dtype", "unit", "offset"}]}``; each
column is ``n`` little-endian values of ``dtype`` (``f4``, ``f8`` or ``u4``) starting at
``offset`` bytes from the body's start, which is a multiple of 8, so a browser reads it as a
``Float32Array`` / ``Float64Array`` / ``Uint32Array`` view without parsing or copying.

The chunks of StorageService.StreamLapTelemetry are read as ``TelemetryBatchRawView``s, whose
channels are the packed bytes as they came over the wire: encoding is a join of byte strings,
no per-value work in Python (the JSON route, ``/telemetry``, goes through ``MessageToDict``).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from typing import Annotated, Any

import grpc
from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from racecoach.services.common.channels import CHANNELS
from racecoach.codegen.rest_models import NO_NUL
from racecoach.services.common.limits import MAX_ID_CHARS
from racecoach.services.gateway.backend import forwarded_metadata
from racecoach.services.gateway.errors import ERROR_RESPONSES, http_error_for
from racecoach.rest.models import JSON_SCHEMA_RULES
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2

MEDIA_TYPE = "application/vnd.racecoach.columns"
MAGIC = b"RCC1"
STORAGE = "racecoach.storage.v1.StorageService"
_DTYPES = {"<f4": "f4", "<f8": "f8", "<u4": "u4"}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def chunk_view(data: bytes) -> telemetry_pb2.TelemetryBatchRawView:
    """The ``chunk`` (field 1) of a serialized StreamLapTelemetryResponse, read as a raw view."""
    pos, end = 0, len(data)
    while pos < end:
        key, pos = _varint(data, pos)
        wire = key & 7
        if wire == 2:
            length, pos = _varint(data, pos)
            if key >> 3 == 1:
                return telemetry_pb2.TelemetryBatchRawView.FromString(data[pos : pos + length])
            pos += length
        elif wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return telemetry_pb2.TelemetryBatchRawView()


def encode(views: Iterable[telemetry_pb2.TelemetryBatchRawView]) -> bytes:
    """One body of every channel the chunks carry, in catalogue order."""
    parts: dict[str, list[bytes]] = {}
    count = 0
    for view in views:
        count += view.sample_count
        for channel in CHANNELS:
            data = getattr(view, channel.field)
            if data:
                parts.setdefault(channel.field, []).append(data)
    columns = []
    for channel in CHANNELS:
        pieces = parts.get(channel.field)
        if not pieces:
            continue
        data = b"".join(pieces)
        if len(data) != count * channel.dtype.itemsize:  # a channel missing from some chunks: no honest column
            continue
        columns.append((channel, data))
    header: dict[str, Any] = {"sampleCount": count, "channels": []}
    # The offsets depend on the header's length: size it with generous offsets, then pad to 8.
    for channel, _ in columns:
        header["channels"].append({"name": channel.field, "dtype": _DTYPES[channel.dtype.str], "unit": channel.unit, "offset": 0})
    estimate = len(json.dumps(header, separators=(",", ":"))) + 12 * len(columns) + 16
    start = 8 + estimate + (-(8 + estimate)) % 8
    offset = start
    for entry, (_, data) in zip(header["channels"], columns):
        entry["offset"] = offset
        offset += len(data) + (-len(data)) % 8
    text = json.dumps(header, separators=(",", ":")).encode()
    assert len(text) <= start - 8
    out = [MAGIC, struct.pack("<I", start - 8), text.ljust(start - 8)]
    for _, data in columns:
        out.append(data)
        if len(data) % 8:
            out.append(b"\0" * ((-len(data)) % 8))
    return b"".join(out)


def decode(body: bytes) -> tuple[int, dict[str, Any]]:
    """(sample count, {channel: numpy array}) of a body; the inverse of :func:`encode` (tests, tools)."""
    import numpy as np

    if body[:4] != MAGIC:
        raise ValueError("not a racecoach columns body")
    (length,) = struct.unpack_from("<I", body, 4)
    header = json.loads(body[8 : 8 + length])
    count = header["sampleCount"]
    return count, {
        c["name"]: np.frombuffer(body, dtype="<" + c["dtype"], count=count, offset=c["offset"]) for c in header["channels"]
    }


Channels = Annotated[
    str | None,
    QueryParameter(name="channels", required=False, description="comma-separated channel names; empty sends every stored channel"),
]
# maxSamples is StreamLapTelemetryRequest.max_samples: its values are the contract's (a uint32), read from the rules
# `make gen` writes, refused by Litestar with a 400 naming the parameter before a request is built (schema_extra states
# them in the document, which leaves out a bound of 0 given as ge=0).
_MAX_SAMPLES = JSON_SCHEMA_RULES["StorageStreamLapTelemetryRequest"]["maxSamples"]
MaxSamples = Annotated[
    int | None, QueryParameter(name="maxSamples", required=False, ge=_MAX_SAMPLES["minimum"], le=_MAX_SAMPLES["maximum"],
                               schema_extra=_MAX_SAMPLES, description="downsample to at most this many samples; 0 sends all")
]


@get("/api/v1/laps/{lap_id:str}/columns", operation_id="LapColumns", tags=["StorageService"], summary="LapColumns",
     description="A lap's samples as one binary body of little-endian columns (application/vnd.racecoach.columns), "
                 "for charts: see the gateway's columns module for the layout.",
     responses=ERROR_RESPONSES, media_type=MEDIA_TYPE)
async def lap_columns(
    lap_id: Annotated[str, PathParameter(description="the lap", max_length=MAX_ID_CHARS, pattern=NO_NUL)], request: Request, backend: NamedDependency[Any],
    channels: Channels = None, max_samples: MaxSamples = None,
) -> Response[bytes]:
    message = storage_pb2.StreamLapTelemetryRequest(
        lap_id=lap_id, max_samples=max_samples or 0, chunk_samples=5000,
        channels=[name.strip() for name in (channels or "").split(",") if name.strip()],
    )
    call = backend.channels[STORAGE].unary_stream(
        f"/{STORAGE}/StreamLapTelemetry", request_serializer=storage_pb2.StreamLapTelemetryRequest.SerializeToString,
        response_deserializer=chunk_view,
    )
    try:
        views = [view async for view in call(message, metadata=forwarded_metadata(request), timeout=backend.timeout_s * 6)]
    except grpc.aio.AioRpcError as exc:
        raise http_error_for(exc) from exc
    return Response(content=encode(views), media_type=MEDIA_TYPE)


ROUTES = [lap_columns]
