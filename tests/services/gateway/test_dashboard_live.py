"""The live view's lap being driven: the running delta to the reference and the live cues, in headless Chromium.

A simulated Red Bull Ring session (20 m early braking at Turn 3 on lap 2) is replayed through
the real mesh and held at two places while the page watches: lap 2 past Turn 3, where the
running delta against lap 1 must read the 0.745 s the early braking costs (and about zero
before it), then lap 3 past Turn 3, where coaching has cued "brake later" for Turn 3 (lap 2's
mistake) before the car got there, and the delta is about zero again.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest

from headless_chromium import CHROMIUM, chromium, keep_screenshot
from racecoach.client.uploader import Uploader, split_batches
from test_dashboard_views import INKED, login_link, session_and_arrays

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it where apt works)"),
]
PER_BATCH = 60
HOLD_AT_M = 2700.0

CURRENT = f"""JSON.stringify({{now: window.racecoach.currentLap, shown: document.querySelector('#live-now-delta').textContent,
  vs: document.querySelector('#live-now-ref').textContent, where: document.querySelector('#live-now').textContent,
  points: window.racecoach.currentChart.data[0].length, inked: {INKED}(document.querySelector('#live-now-chart canvas')),
  cues: Array.from(document.querySelectorAll('#live-cues li[data-corner]')).map(li => [Number(li.dataset.corner), li.textContent])}})"""


def held(page_state: str) -> str:
    return f"window.racecoach && window.racecoach.view === 'live' && window.racecoach.currentLap && {page_state}"


async def test_live_view_shows_the_running_delta_of_the_lap_being_driven_and_the_cues(mesh, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    session, arrays = session_and_arrays(simulated_ibt[0])
    lap, dist = arrays["lap"], arrays["lap_dist_m"]
    holds = [int(np.flatnonzero((lap == n) & (dist >= HOLD_AT_M))[0]) // PER_BATCH for n in (2, 3)]  # batch indices
    gates = [asyncio.Event(), asyncio.Event()]

    async def batches():
        for index, item in enumerate(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=PER_BATCH)):
            for hold, gate in zip(holds, gates):
                if index == hold:
                    await gate.wait()
            yield item
            await asyncio.sleep(0.01)

    driving = asyncio.create_task(Uploader(address=mesh.address("ingest"), token=token, session=session).run(batches()))
    try:
        async with chromium() as browser:
            page = await browser.new_page(width=1300, height=1000)
            await page.goto(await login_link(mesh, token))
            await page.wait_for("document.querySelector('#sessions tbody tr')")
            await page.evaluate(f"location.hash = '#/live/{session.session_id}'")

            # held on lap 2 past Turn 3: 0.745 s lost there, and only there
            await page.wait_for(held(f"window.racecoach.currentLap.lapNumber === 2 && window.racecoach.currentLap.distanceM > {HOLD_AT_M - 100}"), timeout=90)
            state = json.loads(await page.evaluate(CURRENT))
            now = state["now"]
            assert now["referenceLapNumber"] == 1 and now["started"]
            assert abs(now["deltaS"] - 0.745) < 0.06, now["deltaS"]
            assert state["shown"].startswith("+0.7") and state["vs"] == "vs lap 1", state
            assert state["where"].startswith("Lap 2 · ")
            trace = dict(zip(now["trace"]["distanceM"], now["trace"]["deltaS"]))
            before = [d for m, d in trace.items() if 300 <= m <= 1900]
            after = [d for m, d in trace.items() if 2350 <= m]
            assert len(before) > 100 and max(abs(d) for d in before) < 0.05
            assert after and all(abs(d - 0.745) < 0.08 for d in after)
            assert state["points"] == len(trace) > 200 and state["inked"] > 300, state  # the trace drawn, not an empty frame
            assert not state["cues"]  # lap 1 was clean: nothing to cue on lap 2

            # held on lap 3 past Turn 3: lap 2's early braking was cued before the corner, the time is back
            gates[0].set()
            await page.wait_for(held(f"window.racecoach.currentLap.lapNumber === 3 && window.racecoach.currentLap.distanceM > {HOLD_AT_M - 100}"
                                     " && document.querySelector('#live-cues li[data-corner]')"), timeout=90)
            state = json.loads(await page.evaluate(CURRENT))
            now = state["now"]
            corners = [corner for corner, _ in state["cues"]]
            assert 3 in corners, state["cues"]
            text = next(text for corner, text in state["cues"] if corner == 3)
            assert "Turn 3: brake" in text and "later" in text
            cue = next(c for c in now["cues"] if c["cornerNumber"] == 3)
            assert 1950 < cue["targetDistanceM"] < 2150 and 40 <= cue["leadDistanceM"] <= 250  # ahead of the brake point
            assert now["referenceLapNumber"] == 1 and abs(now["deltaS"]) < 0.05, now["deltaS"]
            await page.evaluate("window.scrollTo(0, 0)")
            await keep_screenshot(page, tmp_path, "live-view.png")
            gates[1].set()
            await asyncio.wait_for(driving, 120)
    finally:
        for gate in gates:
            gate.set()
        if not driving.done():
            driving.cancel()
