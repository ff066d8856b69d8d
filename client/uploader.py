"""Stream a session to IngestService: unacked batches in a bounded in-memory window or a durable
spool, resend after reconnect, exponential backoff. A batch is dropped only once ingest says it is committed."""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import grpc
import numpy as np
from racecoach.ingest.v1 import ingest_pb2
from racecoach.client.spool import batch_last_time
from racecoach.common.dial import dial
from racecoach.common.settings import Tls
from racecoach.common.batch import build_raw_batch
from racecoach.common.ticks import ticks_of
from racecoach.telemetry.v1 import telemetry_pb2


class UploadError(Exception):
    """The upload cannot go on (bad token, refused session, retries exhausted)."""


@dataclass
class UploadResult:
    session_id: str
    committed_seq: int
    laps: list[ingest_pb2.LapCompleted] = field(default_factory=list)
    cues: list = field(default_factory=list)
    errors: list[ingest_pb2.BatchError] = field(default_factory=list)
    reconnects: int = 0


def finite_samples(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Drop samples holding NaN or infinity in any channel (a sample is all channels at one tick)."""
    keep = np.ones(len(arrays["session_time_s"]), bool)
    for values in arrays.values():
        if values.dtype.kind == "f":
            keep &= np.isfinite(values)
    return arrays if keep.all() else {name: values[keep] for name, values in arrays.items()}


def split_batches(*, session_id: str, arrays: dict[str, np.ndarray], samples_per_batch: int, first_seq: int = 1) -> Iterable[tuple[int, bytes]]:
    """(seq, serialized batch) for consecutive slices of ``samples_per_batch`` samples."""
    arrays = finite_samples(arrays)
    count = len(arrays["session_time_s"])
    for seq, start in enumerate(range(0, count, samples_per_batch), start=first_seq):
        part = {name: values[start:start + samples_per_batch] for name, values in arrays.items()}
        yield seq, build_raw_batch(session_id=session_id, seq=seq, arrays=part).SerializeToString()


def _frame(field_number: int, payload: bytes) -> bytes:
    from racecoach.common.wire import length_delimited

    return length_delimited(field_number, payload)


RUN_MAX_BATCHES = 64  # batches sent in one message at most (a fast import, a backlog after a reconnect)
RUN_MAX_BYTES = 1 << 20


def runs_of(records: list[tuple[int, bytes]]) -> Iterable[list[tuple[int, bytes]]]:
    """Consecutive (seq, payload) records in runs of at most RUN_MAX_BATCHES and RUN_MAX_BYTES (one record may be more)."""
    run: list[tuple[int, bytes]] = []
    size = 0
    for record in records:
        if run and (len(run) >= RUN_MAX_BATCHES or size + len(record[1]) > RUN_MAX_BYTES):
            yield run
            run, size = [], 0
        run.append(record)
        size += len(record[1])
    if run:
        yield run


def run_request(run: list[tuple[int, bytes]]) -> bytes:
    """The StreamRequest of a run: the batch alone, or StreamRequest.batches holding them all."""
    if len(run) == 1:
        return _frame(2, run[0][1])
    return _frame(4, b"".join(_frame(1, payload) for _, payload in run))


class _SourceFailed(Exception):
    """The batch source failed; the upload stops with the source's error."""


class _SeqGap(Exception):
    """Ingest answered a batch with SEQ_GAP: open the stream again and resend after the committed seq."""


# Ingest's refusals of the token or the session: no retry changes them.
_REFUSALS = frozenset({grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT})


def _from_ingest(exc: grpc.aio.AioRpcError | _SeqGap) -> tuple[UploadError | None, str, str]:
    """The one reading of how a stream to ingest ended: the error to stop with when no retry changes it (else None),
    and the status and details the messages show while retrying and after the last attempt."""
    if isinstance(exc, _SeqGap):
        return None, "SEQ_GAP", "resending after the committed seq"
    if exc.code() in _REFUSALS:
        return UploadError(f"ingest refused the session: {exc.details()}"), exc.code().name, exc.details()
    return None, exc.code().name, exc.details()


def known_stored(*, seq: int, last_time_s: float, resume: ResumePoint) -> bool:
    """True when ingest's resume point says every sample of the batch is stored already.

    A sample is identified by its tick, so a batch is stored when its last tick is at or below the
    committed tick, whatever batching stored it; with no tick named (an older ingest) seq decides.
    """
    if seq > resume.committed_seq:
        return False
    if not resume.committed_tick:
        return True
    return int(ticks_of([last_time_s], tick_rate_hz=resume.tick_rate_hz)[0]) <= resume.committed_tick


def own_resume_point(*, held: Iterable[tuple[int, float]], acked_seq: int, resume: ResumePoint) -> int:
    """The collector's own resume point: its last batch, in its own numbering, of an unbroken run of stored ones.

    Equal to the committed seq when the stored batches were numbered as these are; lower when the same
    samples were stored in another batching (its batches up to the committed seq that hold later ticks
    are sent again, and storage keeps only the samples it lacks).
    """
    own = acked_seq
    for seq, last_time_s in held:
        if seq <= own:
            continue
        if seq != own + 1 or not known_stored(seq=seq, last_time_s=last_time_s, resume=resume):
            break
        own = seq
    return own


@dataclass(frozen=True)
class ResumePoint:
    """Where ingest says the session stands: SessionAccepted's committed seq and tick."""

    committed_seq: int = 0
    committed_tick: int = 0
    tick_rate_hz: float = 60.0


class MemoryWindow:
    """Unacked batches held in memory, at most ``size`` of them and ``max_bytes`` of batches (the producer waits for space)."""

    def __init__(self, *, size: int, max_bytes: int = 1 << 62) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.held_bytes = 0
        self._unacked: OrderedDict[int, bytes] = OrderedDict()
        self._last_times: dict[int, float | None] = {}
        self.committed_seq = 0
        self.last_seq = 0

    def has_space(self) -> bool:
        return len(self._unacked) < self.size and self.held_bytes < self.max_bytes

    def append(self, *, seq: int, payload: bytes, last_time_s: float | None = None) -> bool:
        if seq <= max(self.last_seq, self.committed_seq):
            return False
        self._unacked[seq] = payload
        self.held_bytes += len(payload)
        self._last_times[seq] = last_time_s
        self.last_seq = seq
        return True

    def held_times(self) -> list[tuple[int, float]]:
        """(seq, session time of the last sample) of every unacked batch, in order."""
        for seq, payload in self._unacked.items():
            if self._last_times.get(seq) is None:
                self._last_times[seq] = batch_last_time(payload)
        return [(seq, self._last_times[seq]) for seq in self._unacked]

    def records_after(self, seq: int, *, limit: int) -> list[tuple[int, bytes]]:
        return [(s, p) for s, p in self._unacked.items() if s > seq][:limit]

    def acked(self, committed: int) -> None:
        self.committed_seq = max(self.committed_seq, committed)
        for seq in [s for s in self._unacked if s <= self.committed_seq]:
            self.held_bytes -= len(self._unacked.pop(seq))
            self._last_times.pop(seq, None)

    @property
    def unacked_count(self) -> int:
        return len(self._unacked)


@dataclass
class Uploader:
    """One session's upload to ``address`` with ``token``.

    Without ``spool`` the unacked batches wait in a bounded in-memory window (``window``
    batches and ``window_bytes`` of them; the source is paused while it is full). With a :class:`~racecoach.client.spool.Spool`
    every batch is appended to the spool before it is sent, the source is never paused by the
    network, at most ``window`` batches (``window_bytes`` of them) are in flight, and what is unacked after a crash is
    resent from the spool by the next run (``racing-coach upload`` or the same replay).
    A stream that fails is opened again, the backoff doubling from 0.2 s up to 5 s; ``max_attempts`` streams in a row that
    fail without a batch committed end the upload (12: about 20 to 40 s, long enough for the mesh to restart a
    service and its database), ``None`` retries forever (live collection). A stream that committed anything before
    it failed starts the count again.
    """

    address: str
    token: str
    session: telemetry_pb2.Session
    # Unacked batches in flight at most: 4 MiB of them (the bound for big batches: about 36 of 600 samples, 370 of
    # 60) and at most 2048 (6-sample batches of 100 ms), so small batches keep as many samples moving as big ones.
    window: int = 2048
    window_bytes: int = 4 << 20
    max_attempts: int | None = 12
    spool: object | None = None
    on_lap: Callable[[ingest_pb2.LapCompleted], None] | None = None
    on_cue: Callable[[object], None] | None = None
    on_status: Callable[[str], None] | None = None
    on_accepted: Callable[[], None] | None = None  # ingest accepted the session (the mesh answers)
    tls: Tls | None = None  # the CA ingest's certificate is checked against, when the mesh speaks TLS
    _space: asyncio.Condition = field(default_factory=asyncio.Condition)
    _resume: ResumePoint = field(default_factory=ResumePoint)

    def __post_init__(self) -> None:
        self._store = self.spool if self.spool is not None else MemoryWindow(size=self.window, max_bytes=self.window_bytes)
        self._committed = self._store.committed_seq

    @property
    def committed_seq(self) -> int:
        return self._committed

    async def run(self, batches: AsyncIterator[tuple] | Iterable[tuple] = ()) -> UploadResult:
        """Send what the spool still holds, then every batch of ``batches`` ((seq, payload) or
        (seq, payload, last_time_s)), then the end; returns once ingest confirms all is committed."""
        result = UploadResult(session_id=self.session.session_id, committed_seq=0)
        source = batches.__aiter__() if hasattr(batches, "__aiter__") else _aiter(batches)
        exhausted = asyncio.Event()

        failure: list[BaseException] = []

        async def produce() -> None:
            try:
                async for item in source:
                    seq, payload = item[0], item[1]
                    last_time = item[2] if len(item) > 2 else None
                    async with self._space:
                        if self.spool is None:
                            await self._space.wait_for(self._store.has_space)
                        if self._resume.committed_seq and seq <= self._resume.committed_seq and known_stored(
                                seq=seq, last_time_s=batch_last_time(payload) if last_time is None else last_time,
                                resume=self._resume):
                            continue  # stored already, in whatever batching: nothing to send
                        self._store.append(seq=seq, payload=payload, last_time_s=last_time)
                        self._space.notify_all()
            except Exception as exc:  # noqa: BLE001 the source or the spool failed: stop the upload with its error
                failure.append(exc)
                async with self._space:
                    self._space.notify_all()
                return
            if self.spool is not None:
                self.spool.mark_ended()
            exhausted.set()
            async with self._space:
                self._space.notify_all()

        producer = asyncio.create_task(produce())
        syncer = asyncio.create_task(self._sync_spool()) if self.spool is not None else None
        attempt = 0
        # gRPC can report a stream the server ended as INTERNAL ("Internal error from Core") when the
        # end races with the client's writes (grpc/grpc#36066); the server's own status says more.
        telling: grpc.aio.AioRpcError | _SeqGap | None = None
        try:
            while True:
                before = self._committed
                try:
                    closed = await self._stream_once(result, exhausted, failure)
                    if closed:
                        result.committed_seq = self._committed
                        if self.spool is not None:
                            self.spool.remove()
                        return result
                    attempt = 0
                except (grpc.aio.AioRpcError, _SeqGap, _SourceFailed) as exc:
                    if failure:
                        raise failure[0]
                    refused, status, _ = _from_ingest(exc)
                    if refused is not None:
                        raise refused from exc
                    attempt = 1 if self._committed > before else attempt + 1  # one that got batches committed starts again
                    if telling is None or not isinstance(exc, grpc.aio.AioRpcError) or exc.code() != grpc.StatusCode.INTERNAL:
                        telling = exc
                    if self.max_attempts is not None and attempt >= self.max_attempts:
                        kept = f"; they stay in the spool at {self.spool.directory}" if self.spool is not None else ""
                        _, shown, details = _from_ingest(telling)
                        raise UploadError(
                            f"ingest at {self.address} is unreachable ({shown}: {details}); "
                            f"{self._store.unacked_count} batches are not yet committed{kept}"
                        ) from telling
                    result.reconnects += 1
                    if self.on_status:
                        self.on_status(f"ingest at {self.address} is unreachable ({status}); reconnecting, attempt {attempt}")
                    await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 5.0) * (0.5 + random.random() / 2))
        finally:
            producer.cancel()
            if syncer is not None:
                syncer.cancel()
                self.spool.sync()

    def wake(self) -> None:
        """Another thread appended to the spool: look for new batches (call on the event loop)."""

        async def notify() -> None:
            async with self._space:
                self._space.notify_all()

        asyncio.ensure_future(notify())

    async def _sync_spool(self) -> None:
        """fsync the spool every ``spool.fsync_interval_s`` seconds, off the event loop."""
        while True:
            await asyncio.sleep(self.spool.fsync_interval_s)
            await asyncio.to_thread(self.spool.sync)

    async def _stream_once(self, result: UploadResult, exhausted: asyncio.Event, failure: list) -> bool:
        metadata = [("authorization", f"Bearer {self.token}")]
        accepted = asyncio.Event()
        async with dial(self.address, tls=self.tls) as channel:
            call = channel.stream_stream(
                "/racecoach.ingest.v1.IngestService/Stream",
                request_serializer=lambda item: item, response_deserializer=ingest_pb2.StreamResponse.FromString,
            )

            flight: deque[tuple[int, int]] = deque()  # (seq, bytes) of every batch sent and not yet acked
            flown = [0]  # their bytes

            def ready(sent: int) -> bool:
                while flight and flight[0][0] <= self._committed:
                    flown[0] -= flight.popleft()[1]
                in_flight = sent - self._committed
                more = self._store.last_seq > sent
                room = in_flight < self.window and flown[0] < self.window_bytes
                return bool(failure) or (more and room) or (exhausted.is_set() and not more)

            async def requests() -> AsyncIterator[bytes]:
                yield ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=self.session)).SerializeToString()
                await accepted.wait()
                sent = self._committed
                while True:
                    async with self._space:
                        await self._space.wait_for(lambda sent=sent: ready(sent))
                        if failure:
                            return
                        room = self.window - (sent - self._committed)
                        pending = self._store.records_after(sent, limit=max(room, 0))
                        budget = self.window_bytes - flown[0]
                        for index, (seq, payload) in enumerate(pending):
                            if index and len(payload) > budget:
                                del pending[index:]
                                break
                            budget -= len(payload)
                            flight.append((seq, len(payload)))
                            flown[0] += len(payload)
                    for run in runs_of(pending):  # what waits goes in few messages (StreamRequest.batches)
                        yield run_request(run)
                        sent = run[-1][0]
                    if exhausted.is_set() and self._store.last_seq <= sent:
                        break
                end = ingest_pb2.SessionEnd(session_id=self.session.session_id, last_seq=self._store.last_seq)
                yield ingest_pb2.StreamRequest(end=end).SerializeToString()

            stream = call(metadata=metadata)

            async def write() -> None:
                # Written from a task of our own, not handed to gRPC as a request iterator: a stream that fails
                # cancels this task, which ends the generator where it waits (no generator left running).
                async for item in requests():
                    await stream.write(item)
                await stream.done_writing()

            writer = asyncio.create_task(write())
            # a writer that fails on its own (not by the stream's end) ends the stream, so the read below ends too
            writer.add_done_callback(lambda done: stream.cancel() if not done.cancelled() and done.exception() else None)
            try:
                if await self._read(stream, result, accepted):
                    return True
            finally:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)  # its failure is the stream's, read above
        if failure:
            raise _SourceFailed()
        return False

    async def _read(self, stream, result: UploadResult, accepted: asyncio.Event) -> bool:
        """Ingest's answers on one stream: True once it says the session is closed, False when it ends before."""
        async for response in stream:
            kind = response.WhichOneof("kind")
            if kind == "accepted":
                await self._resumed(response.accepted)
                accepted.set()
                if self.on_accepted:
                    self.on_accepted()
            elif kind == "ack":
                await self._acked(response.ack.committed_seq)
            elif kind == "lap_completed":
                result.laps.append(response.lap_completed)
                if self.on_lap:
                    self.on_lap(response.lap_completed)
            elif kind == "cue":
                result.cues.append(response.cue)
                if self.on_cue:
                    self.on_cue(response.cue)
            elif kind == "error":
                result.errors.append(response.error)
                if response.error.reason == ingest_pb2.BATCH_ERROR_REASON_SEQ_GAP:
                    raise _SeqGap()
                raise UploadError(f"ingest refused batch {response.error.seq}: {response.error.message}")
            elif kind == "closed":
                await self._acked(response.closed.committed_seq)
                return True
        return False

    async def _resumed(self, accepted: ingest_pb2.SessionAccepted) -> None:
        """Take ingest's resume point: what it names as stored, in this collector's own batch numbering."""
        async with self._space:
            self._resume = ResumePoint(committed_seq=accepted.committed_seq, committed_tick=accepted.committed_tick,
                                       tick_rate_hz=self.session.tick_rate_hz or 60.0)
            held = await asyncio.to_thread(self._store.held_times) if self.spool is not None else self._store.held_times()
        await self._acked(own_resume_point(held=held, acked_seq=self._committed, resume=self._resume))

    async def _acked(self, committed: int) -> None:
        async with self._space:
            if committed > self._committed:
                self._committed = committed
                if self.spool is not None:
                    await asyncio.to_thread(self._store.acked, committed)
                else:
                    self._store.acked(committed)
            self._space.notify_all()


async def _aiter(items: Iterable) -> AsyncIterator:
    for item in items:
        yield item
        await asyncio.sleep(0)
