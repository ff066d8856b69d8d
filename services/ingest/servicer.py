"""IngestService: authenticates the collector, validates each batch, and runs its session's pipeline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc

from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.services.common.auth import Gate, forwarded, until_revoked
from racecoach.services.common.batch import BatchValidationError, decode_raw
from racecoach.services.common.errors import ServiceError, UnauthenticatedError, status_for
from racecoach.services.common.logs import get_logger
from racecoach.services.common.metrics import INGEST_BATCHES, INGEST_SAMPLES, INGEST_STREAMS, AckClock
from racecoach.services.ingest.checks import check_batch
from racecoach.services.ingest.links import Links
from racecoach.services.ingest.pipeline import SessionPipeline, StorageLost

log = get_logger(__name__)
SERVICE_NAME = "racecoach.ingest.v1.IngestService"
OUT_DEPTH = 256
_DONE = object()


@dataclass(frozen=True)
class Refused:
    """Put on the out queue to end the collector's stream with ``error``'s status (after what is queued before it)."""

    error: ServiceError


def batch_error(session_id: str, seq: int, reason: str, message: str) -> ingest_pb2.StreamResponse:
    return ingest_pb2.StreamResponse(error=ingest_pb2.BatchError(
        session_id=session_id, seq=seq, reason=ingest_pb2.BatchErrorReason.Value(f"BATCH_ERROR_REASON_{reason}"), message=message,
    ))


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, *, links: Links, max_batch_samples: int, gate: Gate, service_token: str | None = None) -> None:
        self.links = links
        self.max_batch_samples = max_batch_samples
        self.gate = gate
        self.service_token = service_token

    async def Stream(self, request_iterator: AsyncIterator, context) -> AsyncIterator[ingest_pb2.StreamResponse]:
        """The caller was admitted by the gate; while the stream is open its token is re-checked (revocation ends it)."""
        metadata = forwarded(context.invocation_metadata(), service_token=self.service_token)
        iterator = request_iterator.__aiter__()
        try:
            first = await iterator.__anext__()
        except StopAsyncIteration:
            return
        if first.WhichOneof("kind") != "start" or not first.start.session.session_id:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message must be a start with a session_id")
        out: asyncio.Queue = asyncio.Queue(OUT_DEPTH)
        pipeline = SessionPipeline(links=self.links, metadata=metadata, session=first.start.session, out=out,
                                   join_samples=self.max_batch_samples)
        bound = log.bind(session_id=pipeline.session.session_id)
        try:
            committed = await pipeline.open()
        except ServiceError as exc:
            await pipeline.abort()
            await context.abort(status_for(exc), str(exc))
        bound.info("session opened", committed_seq=committed)
        yield ingest_pb2.StreamResponse(accepted=ingest_pb2.SessionAccepted(
            session_id=pipeline.session.session_id, committed_seq=committed, committed_tick=pipeline.committed_tick))
        clock = AckClock()
        reader = asyncio.create_task(self._consume(iterator, pipeline, out, clock))
        watch = asyncio.create_task(self._watch(metadata, out))
        INGEST_STREAMS.inc()
        try:
            while True:
                item = await out.get()
                if item is _DONE:
                    break
                if isinstance(item, ingest_pb2.StreamResponse) and item.HasField("ack"):
                    clock.acked(item.ack.committed_seq)
                if isinstance(item, StorageLost):
                    item = await self._revoked_or(item, metadata)
                    bound.warning("storage lost", code=item.code.name, detail=item.message)
                    await context.abort(item.code, item.message)
                if isinstance(item, Refused):
                    bound.info("stream refused", code=status_for(item.error).name, reason=str(item.error))
                    await context.abort(status_for(item.error), str(item.error))
                yield item
        finally:
            INGEST_STREAMS.dec()
            reader.cancel()
            watch.cancel()
            await pipeline.abort()

    async def _revoked_or(self, lost: StorageLost, metadata) -> StorageLost:
        """A storage stream that ended unclearly (INTERNAL) may have ended for a revoked token: say so if it did."""
        if not lost.unclear:
            return lost
        try:
            await asyncio.wait_for(self.gate.recheck(metadata), timeout=1.0)
        except UnauthenticatedError as exc:
            return StorageLost(str(exc), grpc.StatusCode.UNAUTHENTICATED)
        except (ServiceError, asyncio.TimeoutError):
            pass
        return lost

    async def _watch(self, metadata, out: asyncio.Queue) -> None:
        """End the stream soon after its token is revoked."""
        revoked = await until_revoked(lambda: self.gate.recheck(metadata))
        await out.put(Refused(revoked))

    async def _consume(self, iterator, pipeline: SessionPipeline, out: asyncio.Queue, clock: AckClock) -> None:
        """Forward the collector's batches; a message that cannot be read ends the stream after the ones before it."""
        session_id = pipeline.session.session_id
        ended = False
        failure: ServiceError | None = None
        try:
            async for request in iterator:
                kind = request.WhichOneof("kind")
                if kind == "batch":
                    await self._batch(request.batch, pipeline, out, clock)
                elif kind == "batches":  # several batches in one message, each read as if alone
                    for view in request.batches.batches:
                        await self._batch(view, pipeline, out, clock)
                elif kind == "end":
                    ended = True
                    break
                else:
                    await out.put(batch_error(session_id, 0, "WRONG_SESSION", "a stream carries one session; start a new stream for another"))
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

    async def _batch(self, view, pipeline: SessionPipeline, out: asyncio.Queue, clock: AckClock) -> None:
        session_id = pipeline.session.session_id
        if view.session_id != session_id:
            await out.put(batch_error(session_id, view.seq, "WRONG_SESSION", f"batch names session {view.session_id!r}, this stream is {session_id!r}"))
            return
        if view.seq > pipeline.expects():  # a lower seq is a resend: storage keeps only the samples it lacks
            await out.put(batch_error(session_id, view.seq, "SEQ_GAP", f"expected seq {pipeline.expects()}, got {view.seq}; resend from {pipeline.expects()}"))
            return
        try:
            arrays = decode_raw(view)
            check_batch(arrays=arrays, sample_count=view.sample_count, max_samples=self.max_batch_samples)
            pipeline.check_follows(seq=view.seq, times=arrays["session_time_s"])
        except BatchValidationError as exc:
            INGEST_BATCHES.labels(outcome=exc.reason.lower()).inc()
            await out.put(batch_error(session_id, view.seq, exc.reason, f"batch seq {view.seq}: {exc}"))
            return
        clock.arrived(view.seq)
        await pipeline.forward(seq=view.seq, batch_bytes=view.SerializeToString(), arrays=arrays)
        INGEST_BATCHES.labels(outcome="accepted").inc()
        INGEST_SAMPLES.inc(view.sample_count)
