"""Every service against messages at and just over its receive limit, on real servers on loopback.

The limit is ``Settings.max_message_bytes`` (8 MiB, 8388608 bytes), set on every server by
``services/common/server.py``. A message over it never reaches a servicer: gRPC core refuses it
as it is read, so no interceptor or servicer can word the answer. What the caller sees is
RESOURCE_EXHAUSTED with the details ``SERVER: Received message larger than max (8388609 vs.
8388608)``: the size sent and the limit, in bytes, which is enough to act on (send less in one
message: fewer batches in one run). The call ends there, within a second, never with UNKNOWN or
INTERNAL and never by running into the deadline; the service goes on serving.

A message of exactly the limit is taken as any other (here requests padded with an unknown field,
which protobuf parsers skip, so each call gets the answer it gets without the padding).

In the middle of a stream, what was acknowledged before the oversized message stays: storage's
Write and ingest's Stream acknowledge batches as committed, and every acknowledged batch is read
back through StorageService.StreamSessionTelemetry after the stream ended, nothing of the refused
message is stored, and a new stream resumes from the last acknowledged seq. AnalyzeStream and
LiveCues store nothing; the laps they answered before stay answered and a new stream works.
"""

from __future__ import annotations

import asyncio
import re

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from every_rpc import SERVICES, calls_for, every_method, seed, status_of
from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.batch import build_batch
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_arrays, make_session

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(120)]

DEADLINE_S = 20.0
READ_S = 10.0  # the longest wait for one answer of a stream
PAD_FIELD = 999  # a field number no request type has: parsers keep it as an unknown field
SAMPLES = 600  # a full batch (Settings.max_batch_samples)
TOO_LARGE = re.compile(r"larger than max \((\d+) vs\. (\d+)\)")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def padded(message, total: int) -> bytes:
    """``message`` serialized, with an unknown length-delimited field appended so that it is ``total`` bytes long."""
    body = message if isinstance(message, bytes) else message.SerializeToString()
    head = _varint((PAD_FIELD << 3) | 2)
    room = total - len(body) - len(head)
    for width in range(1, 6):
        if room - width >= 0 and len(_varint(room - width)) == width:
            data = body + head + _varint(room - width) + b"\0" * (room - width)
            assert len(data) == total
            return data
    raise AssertionError(f"cannot pad {len(body)} bytes to {total}")


def assert_too_large(error: grpc.aio.AioRpcError, *, sent: int, limit: int) -> None:
    """RESOURCE_EXHAUSTED whose message names the size sent and the limit, in bytes."""
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (error.code(), error.details())
    found = TOO_LARGE.search(error.details() or "")
    assert found and (int(found[1]), int(found[2])) == (sent, limit), error.details()


def batch(session_id: str, seq: int, samples: int = SAMPLES):
    return build_batch(session_id=session_id, seq=seq, arrays=make_arrays(start_index=(seq - 1) * samples, count=samples))


