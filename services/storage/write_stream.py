"""The Write stream's work: group queued requests, check and encode them, commit, answer.

Two stages overlap: while one group's transaction commits (the event loop waits on
PostgreSQL), the next group is decoded, validated and encoded into COPY rows. Acks still
leave strictly in request order and only after their group committed. Runs of consecutive
batches of one session share one transaction and one COPY.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg
import grpc
import numpy as np

from racecoach.services.common.batch import BatchValidationError, decode_raw, validate
from racecoach.services.common.channels import BY_FIELD, CHANNELS, REQUIRED
from racecoach.services.common.errors import InvalidInputError, ServiceError, UnauthenticatedError
from racecoach.services.common.limits import check_message, check_text
from racecoach.services.common.metrics import STORAGE_COMMIT_SECONDS
from racecoach.services.storage import batch_runs, database, group_commit, wire_batches, writes
from racecoach.services.storage.binary_copy import BatchRows, encode_batches, encode_joined
from racecoach.services.storage.identity import User
from racecoach.storage.v1 import storage_pb2

QUEUE_DEPTH = 1024  # batches (and other requests) read ahead of the database; the reader waits when full (backpressure)
GROUP_MAX = 1024  # requests committed together at most (100 ms batches: 6,144 samples)
GROUP_MAX_SAMPLES = 16_384  # samples committed together at most (bigger COPYs gain nothing; smaller ones overlap better)
PREPARE_CHUNK = 32  # requests checked and encoded together while a commit runs
WIRE_READ_MIN = 48  # batches in a run from which reading their wire bytes at once pays (a fixed ~50-100 us a run)
Recheck = Callable[[], Awaitable[object]]


def error_response(request_id: int, session_id: str, committed: int, code: int, message: str) -> storage_pb2.WriteResponse:
    return storage_pb2.WriteResponse(
        request_id=request_id, session_id=session_id, committed_seq=committed,
        error=storage_pb2.WriteError(code=code, message=message),
    )


def refusal(request_id: int, session_id: str, committed: int, exc: ServiceError, *, default: int) -> storage_pb2.WriteResponse:
    code = {
        grpc.StatusCode.NOT_FOUND: storage_pb2.WRITE_ERROR_CODE_UNKNOWN_SESSION,
        grpc.StatusCode.PERMISSION_DENIED: storage_pb2.WRITE_ERROR_CODE_PERMISSION_DENIED,
        grpc.StatusCode.FAILED_PRECONDITION: storage_pb2.WRITE_ERROR_CODE_SEQ_GAP,
    }.get(exc.code, default)
    return error_response(request_id, session_id, committed, code, str(exc))


@dataclass
class BatchRun:
    """Consecutive batches of one session, checked and encoded ahead of their transaction."""

    session_id: str
    requests: list
    bad: dict[int, storage_pb2.WriteResponse] = field(default_factory=dict)
    good: list[tuple[int, BatchRows]] = field(default_factory=list)
    encoded: list[np.ndarray] | None = None
    times: list[np.ndarray] = field(default_factory=list)  # session_time_s of the good batches, in order, parallel to encoded
    token_sha256: bytes | None = None  # the writer's token, confirmed unrevoked inside the run's transaction


_CHANNEL_BYTES = operator.attrgetter(*(channel.field for channel in CHANNELS))  # every channel of a batch, in one call
_SIZES = np.array([channel.dtype.itemsize for channel in CHANNELS], dtype=np.int64)


def _decode_joined(requests: list, *, max_samples: int) -> tuple[list[BatchRows], dict[str, np.ndarray]] | None:
    """Every channel of the run joined end to end (one array per channel, not per batch), with each batch's
    arrays as views into it; None when the batches do not all fit one layout. Batches of one wire layout
    are read from their bytes at once (wire_batches.py), others field by field."""
    views = [request.batch for request in requests]
    read = (len(views) >= WIRE_READ_MIN and wire_batches.read_run(views)) or _read_fields(views)
    if read is None:
        return None
    seqs, counts, joined = read
    if not (int(counts.min()) > 0 and int(counts.max()) <= max_samples) or any(name not in joined for name in REQUIRED):
        return None
    ends = np.cumsum(counts).tolist()
    batches = [BatchRows(seq=seq, arrays=Slices(joined, stop - count, stop), sample_count=count)
               for seq, count, stop in zip(seqs, counts.tolist(), ends)]
    return batches, joined


def _read_fields(views: list) -> tuple[list[int], np.ndarray, dict[str, np.ndarray]] | None:
    """:func:`wire_batches.read_run` by reading each batch's fields (every channel of a batch in one call)."""
    counts = np.fromiter(map(_SAMPLE_COUNT, views), dtype=np.int64, count=len(views))
    columns = list(zip(*map(_CHANNEL_BYTES, views)))  # per channel, its bytes in every batch
    lengths = np.fromiter(map(len, itertools.chain.from_iterable(columns)), dtype=np.int64,
                          count=len(columns) * len(views)).reshape(len(columns), len(views))
    present = lengths[:, 0] > 0
    expected = np.where(present[:, None], _SIZES[:, None] * counts[None, :], 0)
    if not np.array_equal(lengths, expected):  # a channel missing from some batches only, or of the wrong length
        return None
    joined: dict[str, np.ndarray] = {}
    for channel, parts, here in zip(CHANNELS, columns, present.tolist()):
        if here:
            joined[channel.field] = np.frombuffer(b"".join(parts), dtype=channel.dtype)
    return list(map(_SEQ, views)), counts, joined


