"""TimescaleDB: telemetry as a compressed hypertable with a retention policy, when the extension is usable.

The choice is made once, when migration 1 creates ``telemetry_samples`` on an empty
database: with TimescaleDB the freshly created (still empty) partitioned table is swapped,
in the same transaction, for a plain table of the same columns and indexes plus a
``recorded_at`` time column, which becomes the hypertable. A partitioned table cannot
become a hypertable, so a database that started without TimescaleDB keeps its native
range partitions (moving them is a data migration, not something start-up does).
"""

from __future__ import annotations

import asyncpg

from racecoach.services.common.logs import get_logger

log = get_logger(__name__)
CHUNK_INTERVAL = "7 days"  # one chunk per week of wall-clock writes
COMPRESS_AFTER = "7 days"  # chunks older than this are compressed (segment per session, ordered by session time)
RETAIN_FOR = "730 days"  # raw telemetry older than this is dropped; sessions, laps and reports stay

HYPERTABLE_SQL = f"""
ALTER TABLE telemetry_samples RENAME TO telemetry_samples_partitioned;
CREATE TABLE telemetry_samples (LIKE telemetry_samples_partitioned INCLUDING DEFAULTS INCLUDING INDEXES);
DROP TABLE telemetry_samples_partitioned;
ALTER TABLE telemetry_samples ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
SELECT create_hypertable('telemetry_samples', 'recorded_at', chunk_time_interval => INTERVAL '{CHUNK_INTERVAL}',
                         create_default_indexes => FALSE);
ALTER TABLE telemetry_samples SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'session_pk',
    timescaledb.compress_orderby = 'session_time_s, seq, idx'
);
SELECT add_compression_policy('telemetry_samples', INTERVAL '{COMPRESS_AFTER}');
SELECT add_retention_policy('telemetry_samples', INTERVAL '{RETAIN_FOR}');
"""


async def enable(conn: asyncpg.Connection) -> bool:
    """Create the extension if the server offers it; False (and nothing changed) when it cannot be loaded."""
    offered = await conn.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'")
    if not offered:
        return False
    try:
        async with conn.transaction():  # a savepoint: a failure leaves the migration's transaction usable
            await conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    except asyncpg.PostgresError as exc:  # e.g. installed but not in shared_preload_libraries
        log.warning("timescaledb is installed but cannot be loaded; using range partitions", error=str(exc))
        return False
    return True


async def is_new_partitioned_table(conn: asyncpg.Connection) -> bool:
    """True when ``telemetry_samples`` is a range-partitioned table without any partition yet."""
    return bool(
        await conn.fetchval(
            "SELECT c.relkind = 'p' AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid)"
            " FROM pg_class c WHERE c.oid = to_regclass('telemetry_samples')"
        )
    )


async def convert_new_telemetry_table(conn: asyncpg.Connection) -> bool:
    """Inside migration 1's transaction: make the just-created telemetry table a hypertable if possible."""
    if not await is_new_partitioned_table(conn) or not await enable(conn):
        return False
    await conn.execute(HYPERTABLE_SQL)
    log.info("telemetry_samples is a TimescaleDB hypertable", compress_after=COMPRESS_AFTER, retain_for=RETAIN_FOR)
    return True
