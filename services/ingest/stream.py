"""What a collector's ingest stream does, as plain functions: the servicer only translates.

A stream is a start naming its session, then batches (one to a message, or several) and an end. Each batch is
placed (:func:`out_of_place`: its session, its seq), read and checked (:func:`read_batch`) and forwarded to the
session's pipeline; what the collector is sent back, and the status its stream ends with, come from
:class:`IngestStream`. A batch refused is answered with a ``BatchError`` and the stream goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import grpc

from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.auth import Gate, until_revoked
from racecoach.services.common.batch import Arrays, BatchValidationError, decode_raw
from racecoach.services.common.errors import InvalidInputError, ServiceError, UnauthenticatedError, status_for
from racecoach.services.common.logs import get_logger
from racecoach.services.common.metrics import INGEST_BATCHES, INGEST_SAMPLES, INGEST_STREAMS, AckClock
from racecoach.services.ingest.checks import check_batch
from racecoach.services.ingest.links import Links
from racecoach.services.ingest.pipeline import SessionPipeline, StorageLost
from racecoach.telemetry.v1 import telemetry_pb2

log = get_logger(__name__)
OUT_DEPTH = 256
RECHECK_TIMEOUT_S = 1.0
_DONE = object()


@dataclass(frozen=True)
class Refused:
    """Put on the out queue to end the collector's stream with ``error``'s status (after what is queued before it)."""

    error: ServiceError


@dataclass(frozen=True)
class Ended:
    """The end of the collector's stream: this status, after every response before it."""

    code: grpc.StatusCode
    message: str


def batch_error(*, session_id: str, seq: int, reason: str, message: str) -> ingest_pb2.StreamResponse:
    """A ``BatchError`` answer; ``reason`` is the name after ``BATCH_ERROR_REASON_`` (``SEQ_GAP``, a check's reason)."""
    return ingest_pb2.StreamResponse(error=ingest_pb2.BatchError(
        session_id=session_id, seq=seq, reason=ingest_pb2.BatchErrorReason.Value(f"BATCH_ERROR_REASON_{reason}"), message=message,
    ))


def opening_session(*, first: ingest_pb2.StreamRequest | ingest_pb2.StreamRequestRawView) -> telemetry_pb2.Session:
    """The session a stream's first message starts; anything but a start with a session_id is refused."""
    if first.WhichOneof("kind") != "start" or not first.start.session.session_id:
        raise InvalidInputError("the first message must be a start with a session_id")
    return first.start.session


def out_of_place(*, session_id: str, batch_session_id: str, seq: int, expects: int) -> ingest_pb2.StreamResponse | None:
    """The answer to a batch that does not belong where it came: another session's (WRONG_SESSION), or one past
    the seq expected next (SEQ_GAP). None: the batch is read. A lower seq is a resend, read as well: storage keeps
    only the samples it lacks."""
    if batch_session_id != session_id:
        return batch_error(session_id=session_id, seq=seq, reason="WRONG_SESSION",
                           message=f"batch names session {batch_session_id!r}, this stream is {session_id!r}")
    if seq > expects:
        return batch_error(session_id=session_id, seq=seq, reason="SEQ_GAP",
                           message=f"expected seq {expects}, got {seq}; resend from {expects}")
    return None


def read_batch(*, view: telemetry_pb2.TelemetryBatchRawView, pipeline: SessionPipeline, max_samples: int) -> Arrays:
    """The batch's arrays, checked alone and against the batch before it; a refusal is a ``BatchValidationError``."""
    arrays = decode_raw(view)
    check_batch(arrays=arrays, sample_count=view.sample_count, max_samples=max_samples)
    pipeline.check_follows(seq=view.seq, times=arrays["session_time_s"])
    return arrays


async def take_batch(*, view: telemetry_pb2.TelemetryBatchRawView, pipeline: SessionPipeline, out: asyncio.Queue,
                     clock: AckClock, max_samples: int) -> None:
    """One batch: forwarded to the pipeline, or answered on ``out`` with why it is not; counted either way."""
    session_id = pipeline.session.session_id
    refusal = out_of_place(session_id=session_id, batch_session_id=view.session_id, seq=view.seq, expects=pipeline.expects())
    if refusal is not None:
        await out.put(refusal)
        return
    try:
        arrays = read_batch(view=view, pipeline=pipeline, max_samples=max_samples)
    except BatchValidationError as exc:
        INGEST_BATCHES.labels(outcome=exc.reason.lower()).inc()
        await out.put(batch_error(session_id=session_id, seq=view.seq, reason=exc.reason, message=f"batch seq {view.seq}: {exc}"))
        return
    clock.arrived(view.seq)
    await pipeline.forward(seq=view.seq, batch_bytes=view.SerializeToString(), arrays=arrays)
    INGEST_BATCHES.labels(outcome="accepted").inc()
    INGEST_SAMPLES.inc(view.sample_count)


