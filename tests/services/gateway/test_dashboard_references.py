"""The reference chooser offers the driver's other sessions of the track and car, and imported references."""

from __future__ import annotations

import uuid

import pytest

from headless_chromium import CHROMIUM, chromium, keep_screenshot
from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.telemetry.v1 import telemetry_pb2
from test_dashboard import LAP_VIEW, upload

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it where apt works)"),
]

OPTIONS = """JSON.stringify([...document.querySelectorAll('#reference optgroup')].map(g =>
  ({label: g.label, values: [...g.children].map(o => o.value), texts: [...g.children].map(o => o.textContent)})))"""


async def imported(mesh, token, ibt) -> dict[int, str]:
    """``ibt`` stored as an imported reference (as replay --as-reference stores it)."""
    session, arrays = load_ibt(ibt)
    session.session_id = str(uuid.uuid4())
    session.source = telemetry_pb2.SESSION_SOURCE_REFERENCE_IBT
    session.source_name = "coach.ibt"
    result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
        split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
    return {c.lap.lap_number: c.lap.lap_id for c in result.laps if c.lap.valid}


async def test_laps_of_other_sessions_and_imported_references_can_be_chosen(mesh, token_for, simulated_ibt, tmp_path):
    import json

    token = await token_for()
    _, earlier = await upload(mesh, token, simulated_ibt[0])
    coach = await imported(mesh, token, simulated_ibt[0])
    session_id, laps = await upload(mesh, token, simulated_ibt[0])
    async with chromium() as browser:
        page = await browser.new_page(width=1200, height=900)
        await page.goto(f"{mesh.gateway_url}/#token={token}&lap={laps[1]}")
        await page.wait_for(f"{LAP_VIEW} && document.querySelectorAll('#reference optgroup').length >= 3")
        groups = {g["label"]: g for g in json.loads(await page.evaluate(OPTIONS))}
        assert set(groups) == {"Laps of this session", "Imported references", "Your other sessions"}
        assert groups["Imported references"]["values"] == [f"lap:{coach[n]}" for n in sorted(coach)]
        assert all(text.startswith("coach.ibt: lap ") for text in groups["Imported references"]["texts"])
        # the earlier session offers its fastest valid lap (laps 1 and 3 of the simulated file are a few µs apart)
        (best,) = groups["Your other sessions"]["values"]
        assert best in {f"lap:{earlier[1]}", f"lap:{earlier[3]}"}

        await page.evaluate(f"(() => {{ const s = document.querySelector('#reference'); s.value = 'lap:{coach[2]}';"
                            " s.dispatchEvent(new Event('change')); })()")
        await page.wait_for(f"{LAP_VIEW} && window.racecoach.referenceLapId === '{coach[2]}'")
        assert abs(await page.evaluate("window.racecoach.lapDelta") + 0.745) < 0.01  # lap 1 gains on lap 2, as in its session
        await page.wait_for("document.querySelectorAll('#reference optgroup').length >= 3")
        assert await page.evaluate("document.querySelector('#reference').value") == f"lap:{coach[2]}"
        # shown in its place among the imported references, not as a bare lap of "another session"
        chosen = await page.evaluate("(() => { const s = document.querySelector('#reference');"
                                     " const o = s.options[s.selectedIndex]; return [o.textContent, o.parentElement.label]; })()")
        assert chosen[0].startswith("coach.ibt: lap 2") and chosen[1] == "Imported references"
        assert await page.evaluate("document.querySelectorAll('#reference option[data-placeholder]').length") == 0
        shot = await keep_screenshot(page, tmp_path, "lap-vs-imported-reference.png")
        assert shot.stat().st_size > 20000  # the traces, map and report drawn against the imported lap
