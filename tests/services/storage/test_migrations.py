"""Schema migrations on real PostgreSQL databases: empty, at version 1 with data, twice, concurrently; pool sizing."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import numpy as np
import pytest
import pytest_asyncio

from racecoach.services.storage import database, identity, queries, writes
from racecoach.services.storage.binary_copy import BatchRows
from racecoach.services.storage.state import open_storage
from old_writes import copy_batch_as_before
from seeding import lap_message
from telemetry_factories import make_arrays, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
LATEST = max(version for version, _, _ in database.migrations())
NEW_INDEXES = {"laps_session_best", "sessions_user_track_car", "api_tokens_user", "devices_user"}


@pytest_asyncio.fixture(loop_scope="session")
async def fresh_db(pg_dsn):
    """A new, empty database on the shared server; dropped afterwards."""
    name = f"rc_migrate_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(pg_dsn)
    await admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def indexes(conn: asyncpg.Connection) -> set[str]:
    return {r["indexname"] for r in await conn.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}


async def test_empty_database_migrates_to_the_latest_version_and_again_is_a_no_op(pg_dsn, fresh_db):
    conn = await asyncpg.connect(pg_dsn, database=fresh_db)
    try:
        assert await database.migrate(conn) == list(range(1, LATEST + 1))
        assert NEW_INDEXES <= await indexes(conn)
        assert await database.telemetry_layout(conn) == "partitioned"  # no TimescaleDB on this server
        before = await conn.fetch("SELECT version, applied_at FROM schema_migrations ORDER BY version")
        assert await database.migrate(conn) == []
        assert await conn.fetch("SELECT version, applied_at FROM schema_migrations ORDER BY version") == before
    finally:
        await conn.close()


async def test_database_at_version_1_with_data_migrates_and_keeps_it(pg_dsn, fresh_db):
    conn = await asyncpg.connect(pg_dsn, database=fresh_db)
    try:
        assert await database.migrate(conn, target=1) == [1]
        assert not NEW_INDEXES & await indexes(conn)
        issued = await identity.create_token(conn, email="v1-driver@example.test")
        session = make_session()
        # The session row as version 1 stored it (session ids were then unique across users).
        session_pk = await conn.fetchval(
            "INSERT INTO sessions (session_id, user_id, track_name, car_name) VALUES ($1, $2, $3, $4) RETURNING session_pk",
            session.session_id, issued.user.user_id, session.track.name, session.car.name,
        )
        await database.ensure_partition(conn, session_pk=session_pk)
        arrays = make_arrays(start_index=0, count=720, lap_length_m=600.0)
        await copy_batch_as_before(conn, session_pk=session_pk, seq=1, arrays=arrays)
        lap = lap_message(session.session_id, 1)
        await writes.write_lap(conn, user=issued.user, lap=lap)

        assert await database.migrate(conn) == list(range(2, LATEST + 1))
        assert NEW_INDEXES <= await indexes(conn)
        assert await identity.resolve_token(conn, token=issued.token) == issued.user
        assert await conn.fetchval("SELECT count(*) FROM telemetry_samples WHERE session_pk = $1", session_pk) == 720
        assert await conn.fetchval("SELECT stored_through_tick FROM sessions WHERE session_pk = $1", session_pk) == 600 + 719
        found, stored = await queries.lap_samples(conn, user=issued.user, lap_id=lap.lap_id, channels=["speed_mps"])
        np.testing.assert_array_equal(stored["speed_mps"], arrays["speed_mps"])
        assert found.lap.lap_id == lap.lap_id
        assert await database.migrate(conn) == []
    finally:
        await conn.close()


async def test_version_5_removes_samples_stored_twice_by_a_replay_in_another_batching(pg_dsn, fresh_db):
    conn = await asyncpg.connect(pg_dsn, database=fresh_db)
    try:
        assert await database.migrate(conn, target=4) == [1, 2, 3, 4]
        issued = await identity.create_token(conn, email="v4-driver@example.test")
        replayed, untouched = make_session(), make_session()
        keys = {}
        for session in (replayed, untouched):
            keys[session.session_id] = await conn.fetchval(
                "INSERT INTO sessions (session_id, user_id, tick_rate_hz) VALUES ($1, $2, 60) RETURNING session_pk",
                session.session_id, issued.user.user_id)
            await database.ensure_partition(conn, session_pk=keys[session.session_id])
        arrays = make_arrays(start_index=0, count=600)
        part = lambda low, high: {n: v[low:high] for n, v in arrays.items()}  # noqa: E731
        for seq in range(1, 11):  # the file in 60-sample batches: seq 1..10
            await copy_batch_as_before(conn, session_pk=keys[replayed.session_id], seq=seq, arrays=part((seq - 1) * 60, seq * 60))
            await copy_batch_as_before(conn, session_pk=keys[untouched.session_id], seq=seq, arrays=part((seq - 1) * 60, seq * 60))
        for seq in range(11, 21):  # again in 30-sample batches: seq 11..20 carried samples 300..599 a second time
            await copy_batch_as_before(conn, session_pk=keys[replayed.session_id], seq=seq, arrays=part((seq - 1) * 30, seq * 30))

        assert await database.migrate(conn) == list(range(5, LATEST + 1))
        for session in (replayed, untouched):
            rows = await conn.fetch("SELECT session_time_s, seq FROM telemetry_samples WHERE session_pk = $1 ORDER BY session_time_s",
                                    keys[session.session_id])
            np.testing.assert_array_equal([r["session_time_s"] for r in rows], arrays["session_time_s"])
            assert max(r["seq"] for r in rows) == 10  # the copy of the first batching is kept
            state = await conn.fetchrow("SELECT sample_count, stored_through_tick FROM sessions WHERE session_pk = $1",
                                        keys[session.session_id])
            assert (state["sample_count"], state["stored_through_tick"]) == (600, 600 + 599)
        again = [BatchRows(seq=21, arrays=part(0, 600), sample_count=600)]
        assert await writes.write_batches(conn, user=issued.user, session_id=replayed.session_id, batches=again) == 21
        assert await conn.fetchval("SELECT count(*) FROM telemetry_samples WHERE session_pk = $1", keys[replayed.session_id]) == 600
    finally:
        await conn.close()


async def test_concurrent_migrators_apply_each_version_once(pg_dsn, fresh_db):
    conns = [await asyncpg.connect(pg_dsn, database=fresh_db) for _ in range(3)]
    try:
        results = await asyncio.gather(*(database.migrate(c) for c in conns))
        assert sorted(v for applied in results for v in applied) == list(range(1, LATEST + 1))
        assert await conns[0].fetchval("SELECT count(*) FROM schema_migrations") == LATEST
    finally:
        for c in conns:
            await c.close()


async def test_session_best_lookup_can_use_the_version_2_index(storage):
    async with storage.pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in await conn.fetch(
            "EXPLAIN SELECT analysis FROM laps WHERE session_pk = 1 AND valid AND lap_time_s IS NOT NULL"
            " AND lap_id <> 'x' ORDER BY lap_time_s, lap_pk LIMIT 1"))
    assert "laps_session_best" in plan


async def test_pool_is_sized_by_the_settings(settings):
    sized = settings.with_overrides(db_pool_min=2, db_pool_max=3)
    opened = await open_storage(settings=sized)
    try:
        pool = opened.pool
        assert (pool.get_min_size(), pool.get_max_size(), pool.get_size()) == (2, 3, 2)
        held = [await pool.acquire() for _ in range(3)]
        assert pool.get_size() == 3 and pool.get_idle_size() == 0
        with pytest.raises(asyncio.TimeoutError):
            await pool.acquire(timeout=0.2)  # a fourth caller waits for a connection rather than opening one
        await pool.release(held.pop())
        async with pool.acquire(timeout=1) as conn:
            assert await conn.fetchval("SELECT 1") == 1
        for conn in held:
            await pool.release(conn)
    finally:
        await opened.close()
