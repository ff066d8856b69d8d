"""What the gRPC fuzzing of every RPC found, each kept as a plain regression test over the real mesh."""

from __future__ import annotations

import grpc
import pytest

from grpc_auth import authed_channel
from racecoach.services.common.errors import InvalidInputError
from racecoach.services.common.limits import check_message
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from telemetry_factories import make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_timestamp_protobuf_cannot_convert_is_invalid_argument_naming_the_field_not_unknown(mesh, token_for):
    token = await token_for()
    async with authed_channel(mesh.address("storage"), token) as channel:
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        for bad, words in (({"nanos": -2**31}, "nanos -2147483648"), ({"seconds": 2**62}, "years 1 to 9999")):
            request = storage_pb2.ListSessionsRequest()
            request.started_after.MergeFrom(type(request.started_after)(**bad))
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.ListSessions(request, timeout=10)
            assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
            assert refused.value.details().startswith("started_after is not a valid time") and words in refused.value.details()

        session = make_session(track="Fuzz Ring")
        session.start_time.nanos = -13495
        replies = [r async for r in stub.Write(iter([storage_pb2.WriteRequest(request_id=1, session=session)]), timeout=10)]
        assert len(replies) == 1 and replies[0].request_id == 1 and replies[0].HasField("error")  # Write answers each request
        assert "session.start_time is not a valid time: nanos -13495" in replies[0].error.message
        assert (await stub.ListSessions(storage_pb2.ListSessionsRequest(track="fuzz ring"), timeout=10)).sessions == []


def test_durations_are_held_to_protobufs_own_bounds():
    from racecoach.analysis.v1 import analysis_pb2

    good = analysis_pb2.LapAnalysis(lap_id="x")
    good.lap_time.FromNanoseconds(-1_500_000_000)
    check_message(good)
    for seconds, nanos in ((1, -5), (-1, 5), (0, 1_000_000_000), (10**12, 0)):
        lap = analysis_pb2.LapAnalysis(lap_id="x")
        lap.lap_time.seconds, lap.lap_time.nanos = seconds, nanos
        with pytest.raises(InvalidInputError, match="lap_time is not a valid duration"):
            check_message(lap)
