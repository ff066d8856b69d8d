"""PostgreSQL restarted in the middle of a Write stream: UNAVAILABLE, reconnect, resume, nothing acked lost or doubled.

Runs on its own embedded server (the shared one is never restarted).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import grpc
import pytest
import pytest_asyncio

from racecoach.services.common.batch import build_batch
from racecoach.services.storage.database import start_embedded
from racecoach.services.storage.identity import create_token
from racecoach.services.storage.server import serve
from racecoach.services.storage.state import open_storage
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from seeding import auth
from telemetry_factories import make_arrays, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
BATCHES, SAMPLES = 150, 60
HOLD_AT = 40  # the first stream pauses before this batch until the database is down


@pytest.fixture
def private_pg():
    root = Path(tempfile.mkdtemp(prefix="racecoach-restart-"))
    root.chmod(0o755)
    embedded = start_embedded(data_dir=root, cleanup_mode="delete")
    try:
        yield embedded
    finally:
        embedded.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest_asyncio.fixture(loop_scope="session")
async def private_server(settings, private_pg):
    opened = await open_storage(settings=settings.with_overrides(database_url=private_pg.uri, db_pool_min=2, db_pool_max=4))
    server = await serve(settings=settings, port=0, storage=opened)
    try:
        yield server
    finally:
        await server.stop(0)


class ResumingWriter:
    """What a collector or ingest does: on any failure, ask GetCommittedSeq and resend from there."""

    def __init__(self, stub, token: str, session, batches) -> None:
        self.stub, self.metadata, self.session, self.batches = stub, auth(token), session, batches
        self.acked: set[int] = set()
        self.failures: list[tuple[str, grpc.StatusCode]] = []
        self.attempts = 0
        self.database_down = asyncio.Event()

    async def _resume_point(self) -> int:
        while True:
            try:
                reply = await self.stub.GetCommittedSeq(
                    storage_pb2.GetCommittedSeqRequest(session_id=self.session.session_id), metadata=self.metadata, timeout=5)
                return reply.committed_seq
            except grpc.aio.AioRpcError as exc:
                self.failures.append(("GetCommittedSeq", exc.code()))
                await asyncio.sleep(0.1)

    async def _requests(self, first: int):
        yield storage_pb2.WriteRequest(request_id=0, session=self.session)
        for batch in self.batches[first - 1 :]:
            if batch.seq == HOLD_AT:
                await self.database_down.wait()  # the stream stays open across the stop
            yield storage_pb2.WriteRequest(request_id=batch.seq, batch=batch)
            await asyncio.sleep(0.002)  # a live feed, not one burst

    async def run(self) -> None:
        while len(self.acked) < len(self.batches) or max(self.acked) < len(self.batches):
            self.attempts += 1
            first = await self._resume_point() + 1
            try:
                async for reply in self.stub.Write(self._requests(first), metadata=self.metadata):
                    assert not reply.HasField("error"), reply.error.message
                    if reply.request_id:
                        assert reply.committed_seq >= reply.request_id
                        self.acked.add(reply.request_id)
            except grpc.aio.AioRpcError as exc:
                self.failures.append(("Write", exc.code()))
                await asyncio.sleep(0.1)


async def test_restart_mid_stream_ends_with_every_acked_batch_stored_once(private_server, private_pg):
    storage = private_server.storage
    async with storage.pool.acquire() as conn:
        token = (await create_token(conn, email="restart@example.test")).token
    session = make_session()
    batches = [build_batch(session_id=session.session_id, seq=i + 1, arrays=make_arrays(start_index=i * SAMPLES, count=SAMPLES))
               for i in range(BATCHES)]
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{private_server.port}")
    writer = ResumingWriter(storage_pb2_grpc.StorageServiceStub(channel), token, session, batches)
    task = asyncio.create_task(writer.run())
    try:
        while len(writer.acked) < HOLD_AT - 1:
            await asyncio.sleep(0.01)
        acked_before = len(writer.acked)
        private_pg.shut_down()  # blocks this loop for the stop (no thread: forking beside gRPC threads is unsafe)
        writer.database_down.set()
        await asyncio.sleep(0.5)  # the writer keeps trying against a database that is down
        private_pg.start_again()
        await asyncio.wait_for(task, timeout=30)
    finally:
        task.cancel()
        await channel.close()

    assert acked_before == HOLD_AT - 1  # the stop happened with the stream open and batches still to come
    # The server ends the Write stream with UNAVAILABLE; a client still writing into it may see
    # INTERNAL instead (grpc/grpc#36066, a client-side race). Nothing else is acceptable.
    write_codes = {code for name, code in writer.failures if name == "Write"}
    assert write_codes and write_codes <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL}
    assert {code for name, code in writer.failures if name != "Write"} <= {grpc.StatusCode.UNAVAILABLE}
    assert writer.attempts >= 2
    assert writer.acked == set(range(1, BATCHES + 1))
    per_seq = await storage.pool.fetch(
        "SELECT t.seq, count(*) AS n FROM telemetry_samples t JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 GROUP BY t.seq ORDER BY t.seq", session.session_id)
    assert [r["seq"] for r in per_seq] == list(range(1, BATCHES + 1))
    assert {r["n"] for r in per_seq} == {SAMPLES}
    row = await storage.pool.fetchrow(
        "SELECT committed_seq, sample_count, (SELECT count(*) FROM telemetry_batches b WHERE b.session_pk = s.session_pk) AS batches"
        " FROM sessions s WHERE session_id = $1", session.session_id)
    assert (row["committed_seq"], row["sample_count"], row["batches"]) == (BATCHES, BATCHES * SAMPLES, BATCHES)
