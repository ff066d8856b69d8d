"""The storage service's state: the pool, the embedded server, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from racecoach.services.common.errors import DependencyUnavailableError
from racecoach.services.common.settings import Settings
from racecoach.services.storage import database
from racecoach.services.storage.identity import User, bearer_token, resolve_token


@dataclass
class Storage:
    """An open database: pool plus, when embedded, the server that owns it."""

    pool: asyncpg.Pool
    settings: Settings
    embedded: database.EmbeddedPostgres | None = None
    timescale: bool = False  # telemetry is a TimescaleDB hypertable (else native range partitions)
    dsn: str = field(default="", repr=False)

    async def user_for(self, metadata: object) -> User:
        """Resolve the caller's bearer token (UNAUTHENTICATED when missing, unknown or revoked)."""
        token = bearer_token(metadata)
        try:
            return await resolve_token(self.pool, token=token)
        except database.DB_ERRORS as exc:
            raise DependencyUnavailableError(f"database unavailable: {exc}") from None

    async def close(self) -> None:
        await self.pool.close()


def database_url(*, settings: Settings, cleanup_mode: str | None = "stop") -> tuple[str, database.EmbeddedPostgres | None]:
    """``DATABASE_URL`` when set, else the embedded server under the data directory."""
    if settings.database_url:
        return settings.database_url, None
    embedded = database.start_embedded(data_dir=settings.data_dir, cleanup_mode=cleanup_mode)
    return embedded.uri, embedded


async def open_storage(*, settings: Settings, cleanup_mode: str | None = "stop") -> Storage:
    """Connect (starting the embedded server if needed) and apply migrations."""
    dsn, embedded = database_url(settings=settings, cleanup_mode=cleanup_mode)
    pool = await database.create_pool(dsn=dsn, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    async with pool.acquire() as conn:
        await database.migrate(conn)
        timescale = await database.telemetry_layout(conn) == "hypertable"
    return Storage(pool=pool, settings=settings, embedded=embedded, timescale=timescale, dsn=dsn)
