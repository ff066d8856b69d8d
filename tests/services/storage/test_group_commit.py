"""Group commit across Write streams on a real StorageService: several streams' batches in one transaction,
a refused batch answered alone while its neighbours from the other streams commit."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import pytest_asyncio

from racecoach.services.storage.group_commit import committer_for
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_arrays, make_batch, make_session

UNKNOWN = storage_pb2.WRITE_ERROR_CODE_UNKNOWN_SESSION


@pytest_asyncio.fixture(loop_scope="session")
async def stub(storage_stub):
    return storage_stub


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def batch_requests(session_id: str, count: int, *, spoil: int | None = None) -> list[storage_pb2.WriteRequest]:
    requests = []
    for seq in range(1, count + 1):
        arrays = make_arrays(start_index=(seq - 1) * 6, count=6)
        if seq == spoil:
            arrays["throttle"][1] = np.nan
        requests.append(storage_pb2.WriteRequest(request_id=seq, batch=make_batch(session_id=session_id, seq=seq, arrays=arrays)))
    return requests


async def write_all(stub, token: str, requests: list) -> list[storage_pb2.WriteResponse]:
    return [r async for r in stub.Write(iter(requests), metadata=auth(token))]


async def stored(storage, session_id: str) -> int:
    return await storage.pool.fetchval(
        "SELECT count(*) FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1", session_id)


@pytest.mark.asyncio(loop_scope="session")
async def test_streams_commit_together_and_a_refused_run_does_not_take_its_neighbours(stub, storage, token_for):
    tokens = [await token_for(f"group-{n}") for n in range(4)]
    sessions = [make_session() for _ in range(4)]
    for token, session in zip(tokens, sessions):
        if session is not sessions[1]:  # the second stream's session is never stored: its batches are refused
            await write_all(stub, token, [storage_pb2.WriteRequest(request_id=1, session=session)])
    committer = committer_for(storage.pool)
    committer.gather_s, committer.widest = 0.2, 0  # a round waits for every stream's run
    try:
        answers = await asyncio.gather(
            write_all(stub, tokens[0], batch_requests(sessions[0].session_id, 20)),
            write_all(stub, tokens[1], batch_requests(sessions[1].session_id, 20)),
            write_all(stub, tokens[2], batch_requests(sessions[2].session_id, 20, spoil=7)),
            write_all(stub, tokens[3], batch_requests(sessions[3].session_id, 20)),
        )
    finally:
        committer.gather_s = 0.0
    assert committer.widest >= 3  # runs of several streams shared one transaction
    good, unknown, spoiled, other = answers
    for replies in (good, other):
        assert [r.request_id for r in replies] == list(range(1, 21)) and not any(r.HasField("error") for r in replies)
        assert replies[-1].committed_seq == 20
    assert [r.error.code for r in unknown] == [UNKNOWN] * 20
    assert [r.request_id for r in spoiled] == list(range(1, 21))
    assert [r.request_id for r in spoiled if r.HasField("error")][0] == 7 and spoiled[5].committed_seq == 6
    assert [await stored(storage, s.session_id) for s in sessions] == [120, 0, 36, 120]
