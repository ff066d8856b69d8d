"""A sample's identity is its session and its tick: the same samples sent again in any batching, with any
overlaps, through the real Write stream are stored exactly once."""

from __future__ import annotations

import io

import numpy as np
import pyarrow.csv as pa_csv
import pytest

from racecoach.services.common.batch import build_batch
from racecoach.services.storage import export
from racecoach.services.storage.identity import resolve_token
from racecoach.storage.v1 import storage_pb2
from seeding import auth
from telemetry_factories import make_arrays, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
TOTAL = 1_500


def random_batches(rng: np.random.Generator, *, session_id: str, arrays: dict, start: int, end: int) -> list:
    """Batches numbered from 1 over samples ``start`` to ``end`` with random sizes; a batch may reach back into the
    one before (overlap) and the same batch may be sent twice in a row (a resend)."""
    batches, position, seq = [], start, 1
    while position < end:
        back = int(rng.integers(0, 8)) if position > start and rng.random() < 0.3 else 0
        size = int(rng.integers(1, 120))
        low, high = position - back, min(end, position + size)
        part = {name: values[low:high] for name, values in arrays.items()}
        batch = build_batch(session_id=session_id, seq=seq, arrays=part)
        batches.append(batch)
        if rng.random() < 0.1:
            batches.append(batch)
        position, seq = high, seq + 1
    return batches


async def send(stub, token, session, batches) -> list[storage_pb2.WriteResponse]:
    requests = [storage_pb2.WriteRequest(request_id=1, session=session)]
    requests += [storage_pb2.WriteRequest(request_id=10 + i, batch=b) for i, b in enumerate(batches)]
    return [r async for r in stub.Write(iter(requests), metadata=auth(token))]


async def stored_times(storage, session_id: str) -> np.ndarray:
    rows = await storage.pool.fetch(
        "SELECT t.session_time_s FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1"
        " ORDER BY t.session_time_s", session_id,
    )
    return np.array([r[0] for r in rows])


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_every_sample_is_stored_once_whatever_the_batching(storage_stub, storage, token_for, seed):
    rng = np.random.default_rng(seed)
    token = await token_for()
    session = make_session()
    arrays = make_arrays(start_index=0, count=TOTAL)
    # Parts first (an interrupted upload, then another one starting further on), then the whole in other batchings.
    spans = [(0, int(rng.integers(100, 700))), (int(rng.integers(300, 900)), int(rng.integers(900, TOTAL))),
             (0, TOTAL), (0, TOTAL), (int(rng.integers(0, TOTAL - 1)), TOTAL)]
    committed = 0
    for start, end in spans:
        batches = random_batches(rng, session_id=session.session_id, arrays=arrays, start=start, end=end)
        responses = await send(stub=storage_stub, token=token, session=session, batches=batches)
        assert not [r.error.message for r in responses if r.HasField("error")]
        committed = max(committed, max(b.seq for b in batches))
        assert responses[-1].committed_seq == committed  # every batch is committed, old samples or new
        assert responses[0].committed_tick in (0, *range(600, 600 + TOTAL))

    times = await stored_times(storage, session.session_id)
    np.testing.assert_array_equal(times, arrays["session_time_s"])  # each sample once, none missing
    row = await storage.pool.fetchrow(
        "SELECT sample_count, stored_through_tick, committed_seq FROM sessions WHERE session_id = $1", session.session_id)
    assert (row["sample_count"], row["stored_through_tick"], row["committed_seq"]) == (TOTAL, 600 + TOTAL - 1, committed)

    user = await resolve_token(storage.pool, token=token)
    pieces = [p.data async for p in export.export_session(storage.pool, user=user, session_id=session.session_id,
                                                          fmt=storage_pb2.EXPORT_FORMAT_CSV, channels=["speed_mps"])]
    exported = pa_csv.read_csv(io.BytesIO(b"".join(pieces))).column("session_time_s").to_numpy()
    assert len(exported) == TOTAL and len(np.unique(exported)) == TOTAL


async def test_a_replay_in_another_batching_stores_nothing_and_is_committed(storage_stub, storage, token_for):
    token = await token_for()
    session = make_session()
    arrays = make_arrays(start_index=0, count=600)
    every = {n: v for n, v in arrays.items()}
    first = [build_batch(session_id=session.session_id, seq=i + 1, arrays={n: v[i * 6:(i + 1) * 6] for n, v in every.items()})
             for i in range(100)]
    await send(storage_stub, token, session, first)
    again = [build_batch(session_id=session.session_id, seq=i + 1, arrays={n: v[i * 5:(i + 1) * 5] for n, v in every.items()})
             for i in range(120)]
    responses = await send(storage_stub, token, session, again)
    assert responses[0].committed_seq == 100 and responses[0].committed_tick == 600 + 599
    assert not any(r.HasField("error") for r in responses) and responses[-1].committed_seq == 120
    np.testing.assert_array_equal(await stored_times(storage, session.session_id), arrays["session_time_s"])
    per_seq = await storage.pool.fetch(
        "SELECT b.seq, b.sample_count FROM telemetry_batches b JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 AND b.seq > 100 ORDER BY b.seq", session.session_id)
    assert [r["seq"] for r in per_seq] == list(range(101, 121)) and {r["sample_count"] for r in per_seq} == {0}


async def test_two_samples_of_a_batch_on_one_tick_are_refused(storage_stub, storage, token_for):
    token = await token_for()
    session = make_session()  # 60 Hz
    arrays = make_arrays(start_index=0, count=12, hz=240.0)  # four samples a tick
    responses = await send(storage_stub, token, session, [build_batch(session_id=session.session_id, seq=1, arrays=arrays)])
    assert responses[1].error.code == storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH
    assert "same tick at 60 Hz" in responses[1].error.message and responses[1].committed_seq == 0
    assert len(await stored_times(storage, session.session_id)) == 0
