"""`racing-coach token create|revoke` against a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from racecoach.services.common.errors import UnauthenticatedError
from racecoach.services.storage.identity import resolve_token

pytestmark = pytest.mark.asyncio(loop_scope="session")


def cli(env, *args):
    return subprocess.run([sys.executable, "-m", "racecoach.client.cli", *args], env=env, capture_output=True, text=True, timeout=60)


async def test_token_create_then_revoke(storage, pg_dsn, tmp_path, unique_email):
    env = dict(os.environ, DATABASE_URL=pg_dsn, RACING_COACH_DATA_DIR=str(tmp_path))
    email = unique_email("cli")
    made = cli(env, "token", "create", "--user", email, "--label", "laptop")
    assert made.returncode == 0, made.stderr
    token = made.stdout.splitlines()[0]
    assert token.startswith("rc_") and f"for {email}" in made.stdout
    assert (await resolve_token(storage.pool, token=token)).email == email
    stored = await storage.pool.fetchval("SELECT count(*) FROM api_tokens WHERE label = 'laptop' AND token_sha256 IS NOT NULL")
    assert stored >= 1
    assert not await storage.pool.fetchval("SELECT count(*) FROM api_tokens WHERE token_sha256::text LIKE $1", f"%{token}%")

    gone = cli(env, "token", "revoke", token)
    assert gone.returncode == 0 and "revoked 1 token" in gone.stdout
    with pytest.raises(UnauthenticatedError, match="revoked"):
        await resolve_token(storage.pool, token=token)
    again = cli(env, "token", "revoke", token)
    assert again.returncode == 2 and again.stderr.strip() == "error: no active token matches"
    bad = cli(env, "token", "create", "--user", "not-an-email")
    assert bad.returncode == 2 and "is not an e-mail address" in bad.stderr
