"""Start the coaching gRPC server (health and reflection included) for the mesh launcher."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc

from racecoach.coaching.v1 import coaching_pb2
from racecoach.common.dial import dial
from racecoach.services.coaching.model.cause_runtime import CauseModel, load_cause_model
from racecoach.services.coaching.model.runtime import ScoringModel, load_model
from racecoach.services.coaching.servicer import CoachingServicer
from racecoach.services.common.auth import Gate, TokenCache, whoami_resolver
from racecoach.services.common.metrics import serve_metrics
from racecoach.services.common.dependency import grpc_probe, start_following
from racecoach.services.common.server import RunningServer, registration, start_server
from racecoach.services.common.settings import Settings, load_settings
from racecoach.storage.v1 import storage_pb2_grpc


@dataclass
class CoachingServer:
    running: RunningServer
    channel: grpc.aio.Channel

    @property
    def port(self) -> int:
        return self.running.port

    @property
    def server(self) -> grpc.aio.Server:
        return self.running.server

    async def stop(self, grace_s: float = 5.0) -> None:
        await self.running.stop(grace_s)
        await self.channel.close()


async def serve(*, settings: Settings, port: int | None = None, model: ScoringModel | None = None,
                causes: CauseModel | None = None, storage_addr: str | None = None) -> CoachingServer:
    """Start ``CoachingService`` on ``settings.host`` and ``port`` (default ``settings.ports.coaching``; 0 picks one).

    Callers are authenticated through storage at ``storage_addr`` (default: settings). The scoring
    and cause models are loaded before the port opens, so a broken model fails start-up.
    """
    servicer = CoachingServicer(model=model if model is not None else load_model(),
                                causes=causes if causes is not None else load_cause_model())
    channel = dial(storage_addr or settings.address("storage"), max_message_bytes=settings.max_message_bytes, tls=settings.tls)
    resolve = whoami_resolver(storage_pb2_grpc.StorageServiceStub(channel), service_token=settings.service_token,
                              timeout_s=settings.rpc_timeout_s)
    gate = Gate(tokens=TokenCache(resolve=resolve), service_token=settings.service_token)
    running = await start_server(
        registrations=[registration(service=coaching_pb2.DESCRIPTOR.services_by_name["CoachingService"], servicer=servicer, gate=gate)],
        host=settings.host,
        port=settings.ports.coaching if port is None else port,
        max_message_bytes=settings.max_message_bytes, tls=settings.tls, health_port=settings.health_port,
    )
    running.metrics = serve_metrics(service="coaching", port=settings.metrics_port_of("coaching"), host=settings.host)
    start_following(running=running, probe=grpc_probe(channel=channel), dependency="storage", service="coaching")
    return CoachingServer(running=running, channel=channel)


async def _main() -> None:
    from racecoach.services.common.logs import configure_logging

    settings = load_settings()
    configure_logging(level=settings.log_level)
    running = await serve(settings=settings)
    try:
        await running.server.wait_for_termination()
    finally:
        await running.stop()


if __name__ == "__main__":
    asyncio.run(_main())
