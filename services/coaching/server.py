"""Start the coaching gRPC server (health and reflection included) for the mesh launcher."""

from __future__ import annotations

import asyncio

from racecoach.coaching.v1 import coaching_pb2_grpc
from racecoach.services.coaching.model.runtime import ScoringModel, load_model
from racecoach.services.coaching.servicer import SERVICE_NAME, CoachingServicer
from racecoach.services.common.server import Registration, RunningServer, start_server
from racecoach.services.common.settings import Settings, load_settings


async def serve(*, settings: Settings, port: int | None = None, model: ScoringModel | None = None) -> RunningServer:
    """Start ``CoachingService`` on ``settings.host`` and ``port`` (default ``settings.ports.coaching``; 0 picks one).

    The scoring model is loaded before the port opens, so a broken model fails start-up.
    """
    servicer = CoachingServicer(model=model if model is not None else load_model())
    return await start_server(
        registrations=[Registration(coaching_pb2_grpc.add_CoachingServiceServicer_to_server, servicer, SERVICE_NAME)],
        host=settings.host,
        port=settings.ports.coaching if port is None else port,
        max_message_bytes=settings.max_message_bytes,
    )


async def _main() -> None:
    from racecoach.services.common.logging import configure_logging

    settings = load_settings()
    configure_logging(level=settings.log_level)
    running = await serve(settings=settings)
    try:
        await running.server.wait_for_termination()
    finally:
        await running.stop()


if __name__ == "__main__":
    asyncio.run(_main())
