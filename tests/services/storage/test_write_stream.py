"""The Write stream's preparation and merging, directly: what a run of batches becomes before it commits."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from racecoach.services.storage import write_stream
from racecoach.services.storage.binary_copy import COLUMNS, KEY_COLUMNS
from racecoach.services.storage.identity import resolve_token
from racecoach.services.storage.write_stream import BatchRun, merge_steps, prepare_run
from racecoach.services.common.channels import BY_FIELD
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_arrays, make_batch, make_session

SESSION = "write-stream-session"
INVALID = storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH


def raw(request_id: int, *, batch=None, session=None) -> storage_pb2.WriteRequestRawView:
    """A request as the stream reads it: a WriteRequest's bytes parsed as the raw view."""
    message = storage_pb2.WriteRequest(request_id=request_id, batch=batch) if batch is not None else \
        storage_pb2.WriteRequest(request_id=request_id, session=session)
    return storage_pb2.WriteRequestRawView.FromString(message.SerializeToString())


def arrays_of(seq: int, count: int = 6) -> dict[str, np.ndarray]:
    return make_arrays(start_index=(seq - 1) * count, count=count)


def batch_requests(*arrays: dict[str, np.ndarray], session_id: str = SESSION, first_id: int = 100) -> list:
    return [raw(first_id + i, batch=make_batch(session_id=session_id, seq=i + 1, arrays=a)) for i, a in enumerate(arrays)]


def pgcopy_row(*, seq: int, idx: int, sample: dict[str, object]) -> bytes:
    """One binary COPY row written out with struct: field count, then (length, big-endian value) per column."""
    out = struct.pack(">h", len(COLUMNS)) + struct.pack(">iq", 8, 0) + struct.pack(">iq", 8, seq) + struct.pack(">ii", 4, idx)
    for name in COLUMNS[len(KEY_COLUMNS):]:
        if name not in sample:
            out += struct.pack(">i", -1)
        elif BY_FIELD[name].dtype == np.dtype("<f4"):
            out += struct.pack(">if", 4, float(sample[name]))
        elif BY_FIELD[name].dtype == np.dtype("<f8"):
            out += struct.pack(">id", 8, float(sample[name]))
        else:
            out += struct.pack(">iq", 8, int(sample[name]))
    return out


def joined(run: BatchRun) -> bool:
    """Whether the run took the one-pass path: every batch's arrays are views of one joined buffer."""
    bases = {id(rows.arrays["speed_mps"].base) for _, rows in run.good}
    return len(bases) == 1 and len(run.encoded) == 1


def rows_bytes(run: BatchRun) -> list[bytes]:
    return [row.tobytes() for rows in run.encoded for row in rows]


def expected_rows(*parts: tuple[int, dict[str, np.ndarray]]) -> list[bytes]:
    return [pgcopy_row(seq=seq, idx=i, sample={n: v[i] for n, v in a.items()}) for seq, a in parts for i in range(len(a["session_time_s"]))]


def test_a_clean_run_is_one_copy_of_all_its_samples():
    parts = [arrays_of(seq) for seq in (1, 2, 3)]
    run = prepare_run(batch_requests(*parts), max_samples=600)
    assert run.session_id == SESSION and run.bad == {}
    assert [(p, rows.seq, rows.sample_count) for p, rows in run.good] == [(0, 1, 6), (1, 2, 6), (2, 3, 6)]
    assert joined(run)  # checked and encoded in one pass over the joined channels
    assert rows_bytes(run) == expected_rows(*zip((1, 2, 3), parts))


def test_a_bad_batch_is_answered_alone_and_the_others_go_on():
    parts = [arrays_of(seq) for seq in (1, 2, 3)]
    parts[1]["speed_mps"][2] = np.nan
    requests = batch_requests(*parts)
    run = prepare_run(requests, max_samples=600)
    assert list(run.bad) == [1]
    bad = run.bad[1]
    assert (bad.request_id, bad.session_id, bad.error.code) == (101, SESSION, INVALID)
    assert bad.error.message == "batch seq 2: channel speed_mps holds nan at sample 2; values must be finite"
    assert [p for p, _ in run.good] == [0, 2]
    assert rows_bytes(run) == expected_rows((1, parts[0]), (3, parts[2]))


def test_time_may_start_again_between_batches_but_must_rise_inside_one():
    first, again = arrays_of(1), arrays_of(1)  # the second batch resends the first one's samples
    run = prepare_run(batch_requests(first, again), max_samples=600)
    assert run.bad == {} and len(run.good) == 2 and joined(run)  # the step back between them is no reason to look closer
    backwards = arrays_of(2)
    backwards["session_time_s"][4] = backwards["session_time_s"][3]
    run = prepare_run(batch_requests(first, backwards), max_samples=600)
    assert list(run.bad) == [1] and "session_time_s goes from" in run.bad[1].error.message
    assert run.bad[1].error.message.endswith("at sample 4; it must increase")


