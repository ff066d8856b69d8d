"""The ingest stream's decisions without gRPC: where a batch belongs (its session, its seq), what a bad one is
answered with, what is forwarded and counted, and how the collector's messages end the stream."""

from __future__ import annotations

import asyncio

import pytest

from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.batch import BatchValidationError
from racecoach.services.common.errors import InvalidInputError
from racecoach.services.common.metrics import INGEST_BATCHES, INGEST_SAMPLES, AckClock
from racecoach.services.ingest import stream
from telemetry_factories import make_arrays, make_batch, make_batches, make_session

SESSION = "s-1"


class Pipeline:
    """What the stream functions use of a SessionPipeline: seqs up to ``forwarded_seq`` were forwarded."""

    def __init__(self, *, forwarded_seq: int = 0, follows: BatchValidationError | None = None) -> None:
        self.session = make_session(session_id=SESSION)
        self.forwarded_seq, self.follows = forwarded_seq, follows
        self.forwarded: list[int] = []
        self.closed = False

    def expects(self) -> int:
        return self.forwarded_seq + 1

    def check_follows(self, *, seq: int, times) -> None:
        if self.follows is not None:
            raise self.follows

    async def forward(self, *, seq: int, batch_bytes: bytes, arrays) -> None:
        assert set(arrays) >= {"session_time_s", "lap_dist_m"}
        self.forwarded.append(seq)
        self.forwarded_seq = max(self.forwarded_seq, seq)

    async def close(self) -> ingest_pb2.SessionClosed:
        self.closed = True
        return ingest_pb2.SessionClosed(session_id=SESSION, committed_seq=self.forwarded_seq)


def raw(request: ingest_pb2.StreamRequest) -> ingest_pb2.StreamRequestRawView:
    return ingest_pb2.StreamRequestRawView.FromString(request.SerializeToString())


def view(batch) -> object:
    return raw(ingest_pb2.StreamRequest(batch=batch)).batch


def drained(out: asyncio.Queue) -> list:
    items = []
    while not out.empty():
        items.append(out.get_nowait())
    return items


def counted(outcome: str) -> float:
    return INGEST_BATCHES.labels(outcome=outcome)._value.get()


@pytest.mark.parametrize(
    ("batch_session", "seq", "reason", "message"),
    [
        ("s-2", 3, "WRONG_SESSION", "batch names session 's-2', this stream is 's-1'"),
        ("s-2", 9, "WRONG_SESSION", "batch names session 's-2', this stream is 's-1'"),  # the session is looked at first
        ("", 3, "WRONG_SESSION", "batch names session '', this stream is 's-1'"),
        (SESSION, 4, "SEQ_GAP", "expected seq 3, got 4; resend from 3"),
        (SESSION, 100, "SEQ_GAP", "expected seq 3, got 100; resend from 3"),
    ],
)
def test_a_batch_out_of_place_is_answered_with_why(batch_session, seq, reason, message):
    answer = stream.out_of_place(session_id=SESSION, batch_session_id=batch_session, seq=seq, expects=3)
    assert answer.WhichOneof("kind") == "error"
    assert answer.error.reason == ingest_pb2.BatchErrorReason.Value(f"BATCH_ERROR_REASON_{reason}")
    assert (answer.error.session_id, answer.error.seq, answer.error.message) == (SESSION, seq, message)


@pytest.mark.parametrize("seq", [1, 2, 3])
def test_the_next_seq_and_resends_are_read(seq):
    assert stream.out_of_place(session_id=SESSION, batch_session_id=SESSION, seq=seq, expects=3) is None


def test_the_first_message_must_start_a_session():
    session = make_session(session_id="first")
    assert stream.opening_session(first=raw(ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)))).session_id == "first"
    batch = make_batches(session_id="first", count=1)[0]
    for first in (ingest_pb2.StreamRequest(batch=batch), ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart()),
                  ingest_pb2.StreamRequest(end=ingest_pb2.SessionEnd())):
        with pytest.raises(InvalidInputError, match="the first message must be a start with a session_id"):
            stream.opening_session(first=raw(first))


