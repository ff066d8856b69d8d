"""The lap view's zoom in the address (reload, Back, Forward), pinch and drag by touch, and every view at 390 px."""

from __future__ import annotations

import json
import re

import pytest

from headless_chromium import CHROMIUM, chromium, keep_screenshot
from test_dashboard import LAP_VIEW, chart_state, upload
from test_dashboard_views import login_link

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it where apt works)"),
]


def address_range(hash_: str) -> tuple[int, int] | None:
    found = re.search(r"[?&]from=(\d+)&to=(\d+)", hash_)
    return (int(found.group(1)), int(found.group(2))) if found else None


async def ranges(page) -> set[tuple[int, int]]:
    return {(round(c["min"]), round(c["max"])) for c in (await chart_state(page)).values()}


async def test_zoom_lives_in_the_address_reload_keeps_it_and_back_undoes_it(mesh, token_for, simulated_ibt):
    token = await token_for()
    _, laps = await upload(mesh, token, simulated_ibt[0])
    async with chromium() as browser:
        page = await browser.new_page(width=1300, height=950)
        await page.goto(f"{mesh.gateway_url}/#token={token}&lap={laps[2]}")
        await page.wait_for(LAP_VIEW)
        assert address_range(await page.evaluate("location.hash")) is None
        whole = await ranges(page)
        assert len(whole) == 1 and next(iter(whole))[1] > 4000

        # a mouse drag across the speed trace zooms every trace and writes the range into the address
        x, y = await page.center("[data-chart='speed'] .u-over")
        await page.drag(x - 150, y, x + 120)
        hash_ = await page.wait_for("/from=/.test(location.hash) && location.hash")
        zoomed = address_range(hash_)
        assert zoomed and 0 < zoomed[1] - zoomed[0] < 2500
        assert await ranges(page) == {zoomed}
        assert hash_.startswith(f"#/laps/{laps[2]}?")

        # reload: the same range, drawn from the lap's real data (ink on the zoomed canvas)
        await page.reload()
        await page.wait_for(f"{LAP_VIEW} && window.racecoach.traces.charts[0].u.scales.x.max - window.racecoach.traces.charts[0].u.scales.x.min < 3000")
        assert await ranges(page) == {zoomed}
        assert all(c["inked"] > 300 for c in (await chart_state(page)).values())
        assert await page.evaluate("document.querySelectorAll('#track-map path.outside').length") > 0  # the map follows

        # a second zoom (the Turn 3 remark), then Back twice: the first zoom, then the whole lap; Forward again
        await page.click("#feedback .remark[data-corner='3']")
        second = address_range(await page.wait_for(f"location.hash.indexOf('from={zoomed[0]}&to={zoomed[1]}') < 0 && /from=/.test(location.hash) && location.hash"))
        assert second != zoomed and await ranges(page) == {second}
        await page.evaluate("history.back()")
        await page.wait_for(f"/from={zoomed[0]}&to={zoomed[1]}/.test(location.hash)")
        await page.wait_for(f"Math.round(window.racecoach.traces.charts[0].u.scales.x.min) === {zoomed[0]}")
        assert await ranges(page) == {zoomed}
        await page.evaluate("history.back()")
        await page.wait_for("!/from=/.test(location.hash) && window.racecoach.traces.charts[0].u.scales.x.max > 4000")
        assert await ranges(page) == whole and await page.evaluate("window.racecoach.view") == "lap"
        await page.evaluate("history.forward()")
        await page.wait_for(f"Math.round(window.racecoach.traces.charts[0].u.scales.x.min) === {zoomed[0]}")
        assert await ranges(page) == {zoomed}

        # a typed address with a range opens the lap zoomed there
        await page.goto(f"{mesh.gateway_url}/#/laps/{laps[1]}?from=1900&to=2400")
        await page.wait_for(f"{LAP_VIEW} && window.racecoach.lapId === '{laps[1]}' && Math.round(window.racecoach.traces.charts[0].u.scales.x.min) === 1900")
        assert await ranges(page) == {(1900, 2400)}


async def touch(page, kind: str, points: list[tuple[float, float]]) -> None:
    await page.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})


