"""One group-commit round in a few statements for all its runs, however many streams they come from.

The runs of a round are first tried together: one query locks every run's session and confirms its
writer's token, then every run that is a plain next write (its session known, its token unrevoked, its
batches following the committed seq without a gap or a replay, every sample's tick above the highest
stored and increasing) is stored by one INSERT of batch rows, one binary COPY holding all their samples
and one UPDATE of their sessions. That is the usual round: what each run would have written alone, in
three statements instead of three per run plus a savepoint.

Every other run (a refusal to give, a replay or overlap to sort out sample by sample, a second run of
a session already in the round) is then stored as before, in a savepoint of its own, so it fails alone.
If a statement of the merged part fails (:class:`MergeFailed`), the caller rolls the whole transaction
back (nothing of it was acked) and stores the round again with a savepoint per run, so that the run at
fault fails alone and the others commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
import numpy as np

from racecoach.services.common.errors import UnauthenticatedError
from racecoach.services.common.metrics import STORAGE_BATCHES, STORAGE_COMMIT_SECONDS, STORAGE_SAMPLES
from racecoach.services.common.ticks import ticks_of
from racecoach.services.storage.batch_runs import Member
from racecoach.services.storage.binary_copy import COLUMNS, payload_of_runs
from racecoach.storage.v1 import storage_pb2

RUN_ERRORS = (asyncpg.PostgresError, asyncpg.DataError, UnauthenticatedError)  # what fails one run alone

LOCK_SESSIONS = """
SELECT r.i, s.session_pk, s.committed_seq, s.tick_rate_hz, s.stored_through_tick,
    (r.token IS NULL OR EXISTS (SELECT 1 FROM api_tokens t WHERE t.token_sha256 = r.token AND t.revoked_at IS NULL)) AS token_holds
