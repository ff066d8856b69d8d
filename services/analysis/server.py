"""Run the analysis service."""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from racecoach.analysis.v1 import analysis_pb2
from racecoach.common.dial import dial
from racecoach.services.analysis.servicer import AnalysisServicer
from racecoach.services.common.auth import Gate, TokenCache, whoami_resolver
from racecoach.services.common.metrics import serve_metrics
from racecoach.services.common.dependency import grpc_probe, start_following
from racecoach.services.common.server import RunningServer, registration, start_server
from racecoach.services.common.settings import Settings
from racecoach.storage.v1 import storage_pb2_grpc


@dataclass
class AnalysisServer:
    running: RunningServer
    channel: grpc.aio.Channel

    @property
    def port(self) -> int:
        return self.running.port

    async def stop(self, grace_s: float = 5.0) -> None:
        await self.running.stop(grace_s)
        await self.channel.close()


async def serve(*, settings: Settings, port: int | None = None, storage_addr: str | None = None) -> AnalysisServer:
    """Start AnalysisService; callers are authenticated and laps read through storage at ``storage_addr`` (default: settings)."""
    channel = dial(storage_addr or settings.address("storage"), max_message_bytes=settings.max_message_bytes, tls=settings.tls)
    storage = storage_pb2_grpc.StorageServiceStub(channel)
    servicer = AnalysisServicer(
        storage=storage, max_batch_samples=settings.max_batch_samples, timeout_s=settings.rpc_timeout_s,
        service_token=settings.service_token,
    )
    gate = Gate(tokens=TokenCache(resolve=whoami_resolver(storage, service_token=settings.service_token, timeout_s=settings.rpc_timeout_s)),
                service_token=settings.service_token)
    running = await start_server(
        registrations=[registration(service=analysis_pb2.DESCRIPTOR.services_by_name["AnalysisService"], servicer=servicer, gate=gate)],
        host=settings.host,
        port=settings.ports.analysis if port is None else port,
        max_message_bytes=settings.max_message_bytes, tls=settings.tls, health_port=settings.health_port,
    )
    running.metrics = serve_metrics(service="analysis", port=settings.metrics_port_of("analysis"), host=settings.host)
    start_following(running=running, probe=grpc_probe(channel=channel), dependency="storage", service="analysis")
    return AnalysisServer(running=running, channel=channel)
