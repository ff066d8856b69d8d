"""A token revoked while its ingest stream is open: the stream ends with UNAUTHENTICATED within a second,
and nothing sent after the revocation is acked or stored."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.services.storage.identity import revoke_token
from telemetry_factories import make_batches, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def open_stream(mesh, token, session, first):
    """A stream with ``first`` acked; returns (channel, call)."""
    channel = grpc.aio.insecure_channel(mesh.address("ingest"))
    call = ingest_pb2_grpc.IngestServiceStub(channel).Stream(metadata=[("authorization", f"Bearer {token}")])
    await call.write(ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)))
    assert (await call.read()).HasField("accepted")
    await call.write(ingest_pb2.StreamRequest(batch=first))
    while not (reply := await call.read()).HasField("ack"):
        pass
    assert reply.ack.committed_seq == first.seq
    return channel, call


async def drain(call) -> tuple[list, grpc.StatusCode, str]:
    replies = []
    try:
        while (reply := await call.read()) is not grpc.aio.EOF:
            replies.append(reply)
    except grpc.aio.AioRpcError as exc:
        return replies, exc.code(), exc.details()
    return replies, grpc.StatusCode.OK, ""


async def stored_seqs(storage, session_id) -> list[int]:
    rows = await storage.pool.fetch(
        "SELECT DISTINCT t.seq FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1 ORDER BY 1",
        session_id)
    return [r["seq"] for r in rows]


@pytest.mark.parametrize("writing", [True, False], ids=["batches sent after the revocation", "idle stream"])
async def test_revocation_ends_an_open_stream_within_a_second(mesh, storage, token_for, writing):
    token = await token_for()
    session = make_session()
    batches = make_batches(session_id=session.session_id, count=4)
    channel, call = await open_stream(mesh, token, session, batches[0])
    try:
        async with storage.pool.acquire() as conn:
            await revoke_token(conn, token=token)
        revoked_at = time.monotonic()
        if writing:
            for batch in batches[1:]:
                await call.write(ingest_pb2.StreamRequest(batch=batch))
        replies, code, details = await asyncio.wait_for(drain(call), timeout=5)
        ended_after_s = time.monotonic() - revoked_at
    finally:
        await channel.close()
    assert code == grpc.StatusCode.UNAUTHENTICATED, (code, details)
    assert "revoked" in details and "Traceback" not in details
    assert ended_after_s < 1.0
    assert not [r for r in replies if r.HasField("ack")], "a batch sent after the revocation was acked"
    assert await stored_seqs(storage, session.session_id) == [1]
