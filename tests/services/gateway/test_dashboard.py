"""The dashboard in a real headless Chromium against a real gateway and mesh."""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile

import pytest

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches

pytestmark = pytest.mark.asyncio(loop_scope="session")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


async def render(url: str) -> str:
    """The DOM after the page's scripts ran (virtual time lets fetch and rendering finish)."""
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--dump-dom", url,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    return out.decode()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it where apt works)")
async def test_dashboard_shows_sessions_laps_and_coaching(mesh, token_for, simulated_ibt):
    token = await token_for()
    session, arrays = load_ibt(simulated_ibt[0])
    result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
        split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60)
    )
    lap_two = next(c.lap.lap_id for c in result.laps if c.lap.lap_number == 2)
    dom = await render(f"{mesh.gateway_url}/#token={token}&session={session.session_id}&lap={lap_two}")
    assert "Red Bull Ring" in dom  # the session list
    assert "1:23.652" in dom and "1:24.397" in dom  # the lap table
    assert "Turn 3: you braked 20 m earlier" in dom  # the lap's coaching
    assert "Lap 2: 1:24.397" in dom
    drawn = re.search(r'id="speed"[^>]*data-points="(\d+)"', dom)  # the speed trace, read with the token
    assert drawn and int(drawn.group(1)) > 500


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it where apt works)")
async def test_dashboard_with_a_bad_token_says_so(mesh):
    dom = await render(f"{mesh.gateway_url}/#token=rc_not-valid")
    assert "unknown token" in dom
