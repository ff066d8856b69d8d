"""Storage test fixtures: StorageService on a free loopback port over the shared PostgreSQL."""

from __future__ import annotations

import grpc
import pytest_asyncio

from racecoach.services.storage.server import serve
from racecoach.storage.v1 import storage_pb2_grpc


@pytest_asyncio.fixture(loop_scope="session")
async def storage_stub(settings, storage):
    server = await serve(settings=settings, port=0, storage=storage)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield storage_pb2_grpc.StorageServiceStub(channel)
    finally:
        await channel.close()
        await server.running.stop(0)
