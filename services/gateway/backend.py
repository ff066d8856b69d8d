"""The REST facade's backend: forwards each generated route's call to the gRPC service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache

import grpc
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message
from litestar import Request

from racecoach.services.gateway.errors import http_error_for
from racecoach.services.gateway.login import cookie_token


@lru_cache(maxsize=None)
def response_type(service: str, method: str) -> type[Message]:
    descriptor = descriptor_pool.Default().FindServiceByName(service).FindMethodByName(method)
    return message_factory.GetMessageClass(descriptor.output_type)


def forwarded_metadata(http_request: Request) -> list[tuple[str, str]]:
    """The caller's Authorization header, or the bearer token of its session cookie (see ``login``)."""
    authorization = http_request.headers.get("authorization")
    if not authorization and (token := cookie_token(http_request)):
        authorization = f"Bearer {token}"
    return [("authorization", authorization)] if authorization else []


class GrpcBackend:
    """One channel per service; the caller's Authorization header travels as gRPC metadata."""

    def __init__(self, *, channels: dict[str, grpc.aio.Channel], timeout_s: float = 10.0) -> None:
        self.channels = channels
        self.timeout_s = timeout_s

    def _channel(self, service: str) -> grpc.aio.Channel:
        return self.channels[service]

    async def unary(self, *, service: str, method: str, request: Message, http_request: Request) -> Message:
        call = self._channel(service).unary_unary(
            f"/{service}/{method}", request_serializer=type(request).SerializeToString,
            response_deserializer=response_type(service, method).FromString,
        )
        try:
            return await call(request, metadata=forwarded_metadata(http_request), timeout=self.timeout_s)
        except grpc.aio.AioRpcError as exc:
            raise http_error_for(exc) from exc

    async def server_stream(self, *, service: str, method: str, request: Message, http_request: Request) -> AsyncIterator[Message]:
        call = self._channel(service).unary_stream(
            f"/{service}/{method}", request_serializer=type(request).SerializeToString,
            response_deserializer=response_type(service, method).FromString,
        )
        try:
            async for reply in call(request, metadata=forwarded_metadata(http_request), timeout=self.timeout_s * 6):
                yield reply
        except grpc.aio.AioRpcError as exc:
            raise http_error_for(exc) from exc

    async def close(self) -> None:
        for channel in set(self.channels.values()):
            await channel.close()