FROM unnest($1::text[], $2::uuid[], $3::bytea[]) WITH ORDINALITY AS r(session_id, user_id, token, i)
JOIN sessions s ON s.session_id = r.session_id AND s.user_id = r.user_id
ORDER BY s.session_pk
FOR UPDATE OF s
"""
INSERT_BATCHES = """
INSERT INTO telemetry_batches (session_pk, seq, sample_count, first_session_time_s)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::double precision[])
ON CONFLICT (session_pk, seq) DO NOTHING
"""
UPDATE_SESSIONS = """
UPDATE sessions s SET committed_seq = u.committed, sample_count = s.sample_count + u.added,
    stored_through_tick = greatest(s.stored_through_tick, u.top)
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(session_pk, committed, added, top)
WHERE s.session_pk = u.session_pk
"""


class MergeFailed(Exception):
    """A statement of the merged part failed: the transaction must be rolled back and the round stored run by run."""


@dataclass(frozen=True)
class Planned:
    """A run the merged statements store: its session and what its batches add."""

    session_pk: int
    seqs: np.ndarray
    counts: np.ndarray
    first_times: np.ndarray  # session_time_s of each batch's first sample
    committed: int  # the committed seq once it is stored
    top_tick: int


def plan_run(*, run, row) -> Planned | None:
    """The run as part of the merged statements, or None when it must be stored alone (see the module's text)."""
    if row is None or not row["token_holds"] or not run.good or not run.times:
        return None
    seqs = np.fromiter((rows.seq for _, rows in run.good), dtype=np.int64, count=len(run.good))
    committed = row["committed_seq"]
    if int(seqs[0]) != committed + 1 or (len(seqs) > 1 and not bool(np.all(np.diff(seqs) == 1))):
        return None  # a gap to refuse, or a replay whose samples may be stored already
    times = run.times[0] if len(run.times) == 1 else np.concatenate(run.times)
    ticks = ticks_of(times, tick_rate_hz=row["tick_rate_hz"] or 60.0)
    through = row["stored_through_tick"]
    if (len(ticks) > 1 and not bool(np.all(np.diff(ticks) > 0))) or (through is not None and int(ticks[0]) <= through):
        return None  # samples out of order, or overlapping what is stored: sorted out sample by sample
    counts = np.fromiter((rows.sample_count for _, rows in run.good), dtype=np.int64, count=len(run.good))
    starts = np.cumsum(counts) - counts
    return Planned(session_pk=row["session_pk"], seqs=seqs, counts=counts, first_times=times[starts],
                   committed=int(seqs[-1]), top_tick=int(ticks[-1]))


def answers_of(*, run, committed: int) -> list[storage_pb2.WriteResponse]:
    """A stored run's answers: its refused batches' refusals, an ack of the committed seq for every other. The
    members of one request of batches share one ack (batch_runs.answers reads only its seq, and answers the
    request once)."""
    session_id, bad = run.session_id, run.bad
    shared = storage_pb2.WriteResponse(session_id=session_id, committed_seq=committed)
    return [bad[position] if position in bad else
            shared if type(request) is Member else
            storage_pb2.WriteResponse(request_id=request.request_id, session_id=session_id, committed_seq=committed)
            for position, request in enumerate(run.requests)]


async def lock_sessions(conn: asyncpg.Connection, *, taken: list) -> list:
    """Every run's session row (None where the user has no such session), locked, with whether its token holds."""
    rows = await conn.fetch(LOCK_SESSIONS, [run.session_id for _, run in taken], [user.user_id for user, _ in taken],
                            [run.token_sha256 for _, run in taken])
    by_index: list = [None] * len(taken)
    for row in rows:
        by_index[row["i"] - 1] = row
    return by_index


async def store_planned(conn: asyncpg.Connection, *, runs: list, plans: list[Planned]) -> None:
    """The merged statements: every planned run's batch rows, samples and session in one statement each."""
    await conn.execute(
        INSERT_BATCHES, np.concatenate([np.full(len(p.seqs), p.session_pk) for p in plans]).tolist(),
        np.concatenate([p.seqs for p in plans]).tolist(), np.concatenate([p.counts for p in plans]).tolist(),
        np.concatenate([p.first_times for p in plans]).tolist(),
    )
    payload = payload_of_runs([(run.encoded, plan.session_pk) for run, plan in zip(runs, plans)])
    await conn.copy_to_table("telemetry_samples", source=payload, columns=list(COLUMNS), format="binary")
    await conn.execute(
        UPDATE_SESSIONS, [p.session_pk for p in plans], [p.committed for p in plans],
        [int(p.counts.sum()) for p in plans], [p.top_tick for p in plans],
    )


async def store_round(conn: asyncpg.Connection, *, taken: list, store_alone) -> tuple[list, list[Planned]]:
    """Store the round's ``(user, run)`` pairs on ``conn``, inside its transaction: per run ``(answers, None)`` or
    ``(None, error)``, and what the merged statements stored (for :func:`count_merged` once committed).
    ``store_alone(conn, user=, run=)`` stores one run as before (write_stream.commit_run_on). Raises MergeFailed
    when a merged statement failed (the transaction is then aborted)."""
    outcomes: list = [None] * len(taken)
    merged: list[tuple[int, Planned]] = []
    alone: list[int] = []
    try:
        with STORAGE_COMMIT_SECONDS.time():
            rows = await lock_sessions(conn, taken=taken)
            seen: set[int] = set()
            for index, ((_, run), row) in enumerate(zip(taken, rows)):
                plan = plan_run(run=run, row=row) if row is None or row["session_pk"] not in seen else None
                if row is not None:
                    seen.add(row["session_pk"])
                if plan is None:
                    alone.append(index)
                else:
                    merged.append((index, plan))
            if merged:
                await store_planned(conn, runs=[taken[i][1] for i, _ in merged], plans=[p for _, p in merged])
    except (asyncpg.PostgresError, asyncpg.DataError) as exc:
        raise MergeFailed(str(exc)) from exc
    for index, plan in merged:
        outcomes[index] = (answers_of(run=taken[index][1], committed=plan.committed), None)
    for index in alone:  # after the merged runs: a second run of a session sees the first one's writes
        user, run = taken[index]
        if not run.good:
            outcomes[index] = (await store_alone(conn, user=user, run=run), None)  # refusals only: no statement
            continue
        try:
            async with conn.transaction():  # a savepoint: this run fails alone
                outcomes[index] = (await store_alone(conn, user=user, run=run), None)
        except RUN_ERRORS as exc:
            outcomes[index] = (None, exc)
    return outcomes, [plan for _, plan in merged]


def count_merged(plans: list[Planned]) -> None:
    """The metrics of merged runs, once their transaction has committed."""
    STORAGE_BATCHES.inc(sum(len(p.seqs) for p in plans))
    STORAGE_SAMPLES.inc(sum(int(p.counts.sum()) for p in plans))

