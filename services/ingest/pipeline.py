"""One collector session flowing through the mesh: storage first (durable acks), analysis and
coaching beside it (lap reports, live cues). Every queue is bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import grpc

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.auth import bearer_token
from racecoach.services.common.batch import Arrays, BatchValidationError
from racecoach.services.common.errors import (
    DependencyUnavailableError, InvalidInputError, PermissionDeniedError, ServiceError, StaleVersionError,
    UnauthenticatedError, from_rpc_error, status_for,
)
from racecoach.services.common.logs import get_logger
from racecoach.services.common.ticks import ticks_of
from racecoach.services.ingest import completion
from racecoach.services.ingest.coalesce import Piece, Stored, coalesced, store_runs
from racecoach.services.ingest.links import Links, stream_from
from racecoach.services.ingest.wire import write_request
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2

log = get_logger(__name__)
SESSION_REQUEST = 1 << 62
LAP_REQUEST = 1 << 61
QUEUE_DEPTH = 256
LIVE_DEPTH = 64
RECONNECT_BASE_S, RECONNECT_MAX_S = 0.5, 8.0  # analysis stream reopened after a failure, the delay doubling up to the cap
SCORE_RETRY_DELAYS_S = completion.SCORE_RETRY_DELAYS_S
# The collector's reason for each refusal storage gives a batch (INVALID_LAP answers laps and reports, never a
# batch, and would read as a refusal by storage).
STORAGE_REASONS: dict[int, int] = {
    storage_pb2.WRITE_ERROR_CODE_INVALID_BATCH: ingest_pb2.BATCH_ERROR_REASON_REFUSED_BY_STORAGE,
    storage_pb2.WRITE_ERROR_CODE_UNKNOWN_SESSION: ingest_pb2.BATCH_ERROR_REASON_UNKNOWN_SESSION,
    storage_pb2.WRITE_ERROR_CODE_PERMISSION_DENIED: ingest_pb2.BATCH_ERROR_REASON_PERMISSION_DENIED,
    storage_pb2.WRITE_ERROR_CODE_INVALID_LAP: ingest_pb2.BATCH_ERROR_REASON_REFUSED_BY_STORAGE,
    storage_pb2.WRITE_ERROR_CODE_SEQ_GAP: ingest_pb2.BATCH_ERROR_REASON_SEQ_GAP,
}
# What storage answers that ends the collector's stream with storage's own status; anything else is storage being
# away (UNAVAILABLE: reconnect and resend).
STORAGE_REFUSALS = (UnauthenticatedError, PermissionDeniedError, InvalidInputError)
# What a side stream (analysis, live cues) may be opened again after: the service away, or a conflict that passes.
TRANSIENT = (DependencyUnavailableError, StaleVersionError)


@dataclass
class StorageLost:
    """Put on the out queue when storage fails: the collector stream ends with ``code`` (UNAVAILABLE, or
    storage's own refusal such as UNAUTHENTICATED after a revocation)."""

    message: str
    code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    unclear: bool = False  # gRPC said INTERNAL, which may hide storage's own status (grpc/grpc#36066): worth a look
    cause: ServiceError | None = None  # storage's answer as this layer's error (errors.from_rpc_error)


@dataclass(frozen=True)
class Reread:
    """Stored samples a new analysis stream reads first: from ``from_s`` (the end of the last lap analysed, 0 when
    none) through ``through_tick`` (what this stream had forwarded when the analysis stream opened), once storage
    has committed through batch ``after_seq``. The lap in progress at a failure is so analysed whole."""

    from_s: float
    through_tick: int
    after_seq: int


@dataclass
class SessionPipeline:
    links: Links
    metadata: list[tuple[str, str]]
    session: telemetry_pb2.Session
    out: asyncio.Queue
    committed_seq: int = 0
    committed_tick: int = 0  # the highest tick storage held when the stream opened (0 with committed_seq 0)
    forwarded_seq: int = 0
    analysed_through_tick: int | None = None  # the highest tick analysis and live cues have been sent
    lap_count: int = 0
    join_samples: int = 600  # queued batches are joined into messages of at most this many samples for analysis and live cues
    _writes: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_DEPTH))
    _analysis: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_DEPTH))
    _live: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(LIVE_DEPTH))
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _session_stored: asyncio.Future | None = None
    _next_lap_request: int = LAP_REQUEST
    _analysis_up: bool = True
    _closing: bool = False
    _live_up: bool = True
    _best: analysis_pb2.LapAnalysis | None = None
    _storage_done: asyncio.Event = field(default_factory=asyncio.Event)
    _acked_seq: int = 0  # the highest seq this stream acknowledged
    _newest: tuple[int, float] | None = None  # seq and last session time of the newest batch this stream forwarded
    _last_lap_end_s: float | None = 0.0  # where the newest lap analysed (by this stream or before it) ended; None: unknown
    _reread: Reread | None = None  # stored samples the next analysis stream reads first

    @property
    def log(self):
        return log.bind(session_id=self.session.session_id)

    # --- start ----------------------------------------------------------------------------

    async def open(self) -> int:
        """Store the session and open the side streams; returns the committed seq to resume after."""
        loop = asyncio.get_running_loop()
        self._session_stored = loop.create_future()
        write_call = stream_from(self.links.storage_write, store_runs(self._writes), metadata=self.metadata)
        self._tasks.append(asyncio.create_task(self._read_storage(write_call)))
        await self._writes.put(write_request(request_id=SESSION_REQUEST, field_number=2, payload=self.session.SerializeToString()))
        try:
            self.committed_seq, self.committed_tick = await asyncio.wait_for(self._session_stored, self.links.timeout_s)
        except asyncio.TimeoutError:
            raise DependencyUnavailableError("storage did not confirm the session in time; retry shortly") from None
        self.forwarded_seq = self.committed_seq
        self.links.open_sessions.add(self.session.session_id)
        # The caller's other sessions may hold laps a crash left unanalysed or unscored: completed in the background.
        completion.start_completion(links=self.links, metadata=self.metadata, key=bearer_token(self.metadata))
        # Stored samples were analysed when they were first stored: sent again (the same file replayed, in any
        # batching), they are stored as no-ops and not analysed twice, so their laps keep their reports.
        self.analysed_through_tick = self.committed_tick if self.committed_seq else None
        if self.committed_seq:
            # A resumed session: the lap in progress when the last stream failed is in storage from its start on.
            self._last_lap_end_s = await self._stored_laps_end()
            if self._last_lap_end_s is not None:
                self._reread = Reread(from_s=self._last_lap_end_s, through_tick=self.committed_tick, after_seq=0)
            completion.start_completion(links=self.links, metadata=self.metadata, session_id=self.session.session_id,
                                        reports_only=True, key=f"{bearer_token(self.metadata)}/{self.session.session_id}/reports")
        self._tasks.append(asyncio.create_task(self._read_analysis()))
        self._tasks.append(asyncio.create_task(self._read_live()))
        return self.committed_seq

    async def _stored_laps_end(self) -> float | None:
        """Where the session's last stored lap ended (0 with none; None when storage cannot say)."""
        try:
            stored = await self.links.storage.GetSession(storage_pb2.GetSessionRequest(session_id=self.session.session_id),
                                                         metadata=self.metadata, timeout=self.links.timeout_s)
        except grpc.aio.AioRpcError as exc:
            self.log.warning("stored laps unknown; the resumed stream analyses from its first new sample", code=exc.code().name)
            return None
        return max((lap.end_session_time_s for lap in stored.laps), default=0.0)

    async def _analysis_requests(self, queue: asyncio.Queue, reread: Reread | None) -> AsyncIterator[object]:
        yield analysis_pb2.AnalyzeStreamRequest(session=self.session)
        if reread is not None:
            async for batch in self._reread_batches(reread):
                yield analysis_pb2.AnalyzeStreamRequest(batch=batch)
        async for payload in coalesced(queue, session_id=self.session.session_id, limit=self.join_samples):
            yield payload

    async def _reread_batches(self, reread: Reread) -> AsyncIterator[object]:
        """The stored samples of ``reread``; none when storage fails (the stream goes on with the new batches)."""
        deadline = asyncio.get_running_loop().time() + self.links.timeout_s
        while self.committed_seq < reread.after_seq and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        try:
            async for batch in completion.stored_batches(links=self.links, metadata=self.metadata, session=self.session,
                                                         from_s=reread.from_s, through_tick=reread.through_tick,
                                                         chunk_samples=self.join_samples):
                yield batch
        except grpc.aio.AioRpcError as exc:
            self.log.warning("stored samples unreadable; the lap in progress is not reported", code=exc.code().name)

    async def _live_requests(self, queue: asyncio.Queue) -> AsyncIterator[object]:
        context = coaching_pb2.LiveContext(session=self.session)
        if self._best is not None:  # a stream opened again: the reference the cues were given so far
            context.reference.CopyFrom(self._best)
        yield coaching_pb2.LiveCuesRequest(context=context)
        async for item in coalesced(queue, session_id=self.session.session_id, limit=self.join_samples):
            yield item

    # --- batches --------------------------------------------------------------------------

    def expects(self) -> int:
        """The highest seq the next batch may carry (a lower one is a resend, stored only where new)."""
        return self.forwarded_seq + 1

    def check_follows(self, *, seq: int, times) -> None:
        """A new batch (the next seq after one this stream forwarded) must start after it ended;
        resends (lower seqs) may overlap, storage keeps only the samples it lacks."""
        if self._newest is None or seq != self._newest[0] + 1 or seq != self.expects():
            return
        if float(times[0]) <= self._newest[1]:
            raise BatchValidationError(
                "TIME_NOT_MONOTONIC",
                f"session_time_s starts at {float(times[0]):.4f} s, not after {self._newest[1]:.4f} s where batch seq"
                f" {seq - 1} ended; session time must increase from batch to batch",
            )

    async def forward(self, *, seq: int, batch_bytes: bytes, arrays: Arrays) -> None:
        """Send a validated batch on: storage (awaited, bounded), analysis (bounded), live cues (dropped when behind).

        Storage gets every batch (it stores only the samples it lacks and commits the batch); analysis and
        live cues get only the samples after the last tick they were sent, queued batches joined (see coalesce.py).
        """
        await self._writes.put(Stored(seq=seq, payload=batch_bytes))
        if seq > self.forwarded_seq or self._newest is None:
            self._newest = (seq, float(arrays["session_time_s"][-1]))
        self.forwarded_seq = max(self.forwarded_seq, seq)
        unseen = self._unanalysed(seq=seq, batch_bytes=batch_bytes, arrays=arrays)
        if unseen is None:
            return
        if self._analysis_up:
            await self._analysis.put(unseen)
        if self._live_up:
            try:
                self._live.put_nowait(unseen)
            except asyncio.QueueFull:
                pass  # live cues are advisory: better skip one than delay durability

    def _unanalysed(self, *, seq: int, batch_bytes: bytes, arrays: Arrays) -> Piece | None:
        """The batch cut down to the samples analysis has not been sent; None when it has them all."""
        ticks = ticks_of(arrays["session_time_s"], tick_rate_hz=self.session.tick_rate_hz)
        through = self.analysed_through_tick
        if through is not None and ticks[-1] <= through:
            return None
        self.analysed_through_tick = int(ticks[-1])
        if through is None or ticks[0] > through:
            return Piece(seq=seq, arrays=arrays, payload=batch_bytes)
        keep = ticks > through
        return Piece(seq=seq, arrays={name: values[keep] for name, values in arrays.items()})

    # --- responses ------------------------------------------------------------------------

    async def _read_storage(self, call) -> None:
        try:
            async for response in call:
                if response.request_id == SESSION_REQUEST:
                    if response.HasField("error"):
                        self._session_stored.set_exception(_storage_refusal(response.error))
                    else:
                        self._session_stored.set_result((response.committed_seq, response.committed_tick))
                elif response.request_id >= LAP_REQUEST:
                    if response.HasField("error"):
                        self.log.warning("lap or report not stored", error=response.error.message)
                elif response.HasField("error"):  # a batch alone (request_id its seq) or one of a run (refused_seq)
                    await self.out.put(ingest_pb2.StreamResponse(error=ingest_pb2.BatchError(
                        session_id=self.session.session_id, seq=response.refused_seq or response.request_id,
                        message=response.error.message,
                        reason=STORAGE_REASONS.get(response.error.code, ingest_pb2.BATCH_ERROR_REASON_REFUSED_BY_STORAGE),
                    )))
                elif response.committed_seq > self.committed_seq:
                    self.committed_seq = self._acked_seq = response.committed_seq
                    await self.out.put(ingest_pb2.StreamResponse(ack=ingest_pb2.DurableAck(
                        session_id=self.session.session_id, committed_seq=self.committed_seq)))
                elif self._acked_seq < response.request_id <= self.committed_seq:
                    # A batch at or below the committed seq, committed now: the collector numbers its batches otherwise
                    # than the stored ones (see SessionAccepted.committed_tick), and every one of its batches up to
                    # this seq is committed (storage commits a stream's batches in order). Acks of a stream only rise.
                    self._acked_seq = response.request_id
                    await self.out.put(ingest_pb2.StreamResponse(ack=ingest_pb2.DurableAck(
                        session_id=self.session.session_id, committed_seq=response.request_id)))
        except grpc.aio.AioRpcError as exc:
            error = from_rpc_error(exc, service="storage")
            if not isinstance(error, STORAGE_REFUSALS):
                error = DependencyUnavailableError(f"storage unavailable ({exc.code().name}): {exc.details()}; "
                                                   f"reconnect and resend after seq {self.committed_seq}")
                error.__cause__ = exc
            if self._session_stored is not None and not self._session_stored.done():
                self._session_stored.set_exception(DependencyUnavailableError(str(error)))
            await self.out.put(StorageLost(str(error), status_for(error), unclear=exc.code() == grpc.StatusCode.INTERNAL,
                                           cause=error))
        finally:
            self._storage_done.set()

    async def _read_analysis(self) -> None:
        """Analysis' lap events; a stream that fails is opened again (capped backoff), reading the stored samples since
        the last lap analysed before the batches that follow, so the lap in progress at the failure is analysed whole.
        A refusal (bad batch, credentials) is final."""
        delay = RECONNECT_BASE_S
        while True:
            queue, reread, self._reread = self._analysis, self._reread, None
            call = stream_from(self.links.analyze_stream, self._analysis_requests(queue, reread), metadata=self.metadata)
            try:
                async for event in call:
                    delay = RECONNECT_BASE_S
                    await self._lap_completed(event)
                return
            except grpc.aio.AioRpcError as exc:
                self._analysis_up = False
                if not await self._reopen_after(exc, service="analysis", queue=queue, delay=delay,
                                                event="analysis unavailable; the lap in progress is read again from storage"):
                    return
            delay = min(delay * 2, RECONNECT_MAX_S)
            self._analysis = asyncio.Queue(QUEUE_DEPTH)
            if self.analysed_through_tick is not None and self._last_lap_end_s is not None:
                # the samples since the last lap analysed, as stored, come first
                self._reread = Reread(from_s=self._last_lap_end_s, through_tick=self.analysed_through_tick,
                                      after_seq=self.forwarded_seq)
            self._analysis_up = True

    async def _lap_completed(self, event: analysis_pb2.AnalyzeStreamResponse) -> None:
        lap = event.lap
        self.lap_count += 1
        bound = self.log.bind(lap=lap.lap_number)
        self._last_lap_end_s = max(self._last_lap_end_s or 0.0, lap.end_session_time_s)
        await self._store(field_number=4, payload=lap.SerializeToString())
        report = await completion.score(links=self.links, metadata=self.metadata, request=completion.score_request(event),
                                        stop=lambda: self._closing, delays_s=SCORE_RETRY_DELAYS_S)
        if report is not None:  # else completed once the stream ends (completion.py)
            await self._store(field_number=5, payload=report.SerializeToString())
        completed = ingest_pb2.LapCompleted(lap=lap)
        if report is not None:
            completed.report.CopyFrom(report)
        await self.out.put(ingest_pb2.StreamResponse(lap_completed=completed))
        bound.info("lap completed", lap_time_s=lap.lap_time.ToNanoseconds() / 1e9, valid=lap.valid)
        for candidate in ([event.reference] if event.HasField("reference") else []) + ([lap] if lap.valid else []):
            if self._best is None or candidate.lap_time.ToNanoseconds() < self._best.lap_time.ToNanoseconds():
                self._best = candidate  # the live cues' reference: the analysis' reference (personal best) or better
        if self._live_up and self._best is not None:
            context = coaching_pb2.LiveContext(session=self.session, reference=self._best, last_lap=lap)
            try:
                self._live.put_nowait(coaching_pb2.LiveCuesRequest(context=context))
            except asyncio.QueueFull:
                pass

    async def _store(self, *, field_number: int, payload: bytes) -> None:
        self._next_lap_request += 1
        await self._writes.put(write_request(request_id=self._next_lap_request, field_number=field_number, payload=payload))

    async def _read_live(self) -> None:
        """Live cues; a stream that fails is opened again (capped backoff) with the reference it had: cues are
        advisory, so the batches sent while it was down are not sent again. A refusal is final."""
        delay = RECONNECT_BASE_S
        while True:
            queue = self._live
            call = stream_from(self.links.live_cues, self._live_requests(queue), metadata=self.metadata)
            try:
                async for response in call:
                    delay = RECONNECT_BASE_S
                    await self.out.put(ingest_pb2.StreamResponse(cue=response.cue))
                return
            except grpc.aio.AioRpcError as exc:
                self._live_up = False
                if not await self._reopen_after(exc, service="coaching", queue=queue, delay=delay,
                                                event="live coaching unavailable"):
                    return
            delay = min(delay * 2, RECONNECT_MAX_S)
            self._live = asyncio.Queue(LIVE_DEPTH)
            self._live_up = True

    async def _reopen_after(self, exc: grpc.aio.AioRpcError, *, service: str, queue: asyncio.Queue, delay: float,
                            event: str) -> bool:
        """A side stream to ``service`` failed: drop what waited for it, log, and wait ``delay`` before it is opened
        again; False when it is not to be (a refusal, or the session closing)."""
        _empty(queue)
        final = not isinstance(from_rpc_error(exc, service=service), TRANSIENT) or self._closing
        self.log.warning(event, code=exc.code().name, details=exc.details(), reconnect_in_s=None if final else delay)
        if final:
            return False
        await asyncio.sleep(delay)
        return not self._closing

    # --- end ------------------------------------------------------------------------------

    async def close(self) -> ingest_pb2.SessionClosed:
        """Finish analysis (its laps are stored), then storage; everything sent is committed after this."""
        self._closing = True
        await self._analysis.put(None)
        analysis_task, live_task = self._tasks[1], self._tasks[2]
        await asyncio.wait({analysis_task}, timeout=self.links.timeout_s * 3)
        live_task.cancel()
        await self._writes.put(None)
        await self._storage_done.wait()
        self.links.open_sessions.discard(self.session.session_id)
        # A lap coaching did not score (away longer than the retries), or left unscored by an earlier stream's end.
        completion.start_completion(links=self.links, metadata=self.metadata, session_id=self.session.session_id,
                                    key=f"{bearer_token(self.metadata)}/{self.session.session_id}")
        return ingest_pb2.SessionClosed(session_id=self.session.session_id, committed_seq=self.committed_seq, lap_count=self.lap_count)

    async def abort(self) -> None:
        self.links.open_sessions.discard(self.session.session_id)
        for task in self._tasks:
            task.cancel()
        for queue in (self._writes, self._analysis, self._live):
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)


def _empty(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()


def _storage_refusal(error: storage_pb2.WriteError) -> Exception:
    if error.code == storage_pb2.WRITE_ERROR_CODE_PERMISSION_DENIED:
        return PermissionDeniedError(error.message)
    return InvalidInputError(error.message)
