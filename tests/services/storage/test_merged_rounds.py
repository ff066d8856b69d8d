"""A group-commit round stores its runs in one statement of each kind (round_writes.py): on a real StorageService,
many streams' runs in one round all commit; a run that fails in such a round (a seq gap, a revoked token, a
statement of its own that fails) fails alone and stores nothing; the same samples from several streams or
rounds are stored once; a COMMIT that fails acks nothing."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import grpc
import pytest
import pytest_asyncio

from racecoach.services.storage.group_commit import committer_for
from racecoach.services.storage.identity import create_token, revoke_token
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_arrays, make_batch, make_session

SEQ_GAP = storage_pb2.WRITE_ERROR_CODE_SEQ_GAP


@pytest_asyncio.fixture(loop_scope="session")
async def stub(storage_stub):
    return storage_stub


@pytest.fixture
def committer(storage):
    """The pool's committer with rounds that wait 0.2 s for every stream's run, and its counters from zero."""
    committer = committer_for(storage.pool)
    committer.gather_s, committer.widest, committer.merged, committer.fallbacks = 0.2, 0, 0, 0
    try:
        yield committer
    finally:
        committer.gather_s = 0.0


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def batches(session_id: str, seqs, *, first_id: int = 1, shift: int = 0) -> list[storage_pb2.WriteRequest]:
    """Batches of 6 samples; batch ``seq`` carries the samples of seq ``seq - shift`` (samples resent under new seqs)."""
    return [storage_pb2.WriteRequest(request_id=first_id + n, batch=make_batch(
        session_id=session_id, seq=seq, arrays=make_arrays(start_index=(seq - shift - 1) * 6, count=6)))
        for n, seq in enumerate(seqs)]


def as_run(requests: list[storage_pb2.WriteRequest], *, request_id: int) -> storage_pb2.WriteRequest:
    """The batches in one request (WriteRequest.batches), as ingest sends those waiting."""
    return storage_pb2.WriteRequest(request_id=request_id, batches=storage_pb2.WriteBatchRun(batches=[r.batch for r in requests]))


async def write(stub, token: str, requests, *, before=None) -> tuple[list[storage_pb2.WriteResponse], grpc.StatusCode | None]:
    """The stream's answers, and the status it ended with (None: OK). ``before`` is awaited after the first answer."""
    requests = list(requests)
    answered = asyncio.Event()

    async def feed():
        yield requests[0]
        if before is not None:
            await answered.wait()
            await before()
        for request in requests[1:]:
            yield request

    replies: list[storage_pb2.WriteResponse] = []
    try:
        async for reply in stub.Write(feed(), metadata=auth(token)):
            replies.append(reply)
            answered.set()
    except grpc.aio.AioRpcError as exc:
        return replies, exc.code()
    return replies, None


async def open_session(stub, token: str) -> str:
    session = make_session()
    replies, status = await write(stub, token, [storage_pb2.WriteRequest(request_id=1, session=session)])
    assert status is None and not replies[0].HasField("error")
    return session.session_id


async def stored(storage, session_id: str) -> tuple[int, int, int, int]:
    """Samples stored, distinct (seq, idx) among them, batch rows, and the session's own sample count."""
    row = await storage.pool.fetchrow(
        "SELECT (SELECT count(*) FROM telemetry_samples t WHERE t.session_pk = s.session_pk) AS samples,"
        " (SELECT count(DISTINCT (t.seq, t.idx)) FROM telemetry_samples t WHERE t.session_pk = s.session_pk) AS distinct_rows,"
        " (SELECT count(*) FROM telemetry_batches b WHERE b.session_pk = s.session_pk) AS batch_rows,"
        " s.sample_count FROM sessions s WHERE s.session_id = $1", session_id)
    return row["samples"], row["distinct_rows"], row["batch_rows"], row["sample_count"]


def acked(replies: list[storage_pb2.WriteResponse], count: int) -> bool:
    return [r.request_id for r in replies] == list(range(1, count + 1)) and not any(r.HasField("error") for r in replies)


