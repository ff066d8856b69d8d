"""What stands between the wire and a servicer: the gate, request parsing, request bounds, error status.

:func:`parser` never raises: bytes that are not the request type become :class:`Undecodable`,
which :func:`guarded` answers with INVALID_ARGUMENT (and a stream ends there, after everything
before it was handled), instead of gRPC's UNKNOWN.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc

from racecoach.services.common.auth import CALLER, Gate
from racecoach.services.common.errors import InvalidInputError, translate_errors
from racecoach.services.common.limits import check_message


@dataclass(frozen=True)
class Undecodable:
    """A request whose bytes are not a ``type_name`` message."""

    type_name: str


def parser(request_type: type) -> Callable[[bytes], Any]:
    parse = request_type.FromString
    marker = Undecodable(request_type.DESCRIPTOR.full_name.replace("RawView", ""))

    def parse_or_mark(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception:  # DecodeError, or a parser's own complaint about the bytes
            return marker

    return parse_or_mark


def _checked(request: Any, *, check: bool) -> Any:
    if isinstance(request, Undecodable):
        raise InvalidInputError(f"the request is not a valid {request.type_name} message")
    if check:
        check_message(request)
    return request


async def checked_stream(requests: AsyncIterator, *, check: bool) -> AsyncIterator:
    """The stream's requests; the first that does not parse, or breaks a bound, ends it with InvalidInputError."""
    index = 0
    async for request in requests:
        index += 1
        if isinstance(request, Undecodable):
            raise InvalidInputError(
                f"message {index} of the stream is not a valid {request.type_name} message; the stream ends here"
                " and nothing after it was read")
        if check:
            try:
                check_message(request)
            except InvalidInputError as exc:
                raise InvalidInputError(f"message {index} of the stream: {exc}; the stream ends here") from None
        yield request


def guarded(behavior: Callable, *, kind: tuple[bool, bool], method: str, gate: Gate, check: bool) -> Callable:
    """``behavior`` (a servicer method of streaming ``kind``) behind the gate and the request checks."""
    client_streaming, server_streaming = kind

    async def admit(context: grpc.aio.ServicerContext) -> None:
        CALLER.set(await gate.admit(method=method, metadata=context.invocation_metadata()))

    if not client_streaming and not server_streaming:
        async def unary_unary(request, context):
            async with translate_errors(context):
                await admit(context)
                return await behavior(_checked(request, check=check), context)
        return unary_unary

    if not client_streaming:
        async def unary_stream(request, context):
            async with translate_errors(context):
                await admit(context)
                async for reply in behavior(_checked(request, check=check), context):
                    yield reply
        return unary_stream

    if not server_streaming:
        async def stream_unary(requests, context):
            async with translate_errors(context):
                await admit(context)
                return await behavior(checked_stream(requests, check=check), context)
        return stream_unary

    async def stream_stream(requests, context):
        async with translate_errors(context):
            await admit(context)
            async for reply in behavior(checked_stream(requests, check=check), context):
                yield reply
    return stream_stream
