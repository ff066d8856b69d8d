"""The session view, the live view, sign-in by login link and the API docs, in headless Chromium against a real mesh."""

from __future__ import annotations

import asyncio
import json
import statistics
import uuid

import httpx
import numpy as np
import pytest

from headless_chromium import CHROMIUM, chromium, keep_screenshot
from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.services.gateway.login import COOKIE

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it where apt works)"),
]

INKED = """((canvas) => { const ctx = canvas.getContext('2d'); const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; })"""


def session_and_arrays(ibt):
    session, arrays = load_ibt(ibt)
    session.session_id = str(uuid.uuid4())
    return session, arrays


async def upload(mesh, token, session, arrays, *, pause_s=0.0):
    async def batches():
        for item in split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60):
            yield item
            if pause_s:
                await asyncio.sleep(pause_s)

    result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(batches())
    return {c.lap.lap_number: c.lap for c in result.laps}


async def login_link(mesh, token) -> str:
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        reply = await client.post("/api/v1/login-codes", headers={"Authorization": f"Bearer {token}"})
    return mesh.gateway_url + reply.json()["loginPath"]


async def test_login_link_then_session_view_with_lap_chart_theoretical_best_and_consistency(mesh, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    session, arrays = session_and_arrays(simulated_ibt[0])
    # lap 2 leaves the track for two seconds: analysis flags it, the chart marks it
    arrays = dict(arrays)
    on_lap_2 = np.flatnonzero(arrays["lap"] == 2)
    arrays["track_surface"] = arrays["track_surface"].copy()
    arrays["track_surface"][on_lap_2[1500:1620]] = 0
    laps = await upload(mesh, token, session, arrays)
    assert not laps[2].valid and laps[1].valid and laps[3].valid
    async with chromium() as browser:
        page = await browser.new_page(width=1300, height=950)
        await page.goto(await login_link(mesh, token))
        await page.wait_for("document.querySelector('#sessions tbody tr')")
        assert await page.evaluate("location.pathname + location.hash") in ("/", "/#/")
        cookies = (await page.send("Network.getCookies", {"urls": [mesh.gateway_url]}))["cookies"]
        cookie = next(c for c in cookies if c["name"] == COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"] != token
        assert await page.evaluate("document.cookie") == ""  # out of the page's reach
        assert await page.evaluate("localStorage.length") == 0

        await page.click(f"#sessions tbody tr[data-href='#/sessions/{session.session_id}']")
        await page.wait_for("window.racecoach && window.racecoach.view === 'session' && window.racecoach.chart")
        state = json.loads(await page.evaluate(
            f"JSON.stringify({{data: window.racecoach.chart.data, ideal: window.racecoach.theoreticalBest,"
            f" sigma: window.racecoach.consistency, inked: {INKED}(document.querySelector('#lap-times canvas'))}})"))
        times = {n: lap.lap_time.ToTimedelta().total_seconds() for n, lap in laps.items() if lap.lap_time.ByteSize()}
        x, valid, invalid = state["data"][:3]
        assert x == sorted(times) and 2 in x
        assert valid[x.index(2)] is None and abs(invalid[x.index(2)] - times[2]) < 1e-3  # the invalid lap, marked apart
        assert abs(valid[x.index(3)] - times[3]) < 1e-3 and all(v is None for i, v in enumerate(invalid) if x[i] != 2)
        valid_times = [times[n] for n in (1, 3)]
        assert abs(state["sigma"] - statistics.stdev(valid_times)) < 1e-6
        best = min(valid_times)
        assert best - 0.5 < state["ideal"] <= best + 1e-9  # the best segments of laps 1 and 3
        assert all(v == pytest.approx(state["ideal"]) for v in state["data"][3])
        assert state["inked"] > 1500  # points and lines on the canvas
        assert "Theoretical best" in await page.evaluate("document.querySelector('#stat-ideal').textContent")
        assert "invalid" in await page.evaluate(f"document.querySelector(\"#laps tr[data-href='#/laps/{laps[2].lap_id}']\").className")
        await keep_screenshot(page, tmp_path, "session-view.png")

        # reload: still signed in by the cookie, no token anywhere in the address
        await page.reload()
        await page.wait_for("window.racecoach && window.racecoach.view === 'session' && window.racecoach.chart")
        assert "token" not in await page.evaluate("location.href")


async def test_live_view_follows_a_session_being_driven(mesh, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    session, arrays = session_and_arrays(simulated_ibt[0])
    driving = asyncio.create_task(upload(mesh, token, session, arrays, pause_s=0.02))
    try:
        async with httpx.AsyncClient(base_url=mesh.gateway_url, headers={"Authorization": f"Bearer {token}"}) as client:
            while (await client.get(f"/api/v1/sessions/{session.session_id}")).status_code != 200:
                await asyncio.sleep(0.1)
        async with chromium() as browser:
            page = await browser.new_page(width=1200, height=900)
            await page.goto(await login_link(mesh, token))
            await page.wait_for("document.querySelector('#sessions tbody tr')")
            await page.evaluate(f"location.hash = '#/sessions/{session.session_id}'")
            await page.click("#live-link")
            await page.wait_for("window.racecoach && window.racecoach.view === 'live' && window.racecoach.updates > 0")
            assert await page.evaluate("location.hash") == f"#/live/{session.session_id}"
            first = await page.evaluate("window.racecoach.sampleCount")
            await page.wait_for(f"window.racecoach.sampleCount > {first} && window.racecoach.updates > 2", timeout=60)
            assert "Driving" in await page.evaluate("document.querySelector('#live-status').textContent")
            # a lap closes while the page watches: its time, its delta drawn, then its remarks
            await page.wait_for("window.racecoach.lastLap && window.racecoach.lastLap.lapNumber >= 2 && window.racecoach.lastLap.reported", timeout=90)
            shown = json.loads(await page.evaluate(
                f"JSON.stringify({{n: window.racecoach.chart.data[1].length, inked: {INKED}(document.querySelector('#live-delta canvas')),"
                " title: document.querySelector('#live-lap-title').textContent, delta: document.querySelector('#live-lap-delta').textContent,"
                " cues: document.querySelectorAll('#live-remarks li').length})"))
            assert shown["n"] > 500 and shown["inked"] > 1000, shown
            assert shown["title"].startswith("Lap ") and "session best" in shown["delta"] and shown["cues"] >= 1
            await page.screenshot(tmp_path / "live-last-lap.png")
            await driving
            await page.wait_for("window.racecoach.lastLap.lapNumber === 3", timeout=60)
            assert "Lap 3" in await page.evaluate("document.querySelector('#live-lap-title').textContent")
    finally:
        if not driving.done():
            driving.cancel()


async def test_api_docs_render_offline_from_the_gateway(mesh, tmp_path):
    async with chromium() as browser:
        page = await browser.new_page(width=1200, height=900)
        await page.goto(f"{mesh.gateway_url}/schema")
        await page.wait_for("document.querySelectorAll('.swagger-ui .opblock').length > 10")
        resources = await page.evaluate(
            "[location.href, ...performance.getEntriesByType('resource').map(e => e.name),"
            " ...Array.from(document.querySelectorAll('script[src], link[href], img[src]')).map(e => e.src || e.href)]")
        assert len(resources) > 3
        assert all(r.startswith(mesh.gateway_url) or r.startswith("data:") for r in resources), resources
        text = await page.evaluate("document.body.innerText")
        assert "Racing Coach REST API" in text and "/api/v1/laps/{lap_id}/columns" in text and "Authorize" in text
        await keep_screenshot(page, tmp_path, "api-docs.png")
