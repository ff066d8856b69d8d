"""Batches bound for analysis and live coaching, joined while those services are behind.

Analysis and live coaching read a session's samples in time order and care nothing for where one
batch ends and the next begins, while every gRPC message costs a fixed amount of CPU at both ends.
So when batches come faster than one per ``linger_s`` (a fast import, a burst after a reconnect),
a side stream gathers them for at most ``linger_s`` after its last message and sends the run of
consecutive batches as one message of up to ``limit`` samples, carrying the last batch's seq; a
car driven in real time (a batch every 100 ms) has each batch sent as it comes, with no delay.
Storage never sees joined batches: its seq numbering is the collector's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np

from racecoach.services.common.batch import Arrays, build_raw_batch
from racecoach.services.ingest.wire import length_delimited, write_request

BATCH_FIELD = 2  # the batch field of AnalyzeStreamRequest and of LiveCuesRequest
_END = object()
LINGER_S = 0.005  # the longest a batch waits for others to join it, and only right after another message


@dataclass(frozen=True)
class Piece:
    """One batch (or the part of one analysis has not been sent) waiting for a side stream."""

    seq: int
    arrays: Arrays
    payload: bytes | None = None  # the serialized batch when it is whole as it arrived

    @property
    def count(self) -> int:
        return len(self.arrays["session_time_s"])


_last_join: list = [(), b""]  # analysis and live cues mostly join the same run: it is built once


def joined(session_id: str, pieces: list[Piece]) -> bytes:
    """The serialized batch of ``pieces`` end to end (the first's bytes as they are when alone)."""
    if len(pieces) == 1 and pieces[0].payload is not None:
        return pieces[0].payload
    before, made = _last_join
    if len(before) == len(pieces) and all(a is b for a, b in zip(before, pieces)):
        return made
    names = pieces[0].arrays.keys()
    arrays = {name: np.concatenate([piece.arrays[name] for piece in pieces]) for name in names}
    made = build_raw_batch(session_id=session_id, seq=pieces[-1].seq, arrays=arrays).SerializeToString()
    _last_join[:] = [tuple(pieces), made]
    return made


async def coalesced(queue: asyncio.Queue, *, session_id: str, limit: int, linger_s: float = LINGER_S) -> AsyncIterator[object]:
    """The queue's items until None: every run of queued :class:`Piece` of the same channels, of at most
    ``limit`` samples together, as one framed batch; anything else (a context message) as it is, in order."""
    loop = asyncio.get_running_loop()
    held: object = _END
    last = float("-inf")  # when the last batch message left
    while True:
        item = await queue.get() if held is _END else held
        held = _END
        if item is None:
            return
        if not isinstance(item, Piece):
            yield item
            continue
        run, total = [item], item.count
        wait = last + linger_s - loop.time()
        if wait > 0 and total < limit:
            await asyncio.sleep(wait)  # batches are coming fast: gather what arrives meanwhile
        while not queue.empty():
            follower = queue.get_nowait()
            if (isinstance(follower, Piece) and total + follower.count <= limit
                    and follower.arrays.keys() == item.arrays.keys()):
                run.append(follower)
                total += follower.count
                continue
            held = follower  # a context message, the end, another layout or a full message: after this one
            break
        last = loop.time()
        yield length_delimited(BATCH_FIELD, joined(session_id, run))


@dataclass(frozen=True)
class Stored:
    """One batch waiting for the storage Write stream: its seq and its serialized TelemetryBatch."""

    seq: int
    payload: bytes


RUN_FIELD, RUN_BATCHES_FIELD = 6, 1  # WriteRequest.batches and WriteBatchRun.batches
RUN_MAX_BYTES = 1 << 20  # a run's message stays far below the mesh's message limit
RUN_MAX_BATCHES = 256
STORE_LINGER_S = 0.002  # acks wait at most this long for a run to form, and only while batches come this fast


def run_request(run: list[Stored]) -> bytes:
    """The WriteRequest of ``run``: the batch alone (request_id its seq), or WriteRequest.batches (the last seq)."""
    if len(run) == 1:
        return write_request(request_id=run[0].seq, field_number=3, payload=run[0].payload)
    batches = b"".join(length_delimited(RUN_BATCHES_FIELD, item.payload) for item in run)
    return write_request(request_id=run[-1].seq, field_number=RUN_FIELD, payload=batches)


async def store_runs(queue: asyncio.Queue, *, linger_s: float = STORE_LINGER_S) -> AsyncIterator[bytes]:
    """The storage Write stream's requests until None: queued batches as runs, anything else (sessions,
    laps, reports, already framed) as it is, in order."""
    loop = asyncio.get_running_loop()
    held: object = _END
    last = float("-inf")
    while True:
        item = await queue.get() if held is _END else held
        held = _END
        if item is None:
            return
        if not isinstance(item, Stored):
            yield item
            continue
        wait = last + linger_s - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        run, size = [item], len(item.payload)
        while not queue.empty():
            follower = queue.get_nowait()
            if isinstance(follower, Stored) and len(run) < RUN_MAX_BATCHES and size + len(follower.payload) <= RUN_MAX_BYTES:
                run.append(follower)
                size += len(follower.payload)
                continue
            held = follower
            break
        last = loop.time()
        yield run_request(run)
