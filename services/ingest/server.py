"""Run the ingest service."""

from __future__ import annotations

from dataclasses import dataclass

from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.auth import Gate, TokenCache, whoami_resolver
from racecoach.services.common.metrics import serve_metrics
from racecoach.services.common.dependency import grpc_probe, start_following
from racecoach.services.common.server import RunningServer, registration, start_server
from racecoach.services.common.settings import Settings
from racecoach.services.ingest.links import Links, connect
from racecoach.services.ingest.servicer import IngestServicer


@dataclass
class IngestServer:
    running: RunningServer
    links: Links

    @property
    def port(self) -> int:
        return self.running.port

    async def stop(self, grace_s: float = 5.0) -> None:
        await self.running.stop(grace_s)
        await self.links.close()


async def serve(*, settings: Settings, port: int | None = None, storage_addr: str | None = None,
                analysis_addr: str | None = None, coaching_addr: str | None = None) -> IngestServer:
    """Start IngestService, reading batches through the zero-copy raw view."""
    links = connect(settings=settings, storage_addr=storage_addr, analysis_addr=analysis_addr, coaching_addr=coaching_addr)
    resolve = whoami_resolver(links.storage, service_token=settings.service_token, timeout_s=links.timeout_s)
    gate = Gate(tokens=TokenCache(resolve=resolve), service_token=settings.service_token)
    servicer = IngestServicer(links=links, max_batch_samples=settings.max_batch_samples, gate=gate,
                              service_token=settings.service_token)
    running = await start_server(
        registrations=[registration(service=ingest_pb2.DESCRIPTOR.services_by_name["IngestService"], servicer=servicer, gate=gate,
                                    request_types={"Stream": ingest_pb2.StreamRequestRawView})],
        host=settings.host, port=settings.ports.ingest if port is None else port, max_message_bytes=settings.max_message_bytes,
        tls=settings.tls, require_client_cert=False, health_port=settings.health_port,  # collectors show no certificate
    )
    running.metrics = serve_metrics(service="ingest", port=settings.metrics_port_of("ingest"), host=settings.host)
    start_following(running=running, probe=grpc_probe(channel=links.channels[0]), dependency="storage", service="ingest")
    return IngestServer(running=running, links=links)
