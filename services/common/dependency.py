"""A service's health follows its dependency: NOT_SERVING while the dependency is down, SERVING when it returns.

Storage's dependency is PostgreSQL; analysis, coaching, ingest and the gateway depend on storage
(whose own health already says whether PostgreSQL answers)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from racecoach.services.common.logs import get_logger

log = get_logger(__name__)
Probe = Callable[[], Awaitable[bool]]
CHECK_INTERVAL_S = 1.0


def grpc_probe(*, channel: grpc.aio.Channel, timeout_s: float = 1.0) -> Probe:
    """True while the gRPC health check on ``channel`` answers SERVING."""
    stub = health_pb2_grpc.HealthStub(channel)

    async def probe() -> bool:
        try:
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout_s)
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    return probe


def database_probe(*, pool: Any, timeout_s: float = 1.0) -> Probe:
    """True while PostgreSQL answers ``SELECT 1`` through ``pool``."""

    async def probe() -> bool:
        try:
            async with pool.acquire(timeout=timeout_s) as conn:
                return await conn.fetchval("SELECT 1", timeout=timeout_s) == 1
        except (TimeoutError, Exception):  # noqa: BLE001 - any failure to answer is "down"
            return False

    return probe


async def _set(health: Any, names: Sequence[str], status: int) -> None:
    for name in (*names, ""):
        result = health.set(name, status)
        if asyncio.iscoroutine(result):
            await result


async def follow(*, health: Any, names: Sequence[str], probe: Probe, dependency: str, service: str,
                 interval_s: float = CHECK_INTERVAL_S, on_down: Callable[[], Awaitable[None]] | None = None) -> None:
    """Probe every ``interval_s`` and set ``health`` on each change; ``on_down`` runs after each failed probe
    (e.g. to start a dependency this process owns). Runs until cancelled."""
    bound = log.bind(service=service, dependency=dependency)
    up = True
    while True:
        await asyncio.sleep(interval_s)
        now_up = await probe()
        if now_up != up:
            up = now_up
            status = health_pb2.HealthCheckResponse.SERVING if up else health_pb2.HealthCheckResponse.NOT_SERVING
            await _set(health, names, status)
            if up:
                bound.info("dependency is back; serving")
            else:
                bound.warning("dependency is down; not serving")
        if not up and on_down is not None:
            await on_down()


def start_following(*, running: Any, probe: Probe, dependency: str, service: str,
                    interval_s: float = CHECK_INTERVAL_S, on_down: Callable[[], Awaitable[None]] | None = None) -> asyncio.Task:
    """Follow ``dependency`` for a started :class:`RunningServer`; the task ends when the server stops."""
    task = asyncio.create_task(follow(health=running.health, names=running.names, probe=probe, dependency=dependency,
                                      service=service, interval_s=interval_s, on_down=on_down))
    running.watchers.append(task)
    return task
