"""Ingest's side streams join queued batches; its one-pass batch check agrees with validate."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from racecoach.services.common.batch import BatchValidationError, validate
from racecoach.services.ingest.checks import check_batch
from racecoach.services.ingest.coalesce import Piece, coalesced, joined
from racecoach.services.ingest.wire import length_delimited
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import make_arrays, make_batch

SESSION = "coalesce-session"


def piece(seq: int, count: int = 6, *, whole: bool = True, drop: str | None = None) -> Piece:
    arrays = make_arrays(start_index=(seq - 1) * count, count=count)
    if drop:
        arrays.pop(drop)
    payload = make_batch(session_id=SESSION, seq=seq, arrays=arrays).SerializeToString() if whole else None
    return Piece(seq=seq, arrays=arrays, payload=payload)


def batch_of(message: bytes) -> telemetry_pb2.TelemetryBatch:
    """The batch inside a framed AnalyzeStreamRequest / LiveCuesRequest (field 2)."""
    return telemetry_pb2.TelemetryBatch.FromString(_unframe(message))


def _unframe(message: bytes) -> bytes:
    assert message[0] == (2 << 3) | 2
    length, shift, index = 0, 0, 1
    while True:
        byte = message[index]
        length |= (byte & 0x7F) << shift
        index += 1
        if not byte & 0x80:
            break
        shift += 7
    assert len(message) - index == length
    return message[index:]


async def collect(items: list, *, limit: int = 600, linger_s: float = 0.0) -> list:
    queue: asyncio.Queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    queue.put_nowait(None)
    return [out async for out in coalesced(queue, session_id=SESSION, limit=limit, linger_s=linger_s)]


@pytest.mark.asyncio(loop_scope="session")
async def test_queued_batches_go_as_one_message_with_every_sample_in_order_and_the_last_seq():
    pieces = [piece(seq) for seq in range(1, 11)]
    out = await collect(pieces)
    assert len(out) == 1
    batch = batch_of(out[0])
    assert batch.seq == 10 and batch.sample_count == 60
    np.testing.assert_array_equal(batch.session_time_s, np.concatenate([p.arrays["session_time_s"] for p in pieces]))
    np.testing.assert_array_equal(batch.speed_mps, np.concatenate([p.arrays["speed_mps"] for p in pieces]))


@pytest.mark.asyncio(loop_scope="session")
async def test_a_batch_alone_is_sent_as_it_came_and_cut_batches_are_built():
    alone = piece(3)
    assert await collect([alone]) == [length_delimited(2, alone.payload)]
    cut = piece(4, whole=False)
    (message,) = await collect([cut])
    assert batch_of(message).seq == 4 and batch_of(message).sample_count == 6
    assert joined(SESSION, [cut]) == _unframe(message)


@pytest.mark.asyncio(loop_scope="session")
async def test_joins_stop_at_the_limit_at_context_messages_and_at_another_layout():
    context = object()
    items = [piece(1), piece(2), piece(3), context, piece(4), piece(5, drop="brake"), piece(6, drop="brake")]
    out = await collect(items, limit=12)
    assert out[2] is context
    assert [batch_of(m).seq for m in out if m is not context] == [2, 3, 4, 6]
    assert [batch_of(m).sample_count for m in out if m is not context] == [12, 6, 6, 12]
    assert not batch_of(out[-1]).brake


@pytest.mark.asyncio(loop_scope="session")
async def test_a_stream_that_keeps_up_sends_each_batch_at_once():
    queue: asyncio.Queue = asyncio.Queue()
    stream = coalesced(queue, session_id=SESSION, limit=600, linger_s=10.0)
    queue.put_nowait(piece(1))
    first = await asyncio.wait_for(stream.__anext__(), 1.0)  # no message before it: no wait
    assert batch_of(first).seq == 1
    queue.put_nowait(None)
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(stream.__anext__(), 11.0)


def verdict(check, arrays, count):
    try:
        check(arrays=arrays, sample_count=count, max_samples=600)
    except BatchValidationError as exc:
        return exc.reason, str(exc)
    return None


def test_the_one_pass_check_gives_validates_verdict_and_message():
    rng = np.random.default_rng(14)
    clean = make_arrays(start_index=0, count=8)
    assert verdict(check_batch, clean, 8) is None
    for case in range(600):
        arrays = {name: values.copy() for name, values in clean.items()}
        name = list(arrays)[int(rng.integers(len(arrays)))]
        at = int(rng.integers(8))
        kind = case % 7
        if kind == 0 and arrays[name].dtype.kind == "f":
            arrays[name][at] = np.nan
        elif kind == 1 and arrays[name].dtype.kind == "f":
            arrays[name][at] = np.inf
        elif kind == 2 and arrays[name].dtype.kind == "f":
            arrays[name][at] = 1e12
        elif kind == 3 and arrays[name].dtype.kind == "f":
            arrays[name][at] = -1e12
        elif kind == 4:
            arrays[name] = arrays[name][:7]
        elif kind == 5:
            arrays.pop(name)
        elif kind == 6:
            arrays["session_time_s"][at] = arrays["session_time_s"][0]
        assert verdict(check_batch, arrays, 8) == verdict(validate, arrays, 8), (case, name)
    assert verdict(check_batch, clean, 0) == verdict(validate, clean, 0)
    assert verdict(check_batch, make_arrays(start_index=0, count=601), 601)[0] == "TOO_LARGE"