_SAMPLE_COUNT = operator.attrgetter("sample_count")
_SEQ = operator.attrgetter("seq")


class Slices(Mapping):
    """One batch's channels as slices of the run's joined arrays, each made when it is read (most never are)."""

    __slots__ = ("_joined", "_start", "_stop")

    def __init__(self, joined: dict[str, np.ndarray], start: int, stop: int) -> None:
        self._joined, self._start, self._stop = joined, start, stop

    def __getitem__(self, name: str) -> np.ndarray:
        return self._joined[name][self._start : self._stop]

    def __iter__(self):
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)


def _joined_valid(batches: Sequence[BatchRows], joined: dict[str, np.ndarray]) -> bool:
    """One numpy pass over the whole run: finite, in range, time increasing inside every batch."""
    for name, values in joined.items():
        if values.dtype.kind != "f":
            continue
        channel = BY_FIELD[name]
        low, high = values.min(), values.max()  # NaN propagates and fails the comparisons
        if not (np.isfinite(low) and np.isfinite(high) and low >= channel.low and high <= channel.high):
            return False
    steps = np.diff(joined["session_time_s"]) > 0
    if not steps.all():
        boundaries = np.cumsum([b.sample_count for b in batches])[:-1] - 1  # steps from one batch to the next
        steps[boundaries] = True
        return bool(steps.all())
    return True


def prepare_run(requests: list, *, max_samples: int) -> BatchRun:
    """Decode, validate and encode a run of batches; a bad batch is answered alone, the rest go on."""
    run = BatchRun(session_id=requests[0].batch.session_id, requests=requests)
    try:
        check_text(run.session_id, field="batch.session_id")
    except InvalidInputError as exc:
        run.bad = {p: error_response(r.request_id, "", 0, storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH, str(exc))
                   for p, r in enumerate(requests)}
        return run
    fast = _decode_joined(requests, max_samples=max_samples)
    if fast is not None and _joined_valid(*fast):
        batches, joined = fast
        run.good = list(enumerate(batches))
        run.encoded = [encode_joined(batches, columns=joined)]
        run.times = [joined["session_time_s"]]
        return run
    for position, request in enumerate(requests):  # find the culprits one by one, with the exact messages
        view = request.batch
        try:
            arrays = decode_raw(view)
            validate(arrays=arrays, sample_count=view.sample_count, max_samples=max_samples)
            run.good.append((position, BatchRows(seq=view.seq, arrays=arrays, sample_count=view.sample_count)))
        except (BatchValidationError, KeyError, ValueError) as exc:
            run.bad[position] = error_response(request.request_id, run.session_id, 0, storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH,
                                               f"batch seq {view.seq}: {exc}")
    if run.good:
        run.encoded = encode_batches([rows for _, rows in run.good])
        run.times = [np.concatenate([rows.arrays["session_time_s"] for _, rows in run.good])]
    return run


