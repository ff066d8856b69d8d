"""IngestService over real gRPC: acks mean committed, bad batches are refused with a reason, the stream goes on."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.services.common.batch import build_batch
from racecoach.services.storage.identity import resolve_token
from telemetry_factories import make_arrays, make_batches, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def converse(mesh, token, requests, *, expect: int):
    """Send ``requests`` one by one, then collect ``expect`` responses (plus the accepted one first)."""
    async with grpc.aio.insecure_channel(mesh.address("ingest")) as channel:
        call = ingest_pb2_grpc.IngestServiceStub(channel).Stream(metadata=[("authorization", f"Bearer {token}")])
        await call.write(requests[0])
        accepted = await call.read()
        for request in requests[1:]:
            await call.write(request)
        await call.done_writing()
        responses = []
        while (response := await call.read()) is not grpc.aio.EOF:
            responses.append(response)
    return accepted, responses


async def stored_seqs(storage, token, session_id):
    user = await resolve_token(storage.pool, token=token)
    rows = await storage.pool.fetch(
        "SELECT DISTINCT t.seq FROM telemetry_samples t JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 AND s.user_id = $2 ORDER BY t.seq", session_id, user.user_id)
    return [r["seq"] for r in rows]


async def test_bad_batches_get_reasons_and_good_ones_are_committed(mesh, storage, token_for):
    token = await token_for()
    session = make_session()
    good = make_batches(session_id=session.session_id, count=3)
    nan = build_batch(session_id=session.session_id, seq=2, arrays=make_arrays(start_index=6, count=6))
    nan.speed_mps[0] = float("nan")
    other = make_batches(session_id="someone-else", count=1)[0]
    huge = build_batch(session_id=session.session_id, seq=2, arrays=make_arrays(start_index=6, count=601))
    requests = [ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session))]
    requests += [ingest_pb2.StreamRequest(batch=b) for b in (good[0], nan, other, huge, good[2], good[1], good[2], good[0])]
    requests.append(ingest_pb2.StreamRequest(end=ingest_pb2.SessionEnd(session_id=session.session_id, last_seq=3)))
    accepted, responses = await converse(mesh, token, requests, expect=0)
    assert accepted.accepted.committed_seq == 0
    errors = [(r.error.seq, ingest_pb2.BatchErrorReason.Name(r.error.reason)) for r in responses if r.HasField("error")]
    assert errors == [
        (2, "BATCH_ERROR_REASON_NOT_FINITE"), (1, "BATCH_ERROR_REASON_WRONG_SESSION"),
        (2, "BATCH_ERROR_REASON_TOO_LARGE"), (3, "BATCH_ERROR_REASON_SEQ_GAP"),
    ]
    closed = [r.closed for r in responses if r.HasField("closed")]
    assert closed and closed[0].committed_seq == 3
    acks = [r.ack.committed_seq for r in responses if r.HasField("ack")]
    assert acks == sorted(acks) and acks[-1] == 3
    assert await stored_seqs(storage, token, session.session_id) == [1, 2, 3]


async def test_a_resumed_session_is_told_where_to_continue(mesh, storage, token_for):
    token = await token_for()
    session = make_session()
    batches = make_batches(session_id=session.session_id, count=4)
    start = ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session))
    await converse(mesh, token, [start] + [ingest_pb2.StreamRequest(batch=b) for b in batches[:2]], expect=0)
    accepted, responses = await converse(mesh, token, [start] + [ingest_pb2.StreamRequest(batch=b) for b in batches[1:]], expect=0)
    assert accepted.accepted.committed_seq == 2
    assert not any(r.HasField("error") for r in responses)
    await asyncio.sleep(0)
    assert await stored_seqs(storage, token, session.session_id) == [1, 2, 3, 4]


async def test_the_first_message_must_start_a_session(mesh, token_for):
    token = await token_for()
    batch = make_batches(session_id="s", count=1)[0]
    async with grpc.aio.insecure_channel(mesh.address("ingest")) as channel:
        call = ingest_pb2_grpc.IngestServiceStub(channel).Stream(metadata=[("authorization", f"Bearer {token}")])
        await call.write(ingest_pb2.StreamRequest(batch=batch))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call.read()
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "first message must be a start" in err.value.details()