def run_over(session_id: str, first_seq: int, *, limit: int, wrap) -> tuple[list, bytes]:
    """Whole batches from ``first_seq`` on, as many as make ``wrap(batches)`` just over ``limit`` bytes."""
    per_batch = len(batch(session_id, first_seq).SerializeToString()) + 4
    batches = [batch(session_id, first_seq + i) for i in range(limit // per_batch + 1)]
    while len(wrap(batches[:-1]).SerializeToString()) > limit:
        batches.pop()
    data = wrap(batches).SerializeToString()
    assert len(data) > limit
    return batches, data


class Stream:
    """A bidirectional call of raw bytes; every read is bounded in time."""

    def __init__(self, channel: grpc.aio.Channel, path: str, response_type, token: str):
        self.call = channel.stream_stream(path, request_serializer=None, response_deserializer=response_type.FromString)(
            metadata=[("authorization", f"Bearer {token}")], timeout=DEADLINE_S)

    async def send(self, message) -> None:
        await self.call.write(message if isinstance(message, bytes) else message.SerializeToString())

    async def read(self):
        return await asyncio.wait_for(self.call.read(), READ_S)

    async def read_until(self, done) -> list:
        seen = []
        while True:
            response = await self.read()
            assert response is not grpc.aio.EOF, f"the stream ended before the answer awaited; got {seen}"
            seen.append(response)
            if done(response):
                return seen

    async def refusal(self) -> tuple[grpc.aio.AioRpcError, list]:
        """Read to the end: the error the stream ends with, and what came before it."""
        seen = []
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            while (response := await self.read()) is not grpc.aio.EOF:
                seen.append(response)
        return raised.value, seen


async def stored_times(channel: grpc.aio.Channel, token: str, session_id: str) -> list[float]:
    """The session's stored sample times, read back through StorageService.StreamSessionTelemetry; none when the
    stream ended before even the session was stored (NOT_FOUND)."""
    call = channel.unary_stream("/racecoach.storage.v1.StorageService/StreamSessionTelemetry",
                                request_serializer=storage_pb2.StreamSessionTelemetryRequest.SerializeToString,
                                response_deserializer=storage_pb2.StreamSessionTelemetryResponse.FromString)
    times = []
    try:
        async for reply in call(storage_pb2.StreamSessionTelemetryRequest(session_id=session_id, channels=["session_time_s"]),
                                metadata=[("authorization", f"Bearer {token}")], timeout=DEADLINE_S):
            times.extend(reply.chunk.session_time_s)
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.NOT_FOUND:
            raise
    return times


def times_of(batches) -> list[float]:
    return [t for b in batches for t in b.session_time_s]


async def assert_serving(mesh) -> None:
    for name in SERVICES.values():
        async with grpc.aio.insecure_channel(mesh.address(name)) as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, name


async def test_every_rpc_takes_a_request_of_the_limit_and_refuses_one_byte_more_naming_both_sizes(mesh, token_for):
    token = await token_for("limits")
    limit = mesh.settings.max_message_bytes
    metadata = [("authorization", f"Bearer {token}")]
    channels = {name: grpc.aio.insecure_channel(mesh.address(name)) for name in SERVICES.values()}
    try:
        seeded = await seed(channels["storage"], token)
        calls = calls_for(seeded)
        wrong = []
        for service, method in every_method():
            requests = calls[(service, method.name)][0]
            channel = channels[SERVICES[service]]
            plain = await status_of(channel, service, method, requests, metadata, timeout_s=DEADLINE_S)
            at_limit = [padded(requests[0], limit), *(r.SerializeToString() for r in requests[1:])]
            padded_status = await status_of(channel, service, method, at_limit, metadata, timeout_s=DEADLINE_S)
            if plain == grpc.StatusCode.RESOURCE_EXHAUSTED or padded_status != plain:
                wrong.append(f"{method.name}: {plain.name} as it is, {padded_status.name} at {limit} bytes")
            over = padded(requests[0], limit + 1)
            call = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
                    (True, False): channel.stream_unary, (True, True): channel.stream_stream}[
                (method.client_streaming, method.server_streaming)](f"/{service}/{method.name}")
            try:
                result = call(iter([over]) if method.client_streaming else over, metadata=metadata, timeout=DEADLINE_S)
                if method.server_streaming:
                    async for _ in result:
                        pass
                else:
                    await result
                wrong.append(f"{method.name}: {limit + 1} bytes were taken")
            except grpc.aio.AioRpcError as exc:
                try:
                    assert_too_large(exc, sent=limit + 1, limit=limit)
                except AssertionError:
                    wrong.append(f"{method.name}: {exc.code().name} {exc.details()!r} at {limit + 1} bytes")
        assert not wrong, "\n".join(wrong)
    finally:
        for channel in channels.values():
            await channel.close()
    await assert_serving(mesh)


async def test_storage_write_keeps_what_it_acknowledged_before_an_oversized_request(mesh, token_for):
    token = await token_for("limits")
    limit = mesh.settings.max_message_bytes
    session = make_session()
    sid = session.session_id
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        write = Stream(channel, "/racecoach.storage.v1.StorageService/Write", storage_pb2.WriteResponse, token)
        await write.send(storage_pb2.WriteRequest(request_id=1, session=session))
        assert not (await write.read()).HasField("error")
        first = [batch(sid, seq) for seq in (1, 2)]
        await write.send(storage_pb2.WriteRequest(request_id=2, batch=first[0]))
        await write.send(padded(storage_pb2.WriteRequest(request_id=3, batch=first[1]), limit))  # exactly the limit
        acks = [await write.read() for _ in first]
        assert [(a.request_id, a.committed_seq, a.HasField("error")) for a in acks] == [(2, 1, False), (3, 2, False)]

        refused = batch(sid, 3)
        over = padded(storage_pb2.WriteRequest(request_id=4, batch=refused), limit + 1)
        await write.send(over)
        error, after = await write.refusal()
        assert_too_large(error, sent=limit + 1, limit=limit)
        assert after == []

        assert await stored_times(channel, token, sid) == times_of(first)
        stub = channel.unary_unary("/racecoach.storage.v1.StorageService/GetCommittedSeq",
                                   request_serializer=storage_pb2.GetCommittedSeqRequest.SerializeToString,
                                   response_deserializer=storage_pb2.GetCommittedSeqResponse.FromString)
        committed = await stub(storage_pb2.GetCommittedSeqRequest(session_id=sid),
                               metadata=[("authorization", f"Bearer {token}")], timeout=DEADLINE_S)
        assert committed.exists and committed.committed_seq == 2

        again = Stream(channel, "/racecoach.storage.v1.StorageService/Write", storage_pb2.WriteResponse, token)
        await again.send(storage_pb2.WriteRequest(request_id=4, batch=refused))  # the same batch, within the limit
        ack = await again.read()
        assert (ack.committed_seq, ack.HasField("error")) == (3, False)
        await again.call.done_writing()
        assert await again.read() is grpc.aio.EOF
        assert await stored_times(channel, token, sid) == times_of([*first, refused])
    await assert_serving(mesh)


async def test_ingest_keeps_what_it_acknowledged_before_an_oversized_run_and_resumes_after_it(mesh, token_for):
    token = await token_for("limits")
    limit = mesh.settings.max_message_bytes
    session = make_session()
    sid = session.session_id
    start = ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session))

    def run(batches):
        return ingest_pb2.StreamRequest(batches=ingest_pb2.BatchRun(batches=batches))

    def acked(seq):
        return lambda r: r.HasField("ack") and r.ack.committed_seq >= seq

    path = "/racecoach.ingest.v1.IngestService/Stream"
    async with grpc.aio.insecure_channel(mesh.address("ingest")) as channel, \
            grpc.aio.insecure_channel(mesh.address("storage")) as storage_channel:
        stream = Stream(channel, path, ingest_pb2.StreamResponse, token)
        await stream.send(start)
        assert (await stream.read()).accepted.committed_seq == 0
        first = [batch(sid, seq) for seq in (1, 2, 3)]
        await stream.send(ingest_pb2.StreamRequest(batch=first[0]))
        await stream.send(padded(run(first[1:]), limit))  # a run of exactly the limit
        seen = await stream.read_until(acked(3))
        assert not any(r.HasField("error") for r in seen), seen

        refused, over = run_over(sid, 4, limit=limit, wrap=run)  # the whole run is refused: none of it is read
        await stream.send(over)
        error, after = await stream.refusal()
        assert_too_large(error, sent=len(over), limit=limit)
        assert not any(r.HasField("ack") and r.ack.committed_seq > 3 for r in after), after
        assert await stored_times(storage_channel, token, sid) == times_of(first)

        resumed = Stream(channel, path, ingest_pb2.StreamResponse, token)
        await resumed.send(start)
        assert (await resumed.read()).accepted.committed_seq == 3
        half = len(refused) // 2
        await resumed.send(run(refused[:half]))  # the run, sent again in two messages under the limit
        await resumed.send(run(refused[half:]))
        last = refused[-1].seq
        await resumed.send(ingest_pb2.StreamRequest(end=ingest_pb2.SessionEnd(session_id=sid, last_seq=last)))
        seen = await resumed.read_until(lambda r: r.HasField("closed"))
        assert not any(r.HasField("error") for r in seen)
        assert seen[-1].closed.committed_seq == last
        assert await stored_times(storage_channel, token, sid) == times_of([*first, *refused])
    await assert_serving(mesh)