@pytest.mark.asyncio(loop_scope="session")
async def test_many_streams_in_one_round_are_stored_by_the_merged_statements_and_all_acked(stub, storage, token_for, committer):
    tokens = [await token_for(f"merged-{n}") for n in range(6)]
    sessions = [await open_session(stub, token) for token in tokens]
    results = await asyncio.gather(*(
        write(stub, token, [as_run(batches(session, range(1, 11)), request_id=1), as_run(batches(session, range(11, 21)), request_id=2)])
        if n % 2 else write(stub, token, batches(session, range(1, 21)))
        for n, (token, session) in enumerate(zip(tokens, sessions))))
    assert committer.widest >= 4 and committer.merged >= 6 and committer.fallbacks == 0
    for n, (replies, status) in enumerate(results):
        assert status is None and acked(replies, 2 if n % 2 else 20)
        assert replies[-1].committed_seq == 20
    for session in sessions:
        assert await stored(storage, session) == (120, 120, 20, 120)
    tops = await storage.pool.fetch("SELECT committed_seq, stored_through_tick FROM sessions WHERE session_id = ANY($1::text[])", sessions)
    assert {(r["committed_seq"], r["stored_through_tick"]) for r in tops} == {(20, 600 + 119)}  # 10 s at 60 Hz, then 120 ticks


@pytest.mark.asyncio(loop_scope="session")
async def test_a_seq_gap_in_a_merged_round_is_refused_alone(stub, storage, token_for, committer):
    tokens = [await token_for(f"gap-{n}") for n in range(3)]
    sessions = [await open_session(stub, token) for token in tokens]
    gapped = list(range(1, 11)) + list(range(12, 21))  # seq 11 never comes
    results = await asyncio.gather(
        write(stub, tokens[0], batches(sessions[0], range(1, 21))),
        write(stub, tokens[1], batches(sessions[1], gapped)),
        write(stub, tokens[2], batches(sessions[2], range(1, 21))),
    )
    assert committer.widest >= 2 and committer.merged >= 2
    (good, _), (gap, gap_status), (other, _) = results
    assert acked(good, 20) and acked(other, 20) and gap_status is None
    assert [r.request_id for r in gap if not r.HasField("error")] == list(range(1, 11))
    assert {r.error.code for r in gap if r.HasField("error")} == {SEQ_GAP} and gap[9].committed_seq == 10
    assert [(await stored(storage, s))[0] for s in sessions] == [120, 60, 120]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_token_revoked_before_a_merged_round_ends_its_stream_alone(stub, storage, token_for, committer):
    tokens = [await token_for(f"revoked-{n}") for n in range(3)]
    sessions = [await open_session(stub, token) for token in tokens]
    others_go = asyncio.Event()

    async def revoke() -> None:
        async with storage.pool.acquire() as conn:
            await revoke_token(conn, token=tokens[1])
        others_go.set()

    async def after_revocation(token: str, session: str):
        await others_go.wait()
        return await write(stub, token, batches(session, range(1, 21)))

    (first, _), (revoked, revoked_status), (third, _) = await asyncio.gather(
        after_revocation(tokens[0], sessions[0]),
        write(stub, tokens[1], [storage_pb2.WriteRequest(request_id=0, session=make_session(session_id=sessions[1]))]
              + batches(sessions[1], range(1, 21)), before=revoke),
        after_revocation(tokens[2], sessions[2]),
    )
    assert committer.widest >= 2 and committer.merged >= 2
    assert acked(first, 20) and acked(third, 20)
    assert revoked_status == grpc.StatusCode.UNAUTHENTICATED and [r.request_id for r in revoked] == [0]
    assert [(await stored(storage, s))[0] for s in sessions] == [120, 0, 120]