def test_batches_of_different_channels_are_encoded_layout_by_layout():
    parts = [arrays_of(seq) for seq in (1, 2, 3)]
    parts[1]["rpm"] = np.linspace(4000, 6000, 6, dtype=np.float32)
    run = prepare_run(batch_requests(*parts), max_samples=600)
    assert run.bad == {} and [p for p, _ in run.good] == [0, 1, 2]
    assert [len(rows) for rows in run.encoded] == [6, 6, 6]
    assert rows_bytes(run) == expected_rows(*zip((1, 2, 3), parts))


def test_oversized_batches_and_bad_session_ids_are_refused():
    run = prepare_run(batch_requests(arrays_of(1), arrays_of(2, count=7)), max_samples=6)
    assert list(run.bad) == [1] and run.bad[1].error.message == "batch seq 2: batch holds 7 samples; at most 6 are allowed per batch"
    run = prepare_run(batch_requests(arrays_of(1), arrays_of(2), session_id="bad\x00id"), max_samples=600)
    assert run.good == [] and run.encoded is None and sorted(run.bad) == [0, 1]
    assert {(r.session_id, r.error.code, r.error.message) for r in run.bad.values()} == {
        ("", INVALID, "batch.session_id must not contain a NUL character")}


def test_adjacent_runs_of_a_session_merge_with_their_positions_shifted():
    parts = [arrays_of(seq) for seq in (1, 2, 3, 4)]
    parts[2]["brake"][0] = 7.0  # out of range
    requests = batch_requests(*parts)
    first, second = prepare_run(requests[:2], max_samples=600), prepare_run(requests[2:], max_samples=600)
    (merged,) = merge_steps([first, second])
    assert merged.requests == requests
    assert list(merged.bad) == [2] and merged.bad[2].request_id == 102
    assert [(p, rows.seq) for p, rows in merged.good] == [(0, 1), (1, 2), (3, 4)]
    assert rows_bytes(merged) == expected_rows((1, parts[0]), (2, parts[1]), (4, parts[3]))


def test_runs_apart_or_of_other_sessions_stay_apart_and_empty_runs_merge():
    a1 = prepare_run(batch_requests(arrays_of(1)), max_samples=600)
    a2 = prepare_run(batch_requests(arrays_of(2), first_id=200), max_samples=600)
    b = prepare_run(batch_requests(arrays_of(1), session_id="other"), max_samples=600)
    session = raw(1, session=make_session())
    steps = merge_steps([a1, session, a2, b])
    assert steps == [a1, session, a2, b] and len(a1.requests) == 1
    nan = arrays_of(1)
    nan["throttle"][:] = np.nan
    refused = prepare_run(batch_requests(nan), max_samples=600)
    assert refused.encoded is None and list(refused.bad) == [0]
    good = prepare_run(batch_requests(arrays_of(2), first_id=200), max_samples=600)
    (merged,) = merge_steps([refused, good])
    assert list(merged.bad) == [0] and [p for p, _ in merged.good] == [1]
    assert rows_bytes(merged) == expected_rows((1, arrays_of(2)))  # batch_requests numbers from seq 1


@pytest.mark.asyncio(loop_scope="session")
async def test_a_merged_run_commits_and_answers_each_request_in_order(storage, token_for):
    token = await token_for("stream")
    user = await resolve_token(storage.pool, token=token)
    session = make_session()
    parts = [arrays_of(seq) for seq in (1, 2, 3, 4)]
    parts[2]["speed_mps"][5] = np.inf
    batches = batch_requests(*parts, session_id=session.session_id)
    steps = write_stream.prepare_group([raw(1, session=session), *batches[:2]], max_samples=600)
    steps += write_stream.prepare_group(batches[2:], max_samples=600)
    merged = merge_steps(steps)
    assert len(merged) == 2 and len(merged[1].requests) == 4
    responses = await write_stream.commit_group(storage.pool, user=user, steps=merged)
    assert [r.request_id for r in responses] == [1, 100, 101, 102, 103]
    assert [r.error.code for r in responses] == [0, 0, 0, INVALID, storage_pb2.WRITE_ERROR_CODE_SEQ_GAP]
    assert [r.committed_seq for r in responses[1:]] == [2, 2, 0, 2]
    assert "seq 4" in responses[4].error.message and "resend from 3" in responses[4].error.message
    stored = await storage.pool.fetch(
        "SELECT t.seq, t.idx, t.speed_mps FROM telemetry_samples t JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 ORDER BY t.session_time_s", session.session_id)
    assert [(r["seq"], r["idx"]) for r in stored] == [(s, i) for s in (1, 2) for i in range(6)]