async def test_analyze_stream_answers_laps_before_an_oversized_batch_then_refuses_it(mesh, token_for):
    token = await token_for("limits")
    limit = mesh.settings.max_message_bytes
    session = make_session()
    sid = session.session_id
    path = "/racecoach.analysis.v1.AnalysisService/AnalyzeStream"
    lap = [batch(sid, seq) for seq in range(1, 20)]  # 11400 samples at 50 m/s: laps of 86 s (5181 samples)
    async with grpc.aio.insecure_channel(mesh.address("analysis")) as channel:
        stream = Stream(channel, path, analysis_pb2.AnalyzeStreamResponse, token)
        await stream.send(analysis_pb2.AnalyzeStreamRequest(session=session))
        for b in lap[:-1]:
            await stream.send(analysis_pb2.AnalyzeStreamRequest(batch=b))
        await stream.send(padded(analysis_pb2.AnalyzeStreamRequest(batch=lap[-1]), limit))
        (answered,) = await stream.read_until(lambda r: r.HasField("lap"))
        assert answered.lap.valid and answered.through_seq <= len(lap)

        over = padded(analysis_pb2.AnalyzeStreamRequest(batch=batch(sid, len(lap) + 1)), limit + 1)
        await stream.send(over)
        error, after = await stream.refusal()
        assert_too_large(error, sent=limit + 1, limit=limit)
        assert all(r.HasField("lap") for r in after)

        again = Stream(channel, path, analysis_pb2.AnalyzeStreamResponse, token)
        await again.send(analysis_pb2.AnalyzeStreamRequest(session=session))
        for b in lap:
            await again.send(analysis_pb2.AnalyzeStreamRequest(batch=b))
        (answered_again,) = await again.read_until(lambda r: r.HasField("lap"))
        assert (answered_again.lap.lap_number, answered_again.lap.lap_time) == (answered.lap.lap_number, answered.lap.lap_time)
        await again.call.done_writing()
    await assert_serving(mesh)