async def test_pinch_zooms_and_a_sideways_drag_pans_on_a_touch_screen(mesh, token_for, simulated_ibt):
    token = await token_for()
    _, laps = await upload(mesh, token, simulated_ibt[0])
    async with chromium() as browser:
        page = await browser.new_page(width=390, height=844)
        await page.send("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
        await page.goto(f"{mesh.gateway_url}/#token={token}&lap={laps[2]}")
        await page.wait_for(LAP_VIEW)
        x, y = await page.center("[data-chart='speed'] .u-over")
        box = json.loads(await page.evaluate("JSON.stringify(document.querySelector(\"[data-chart='speed'] .u-over\").getBoundingClientRect())"))
        (lo, hi), = await ranges(page)
        at_centre = lo + (x - box["x"]) / box["width"] * (hi - lo)
        history_before = await page.evaluate("history.length")

        # two fingers 40 px apart spread to 160 px: a quarter of the range, the distance under the centre kept
        await touch(page, "touchStart", [(x - 20, y), (x + 20, y)])
        for step in range(1, 9):
            await touch(page, "touchMove", [(x - 20 - 7.5 * step, y), (x + 20 + 7.5 * step, y)])
        await touch(page, "touchEnd", [])
        (a, b), = await ranges(page)
        assert abs((b - a) - (hi - lo) / 4) < 0.05 * (hi - lo), (a, b)
        assert abs((a + (x - box["x"]) / box["width"] * (b - a)) - at_centre) < 30
        assert address_range(await page.wait_for("location.hash")) == (a, b)
        assert await page.evaluate("history.length") == history_before + 1  # one entry for the whole gesture

        # one finger dragged 100 px to the left: the same span, further along the lap
        await touch(page, "touchStart", [(x + 50, y)])
        for step in range(1, 6):
            await touch(page, "touchMove", [(x + 50 - 20 * step, y)])
        await touch(page, "touchEnd", [])
        (c, d), = await ranges(page)
        assert abs((d - c) - (b - a)) <= 1 and abs((c - a) - 100 / box["width"] * (b - a)) < 10, (a, b, c, d)


OVERFLOW = """(() => { const out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (!r.width || r.right <= window.innerWidth + 0.5) continue;
    let clipped = false;
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (['auto', 'scroll', 'hidden'].includes(s.overflowX) && p.getBoundingClientRect().right <= window.innerWidth + 0.5) { clipped = true; break; }
    }
    if (!clipped) out.push(e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className + ' ' + Math.round(r.right));
  }
  const small = Array.from(document.querySelectorAll('main *')).filter(e => e.childNodes.length && Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())
    && parseFloat(getComputedStyle(e).fontSize) < 11).map(e => e.tagName + ' ' + getComputedStyle(e).fontSize);
  return JSON.stringify({scrollWidth: document.documentElement.scrollWidth, out: out.slice(0, 8), small: small.slice(0, 8)}); })()"""


async def test_every_view_fits_a_390_px_phone(mesh, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    session_id, laps = await upload(mesh, token, simulated_ibt[0])
    async with chromium() as browser:
        page = await browser.new_page(width=390, height=844)
        await page.goto(await login_link(mesh, token))
        views = {
            "sessions": ("#/", "document.querySelector('#sessions tbody tr')"),
            "session": (f"#/sessions/{session_id}", "window.racecoach.view === 'session' && window.racecoach.chart"),
            "lap": (f"#/laps/{laps[2]}?from=1800&to=2500", f"{LAP_VIEW} && document.querySelector('#corner-table tbody tr')"),
            "live": (f"#/live/{session_id}", "window.racecoach.view === 'live' && window.racecoach.updates > 0 && window.racecoach.currentLap"),
        }
        for name, (hash_, ready) in views.items():
            await page.evaluate(f"location.hash = '{hash_}'")
            await page.wait_for(ready)
            await page.evaluate("new Promise(r => setTimeout(r, 300))")  # charts take the width of the phone
            found = json.loads(await page.evaluate(OVERFLOW))
            assert found["scrollWidth"] <= 390 and not found["out"], (name, found)  # no sideways scrolling, nothing cut off
            assert not found["small"], (name, found)  # no text under 11 px
            if name == "lap":
                canvas = await page.evaluate("document.querySelector('[data-chart=\"speed\"] canvas').getBoundingClientRect().width")
                assert 300 < canvas <= 390
                await page.evaluate("window.scrollTo(0, 0)")
                await keep_screenshot(page, tmp_path, "lap-view-390.png")