def prepare_group(group: list, *, max_samples: int) -> list:
    """The group as steps: single requests (sessions, laps, reports) and prepared batch runs, in order."""
    steps: list = []
    index = 0
    while index < len(group):
        request = group[index]
        if request.WhichOneof("item") != "batch":
            steps.append(request)
            index += 1
            continue
        end = index + 1
        while end < len(group) and group[end].WhichOneof("item") == "batch" and group[end].batch.session_id == request.batch.session_id:
            end += 1
        steps.append(prepare_run(group[index:end], max_samples=max_samples))
        index = end
    return steps


async def commit_run(pool: asyncpg.Pool, *, user: User, run: BatchRun) -> list[storage_pb2.WriteResponse]:
    """Commit a run alone, in its own transaction."""
    if not run.good:
        return [run.bad[position] for position in range(len(run.requests))]
    async with database.connection(pool) as conn:
        return await commit_run_on(conn, user=user, run=run)


async def commit_run_on(conn: asyncpg.Connection, *, user: User, run: BatchRun) -> list[storage_pb2.WriteResponse]:
    """Store a run on ``conn`` (its own transaction, or a savepoint inside a shared one); the answer to each request."""
    session_id = run.session_id
    committed = 0
    failure: ServiceError | None = None
    bad = dict(run.bad)
    batches = [rows for _, rows in run.good]
    if not batches:
        return [bad[position] for position in range(len(run.requests))]
    try:
        with STORAGE_COMMIT_SECONDS.time():
            committed = await writes.write_batches(conn, user=user, session_id=session_id, batches=batches, encoded=run.encoded,
                                                   token_sha256=run.token_sha256)
    except UnauthenticatedError:
        raise  # the token was revoked: the stream ends, nothing of the run is stored
    except ServiceError as exc:
        failure = exc
        if len(batches) > 1:  # store what can be stored, one by one
            failure = None
            for position, rows in run.good:
                try:
                    committed = await writes.write_batches(conn, user=user, session_id=session_id, batches=[rows],
                                                           token_sha256=run.token_sha256)
                except ServiceError as one:
                    bad[position] = refusal(run.requests[position].request_id, session_id, committed, one,
                                            default=storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH)
    responses = []
    for position, request in enumerate(run.requests):
        if position in bad:
            responses.append(bad[position])
        elif failure is not None:
            responses.append(refusal(request.request_id, session_id, committed, failure, default=storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH))
        else:
            responses.append(storage_pb2.WriteResponse(request_id=request.request_id, session_id=session_id, committed_seq=committed))
    return responses


async def commit_one(pool: asyncpg.Pool, *, user: User, request) -> storage_pb2.WriteResponse:
    kind = request.WhichOneof("item")
    async with database.connection(pool) as conn:
        try:
            if kind in ("session", "lap", "report"):
                check_message(getattr(request, kind), prefix=f"{kind}.")
            if kind == "session":
                state = await writes.upsert_session(conn, user=user, session=request.session)
                return storage_pb2.WriteResponse(request_id=request.request_id, session_id=request.session.session_id,
                                                 committed_seq=state.committed_seq, committed_tick=state.stored_through_tick or 0)
            if kind == "lap":
                await writes.write_lap(conn, user=user, lap=request.lap)
                return storage_pb2.WriteResponse(request_id=request.request_id, session_id=request.lap.session_id)
            if kind == "report":
                session_id = await writes.write_report(conn, user=user, report=request.report)
                return storage_pb2.WriteResponse(request_id=request.request_id, session_id=session_id)
        except ServiceError as exc:
            return refusal(request.request_id, "", 0, exc, default=storage_pb2.WRITE_ERROR_CODE_INVALID_LAP)
    return error_response(request.request_id, "", 0, storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH, "empty write request")


async def commit_group(pool: asyncpg.Pool, *, user: User, steps: list, recheck: Recheck | None = None,
                       token_sha256: bytes | None = None) -> list[storage_pb2.WriteResponse]:
    """Commit the group's steps in order. The caller's token must still hold (revocation): batch runs check it inside
    their own transaction (``token_sha256``, no round trip of its own); sessions, laps and reports by ``recheck`` first."""
    if recheck is not None and (token_sha256 is None or not all(isinstance(step, BatchRun) for step in steps)):
        await recheck()
    for step in steps:
        if isinstance(step, BatchRun):
            step.token_sha256 = token_sha256
    responses: list[storage_pb2.WriteResponse] = []
    committer = group_commit.committer_for(pool)
    for step in steps:
        if isinstance(step, BatchRun):
            responses += await committer.commit(user=user, run=step)
        else:
            responses.append(await commit_one(pool, user=user, request=step))
    return responses


