"""The whole mesh in one event loop (tests, demos) and the readiness probe used by ``racing-coach up``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from racecoach.common.dial import dial
from racecoach.services.common.settings import Settings, Tls


@dataclass
class Mesh:
    """Every service started in this process; ``ports`` says where each listens."""

    settings: Settings
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)  # each service's /metrics, where its settings turn it on
    _stoppers: list = field(default_factory=list)

    def address(self, name: str) -> str:
        return f"{self.settings.host}:{self.ports[name]}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.settings.host}:{self.ports['gateway']}"

    async def stop(self) -> None:
        for stop in reversed(self._stoppers):
            await stop()
        self._stoppers.clear()


async def start_mesh(*, settings: Settings, storage=None) -> Mesh:
    """Start storage, analysis, coaching, ingest and gateway on the settings' ports (0 picks free ones).

    Without a service credential in the settings the mesh makes one for its services."""
    from racecoach.services.analysis import server as analysis_server
    from racecoach.services.coaching import server as coaching_server
    from racecoach.services.gateway import server as gateway_server
    from racecoach.services.ingest import server as ingest_server
    from racecoach.services.storage import server as storage_server

    from racecoach.services.common.auth import new_service_token

    if not settings.service_token:
        settings = settings.with_overrides(service_token=new_service_token())
    mesh = Mesh(settings=settings)
    try:
        stored = await storage_server.serve(settings=settings, storage=storage)
        mesh.ports["storage"] = stored.port
        mesh._stoppers.append(stored.running.stop if storage is not None else stored.stop)
        analysis = await analysis_server.serve(settings=settings, storage_addr=mesh.address("storage"))
        mesh.ports["analysis"] = analysis.port
        mesh._stoppers.append(analysis.stop)
        coaching = await coaching_server.serve(settings=settings, storage_addr=mesh.address("storage"))
        mesh.ports["coaching"] = coaching.port
        mesh._stoppers.append(coaching.stop)
        ingest = await ingest_server.serve(
            settings=settings, storage_addr=mesh.address("storage"), analysis_addr=mesh.address("analysis"),
            coaching_addr=mesh.address("coaching"),
        )
        mesh.ports["ingest"] = ingest.port
        mesh._stoppers.append(ingest.stop)
        gateway = await gateway_server.serve(
            settings=settings,
            addresses={name: mesh.address(name) for name in ("storage", "analysis", "coaching")},
        )
        mesh.ports["gateway"] = gateway.port
        mesh._stoppers.append(gateway.stop)
        for name, server in (("storage", stored), ("analysis", analysis), ("coaching", coaching), ("ingest", ingest),
                             ("gateway", gateway)):
            port = getattr(getattr(server, "running", server), "metrics_port", None)
            if port is not None:
                mesh.metrics_ports[name] = port
    except BaseException:
        await mesh.stop()
        raise
    return mesh


async def wait_serving(address: str, *, timeout_s: float = 30.0, tls: Tls | None = None) -> None:
    """Wait until the gRPC health check at ``address`` answers SERVING; TimeoutError otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    async with dial(address, tls=tls) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"nothing answers at {address}")
            await asyncio.sleep(0.1)
