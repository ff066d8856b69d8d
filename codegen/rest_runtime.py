'''Runtime support for the generated REST facade ``racecoach.rest``: its routes import it from here.

The generated handlers build a protobuf request from path, query and body values (proto3
JSON names), call the backend (the gateway, which forwards to the gRPC services) and turn
the reply into msgspec structs, or into server-sent events for server-streaming RPCs.
'''

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Protocol, TypeVar, runtime_checkable

import msgspec
from google.protobuf import json_format
from google.protobuf.message import Message
from litestar import Request
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import ServerSentEvent

T = TypeVar("T")
M = TypeVar("M", bound=Message)


class ErrorBody(msgspec.Struct):
    """Every error answer: the HTTP status and a message written for the caller (never internals on a 5xx)."""

    status_code: int
    detail: str


_ERRORS = {
    400: "the request is invalid (a parameter or the body)",
    401: "no credentials, or an unknown or revoked token or session",
    403: "the resource belongs to another user",
    404: "no such resource for this user",
    409: "the request conflicts with the stored state (e.g. a reference lap of another track)",
    429: "too many requests: slow down",
    500: "internal error",
    502: "a backing service's answer is larger than the mesh's gRPC message limit",
    503: "a backing service is unavailable; retry shortly",
    504: "a backing service did not answer in time",
}
ERROR_RESPONSES: dict[int, ResponseSpec] = {
    status: ResponseSpec(data_container=ErrorBody, description=text, generate_examples=False) for status, text in _ERRORS.items()
}
"""The error statuses every route may answer, for the OpenAPI document (gRPC statuses map to them in the gateway)."""


@runtime_checkable
class RestBackend(Protocol):
    """What the generated routes call: the gateway implements it over gRPC."""

    async def unary(self, *, service: str, method: str, request: Message, http_request: Request) -> Message:
        """Call a unary RPC and return its reply (raising HTTP exceptions on errors)."""
        ...

    def server_stream(
        self, *, service: str, method: str, request: Message, http_request: Request
    ) -> AsyncIterator[Message]:
        """Call a server-streaming RPC and iterate its replies."""
        ...


def parse_request(message_type: type[M], payload: dict[str, Any]) -> M:
    """Build a request message from proto3 JSON values; bad values become a 400 error."""
    message = message_type()
    try:
        json_format.ParseDict(payload, message)
    except json_format.ParseError as exc:
        raise ValidationException(detail=f"invalid request: {exc}") from None
    return message


def body_payload(data: Any) -> dict[str, Any]:
    """The JSON object of a validated request body struct."""
    if data is None:
        return {}
    return msgspec.to_builtins(data)


def to_json_dict(message: Message) -> dict[str, Any]:
    """Proto3 JSON of a message (JSON names, int64 as strings, enums as names)."""
    return json_format.MessageToDict(message, preserving_proto_field_name=False)


def to_struct(message: Message, struct_type: type[T]) -> T:
    """A reply message as its generated msgspec struct."""
    return msgspec.convert(to_json_dict(message), struct_type)


async def sse(stream: AsyncIterator[Message]) -> ServerSentEvent:
    """Server-sent events of a stream's replies; errors before the first reply stay HTTP errors."""
    iterator = stream.__aiter__()
    try:
        first: Message | None = await iterator.__anext__()
    except StopAsyncIteration:
        first = None

    async def events() -> AsyncIterator[str]:
        if first is None:
            return
        yield json.dumps(to_json_dict(first), separators=(",", ":"))
        async for reply in iterator:
            yield json.dumps(to_json_dict(reply), separators=(",", ":"))

    return ServerSentEvent(events())


def provide_backend(backend: RestBackend | None) -> Provide:
    """A Litestar dependency that hands every handler the same backend."""

    def _backend() -> RestBackend | None:
        return backend

    return Provide(_backend, use_cache=True, sync_to_thread=False)
