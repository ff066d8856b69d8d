"""Run the analysis service."""

from __future__ import annotations

import grpc

from racecoach.services.analysis.servicer import SERVICE_NAME, AnalysisServicer
from racecoach.analysis.v1 import analysis_pb2_grpc
from racecoach.services.common.server import Registration, RunningServer, start_server
from racecoach.services.common.settings import Settings
from racecoach.storage.v1 import storage_pb2_grpc


async def serve(*, settings: Settings, port: int | None = None, storage_addr: str | None = None) -> RunningServer:
    """Start AnalysisService; CompareLaps reads laps from storage at ``storage_addr`` (default: settings)."""
    channel = grpc.aio.insecure_channel(storage_addr or settings.address("storage"))
    servicer = AnalysisServicer(
        storage=storage_pb2_grpc.StorageServiceStub(channel), max_batch_samples=settings.max_batch_samples,
        timeout_s=settings.rpc_timeout_s,
    )
    return await start_server(
        registrations=[Registration(add=analysis_pb2_grpc.add_AnalysisServiceServicer_to_server, servicer=servicer, service_name=SERVICE_NAME)],
        host=settings.host,
        port=settings.ports.analysis if port is None else port,
        max_message_bytes=settings.max_message_bytes,
    )
