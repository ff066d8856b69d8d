"""Ingest's connections to the other services: channels, stubs and raw-view multicallables."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import grpc

from racecoach.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from racecoach.coaching.v1 import coaching_pb2, coaching_pb2_grpc
from racecoach.common.dial import dial
from racecoach.services.common.settings import Settings
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc


@dataclass
class Links:
    """Stubs of storage, analysis and coaching, plus storage's Write taking raw views."""

    storage: storage_pb2_grpc.StorageServiceStub
    storage_write: grpc.aio.StreamStreamMultiCallable
    analysis: analysis_pb2_grpc.AnalysisServiceStub
    coaching: coaching_pb2_grpc.CoachingServiceStub
    analyze_stream: grpc.aio.StreamStreamMultiCallable
    live_cues: grpc.aio.StreamStreamMultiCallable
    channels: tuple[grpc.aio.Channel, ...]
    timeout_s: float = 10.0
    open_sessions: set[str] = field(default_factory=set)  # sessions a stream of this process has open
    background: dict[str, asyncio.Task] = field(default_factory=dict)  # completions running (completion.py)

    async def close(self) -> None:
        for task in self.background.values():
            task.cancel()
        for channel in self.channels:
            await channel.close()


def stream_from(method: grpc.aio.StreamStreamMultiCallable, requests: AsyncIterator[object], *,
                metadata: Sequence[tuple[str, str]]) -> grpc.aio.StreamStreamCall:
    """A bidirectional call whose requests a task of ours writes from ``requests``: when the call ends the task is
    cancelled where the generator waits, so no request generator is left running (handed to gRPC as the request
    iterator, a failed call left one behind, logged as 'aclose(): asynchronous generator is already running')."""
    call = method(metadata=metadata)

    async def write() -> None:
        async for item in requests:
            await call.write(item)
        await call.done_writing()

    writer = asyncio.create_task(write())
    # a writer that fails on its own ends the call (its reader sees why); a call that ends stops the writer
    writer.add_done_callback(lambda done: call.cancel() if not done.cancelled() and done.exception() else None)
    call.add_done_callback(lambda _: writer.cancel())
    return call


def _serialize(item: object) -> bytes:
    """Pre-framed bytes pass through; messages are serialized."""
    return item if isinstance(item, bytes) else item.SerializeToString()  # type: ignore[attr-defined]


def connect(*, settings: Settings, storage_addr: str | None = None, analysis_addr: str | None = None, coaching_addr: str | None = None) -> Links:
    # Each target may name several replicas: every stream and call goes to the next one up (common/dial.py).
    keepalive = [("grpc.keepalive_time_ms", 30_000), ("grpc.http2.max_pings_without_data", 0), ("grpc.keepalive_permit_without_calls", 1)]
    storage_ch, analysis_ch, coaching_ch = (
        dial(address or settings.address(name), max_message_bytes=settings.max_message_bytes, options=keepalive, tls=settings.tls)
        for name, address in (("storage", storage_addr), ("analysis", analysis_addr), ("coaching", coaching_addr)))
    write = storage_ch.stream_stream(
        "/racecoach.storage.v1.StorageService/Write",
        request_serializer=_serialize, response_deserializer=storage_pb2.WriteResponse.FromString,
    )
    analyze = analysis_ch.stream_stream(
        "/racecoach.analysis.v1.AnalysisService/AnalyzeStream",
        request_serializer=_serialize, response_deserializer=analysis_pb2.AnalyzeStreamResponse.FromString,
    )
    live = coaching_ch.stream_stream(
        "/racecoach.coaching.v1.CoachingService/LiveCues",
        request_serializer=_serialize, response_deserializer=coaching_pb2.LiveCuesResponse.FromString,
    )
    return Links(
        storage=storage_pb2_grpc.StorageServiceStub(storage_ch), storage_write=write,
        analysis=analysis_pb2_grpc.AnalysisServiceStub(analysis_ch), coaching=coaching_pb2_grpc.CoachingServiceStub(coaching_ch),
        analyze_stream=analyze, live_cues=live,
        channels=(storage_ch, analysis_ch, coaching_ch), timeout_s=settings.rpc_timeout_s,
    )