@pytest.mark.asyncio(loop_scope="session")
async def test_batches_are_forwarded_or_refused_and_counted():
    pipeline, out, clock = Pipeline(forwarded_seq=2), asyncio.Queue(), AckClock()
    accepted, out_of_range, samples = counted("accepted"), counted("out_of_range"), INGEST_SAMPLES._value.get()
    good = make_batches(session_id=SESSION, count=5)  # 6 samples each
    fast = make_arrays(start_index=60, count=6)
    fast["speed_mps"][2] = 1e6
    too_fast = make_batch(session_id=SESSION, seq=4, arrays=fast)
    for batch in (good[2], good[0], good[4], make_batch(session_id="s-2", seq=4, arrays=make_arrays(start_index=0, count=6)),
                  too_fast):
        await stream.take_batch(view=view(batch), pipeline=pipeline, out=out, clock=clock, max_samples=600)
    assert pipeline.forwarded == [3, 1]  # the next seq and a resend; the gap, the other session and the bad one are not
    errors = [(r.error.seq, ingest_pb2.BatchErrorReason.Name(r.error.reason)) for r in drained(out)]
    assert errors == [(5, "BATCH_ERROR_REASON_SEQ_GAP"), (4, "BATCH_ERROR_REASON_WRONG_SESSION"), (4, "BATCH_ERROR_REASON_OUT_OF_RANGE")]
    assert counted("accepted") - accepted == 2 and counted("out_of_range") - out_of_range == 1
    assert INGEST_SAMPLES._value.get() - samples == 12


@pytest.mark.asyncio(loop_scope="session")
async def test_a_batch_that_does_not_follow_its_predecessor_is_refused_with_the_check_s_words():
    refusal = BatchValidationError("TIME_NOT_MONOTONIC", "session_time_s starts at 1.0000 s, not after 2.0000 s")
    pipeline, out = Pipeline(forwarded_seq=1, follows=refusal), asyncio.Queue()
    batch = make_batches(session_id=SESSION, count=2)[1]
    with pytest.raises(BatchValidationError):
        stream.read_batch(view=view(batch), pipeline=pipeline, max_samples=600)
    await stream.take_batch(view=view(batch), pipeline=pipeline, out=out, clock=AckClock(), max_samples=600)
    [answer] = drained(out)
    assert answer.error.reason == ingest_pb2.BATCH_ERROR_REASON_TIME_NOT_MONOTONIC
    assert answer.error.message == f"batch seq 2: {refusal}" and pipeline.forwarded == []


@pytest.mark.asyncio(loop_scope="session")
async def test_the_collector_s_messages_are_read_until_its_end():
    batches = make_batches(session_id=SESSION, count=3)

    async def requests():
        yield raw(ingest_pb2.StreamRequest(batch=batches[0]))
        yield raw(ingest_pb2.StreamRequest(batches=ingest_pb2.BatchRun(batches=batches[1:])))
        yield raw(ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=make_session(session_id="s-2"))))
        yield raw(ingest_pb2.StreamRequest(end=ingest_pb2.SessionEnd()))
        raise AssertionError("nothing is read after the end")

    pipeline, out = Pipeline(), asyncio.Queue()
    await stream.consume(requests=requests(), pipeline=pipeline, out=out, clock=AckClock(), max_samples=600)
    *answers, done = drained(out)
    assert pipeline.forwarded == [1, 2, 3] and pipeline.closed
    assert answers[0].error.reason == ingest_pb2.BATCH_ERROR_REASON_WRONG_SESSION and answers[0].error.seq == 0
    assert answers[0].error.message == "a stream carries one session; start a new stream for another"
    assert answers[1].closed.committed_seq == 3 and done is stream._DONE


@pytest.mark.asyncio(loop_scope="session")
async def test_a_failure_reading_the_stream_ends_it_with_a_refusal():
    async def requests():
        yield raw(ingest_pb2.StreamRequest(batch=make_batches(session_id=SESSION, count=1)[0]))
        raise RuntimeError("boom")

    pipeline, out = Pipeline(), asyncio.Queue()
    await stream.consume(requests=requests(), pipeline=pipeline, out=out, clock=AckClock(), max_samples=600)
    [refused] = drained(out)
    assert isinstance(refused, stream.Refused) and pipeline.closed and pipeline.forwarded == [1]
    assert str(refused.error) == "ingest failed on this stream; reconnect and resend after the last ack"
