"""StorageService over real gRPC on a real PostgreSQL: durable acks, idempotency, isolation."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
import pytest_asyncio

from racecoach.analysis.v1 import analysis_pb2
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_batches, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def stub(storage_stub):
    return storage_stub


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


async def write_all(stub, token, requests):
    call = stub.Write(iter(requests), metadata=auth(token))
    return [r async for r in call]


async def sample_count(storage, session_id: str) -> int:
    return await storage.pool.fetchval(
        "SELECT count(*) FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1", session_id
    )


async def test_batches_are_acked_only_after_commit_and_duplicates_are_stored_once(stub, storage, token_for):
    token = await token_for()
    session = make_session()
    batches = make_batches(session_id=session.session_id, count=5)
    requests = [storage_pb2.WriteRequest(request_id=1, session=session)]
    requests += [storage_pb2.WriteRequest(request_id=10 + i, batch=b) for i, b in enumerate(batches)]
    requests += [storage_pb2.WriteRequest(request_id=99, batch=batches[2])]  # a resend
    responses = await write_all(stub, token, requests)
    assert [r.request_id for r in responses] == [1, 10, 11, 12, 13, 14, 99]
    assert not any(r.HasField("error") for r in responses)
    assert responses[-2].committed_seq == 5
    assert responses[-1].committed_seq == 5
    assert await sample_count(storage, session.session_id) == 5 * 6
    stored = await storage.pool.fetch(
        "SELECT t.speed_mps, t.session_flags, t.lat_deg FROM telemetry_samples t JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 ORDER BY t.session_time_s", session.session_id
    )
    assert stored[0]["speed_mps"] == pytest.approx(50.0)
    assert stored[0]["session_flags"] == 0x80000004
    assert stored[0]["lat_deg"] == pytest.approx(47.2197, abs=1e-9)
    seq = await stub.GetCommittedSeq(storage_pb2.GetCommittedSeqRequest(session_id=session.session_id), metadata=auth(token))
    assert (seq.committed_seq, seq.exists) == (5, True)


async def test_seq_gap_and_bad_batch_are_refused_without_dropping_the_stream(stub, storage, token_for):
    token = await token_for()
    session = make_session()
    batches = make_batches(session_id=session.session_id, count=4)
    broken = storage_pb2.WriteRequest(request_id=3, batch=batches[1])
    broken.batch.speed_mps[2] = float("nan")
    requests = [
        storage_pb2.WriteRequest(request_id=1, session=session),
        storage_pb2.WriteRequest(request_id=2, batch=batches[0]),
        broken,
        storage_pb2.WriteRequest(request_id=4, batch=batches[3]),  # gap: seq 4 after 1
        storage_pb2.WriteRequest(request_id=5, batch=batches[1]),
    ]
    responses = {r.request_id: r for r in await write_all(stub, token, requests)}
    assert responses[3].error.code == storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH
    assert "speed_mps" in responses[3].error.message and "finite" in responses[3].error.message
    assert responses[4].error.code == storage_pb2.WRITE_ERROR_CODE_SEQ_GAP and "resend from 2" in responses[4].error.message
    assert not responses[5].HasField("error") and responses[5].committed_seq == 2
    assert await sample_count(storage, session.session_id) == 12


async def test_users_cannot_see_each_others_sessions(stub, token_for):
    alice, bob = await token_for("alice"), await token_for("bob")
    session = make_session()
    await write_all(stub, alice, [storage_pb2.WriteRequest(session=session)])
    mine = await stub.ListSessions(storage_pb2.ListSessionsRequest(), metadata=auth(alice))
    assert [s.session.session_id for s in mine.sessions] == [session.session_id]
    theirs = await stub.ListSessions(storage_pb2.ListSessionsRequest(), metadata=auth(bob))
    assert list(theirs.sessions) == []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.GetSession(storage_pb2.GetSessionRequest(session_id=session.session_id), metadata=auth(bob))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    responses = await write_all(stub, bob, [storage_pb2.WriteRequest(request_id=7, batch=make_batches(session_id=session.session_id, count=1)[0])])
    assert responses[0].error.code == storage_pb2.WRITE_ERROR_CODE_UNKNOWN_SESSION  # Bob has no such session


async def test_two_users_may_use_the_same_session_id(stub, storage, token_for):
    """Collectors choose session ids (a replayed file's comes from its content): ids are per user."""
    alice, bob = await token_for("alice"), await token_for("bob")
    session = make_session()
    batches = make_batches(session_id=session.session_id, count=3)
    for token, count in ((alice, 3), (bob, 2)):
        requests = [storage_pb2.WriteRequest(session=session)] + [storage_pb2.WriteRequest(batch=b) for b in batches[:count]]
        responses = await write_all(stub, token, requests)
        assert not any(r.HasField("error") for r in responses) and responses[-1].committed_seq == count
    counts = await storage.pool.fetch(
        "SELECT s.user_id, count(*) AS n FROM telemetry_samples t JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 GROUP BY s.user_id ORDER BY n", session.session_id)
    assert [r["n"] for r in counts] == [12, 18]
    for token, seq in ((alice, 3), (bob, 2)):
        state = await stub.GetCommittedSeq(storage_pb2.GetCommittedSeqRequest(session_id=session.session_id), metadata=auth(token))
        assert state.exists and state.committed_seq == seq


async def test_missing_unknown_and_revoked_tokens_are_unauthenticated(stub, storage, token_for):
    from racecoach.services.storage.identity import revoke_token

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.WhoAmI(storage_pb2.WhoAmIRequest())
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.WhoAmI(storage_pb2.WhoAmIRequest(), metadata=auth("rc_not-a-token"))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    token = await token_for()
    me = await stub.WhoAmI(storage_pb2.WhoAmIRequest(), metadata=auth(token))
    assert "@example.test" in me.email
    async with storage.pool.acquire() as conn:
        await revoke_token(conn, token=token)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.ListSessions(storage_pb2.ListSessionsRequest(), metadata=auth(token))
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in err.value.details()


async def test_pagination_filters_and_lap_telemetry(stub, token_for):
    token = await token_for()
    sessions = [make_session(track="Spa" if i % 2 else "Monza") for i in range(5)]
    for i, s in enumerate(sessions):
        s.start_time.FromSeconds(1_700_000_000 + i * 3600)
    await write_all(stub, token, [storage_pb2.WriteRequest(session=s) for s in sessions])
    seen, token_page = [], ""
    while True:
        page = await stub.ListSessions(storage_pb2.ListSessionsRequest(page_size=2, page_token=token_page), metadata=auth(token))
        seen += [s.session.session_id for s in page.sessions]
        token_page = page.next_page_token
        if not token_page:
            break
    assert seen == [s.session_id for s in reversed(sessions)]
    spa = await stub.ListSessions(storage_pb2.ListSessionsRequest(track="spa"), metadata=auth(token))
    assert {s.session.session_id for s in spa.sessions} == {sessions[1].session_id, sessions[3].session_id}

    session = sessions[0]
    batches = make_batches(session_id=session.session_id, count=20)
    lap = analysis_pb2.LapAnalysis(session_id=session.session_id, lap_id=f"{session.session_id}-1", lap_number=1,
                                   start_session_time_s=10.0, end_session_time_s=10.0 + 120 / 60, valid=True)
    lap.lap_time.FromNanoseconds(round(120 / 60 * 1e9))
    requests = [storage_pb2.WriteRequest(batch=b) for b in batches] + [storage_pb2.WriteRequest(lap=lap)]
    assert not any(r.HasField("error") for r in await write_all(stub, token, requests))
    chunks = [c async for c in stub.StreamLapTelemetry(
        storage_pb2.StreamLapTelemetryRequest(lap_id=lap.lap_id, chunk_samples=50, channels=["speed_mps", "lap_dist_m"]),
        metadata=auth(token))]
    assert [c.chunk.sample_count for c in chunks] == [50, 50, 20]
    times = np.concatenate([np.asarray(c.chunk.session_time_s) for c in chunks])
    assert np.all(np.diff(times) > 0) and len(chunks[0].chunk.throttle) == 0
    small = [c async for c in stub.StreamLapTelemetry(storage_pb2.StreamLapTelemetryRequest(lap_id=lap.lap_id, max_samples=10), metadata=auth(token))]
    assert sum(c.chunk.sample_count for c in small) == 10
    detail = await stub.GetSession(storage_pb2.GetSessionRequest(session_id=session.session_id), metadata=auth(token))
    assert detail.summary.lap_count == 1 and detail.summary.sample_count == 120
    assert detail.summary.best_lap_time.ToNanoseconds() == round(120 / 60 * 1e9)
