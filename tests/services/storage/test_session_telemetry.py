"""StorageService.StreamSessionTelemetry over real gRPC on PostgreSQL: a session's samples from a session time on."""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_batches, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


async def read(stub, token, **fields):
    request = storage_pb2.StreamSessionTelemetryRequest(**fields)
    return [reply.chunk async for reply in stub.StreamSessionTelemetry(request, metadata=auth(token))]


async def test_samples_from_a_session_time_on_in_chunks_only_for_the_owner(storage_stub, token_for):
    token, other = await token_for(), await token_for("other")
    session = make_session()
    batches = make_batches(session_id=session.session_id, count=20)
    requests = [storage_pb2.WriteRequest(session=session), *(storage_pb2.WriteRequest(batch=b) for b in batches)]
    replies = [r async for r in storage_stub.Write(iter(requests), metadata=auth(token))]
    assert not any(r.HasField("error") for r in replies)
    sent = np.concatenate([np.asarray(b.session_time_s) for b in batches])
    speed = np.concatenate([np.asarray(b.speed_mps) for b in batches])

    whole = await read(storage_stub, token, session_id=session.session_id)
    assert np.array_equal(np.concatenate([np.asarray(c.session_time_s) for c in whole]), sent)

    cut = float(sent[47])  # inclusive: the sample at that time and every later one, in time order
    chunks = await read(storage_stub, token, session_id=session.session_id, from_session_time_s=cut,
                        channels=["lap_dist_m", "speed_mps"], chunk_samples=25)
    assert [c.sample_count for c in chunks] == [25, 25, 23] and [c.seq for c in chunks] == [1, 2, 3]
    assert np.allclose(np.concatenate([np.asarray(c.session_time_s) for c in chunks]), sent[47:])
    assert np.allclose(np.concatenate([np.asarray(c.speed_mps) for c in chunks]), speed[47:])
    assert len(chunks[0].lap_dist_m) == 25 and len(chunks[0].throttle) == 0  # only the channels asked for
    assert await read(storage_stub, token, session_id=session.session_id, from_session_time_s=float(sent[-1]) + 1) == []

    for token_used, session_id in ((other, session.session_id), (token, "no-such-session")):
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await read(storage_stub, token_used, session_id=session_id)
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await read(storage_stub, token, session_id=session.session_id, channels=["no_such_channel"])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
