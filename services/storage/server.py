"""Run the storage service: open the database, migrate, serve StorageService."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from racecoach.services.common.metrics import serve_metrics
from racecoach.services.common.dependency import database_probe, start_following
from racecoach.services.common.server import RunningServer, start_server
from racecoach.services.common.logs import get_logger
from racecoach.services.common.settings import Settings
from racecoach.services.storage.database import EmbeddedPostgres
from racecoach.services.storage.servicer import StorageServicer, storage_registration
from racecoach.services.storage.state import Storage, open_storage


log = get_logger(__name__)


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
        max_message_bytes=settings.max_message_bytes, tls=settings.tls, health_port=settings.health_port,
    )
    running.metrics = serve_metrics(service="storage", port=settings.metrics_port_of("storage"), host=settings.host)
    start_following(running=running, probe=database_probe(pool=storage.pool), dependency="postgresql", service="storage",
                    on_down=None if storage.embedded is None else revive_embedded(embedded=storage.embedded))
    return StorageServer(running=running, storage=storage)


def postmaster_alive(*, pgdata: Path) -> bool:
    """Whether the PostgreSQL server of ``pgdata`` runs: its ``postmaster.pid`` names a live process."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, 0)
    except PermissionError:
        return True  # alive, another user's
    except (OSError, ValueError):
        return False
    return True


def revive_embedded(*, embedded: EmbeddedPostgres) -> Callable[[], Awaitable[None]]:
    """While the database does not answer: start the embedded server again when its process is gone (killed)."""
    bound = log.bind(service="storage", pgdata=str(embedded.pgdata))

    async def revive() -> None:
        if postmaster_alive(pgdata=embedded.pgdata):
            return
        bound.warning("embedded postgresql is gone; starting it again")
        try:
            embedded.start_again()
        except (subprocess.SubprocessError, OSError) as exc:
            bound.error("embedded postgresql did not start; trying again shortly", error=str(exc))
        else:
            bound.info("embedded postgresql started again")

    return revive
