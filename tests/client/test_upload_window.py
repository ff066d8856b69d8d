"""The uploader's window of unacked batches: bounded in batches and bytes, acks in order and only after
commit, and storage lost mid-window: nothing acked lost, everything unacked resent and stored once."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from racecoach.client.uploader import Uploader, runs_of, split_batches
from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.services.storage.identity import resolve_token
from telemetry_factories import make_arrays, make_session



class SlowIngest(ingest_pb2_grpc.IngestServiceServicer):
    """An ingest that acks only when the collector has stopped sending (its window is full), half of what is
    unacked at a time, and notes the most batches and bytes it ever held unacked."""

    def __init__(self) -> None:
        self.most = self.most_bytes = 0
        self.received: list[int] = []
        self.acks: list[int] = []

    async def Stream(self, requests, context):
        out: asyncio.Queue = asyncio.Queue()
        unacked: list[tuple[int, int]] = []

        async def read() -> None:
            async for request in requests:
                kind = request.WhichOneof("kind")
                if kind == "start":
                    await out.put(ingest_pb2.StreamResponse(accepted=ingest_pb2.SessionAccepted(session_id=request.start.session.session_id)))
                batches = [request.batch] if kind == "batch" else list(request.batches.batches) if kind == "batches" else []
                for batch in batches:
                    self.received.append(batch.seq)
                    unacked.append((batch.seq, batch.ByteSize()))
                    self.most = max(self.most, len(unacked))
                    self.most_bytes = max(self.most_bytes, sum(size for _, size in unacked))
                if kind == "end":
                    await out.put(ingest_pb2.StreamResponse(closed=ingest_pb2.SessionClosed(committed_seq=request.end.last_seq)))
                    await out.put(None)
                    return

        async def acker() -> None:
            while True:
                count = len(unacked)
                await asyncio.sleep(0.05)
                if unacked and len(unacked) == count:  # nothing came for 50 ms: the window is full
                    upto = unacked[max(len(unacked) // 2 - 1, 0)][0]
                    del unacked[: max(len(unacked) // 2, 1)]
                    self.acks.append(upto)
                    await out.put(ingest_pb2.StreamResponse(ack=ingest_pb2.DurableAck(committed_seq=upto)))

        tasks = [asyncio.create_task(read()), asyncio.create_task(acker())]
        try:
            while (item := await out.get()) is not None:
                yield item
        finally:
            for task in tasks:
                task.cancel()


async def slow_ingest() -> tuple[grpc.aio.Server, SlowIngest, str]:
    server = grpc.aio.server()
    servicer = SlowIngest()
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, servicer, f"127.0.0.1:{port}"


def batches_of(session, count: int, per: int = 6) -> list[tuple[int, bytes]]:
    return list(split_batches(session_id=session.session_id, arrays=make_arrays(start_index=0, count=count * per), samples_per_batch=per))


@pytest.mark.asyncio(loop_scope="session")
async def test_never_more_unacked_batches_in_flight_than_the_window():
    server, ingest, address = await slow_ingest()
    try:
        session = make_session()
        result = await Uploader(address=address, token="rc_x", session=session, window=8).run(batches_of(session, 40))
    finally:
        await server.stop(0)
    assert ingest.most == 8  # the window filled, and never overflowed
    assert ingest.received == list(range(1, 41)) and result.committed_seq == 40
    assert ingest.acks == sorted(ingest.acks)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_window_is_bounded_in_bytes_too():
    server, ingest, address = await slow_ingest()
    try:
        session = make_session()
        batches = batches_of(session, 30, per=60)
        size = len(batches[0][1])
        await Uploader(address=address, token="rc_x", session=session, window=1000, window_bytes=5 * size).run(batches)
    finally:
        await server.stop(0)
    assert 1 < ingest.most <= 5 and ingest.most_bytes <= 5 * size
    assert ingest.received == list(range(1, 31))


def test_waiting_batches_go_in_runs_of_at_most_64_or_one_mebibyte():
    small = [(seq, b"x" * 100) for seq in range(1, 150)]
    assert [len(run) for run in runs_of(small)] == [64, 64, 21]
    big = [(seq, b"x" * 400_000) for seq in range(1, 6)]
    assert [len(run) for run in runs_of(big)] == [2, 2, 1]
    assert [len(run) for run in runs_of([(1, b"x" * 2_000_000)])] == [1]  # a batch bigger than a run goes alone


@pytest.mark.asyncio(loop_scope="session")
async def test_storage_lost_mid_window_loses_nothing_acked_and_stores_the_rest_once(settings, storage, token_for):
    from racecoach.services.analysis import server as analysis_server
    from racecoach.services.coaching import server as coaching_server
    from racecoach.services.ingest import server as ingest_server
    from racecoach.services.storage import server as storage_server

    token = await token_for("window")
    user = await resolve_token(storage.pool, token=token)
    stored = await storage_server.serve(settings=settings, port=0, storage=storage)
    port = stored.port
    address = f"{settings.host}:{port}"
    analysis = await analysis_server.serve(settings=settings, storage_addr=address)
    coaching = await coaching_server.serve(settings=settings, storage_addr=address)
    ingest = await ingest_server.serve(settings=settings, storage_addr=address, analysis_addr=f"{settings.host}:{analysis.port}",
                                       coaching_addr=f"{settings.host}:{coaching.port}")
    session = make_session()
    total = 400
    acks: list[int] = []
    lost_at: list[int] = []

    async def committed_through() -> int:
        return await storage.pool.fetchval(
            "SELECT count(*) FROM telemetry_batches b JOIN sessions s USING (session_pk) WHERE s.session_id = $1 AND s.user_id = $2",
            session.session_id, user.user_id)

    async def source():
        for seq, payload in batches_of(session, total):
            if seq == 150:  # storage goes away with a window of batches unacked
                while uploader.committed_seq < 100:
                    await asyncio.sleep(0.01)
                await stored.running.stop(0)
                lost_at.append(uploader.committed_seq)
            yield seq, payload

    uploader = Uploader(address=f"{settings.host}:{ingest.port}", token=token, session=session, window=64, max_attempts=None)
    acked = uploader._acked

    async def watched(committed: int) -> None:
        if committed > uploader.committed_seq:
            assert await committed_through() >= committed, "acked before it was committed"
            acks.append(committed)
        await acked(committed)

    uploader._acked = watched
    task = asyncio.create_task(uploader.run(source()))
    restarted = None
    try:
        while not lost_at:
            await asyncio.sleep(0.01)
        assert await committed_through() >= lost_at[0]  # everything acked is stored
        await asyncio.sleep(0.5)  # the collector's stream fails and it retries meanwhile
        restarted = await storage_server.serve(settings=settings, port=port, storage=storage)
        result = await asyncio.wait_for(task, 60)
    finally:
        task.cancel()
        for server in (ingest, coaching, analysis):
            await server.stop(0)
        await (restarted.running if restarted is not None else stored.running).stop(0)
    assert result.committed_seq == total and result.reconnects >= 1
    assert acks == sorted(acks) and acks[-1] == total
    rows = await storage.pool.fetchrow(
        "SELECT count(*) AS n, count(DISTINCT t.session_time_s) AS distinct_times FROM telemetry_samples t"
        " JOIN sessions s USING (session_pk) WHERE s.session_id = $1 AND s.user_id = $2", session.session_id, user.user_id)
    assert (rows["n"], rows["distinct_times"]) == (total * 6, total * 6)  # every sample stored, once
    assert await committed_through() == total
