"""The storage service's state (what `server.py` opens and `servicer.py` serves from): the pool, the embedded server, and who is calling."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

from racecoach.services.common.auth import Gate, TokenCache, bearer_token
from racecoach.services.common.errors import DependencyUnavailableError
from racecoach.services.common.settings import Settings
from racecoach.services.storage import database
from racecoach.services.storage.identity import User, resolve_token

SERVICE_ONLY = ("PutTrackCorners",)  # shared data: only the mesh's services (analysis) write corner catalogues


@dataclass
class Storage:
    """An open database: pool plus, when embedded, the server that owns it."""

    pool: asyncpg.Pool
    settings: Settings
    embedded: database.EmbeddedPostgres | None = None
    timescale: bool = False  # telemetry is a TimescaleDB hypertable (else native range partitions)
    dsn: str = field(default="", repr=False)
    tokens: TokenCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.tokens = TokenCache(resolve=self.resolve, ttl_s=0.0)  # the database is here: every call asks it

    def gate(self, *, service_token: str | None) -> Gate:
        """The check in front of StorageService: a user token on every RPC, the service credential on shared data."""
        return Gate(tokens=self.tokens, service_token=service_token, service_only=SERVICE_ONLY)

    async def resolve(self, token: str) -> User:
        """The user of ``token`` as the database says now (UNAUTHENTICATED when unknown or revoked)."""
        try:
            return await resolve_token(self.pool, token=token)
        except database.DB_ERRORS as exc:
            raise DependencyUnavailableError(f"database unavailable: {exc}") from exc

    async def user_for(self, metadata: object) -> User:
        """Resolve the caller's bearer token, briefly cached (UNAUTHENTICATED when missing, unknown or revoked)."""
        return await self.tokens.caller(bearer_token(metadata))  # type: ignore[arg-type]

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
