"""A service that is down gives a clear error quickly, never a hang."""

from __future__ import annotations

import socket
import time

import grpc
import httpx
import pytest

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, UploadError, split_batches
from racecoach.services.common.settings import Ports
from racecoach.services.gateway import server as gateway_server
from racecoach.services.ingest import server as ingest_server
from telemetry_factories import DATA

pytestmark = pytest.mark.asyncio(loop_scope="session")


def dead_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


async def test_collector_without_ingest_fails_with_a_clear_message():
    session, arrays = load_ibt(DATA / "sebring_amg-gt4_partial.ibt")
    uploader = Uploader(address=dead_address(), token="rc_x", session=session, max_attempts=3)
    started = time.monotonic()
    with pytest.raises(UploadError, match=r"ingest at 127\.0\.0\.1:\d+ is unreachable \(UNAVAILABLE"):
        await uploader.run(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
    assert time.monotonic() - started < 15


async def test_ingest_without_storage_answers_unavailable(settings):
    ingest = await ingest_server.serve(settings=settings, port=0, storage_addr=dead_address(),
                                       analysis_addr=dead_address(), coaching_addr=dead_address())
    try:
        session, arrays = load_ibt(DATA / "sebring_amg-gt4_partial.ibt")
        uploader = Uploader(address=f"127.0.0.1:{ingest.port}", token="rc_x", session=session, max_attempts=2)
        started = time.monotonic()
        with pytest.raises(UploadError, match="storage is unavailable"):
            await uploader.run(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
        assert time.monotonic() - started < 30
    finally:
        await ingest.stop(0)


async def test_gateway_without_backends_answers_503_without_internals(settings):
    gateway = await gateway_server.serve(settings=settings.with_overrides(ports=Ports(0, 0, 0, 0, 0), rpc_timeout_s=2.0), port=0,
                                         addresses={name: dead_address() for name in ("storage", "analysis", "coaching")})
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{gateway.port}", timeout=20) as http:
            reply = await http.get("/api/v1/sessions", headers={"Authorization": "Bearer rc_x"})
        assert reply.status_code == 503
        assert reply.json() == {"status_code": 503, "detail": "a backing service is unavailable; retry shortly"}
    finally:
        await gateway.stop()