def merge_steps(steps: list) -> list:
    """Join adjacent batch runs of the same session (prepared as they arrived) into one run each."""
    merged: list = []
    for step in steps:
        last = merged[-1] if merged else None
        if isinstance(step, BatchRun) and isinstance(last, BatchRun) and last.session_id == step.session_id:
            offset = len(last.requests)
            last.requests += step.requests
            last.bad.update({offset + p: r for p, r in step.bad.items()})
            last.good += [(offset + p, rows) for p, rows in step.good]
            last.encoded = (last.encoded or []) + (step.encoded or [])
            last.times = last.times + step.times
        else:
            merged.append(step)
    return merged


def _samples(request) -> int:
    return request.batch.sample_count if request is not None and request.WhichOneof("item") == "batch" else 0


async def run_stream(
    requests: AsyncIterator, *, pool: asyncpg.Pool, user: User, max_samples: int, recheck: Recheck | None = None,
    token_sha256: bytes | None = None
) -> AsyncIterator[storage_pb2.WriteResponse]:
    """Answer every request of the stream in order, each after its commit; database errors propagate.

    While a group commits, requests that arrive are prepared (decoded, validated, encoded) and
    gathered into the next group, which starts as soon as the commit ends. Every group commits only
    after ``recheck`` confirmed the token (a revoked token ends the stream, nothing after it is
    stored). A request that cannot be read ends the stream with its error once every request before
    it was answered.
    """
    queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_DEPTH)
    unreadable: list[ServiceError] = []

    async def pump() -> None:
        try:
            async for request in requests:
                for item in batch_runs.expand(request):
                    await queue.put(item)
        except ServiceError as exc:
            unreadable.append(exc)
        finally:
            await queue.put(None)

    reader = asyncio.create_task(pump())
    pending: asyncio.Task | None = None  # the group committing now
    pending_requests: list = []  # its requests, in the order of its responses
    getter: asyncio.Task | None = None  # the one pending queue.get(), so that requests keep their order
    ready: list = []  # prepared steps of the next group
    carried: list = []  # requests of the next group taken off the queue, not prepared yet
    size = [0, 0]  # requests and samples in the next group

    def take(request) -> None:
        carried.append(request)
        size[0] += 1
        size[1] += _samples(request)

    def room() -> bool:
        return size[0] < GROUP_MAX and size[1] < GROUP_MAX_SAMPLES

    done = False
    try:
        while True:
            if getter is None and not done:
                while not queue.empty() and room():
                    take(queue.get_nowait())
                if carried and carried[-1] is None:
                    carried.pop()
                    done = True
            if carried and (pending is None or done or len(carried) >= PREPARE_CHUNK):
                ready += prepare_group(carried, max_samples=max_samples)  # overlaps the commit in flight
                carried = []
            if pending is None:
                if ready:
                    steps = merge_steps(ready)
                    pending_requests = [r for step in steps for r in (step.requests if isinstance(step, BatchRun) else [step])]
                    pending = asyncio.create_task(commit_group(pool, user=user, steps=steps, recheck=recheck,
                                                               token_sha256=token_sha256))
                    ready, size[:] = [], [0, 0]
                    continue
                if done:
                    if unreadable:
                        raise unreadable[0]
                    return
                getter = getter or asyncio.create_task(queue.get())
                take(await getter)  # idle: wait for the next request
                getter = None
                continue
            if getter is None and not done and room():
                getter = asyncio.create_task(queue.get())
            await asyncio.wait({pending, getter} if getter else {pending}, return_when=asyncio.FIRST_COMPLETED)
            if getter is not None and getter.done():
                take(getter.result())
                getter = None
            if pending.done():
                committed, pending = pending, None
                for response in batch_runs.answers(pending_requests, committed.result()):
                    yield response
    finally:
        reader.cancel()
        for task in (pending, getter):
            if task is not None:
                task.cancel()
