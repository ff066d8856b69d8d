"""Shared fixtures: a real PostgreSQL (DATABASE_URL, or a throw-away embedded one), settings, users."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import pytest_asyncio

from racecoach.services.common.settings import Ports, load_settings

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def pg_dsn():
    """A PostgreSQL URL for the whole run: DATABASE_URL when set, else a private embedded server."""
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    from racecoach.services.storage.database import start_embedded

    root = Path(tempfile.mkdtemp(prefix="racecoach-pg-"))
    root.chmod(0o755)
    embedded = start_embedded(data_dir=root, cleanup_mode="delete")
    try:
        yield embedded.uri
    finally:
        embedded.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def settings(tmp_path, pg_dsn):
    """Settings for one test: its own data dir, the shared database, every port 0, a service credential of its own."""
    from racecoach.services.common.auth import new_service_token

    env = {"RACING_COACH_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": pg_dsn,
           "RACING_COACH_SERVICE_TOKEN": new_service_token()}
    return load_settings(env).with_overrides(ports=Ports(0, 0, 0, 0, 0))


@pytest.fixture
def service_credential(settings) -> list[tuple[str, str]]:
    """The metadata entry by which the mesh's services know each other (calls only a service may make)."""
    from racecoach.services.common.auth import SERVICE_HEADER

    return [(SERVICE_HEADER, settings.service_token)]


@pytest_asyncio.fixture(loop_scope="session")
async def storage(settings):
    from racecoach.services.storage.state import open_storage

    opened = await open_storage(settings=settings)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def unique_email():
    def make(prefix: str = "driver") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}@example.test"

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def token_for(storage, unique_email):
    """Create a user and return a function that issues tokens: ``await token_for('name')``."""
    from racecoach.services.storage.identity import create_token

    async def make(prefix: str = "driver") -> str:
        async with storage.pool.acquire() as conn:
            issued = await create_token(conn, email=unique_email(prefix))
        return issued.token

    return make


@pytest_asyncio.fixture(loop_scope="session")
async def mesh(settings, storage):
    """The whole mesh in this event loop, every service on a free loopback port."""
    from racecoach.services.mesh import start_mesh

    started = await start_mesh(settings=settings, storage=storage)
    try:
        yield started
    finally:
        await started.stop()


@pytest.fixture(scope="session")
def simulated_ibt(tmp_path_factory):
    """A simulated 3-lap Red Bull Ring session (.ibt + truth) with a 20 m early brake at Turn 3 on lap 2."""
    from racecoach.client.simulator import DriverProfile, brake_early, simulate_session, write_session

    session = simulate_session(track="Spielberg", laps=3, profile=DriverProfile(mistakes=(brake_early(corner=3, metres=20, laps=(2,)),)))
    ibt, truth = write_session(session, tmp_path_factory.mktemp("sim") / "spielberg.ibt")
    return ibt, session
