"""Stream a session to IngestService: bounded window of unacked batches, resend after reconnect,
exponential backoff. A batch leaves the window only when ingest says it is committed."""

from __future__ import annotations

import asyncio
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field

import grpc
import numpy as np

from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.batch import build_raw_batch
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
    from racecoach.services.ingest.wire import length_delimited

    return length_delimited(field_number, payload)


@dataclass
class Uploader:
    """One session's upload to ``address`` with ``token``."""

    address: str
    token: str
    session: telemetry_pb2.Session
    window: int = 256
    max_attempts: int = 8
    on_lap: Callable[[ingest_pb2.LapCompleted], None] | None = None
    on_cue: Callable[[object], None] | None = None
    _unacked: OrderedDict[int, bytes] = field(default_factory=OrderedDict)
    _committed: int = 0
    _space: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def run(self, batches: AsyncIterator[tuple[int, bytes]] | Iterable[tuple[int, bytes]]) -> UploadResult:
        """Send every batch and the end; returns once ingest confirms everything is committed."""
        result = UploadResult(session_id=self.session.session_id, committed_seq=0)
        source = batches.__aiter__() if hasattr(batches, "__aiter__") else _aiter(batches)
        exhausted = asyncio.Event()
        last_seq = 0

        async def produce() -> None:
            nonlocal last_seq
            async for seq, payload in source:
                async with self._space:
                    await self._space.wait_for(lambda: len(self._unacked) < self.window)
                    if seq > self._committed:
                        self._unacked[seq] = payload
                        last_seq = seq
                    self._space.notify_all()
            exhausted.set()
            async with self._space:
                self._space.notify_all()

        producer = asyncio.create_task(produce())
        attempt = 0
        try:
            while True:
                try:
                    closed = await self._stream_once(result, exhausted, lambda: last_seq)
                    if closed:
                        result.committed_seq = self._committed
                        return result
                    attempt = 0
                except grpc.aio.AioRpcError as exc:
                    if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT):
                        raise UploadError(f"ingest refused the session: {exc.details()}") from None
                    attempt += 1
                    if attempt >= self.max_attempts:
                        raise UploadError(
                            f"ingest at {self.address} is unreachable ({exc.code().name}: {exc.details()}); "
                            f"{len(self._unacked)} batches are not yet committed"
                        ) from None
                    result.reconnects += 1
                    await asyncio.sleep(min(0.2 * 2 ** (attempt - 1), 5.0) * (0.5 + random.random() / 2))
        finally:
            producer.cancel()

    async def _stream_once(self, result: UploadResult, exhausted: asyncio.Event, last_seq: Callable[[], int]) -> bool:
        metadata = [("authorization", f"Bearer {self.token}")]
        accepted = asyncio.Event()
        async with grpc.aio.insecure_channel(self.address) as channel:
            call = channel.stream_stream(
                "/racecoach.ingest.v1.IngestService/Stream",
                request_serializer=lambda item: item, response_deserializer=ingest_pb2.StreamResponse.FromString,
            )

            async def requests() -> AsyncIterator[bytes]:
                yield ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=self.session)).SerializeToString()
                await accepted.wait()
                sent = self._committed
                while True:
                    async with self._space:
                        await self._space.wait_for(lambda: any(s > sent for s in self._unacked) or exhausted.is_set())
                        pending = [(s, p) for s, p in self._unacked.items() if s > sent]
                    for seq, payload in pending:
                        yield _frame(2, payload)
                        sent = seq
                    if exhausted.is_set() and not any(s > sent for s in self._unacked):
                        break
                end = ingest_pb2.SessionEnd(session_id=self.session.session_id, last_seq=last_seq())
                yield ingest_pb2.StreamRequest(end=end).SerializeToString()

            stream = call(requests(), metadata=metadata)
            async for response in stream:
                kind = response.WhichOneof("kind")
                if kind == "accepted":
                    await self._acked(response.accepted.committed_seq)
                    accepted.set()
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
                        raise grpc.aio.AioRpcError(grpc.StatusCode.ABORTED, None, None, details="seq gap; resending")
                    raise UploadError(f"ingest refused batch {response.error.seq}: {response.error.message}")
                elif kind == "closed":
                    await self._acked(response.closed.committed_seq)
                    return True
        return False

    async def _acked(self, committed: int) -> None:
        async with self._space:
            self._committed = max(self._committed, committed)
            for seq in [s for s in self._unacked if s <= self._committed]:
                del self._unacked[seq]
            self._space.notify_all()


async def _aiter(items: Iterable) -> AsyncIterator:
    for item in items:
        yield item
        await asyncio.sleep(0)
