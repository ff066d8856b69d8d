"""The dashboard in a real headless Chromium against a real gateway and mesh.

Chromium runs as Debian ships it, with a fresh profile and no network but loopback; the tests
drive it over the DevTools protocol (``headless_chromium``): real clicks, key presses and mouse
drags, then JavaScript reads what the page drew (uPlot's data and scales, canvas pixels, SVG paths).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from headless_chromium import CHROMIUM, chromium, keep_screenshot
from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it where apt works)"),
]
LAP_VIEW = "document.body.dataset.view === 'lap' && window.racecoach && window.racecoach.view === 'lap'"


async def upload(mesh, token, ibt, *, keep=None, drop=()):
    """Replay ``ibt`` (optionally only the samples ``keep`` selects, without the channels ``drop``) as a new session."""
    session, arrays = load_ibt(ibt)
    session.session_id = str(uuid.uuid4())
    arrays = {name: (values if keep is None else values[keep]) for name, values in arrays.items() if name not in drop}
    result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
        split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60)
    )
    return session.session_id, {c.lap.lap_number: c.lap.lap_id for c in result.laps}


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


CHART_STATE = """JSON.stringify(window.racecoach.traces.charts.map(({name, u}) => {
  const ctx = u.ctx, {left, top, width, height} = u.bbox;
  const pixels = ctx.getImageData(left, top, width, height).data;
  let inked = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inked++;
  return {name, lengths: u.data.map(s => s.length), finite: u.data[1].filter(Number.isFinite).length,
          min: u.scales.x.min, max: u.scales.x.max, inked, last: u.data[1][u.data[1].length - 1]};
}))"""


async def chart_state(page) -> dict:
    import json

    return {c["name"]: c for c in json.loads(await page.evaluate(CHART_STATE))}


async def test_lap_view_overlays_the_reference_with_delta_map_corners_and_remarks(mesh, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    session_id, laps = await upload(mesh, token, simulated_ibt[0])
    async with chromium() as browser:
        page = await browser.new_page(width=1400, height=1000)
        await page.goto(f"{mesh.gateway_url}/#token={token}")
        await page.wait_for("document.querySelector('#sessions tbody tr')")
        assert "Red Bull Ring" in await page.evaluate("document.querySelector('#sessions').textContent")
        assert await page.evaluate("location.hash") == "#/"  # the token left the address bar

        # sessions → session → lap 2, by clicking
        await page.click("#sessions tbody tr")
        await page.wait_for("document.querySelector('#laps tbody tr')")
        assert await page.evaluate("location.hash") == f"#/sessions/{session_id}"
        table = await page.evaluate("document.querySelector('#laps').textContent")
        assert "1:23.652" in table and "1:24.397" in table
        await page.click(f"#laps tbody tr[data-href='#/laps/{laps[2]}']")
        await page.wait_for(LAP_VIEW)
        assert await page.evaluate("location.hash") == f"#/laps/{laps[2]}"
        assert await page.evaluate("document.querySelector('#lap-title').textContent") == "Lap 2: 1:24.397"
        assert "+0.745 s" in await page.evaluate("document.querySelector('#lap-delta').textContent")

        # every trace drew from the comparison grid (lap and reference), the delta from the delta route
        charts = await chart_state(page)
        assert set(charts) == {"speed", "throttle", "brake", "gear", "steering", "delta"}
        grid = charts["speed"]["lengths"][0]
        assert grid > 800
        for name in ("speed", "throttle", "brake", "gear", "steering"):
            assert charts[name]["lengths"] == [grid, grid, grid], name
            assert charts[name]["finite"] > 0.9 * grid, name
            assert charts[name]["inked"] > 500, name  # pixels on the canvas, not an empty plot
        assert charts["delta"]["lengths"][0] > 4000 and abs(charts["delta"]["last"] - 0.745) < 0.01

        # the map: Lat/Lon of the lap, red where the early braking loses time, corner badges
        segments = await page.evaluate(
            "Array.from(document.querySelectorAll('#track-map path')).map(p => [Number(p.dataset.from), Number(p.dataset.slope), p.getAttribute('d').split('L').length])"
        )
        assert len(segments) > 150 and sum(points for *_, points in segments) > 2000
        assert await page.evaluate("document.querySelector('#track-map').dataset.source") == "position"
        losing = [start for start, slope, _ in segments if slope > 0.002]
        assert losing and all(1950 <= start <= 2300 for start in losing)
        assert await page.evaluate("document.querySelectorAll('#track-map .corner-label').length") >= 9

        # the corner table: numbers per corner; sorting by total loss puts the mistake's corner first
        rows = await page.evaluate("Array.from(document.querySelectorAll('#corner-table tbody tr')).map(r => Array.from(r.cells).map(c => c.textContent))")
        assert len(rows) >= 9
        corner_3 = next(r for r in rows if r[0].strip().startswith("3"))
        assert "Schlossgold" in corner_3[0] and corner_3[1].startswith("2041") and corner_3[1].endswith("21")
        assert all(any(ch.isdigit() for ch in cell) for cell in corner_3[2:6])
        await page.click("#corner-table th[data-key='total'] button")
        await page.click("#corner-table th[data-key='total'] button")  # descending
        assert await page.evaluate("document.querySelector('#corner-table tbody tr').dataset.corner") == "3"

        # hovering the speed trace reads both laps at one distance and moves the map's cursor
        x, y = await page.center("[data-chart='speed'] .u-over")
        await page.mouse("mouseMoved", x, y)
        readout = await page.wait_for("document.querySelector('#readout .value[data-channel=\"speed\"]')?.textContent")
        assert "/" in readout and "km/h" in readout
        assert await page.evaluate("document.querySelector('.map-cursor').getAttribute('visibility')") == "visible"

        # a remark jumps: traces and map zoom to its distance
        full_box = await page.evaluate("document.querySelector('#track-map').viewBox.baseVal.width")
        await page.click("#feedback .remark[data-corner='3']")
        distance = float(await page.evaluate("document.querySelector('#feedback .remark[data-corner=\"3\"]').dataset.distance"))
        charts = await chart_state(page)
        for chart in charts.values():
            assert chart["min"] <= distance <= chart["max"] and chart["max"] - chart["min"] < 1000, chart
        assert await page.evaluate("document.querySelector('#track-map').viewBox.baseVal.width") < full_box / 2
        assert await page.wait_for(f"document.querySelector('#readout b').textContent === '{distance:.0f} m'")
        await page.evaluate("window.scrollTo(0, 0)")
        await keep_screenshot(page, tmp_path, "lap-view-desktop.png")

        # double-click resets; dragging across the speed trace zooms every trace
        x, y = await page.center("[data-chart='speed'] .u-over")
        await page.double_click(x, y)
        charts = await chart_state(page)
        assert charts["speed"]["max"] - charts["speed"]["min"] > 4000
        await page.drag(x - 200, y, x + 100)
        charts = await chart_state(page)
        widths = {round(c["max"] - c["min"]) for c in charts.values()}
        assert len(widths) == 1 and 0 < widths.pop() < 3000

        await page.resize(390, 844)
        await page.wait_for("document.querySelector('[data-chart=\"speed\"] canvas').getBoundingClientRect().width < 390")
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling of the page
        await page.evaluate("window.scrollTo(0, 0)")
        await page.screenshot(tmp_path / "lap-390.png")
        assert (tmp_path / "lap-view-desktop.png").stat().st_size > 20000


async def test_reference_chooser_changes_the_delta_and_reload_keeps_the_view(mesh, token_for, simulated_ibt):
    token = await token_for()
    session_id, laps = await upload(mesh, token, simulated_ibt[0])
    async with chromium() as browser:
        page = await browser.new_page(width=1200, height=900)
        await page.goto(f"{mesh.gateway_url}/#token={token}&session={session_id}")
        await page.wait_for("document.querySelector('#laps tbody tr')")
        # the keyboard: rows are in the tab order and Enter opens one
        await page.evaluate(f"document.querySelector(\"#laps tbody tr[data-href='#/laps/{laps[1]}']\").focus()")
        await page.key("Enter")
        await page.wait_for(LAP_VIEW)
        assert await page.evaluate("location.hash") == f"#/laps/{laps[1]}"
        # lap 1 against the session best (lap 3, a few microseconds apart): no time to find
        assert abs(await page.evaluate("window.racecoach.lapDelta")) < 0.01
        assert await page.evaluate("window.racecoach.referenceLapId") == laps[3]

        await page.evaluate(f"(() => {{ const s = document.querySelector('#reference'); s.value = 'lap:{laps[2]}'; s.dispatchEvent(new Event('change')); }})()")
        await page.wait_for(f"{LAP_VIEW} && window.racecoach.referenceLapId === '{laps[2]}'")
        assert await page.evaluate("location.hash") == f"#/laps/{laps[1]}?ref=lap%3A{laps[2]}"
        assert abs(await page.evaluate("window.racecoach.lapDelta") + 0.745) < 0.01  # lap 1 gains on lap 2
        delta = (await chart_state(page))["delta"]
        assert abs(delta["last"] + 0.745) < 0.01
        assert "−0.745 s vs lap 2" in await page.evaluate("document.querySelector('#lap-delta').textContent")

        await page.reload()
        await page.wait_for(f"{LAP_VIEW} && window.racecoach.referenceLapId === '{laps[2]}'")
        assert await page.evaluate("document.querySelector('#reference').value") == f"lap:{laps[2]}"
        await page.evaluate("history.back()")
        await page.wait_for(f"{LAP_VIEW} && window.racecoach.referenceLapId === '{laps[3]}'")

        await page.evaluate("(() => { const s = document.querySelector('#reference'); s.value = 'personal-best'; s.dispatchEvent(new Event('change')); })()")
        await page.wait_for(f"{LAP_VIEW} && location.hash.endsWith('ref=personal-best')")
        assert await page.evaluate("window.racecoach.referenceLapId") == laps[3]


async def test_map_is_rebuilt_from_heading_without_position_and_a_file_without_a_lap_says_so(mesh, token_for, simulated_ibt):
    token = await token_for()
    _, laps = await upload(mesh, token, simulated_ibt[0], drop=("lat_deg", "lon_deg"))
    partial, _ = await upload(mesh, token, simulated_ibt[0], keep=slice(0, 3000))
    async with chromium() as browser:
        page = await browser.new_page(width=1200, height=900)
        await page.goto(f"{mesh.gateway_url}/#token={token}&lap={laps[2]}")
        await page.wait_for(LAP_VIEW)
        assert await page.evaluate("document.querySelector('#track-map').dataset.source") == "heading"
        # the rebuilt line is the track's shape: about as wide as the Lat/Lon one (Red Bull Ring, ~1 km across)
        width = await page.evaluate("document.querySelector('#track-map').viewBox.baseVal.width")
        assert 600 < width < 2000
        assert "Rebuilt from heading" in await page.evaluate("document.querySelector('.map-note').textContent")

        await page.goto(f"{mesh.gateway_url}/#/sessions/{partial}")
        text = await page.wait_for("document.querySelector('#no-laps')?.textContent")
        assert "no complete lap" in text


async def test_dashboard_with_a_bad_token_says_so(mesh):
    dom = await render(f"{mesh.gateway_url}/#token=rc_not-valid")
    assert "unknown token" in dom
