"""``racing-coach open``: a one-time login link from the device token, against a real gateway."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from racecoach.services.gateway.login import COOKIE

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_racing_coach_open_prints_a_link_that_signs_the_browser_in(mesh, token_for, capsys):
    from racecoach.client.cli import main

    token = await token_for()
    args = ["open", "--url", mesh.gateway_url, "--no-browser"]
    assert await asyncio.to_thread(main, [*args, "--token", token]) == 0
    link = capsys.readouterr().out.split()[-1]
    assert link.startswith(f"{mesh.gateway_url}/login?code=")
    async with httpx.AsyncClient() as client:
        login = await client.get(link)
        assert login.status_code == 303 and COOKIE in login.headers["set-cookie"]
        assert (await client.get(f"{mesh.gateway_url}/api/v1/me")).status_code == 200
    assert await asyncio.to_thread(main, [*args, "--token", "rc_not-a-token"]) == 1
    assert "unknown token" in capsys.readouterr().err
