"""WriteRequest.batches on a real StorageService: stored batch by batch, answered once, refusals named by seq."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import pytest_asyncio

from racecoach.services.ingest.coalesce import Stored, run_request, store_runs
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_arrays, make_batch, make_session

INVALID = storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH
SEQ_GAP = storage_pb2.WRITE_ERROR_CODE_SEQ_GAP


@pytest_asyncio.fixture(loop_scope="session")
async def stub(storage_stub):
    return storage_stub


def batches_of(session_id: str, seqs, *, count: int = 6, spoil: int | None = None) -> list:
    out = []
    for seq in seqs:
        arrays = make_arrays(start_index=(seq - 1) * count, count=count)
        if seq == spoil:
            arrays["speed_mps"][2] = np.nan
        out.append(make_batch(session_id=session_id, seq=seq, arrays=arrays))
    return out


def run(request_id: int, batches: list) -> storage_pb2.WriteRequest:
    return storage_pb2.WriteRequest(request_id=request_id, batches=storage_pb2.WriteBatchRun(batches=batches))


async def write_all(stub, token: str, requests: list) -> list[storage_pb2.WriteResponse]:
    return [r async for r in stub.Write(iter(requests), metadata=[("authorization", f"Bearer {token}")])]


async def stored_seqs(storage, session_id: str) -> tuple[list[int], int]:
    rows = await storage.pool.fetch(
        "SELECT b.seq, b.sample_count FROM telemetry_batches b JOIN sessions s USING (session_pk) WHERE s.session_id = $1"
        " ORDER BY b.seq", session_id)
    samples = await storage.pool.fetchval(
        "SELECT count(*) FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1", session_id)
    return [r["seq"] for r in rows], samples


@pytest.mark.asyncio(loop_scope="session")
async def test_a_run_is_stored_batch_by_batch_and_answered_once_after_its_commit(stub, storage, token_for):
    token = await token_for("runs")
    session = make_session()
    requests = [storage_pb2.WriteRequest(request_id=1, session=session), run(40, batches_of(session.session_id, range(1, 41)))]
    requests += [storage_pb2.WriteRequest(request_id=41, batch=batches_of(session.session_id, [41])[0])]
    responses = await write_all(stub, token, requests)
    assert [(r.request_id, r.HasField("error")) for r in responses] == [(1, False), (40, False), (41, False)]
    # committed_seq after the run: 40, or 41 when storage committed the batch after it in the same transaction
    assert responses[1].committed_seq in (40, 41) and responses[2].committed_seq == 41
    assert responses[1].session_id == session.session_id and responses[1].refused_seq == 0
    assert await stored_seqs(storage, session.session_id) == (list(range(1, 42)), 41 * 6)
    # the same run again (a resend): committed as it is, nothing stored twice
    again = await write_all(stub, token, [storage_pb2.WriteRequest(request_id=1, session=session),
                                          run(40, batches_of(session.session_id, range(1, 41)))])
    assert [(r.request_id, r.committed_seq, r.HasField("error")) for r in again] == [(1, 41, False), (40, 41, False)]
    assert await stored_seqs(storage, session.session_id) == (list(range(1, 42)), 41 * 6)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_bad_batch_of_a_run_is_refused_by_its_seq_and_those_before_it_are_committed(stub, storage, token_for):
    token = await token_for("runs-bad")
    session = make_session()
    requests = [storage_pb2.WriteRequest(request_id=1, session=session), run(8, batches_of(session.session_id, range(1, 9), spoil=5))]
    responses = await write_all(stub, token, requests)
    refusals = [(r.request_id, r.refused_seq, r.error.code) for r in responses[1:] if r.HasField("error")]
    assert refusals[0] == (8, 5, INVALID) and "seq 5" in responses[1].error.message
    assert all(code == SEQ_GAP for _, seq, code in refusals[1:]) and [seq for _, seq, _ in refusals] == [5, 6, 7, 8]
    final = responses[-1]
    assert (final.request_id, final.committed_seq, final.HasField("error")) == (8, 4, False)
    assert await stored_seqs(storage, session.session_id) == ([1, 2, 3, 4], 4 * 6)
    # the collector resends from 5: stored
    fixed = await write_all(stub, token, [storage_pb2.WriteRequest(request_id=1, session=session),
                                          run(8, batches_of(session.session_id, range(5, 9)))])
    assert fixed[-1].committed_seq == 8 and not any(r.HasField("error") for r in fixed)
    assert await stored_seqs(storage, session.session_id) == (list(range(1, 9)), 8 * 6)


@pytest.mark.asyncio(loop_scope="session")
async def test_an_empty_run_is_refused_and_the_stream_goes_on(stub, storage, token_for):
    token = await token_for("runs-empty")
    session = make_session()
    requests = [storage_pb2.WriteRequest(request_id=1, session=session), run(7, []),
                storage_pb2.WriteRequest(request_id=9, batch=batches_of(session.session_id, [1])[0])]
    responses = await write_all(stub, token, requests)
    assert [(r.request_id, r.HasField("error")) for r in responses] == [(1, False), (7, True), (9, False)]
    assert responses[-1].committed_seq == 1


def test_ingest_frames_a_run_as_write_request_batches_without_re_encoding():
    batches = batches_of("framed", range(3, 6))
    framed = run_request([Stored(seq=b.seq, payload=b.SerializeToString()) for b in batches])
    request = storage_pb2.WriteRequest.FromString(framed)
    assert request.request_id == 5 and list(request.batches.batches) == batches
    alone = storage_pb2.WriteRequest.FromString(run_request([Stored(seq=3, payload=batches[0].SerializeToString())]))
    assert alone.request_id == 3 and alone.batch == batches[0]


@pytest.mark.asyncio(loop_scope="session")
async def test_ingest_sends_queued_batches_as_runs_and_everything_else_in_its_place():
    queue: asyncio.Queue = asyncio.Queue()
    batches = batches_of("queued", range(1, 6))
    items = [Stored(seq=b.seq, payload=b.SerializeToString()) for b in batches]
    lap = b"\x08\x07"  # an already framed request (a lap, a report) passes as it is
    for item in (*items[:3], lap, *items[3:]):
        queue.put_nowait(item)
    queue.put_nowait(None)
    out = [storage_pb2.WriteRequest.FromString(m) if m != lap else m async for m in store_runs(queue, linger_s=0.0)]
    assert out[1] == lap
    assert [list(b.seq for b in r.batches.batches) for r in (out[0], out[2])] == [[1, 2, 3], [4, 5]]
    assert [r.request_id for r in (out[0], out[2])] == [3, 5]
