"""TimescaleDB through testcontainers: telemetry becomes a compressed hypertable with a retention policy.

Needs a Docker engine (the timescale/timescaledb image); skipped with the reason when none answers.
"""

from __future__ import annotations

import numpy as np
import pytest
import pytest_asyncio

from racecoach.services.storage import database, export, identity, queries, writes
from racecoach.services.storage.binary_copy import BatchRows
from racecoach.services.storage.state import open_storage
from seeding import lap_message
from telemetry_factories import make_arrays, make_session

IMAGE = "timescale/timescaledb:2.17.2-pg16"


def _docker_missing() -> str | None:
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
    except Exception as exc:  # noqa: BLE001 - any failure means: no engine to run the image on
        return f"no Docker engine reachable ({type(exc).__name__}); this test runs {IMAGE} through testcontainers"
    return None


DOCKER_MISSING = _docker_missing()
pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(DOCKER_MISSING is not None, reason=DOCKER_MISSING or ""),
]


@pytest.fixture(scope="module")
def timescale_dsn():
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        from testcontainers.postgres import PostgresContainer

    with PostgresContainer(IMAGE, username="racecoach", password="racecoach", dbname="racecoach") as container:
        yield container.get_connection_url(driver=None)


@pytest_asyncio.fixture(loop_scope="session")
async def timescale_storage(settings, timescale_dsn):
    opened = await open_storage(settings=settings.with_overrides(database_url=timescale_dsn))
    try:
        yield opened
    finally:
        await opened.close()


async def test_telemetry_is_a_compressed_hypertable_with_retention(timescale_storage):
    pool = timescale_storage.pool
    assert timescale_storage.timescale
    assert await database.telemetry_layout(pool) == "hypertable"
    info = await pool.fetchrow(
        "SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'telemetry_samples'"
    )
    assert info is not None and info["compression_enabled"]
    jobs = {r["proc_name"] for r in await pool.fetch(
        "SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name = 'telemetry_samples'")}
    assert {"policy_compression", "policy_retention"} <= jobs
    async with pool.acquire() as conn:
        assert await database.migrate(conn) == []  # a second start changes nothing


async def test_writes_and_reads_work_on_compressed_chunks(timescale_storage):
    pool = timescale_storage.pool
    async with pool.acquire() as conn:
        issued = await identity.create_token(conn, email="timescale@example.test")
        session = make_session()
        await writes.upsert_session(conn, user=issued.user, session=session)
        arrays = make_arrays(start_index=0, count=720, lap_length_m=600.0)
        batches = [BatchRows(seq=i + 1, arrays={k: v[i * 240 : (i + 1) * 240] for k, v in arrays.items()}, sample_count=240)
                   for i in range(3)]
        assert await writes.write_batches(conn, user=issued.user, session_id=session.session_id, batches=batches) == 3
        assert await writes.write_batches(conn, user=issued.user, session_id=session.session_id, batches=batches[1:]) == 3
        lap = lap_message(session.session_id, 1)
        await writes.write_lap(conn, user=issued.user, lap=lap)
        await conn.execute("SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('telemetry_samples') c")
    _, stored = await queries.lap_samples(pool, user=issued.user, lap_id=lap.lap_id)
    for name in ("session_time_s", "speed_mps", "lap_dist_m", "session_flags", "lat_deg"):
        np.testing.assert_array_equal(stored[name], arrays[name], err_msg=name)
    pieces = [p async for p in export.export_lap(pool, user=issued.user, lap_id=lap.lap_id, fmt=export.CSV)]
    assert b"".join(p.data for p in pieces).count(b"\n") == 721
