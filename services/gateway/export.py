"""File downloads of a lap or a session (CSV, Parquet), streamed from StorageService's export RPCs.

These two routes are written by hand: the generated facade speaks JSON, while an export is a
file. The caller's Authorization header travels as gRPC metadata and errors map through
``http_error_for`` like every other route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import grpc
from google.protobuf.message import Message
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import PathParameter, QueryParameter
from litestar.response import Stream

from racecoach.services.common.logs import get_logger
from racecoach.codegen.rest_models import NO_NUL
from racecoach.services.common.limits import MAX_ID_CHARS
from racecoach.services.gateway.backend import forwarded_metadata
from racecoach.services.gateway.errors import ERROR_RESPONSES, http_error_for
from racecoach.storage.v1 import storage_pb2

log = get_logger(__name__)
STORAGE = "racecoach.storage.v1.StorageService"
FORMATS = {"csv": storage_pb2.EXPORT_FORMAT_CSV, "parquet": storage_pb2.EXPORT_FORMAT_PARQUET}
Format = Annotated[Literal["csv", "parquet"], QueryParameter(name="format", description="csv (default) or parquet")]
Backend = NamedDependency[Any]
LapId = Annotated[str, PathParameter(description="the lap to export", max_length=MAX_ID_CHARS, pattern=NO_NUL)]
SessionId = Annotated[str, PathParameter(description="the session to export", max_length=MAX_ID_CHARS, pattern=NO_NUL)]
Channels = Annotated[
    str | None,
    QueryParameter(name="channels", required=False, description="comma-separated channel names; empty exports every stored channel"),
]


@dataclass
class FileOperation(Operation):
    """An export's OpenAPI operation: its 200 answer is a file, CSV or Parquet (by ``format``), not JSON."""

    def __post_init__(self) -> None:
        file = Schema(type=OpenAPIType.STRING, format="binary")  # type: ignore[arg-type]
        if self.responses and "200" in self.responses:
            self.responses["200"].content = {"text/csv": OpenAPIMediaType(schema=file),
                                             "application/vnd.apache.parquet": OpenAPIMediaType(schema=file)}


class _EmptyExport(Exception):
    """Storage ended an export stream before its first piece."""


def _channels(raw: str | None) -> list[str]:
    return [name.strip() for name in (raw or "").split(",") if name.strip()]


async def _download(backend: Any, *, method: str, request: Message, response_type: type[Message], http_request: Request) -> Stream:
    """Open the export stream, wait for its first piece (so errors still become HTTP statuses), then stream the rest."""
    call = backend.channels[STORAGE].unary_stream(
        f"/{STORAGE}/{method}", request_serializer=type(request).SerializeToString,
        response_deserializer=response_type.FromString,
    )(request, metadata=forwarded_metadata(http_request), timeout=backend.timeout_s * 30)
    try:
        first = await call.read()
    except grpc.aio.AioRpcError as exc:
        raise http_error_for(exc) from exc
    if first is grpc.aio.EOF:  # storage's fault, never the caller's: a 500, its reason in the log
        raise HTTPException(status_code=500, detail="internal error") from _EmptyExport(f"storage's {method} sent no piece of the file")
    bound = log.bind(method=method, path=http_request.url.path)

    async def body() -> AsyncIterator[bytes]:
        yield first.chunk.data
        try:
            while (reply := await call.read()) is not grpc.aio.EOF:
                yield reply.chunk.data
        except grpc.aio.AioRpcError as exc:  # the status line is gone: all that is left is to cut the download short
            bound.warning("export stream failed mid-file", code=exc.code().name)
            raise

    filename = first.chunk.filename.replace('"', "")
    return Stream(
        body(), media_type=first.chunk.content_type or "application/octet-stream",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@get("/api/v1/laps/{lap_id:str}/export", operation_id="ExportLap", tags=["StorageService"],
     summary="ExportLap", description="Download one lap's samples as CSV or Parquet.", responses=ERROR_RESPONSES,
     operation_class=FileOperation)
async def export_lap(lap_id: LapId, request: Request, backend: Backend, format: Format = "csv", channels: Channels = None) -> Stream:
    message = storage_pb2.ExportLapRequest(lap_id=lap_id, format=FORMATS[format], channels=_channels(channels))
    return await _download(backend, method="ExportLap", request=message, response_type=storage_pb2.ExportLapResponse, http_request=request)


@get("/api/v1/sessions/{session_id:str}/export", operation_id="ExportSession", tags=["StorageService"],
     summary="ExportSession", description="Download every sample of a session as CSV or Parquet.", responses=ERROR_RESPONSES,
     operation_class=FileOperation)
async def export_session(
    session_id: SessionId, request: Request, backend: Backend, format: Format = "csv", channels: Channels = None
) -> Stream:
    message = storage_pb2.ExportSessionRequest(session_id=session_id, format=FORMATS[format], channels=_channels(channels))
    return await _download(
        backend, method="ExportSession", request=message, response_type=storage_pb2.ExportSessionResponse, http_request=request
    )


ROUTES = [export_lap, export_session]
