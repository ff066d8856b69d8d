"""Run the storage service: open the database, migrate, serve StorageService."""

from __future__ import annotations

from dataclasses import dataclass

from racecoach.services.common.dependency import database_probe, start_following
from racecoach.services.common.server import RunningServer, start_server
from racecoach.services.common.settings import Settings
from racecoach.services.storage.service import Storage, open_storage
from racecoach.services.storage.servicer import StorageServicer, storage_registration


@dataclass
class StorageServer:
    running: RunningServer
    storage: Storage

    @property
    def port(self) -> int:
        return self.running.port

    async def stop(self, grace_s: float = 5.0) -> None:
        await self.running.stop(grace_s)
        await self.storage.close()


async def serve(*, settings: Settings, port: int | None = None, storage: Storage | None = None) -> StorageServer:
    """Start StorageService on ``port`` (default: settings), opening the database unless given."""
    storage = storage or await open_storage(settings=settings)
    servicer = StorageServicer(storage)
    running = await start_server(
        registrations=[storage_registration(servicer, service_token=settings.service_token)],
        host=settings.host,
        port=settings.ports.storage if port is None else port,
        max_message_bytes=settings.max_message_bytes,
    )
    start_following(running=running, probe=database_probe(pool=storage.pool), dependency="postgresql", service="storage")
    return StorageServer(running=running, storage=storage)