@pytest.mark.asyncio(loop_scope="session")
async def test_the_same_samples_from_several_streams_and_rounds_are_stored_once(stub, storage, unique_email, committer):
    async with storage.pool.acquire() as conn:  # one user, three tokens: three streams of the same session
        email = unique_email("duplicates")
        tokens = [(await create_token(conn, email=email)).token for _ in range(3)]
    session = await open_session(stub, tokens[0])
    results = await asyncio.gather(
        write(stub, tokens[0], batches(session, range(1, 21))),
        write(stub, tokens[1], [as_run(batches(session, range(1, 21)), request_id=1)]),
    )
    assert committer.widest >= 2
    for replies, status in results:
        assert status is None and not any(r.HasField("error") for r in replies) and replies[-1].committed_seq == 20
    assert await stored(storage, session) == (120, 120, 20, 120)
    again, status = await write(stub, tokens[2], batches(session, range(5, 25)))  # a later round: 5 to 20 again, then 4 new
    assert status is None and acked(again, 20) and again[-1].committed_seq == 24
    assert await stored(storage, session) == (144, 144, 24, 144)
    shifted, status = await write(stub, tokens[1], batches(session, range(25, 31), shift=5))  # new seqs, samples of 20 to 25
    assert status is None and acked(shifted, 6) and shifted[-1].committed_seq == 30
    assert await stored(storage, session) == (150, 150, 30, 150)  # only the samples of 25 were new


@contextlib.asynccontextmanager
async def trigger(storage, *, table: str, session_id: str, deferred: bool = False):
    """A trigger that fails every write of ``session_id``'s rows in ``table`` (at COMMIT when ``deferred``)."""
    name = f"fail_{uuid.uuid4().hex[:8]}"
    pk = await storage.pool.fetchval("SELECT session_pk FROM sessions WHERE session_id = $1", session_id)
    await storage.pool.execute(
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
        f" BEGIN RAISE EXCEPTION 'test trigger {name} refuses session {pk}'; END $$")
    kind = "CONSTRAINT TRIGGER" if deferred else "TRIGGER"
    when = "AFTER INSERT OR UPDATE" if deferred else "BEFORE INSERT"
    timing = " DEFERRABLE INITIALLY DEFERRED" if deferred else ""
    await storage.pool.execute(f"CREATE {kind} {name} {when} ON {table}{timing} FOR EACH ROW"
                               f" WHEN (NEW.session_pk = {pk}) EXECUTE FUNCTION {name}()")
    try:
        yield
    finally:
        await storage.pool.execute(f"DROP TRIGGER {name} ON {table}")
        await storage.pool.execute(f"DROP FUNCTION {name}()")


@pytest.mark.asyncio(loop_scope="session")
async def test_a_merged_statement_that_fails_is_retried_run_by_run_and_only_its_run_fails(stub, storage, token_for, committer):
    tokens = [await token_for(f"fallback-{n}") for n in range(3)]
    sessions = [await open_session(stub, token) for token in tokens]
    async with trigger(storage, table="telemetry_batches", session_id=sessions[1]):
        results = await asyncio.gather(*(write(stub, t, batches(s, range(1, 21))) for t, s in zip(tokens, sessions)))
    assert committer.widest >= 2 and committer.fallbacks >= 1
    (first, _), (failed, failed_status), (third, _) = results
    assert acked(first, 20) and acked(third, 20)
    assert failed_status is not None and failed == []  # its stream got the database's error, nothing acked
    assert [await stored(storage, s) for s in sessions] == [(120, 120, 20, 120), (0, 0, 0, 0), (120, 120, 20, 120)]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_commit_that_fails_acks_nothing_of_its_round(stub, storage, token_for, committer):
    tokens = [await token_for(f"commit-{n}") for n in range(3)]
    sessions = [await open_session(stub, token) for token in tokens]
    async with trigger(storage, table="sessions", session_id=sessions[0], deferred=True):
        results = await asyncio.gather(*(write(stub, t, batches(s, range(1, 21))) for t, s in zip(tokens, sessions)))
    assert committer.widest >= 3  # the failing commit was the one round they all shared
    for replies, status in results:
        assert status is not None and replies == []
    assert [await stored(storage, s) for s in sessions] == [(0, 0, 0, 0)] * 3