async def consume(*, requests: AsyncIterator[ingest_pb2.StreamRequestRawView], pipeline: SessionPipeline,
                  out: asyncio.Queue, clock: AckClock, max_samples: int) -> None:
    """Forward the collector's batches; a message that cannot be read ends the stream after the ones before it."""
    session_id = pipeline.session.session_id
    ended = False
    failure: ServiceError | None = None
    try:
        async for request in requests:
            kind = request.WhichOneof("kind")
            if kind == "batch":
                await take_batch(view=request.batch, pipeline=pipeline, out=out, clock=clock, max_samples=max_samples)
            elif kind == "batches":  # several batches in one message, each read as if alone
                for view in request.batches.batches:
                    await take_batch(view=view, pipeline=pipeline, out=out, clock=clock, max_samples=max_samples)
            elif kind == "end":
                ended = True
                break
            else:
                await out.put(batch_error(session_id=session_id, seq=0, reason="WRONG_SESSION",
                                          message="a stream carries one session; start a new stream for another"))
    except grpc.aio.AioRpcError:
        pass
    except ServiceError as exc:
        failure = exc
    except Exception as exc:  # never leave the collector waiting on a stream nobody reads
        log.exception("ingest stream failed", session_id=session_id, error_type=type(exc).__name__)
        failure = ServiceError("ingest failed on this stream; reconnect and resend after the last ack")
    closed = await pipeline.close()
    if failure is not None:
        await out.put(Refused(failure))
        return
    if ended:
        await out.put(ingest_pb2.StreamResponse(closed=closed))
    await out.put(_DONE)


async def revoked_or(*, lost: StorageLost, gate: Gate, metadata: Sequence[tuple[str, str]]) -> StorageLost:
    """A storage stream that ended unclearly (INTERNAL) may have ended for a revoked token: say so if it did."""
    if not lost.unclear:
        return lost
    try:
        await asyncio.wait_for(gate.recheck(metadata), timeout=RECHECK_TIMEOUT_S)
    except UnauthenticatedError as exc:
        return StorageLost(str(exc), grpc.StatusCode.UNAUTHENTICATED)
    except (ServiceError, asyncio.TimeoutError):
        pass
    return lost


async def watch(*, gate: Gate, metadata: Sequence[tuple[str, str]], out: asyncio.Queue) -> None:
    """End the stream soon after its token is revoked."""
    revoked = await until_revoked(lambda: gate.recheck(metadata))
    await out.put(Refused(revoked))


class IngestStream:
    """One collector stream from its start on: :meth:`open` stores the session, :meth:`responses` reads the
    collector's messages and says what to send back, :meth:`close` lets go of everything (always call it)."""

    def __init__(self, *, links: Links, gate: Gate, metadata: list[tuple[str, str]], session: telemetry_pb2.Session,
                 max_batch_samples: int) -> None:
        self.gate = gate
        self.metadata = metadata
        self.max_batch_samples = max_batch_samples
        self.out: asyncio.Queue = asyncio.Queue(OUT_DEPTH)
        self.pipeline = SessionPipeline(links=links, metadata=metadata, session=session, out=self.out,
                                        join_samples=max_batch_samples)
        self.clock = AckClock()
        self.log = log.bind(session_id=session.session_id)
        self._tasks: list[asyncio.Task] = []
        self._counted = False

    async def open(self) -> ingest_pb2.StreamResponse:
        """Store the session and open its pipeline; the answer is the ``SessionAccepted`` (what storage holds).
        A refusal (``ServiceError``) leaves nothing open."""
        try:
            committed = await self.pipeline.open()
        except ServiceError:
            await self.pipeline.abort()
            raise
        self.log.info("session opened", committed_seq=committed)
        return ingest_pb2.StreamResponse(accepted=ingest_pb2.SessionAccepted(
            session_id=self.pipeline.session.session_id, committed_seq=committed, committed_tick=self.pipeline.committed_tick))

    async def responses(self, requests: AsyncIterator[ingest_pb2.StreamRequestRawView]
                        ) -> AsyncIterator[ingest_pb2.StreamResponse | Ended]:
        """What the collector is sent, in order, while ``requests`` (the messages after the start) are read; an
        :class:`Ended` is the last: the status the stream ends with. Ending without one ends the stream OK."""
        self._tasks = [
            asyncio.create_task(consume(requests=requests, pipeline=self.pipeline, out=self.out, clock=self.clock,
                                        max_samples=self.max_batch_samples)),
            asyncio.create_task(watch(gate=self.gate, metadata=self.metadata, out=self.out)),
        ]
        INGEST_STREAMS.inc()
        self._counted = True
        while True:
            item = await self.out.get()
            if item is _DONE:
                return
            if isinstance(item, ingest_pb2.StreamResponse) and item.HasField("ack"):
                self.clock.acked(item.ack.committed_seq)
            if isinstance(item, StorageLost):
                item = await revoked_or(lost=item, gate=self.gate, metadata=self.metadata)
                self.log.warning("storage lost", code=item.code.name, detail=item.message)
                yield Ended(item.code, item.message)
                return
            if isinstance(item, Refused):
                self.log.info("stream refused", code=status_for(item.error).name, reason=str(item.error))
                yield Ended(status_for(item.error), str(item.error))
                return
            yield item

    async def close(self) -> None:
        if self._counted:
            INGEST_STREAMS.dec()
            self._counted = False
        for task in self._tasks:
            task.cancel()
        await self.pipeline.abort()
