"""Health follows dependencies: PostgreSQL stopped turns storage NOT_SERVING, and with it analysis, coaching,
ingest and the gateway's /healthz (503); started again, every one is SERVING (200) again.

Runs on its own embedded server (the shared one is never stopped)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from racecoach.services.analysis import server as analysis_server
from racecoach.services.coaching import server as coaching_server
from racecoach.services.gateway import server as gateway_server
from racecoach.services.ingest import server as ingest_server
from racecoach.services.storage import server as storage_server
from racecoach.services.storage.database import start_embedded
from racecoach.services.storage.state import open_storage

pytestmark = pytest.mark.asyncio(loop_scope="session")
SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
def private_pg():
    root = Path(tempfile.mkdtemp(prefix="racecoach-health-"))
    root.chmod(0o755)
    embedded = start_embedded(data_dir=root, cleanup_mode="delete")
    try:
        yield embedded
    finally:
        embedded.stop()
        shutil.rmtree(root, ignore_errors=True)


async def _status(port: int) -> int:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        except grpc.aio.AioRpcError:
            return -1
        return reply.status


async def _all_become(ports: dict[str, int], gateway_port: int, status: int, http_status: int, timeout_s: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway_port}", timeout=5) as http:
        while True:
            seen = {name: await _status(port) for name, port in ports.items()}
            seen["gateway"] = (await http.get("/healthz")).status_code
            wanted = {**{name: status for name in ports}, "gateway": http_status}
            if seen == wanted:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{seen} != {wanted}"
            await asyncio.sleep(0.2)


async def test_postgres_stopped_turns_every_health_not_serving_and_back(settings, private_pg):
    opened = await open_storage(settings=settings.with_overrides(database_url=private_pg.uri, db_pool_min=1, db_pool_max=4))
    storage = await storage_server.serve(settings=settings, port=0, storage=opened)
    at = f"127.0.0.1:{storage.port}"
    analysis = await analysis_server.serve(settings=settings, port=0, storage_addr=at)
    coaching = await coaching_server.serve(settings=settings, port=0, storage_addr=at)
    ingest = await ingest_server.serve(settings=settings, port=0, storage_addr=at, analysis_addr=f"127.0.0.1:{analysis.port}",
                                       coaching_addr=f"127.0.0.1:{coaching.port}")
    gateway = await gateway_server.serve(settings=settings, port=0, addresses={
        "storage": at, "analysis": f"127.0.0.1:{analysis.port}", "coaching": f"127.0.0.1:{coaching.port}"})
    ports = {"storage": storage.port, "analysis": analysis.port, "coaching": coaching.port, "ingest": ingest.port}
    try:
        await _all_become(ports, gateway.port, SERVING, 200)
        private_pg.shut_down()
        await _all_become(ports, gateway.port, NOT_SERVING, 503)
        private_pg.start_again()
        await _all_become(ports, gateway.port, SERVING, 200)
    finally:
        await gateway.stop()
        for server in (ingest, coaching, analysis):
            await server.stop(0)
        await storage.running.stop(0)
        await opened.close()


async def test_storage_starts_its_embedded_postgres_again_after_it_was_killed(settings):
    import os
    import signal

    root = Path(tempfile.mkdtemp(prefix="racecoach-revive-"))
    root.chmod(0o755)
    opened = await open_storage(settings=settings.with_overrides(database_url="", data_dir=root, db_pool_min=1, db_pool_max=2))
    storage = await storage_server.serve(settings=settings, port=0, storage=opened)
    try:
        assert opened.embedded is not None
        assert await _status(storage.port) == SERVING
        os.kill(int((opened.embedded.pgdata / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
        deadline = asyncio.get_running_loop().time() + 20
        seen = set()
        while True:
            seen.add(status := await _status(storage.port))
            if NOT_SERVING in seen and status == SERVING:
                break
            assert asyncio.get_running_loop().time() < deadline, seen
            await asyncio.sleep(0.1)
        async with opened.pool.acquire() as conn:
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await storage.stop(0)
        opened.embedded.stop()
        shutil.rmtree(root, ignore_errors=True)
