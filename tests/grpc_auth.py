"""A channel that sends a token with every call, for tests that exercise a service, not its gate."""

from __future__ import annotations

import grpc


def _with(entries: list[tuple[str, str]], details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    metadata = grpc.aio.Metadata(*(tuple(details.metadata) if details.metadata else ()), *entries)
    return grpc.aio.ClientCallDetails(details.method, details.timeout, metadata, details.credentials, details.wait_for_ready)


# grpc.aio files an interceptor under the first kind it is an instance of: one class per kind.
class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, entries):
        self.entries = entries

    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(_with(self.entries, details), request)


class _UnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, entries):
        self.entries = entries

    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(_with(self.entries, details), request)


class _StreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    def __init__(self, entries):
        self.entries = entries

    async def intercept_stream_unary(self, continuation, details, request_iterator):
        return await continuation(_with(self.entries, details), request_iterator)


class _StreamStream(grpc.aio.StreamStreamClientInterceptor):
    def __init__(self, entries):
        self.entries = entries

    async def intercept_stream_stream(self, continuation, details, request_iterator):
        return await continuation(_with(self.entries, details), request_iterator)


def authed_channel(address: str, token: str, *extra: tuple[str, str]) -> grpc.aio.Channel:
    """An insecure channel to ``address`` whose calls carry ``authorization: Bearer <token>`` (and ``extra``)."""
    entries = [("authorization", f"Bearer {token}"), *extra]
    return grpc.aio.insecure_channel(address, interceptors=[
        _UnaryUnary(entries), _UnaryStream(entries), _StreamUnary(entries), _StreamStream(entries)])