async def test_live_cues_takes_a_batch_of_the_limit_and_refuses_one_over_it(mesh, token_for):
    token = await token_for("limits")
    limit = mesh.settings.max_message_bytes
    session = make_session()
    sid = session.session_id
    path = "/racecoach.coaching.v1.CoachingService/LiveCues"
    context = coaching_pb2.LiveCuesRequest(context=coaching_pb2.LiveContext(session=session))
    async with grpc.aio.insecure_channel(mesh.address("coaching")) as channel:
        stream = Stream(channel, path, coaching_pb2.LiveCuesResponse, token)
        await stream.send(context)
        await stream.send(coaching_pb2.LiveCuesRequest(batch=batch(sid, 1)))
        await stream.send(padded(coaching_pb2.LiveCuesRequest(batch=batch(sid, 2)), limit))
        over = padded(coaching_pb2.LiveCuesRequest(batch=batch(sid, 3)), limit + 1)
        await stream.send(over)
        error, _ = await stream.refusal()
        assert_too_large(error, sent=limit + 1, limit=limit)

        again = Stream(channel, path, coaching_pb2.LiveCuesResponse, token)
        await again.send(context)
        for seq in (1, 2, 3):
            await again.send(padded(coaching_pb2.LiveCuesRequest(batch=batch(sid, seq)), limit))
        await again.call.done_writing()
        assert await again.read() is grpc.aio.EOF  # no reference lap, so no cue; the stream ends well
    await assert_serving(mesh)


@pytest.mark.parametrize("service", ["storage", "ingest"])
async def test_an_oversized_message_right_behind_unacknowledged_batches_loses_none_of_them_unknowingly(
        mesh, token_for, service):
    """Batches sent without waiting, the oversized message right behind them: the stream ends before most (often
    all) acknowledgements. What was acknowledged is stored; what is stored is whole batches from seq 1 on; and the
    writer that comes back is told exactly that, so it resends the rest and nothing twice."""
    token = await token_for("limits")
    limit = mesh.settings.max_message_bytes
    session = make_session()
    sid = session.session_id
    batches = [batch(sid, seq) for seq in range(1, 41)]
    if service == "storage":
        path, response_type = "/racecoach.storage.v1.StorageService/Write", storage_pb2.WriteResponse
        messages = [storage_pb2.WriteRequest(request_id=1, session=session),
                    *(storage_pb2.WriteRequest(request_id=1 + b.seq, batch=b) for b in batches)]
        over = padded(storage_pb2.WriteRequest(request_id=99, batch=batch(sid, 41)), limit + 1)

        def acked(r):
            return r.committed_seq if not r.HasField("error") else 0
    else:
        path, response_type = "/racecoach.ingest.v1.IngestService/Stream", ingest_pb2.StreamResponse
        messages = [ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)),
                    *(ingest_pb2.StreamRequest(batch=b) for b in batches)]
        over = padded(ingest_pb2.StreamRequest(batch=batch(sid, 41)), limit + 1)

        def acked(r):
            return r.ack.committed_seq if r.HasField("ack") else 0
    async with grpc.aio.insecure_channel(mesh.address(service)) as channel, \
            grpc.aio.insecure_channel(mesh.address("storage")) as storage_channel:
        stream = Stream(channel, path, response_type, token)
        for message in messages:
            await stream.send(message)
        await stream.send(over)
        error, before = await stream.refusal()
        assert_too_large(error, sent=limit + 1, limit=limit)
        last_ack = max((acked(r) for r in before), default=0)
        await asyncio.sleep(0.5)  # a commit under way when the stream ended finishes (or not) on its own
        stored = await stored_times(storage_channel, token, sid)
        whole = len(stored) // SAMPLES
        assert whole >= last_ack and stored == times_of(batches[:whole]), (last_ack, len(stored))

        if service == "storage":
            get = channel.unary_unary("/racecoach.storage.v1.StorageService/GetCommittedSeq",
                                      request_serializer=storage_pb2.GetCommittedSeqRequest.SerializeToString,
                                      response_deserializer=storage_pb2.GetCommittedSeqResponse.FromString)
            told = (await get(storage_pb2.GetCommittedSeqRequest(session_id=sid),
                              metadata=[("authorization", f"Bearer {token}")], timeout=DEADLINE_S)).committed_seq
        else:
            resumed = Stream(channel, path, response_type, token)
            await resumed.send(messages[0])
            told = (await resumed.read()).accepted.committed_seq
            await resumed.call.done_writing()
        assert told == whole
