"""Bytes that are not the request type, sent to every gRPC method over a raw channel: INVALID_ARGUMENT with a
plain message, never UNKNOWN; on a stream, what came before is answered and the stream ends, never hangs."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from every_rpc import SERVICES, every_method
from racecoach.ingest.v1 import ingest_pb2
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_batches, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
GARBAGE = b"\xff\xff\xff\xff"  # a field tag that never ends


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def raw(channel: grpc.aio.Channel, path: str):
    """A stream-stream call with identity serializers: bytes go out as they are."""
    return channel.stream_stream(path, request_serializer=None, response_deserializer=None)


async def test_undecodable_bytes_get_invalid_argument_from_every_method(mesh, token_for, service_credential):
    token = await token_for()  # sent as a service would (PutTrackCorners is theirs alone)
    for service, method in every_method():
        async with grpc.aio.insecure_channel(mesh.address(SERVICES[service])) as channel:
            path = f"/{service}/{method.name}"
            kind = (method.client_streaming, method.server_streaming)
            factory = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
                       (True, False): channel.stream_unary, (True, True): channel.stream_stream}[kind]
            call = factory(path, request_serializer=None, response_deserializer=None)
            with pytest.raises(grpc.aio.AioRpcError) as err:
                result = call(iter([GARBAGE]) if method.client_streaming else GARBAGE, metadata=auth(token) + service_credential,
                              timeout=10)
                if method.server_streaming:
                    async for _ in result:
                        pass
                else:
                    await result
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (path, err.value.code(), err.value.details())
        assert "DecodeError" not in err.value.details() and "not a valid" in err.value.details(), path


async def read_all(call):
    replies = []
    try:
        while (reply := await call.read()) is not grpc.aio.EOF:
            replies.append(reply)
    except grpc.aio.AioRpcError as exc:
        return replies, exc
    return replies, None


async def test_an_unreadable_message_on_an_ingest_stream_ends_it_after_acking_what_came_before(mesh, token_for):
    token = await token_for()
    session = make_session()
    batches = make_batches(session_id=session.session_id, count=2)
    async with grpc.aio.insecure_channel(mesh.address("ingest")) as channel:
        call = channel.stream_stream("/racecoach.ingest.v1.IngestService/Stream", request_serializer=None,
                                     response_deserializer=ingest_pb2.StreamResponse.FromString)(metadata=auth(token))
        await call.write(ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)).SerializeToString())
        for batch in batches:
            await call.write(ingest_pb2.StreamRequest(batch=batch).SerializeToString())
        await call.write(GARBAGE)
        replies, error = await asyncio.wait_for(read_all(call), timeout=10)
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert "message 4 of the stream is not a valid racecoach.ingest.v1.StreamRequest" in error.details()
    assert [r.ack.committed_seq for r in replies if r.HasField("ack")][-1] == 2


async def test_an_unreadable_message_on_a_write_stream_ends_it_after_answering_what_came_before(mesh, token_for):
    token = await token_for()
    session = make_session()
    batch = make_batches(session_id=session.session_id, count=1)[0]
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        call = channel.stream_stream("/racecoach.storage.v1.StorageService/Write", request_serializer=None,
                                     response_deserializer=storage_pb2.WriteResponse.FromString)(metadata=auth(token))
        await call.write(storage_pb2.WriteRequest(request_id=1, session=session).SerializeToString())
        await call.write(storage_pb2.WriteRequest(request_id=2, batch=batch).SerializeToString())
        await call.write(GARBAGE)
        replies, error = await asyncio.wait_for(read_all(call), timeout=10)
    assert [r.request_id for r in replies] == [1, 2] and not any(r.HasField("error") for r in replies)
    assert error is not None and error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert "message 3 of the stream" in error.details() and "nothing after it was read" in error.details()
