"""Accuracy of the analysis on simulated laps against the simulator's ground truth.

Which truth corners count: the **braked corners** (truth ``brake_point_m`` is set). A braked
corner has a brake point and a clear speed minimum, the two facts coaching is built on; the
analysis must find exactly as many corners with a braking zone leading into them, each with its
apex within 10 m of the truth and the start of the last brake application before it within 3 m.
Corners taken flat out (no brake, often no speed minimum) are not counted: whether a flat kink
crosses the curvature threshold is a matter of taste, and the analysis does not coach them.

The simulator's notions were reconciled with the kernels through the analysis settings
(``services/analysis/lap.py``: ``ZONE_PARAMS``, ``CORNER_PARAMS``): corners follow curvature peaks
within ±40 m (the simulator's ``PEAK_WINDOW_M``) and every brake application above 2 % is a zone
(the simulator's ``BRAKE_ON``).

Mistake corners are chosen where the truth's brake point is well defined on the mistake lap:
an early brake at Monza's first chicane leaves a 1 m re-application just before the apex, which
the truth takes as the brake point, and at Spa's corner 4 the early zone ends outside the
truth's search window (the truth then says the corner was not braked).
"""

from __future__ import annotations

import numpy as np
import pytest
from racecoach.client.simulator import (
    DriverProfile,
    brake_early,
    ideal_corners,
    simulate_session,
)
from racecoach.client.source import canonical_arrays
from racecoach.services.analysis.stream import StreamAnalyzer
from racecoach.telemetry.v1 import telemetry_pb2

# track, which braked corner (1-based among the braked ones) gets the 20 m early brake on lap 2
CASES = [("Spielberg", 3), ("Monza", 6), ("Suzuka", 9), ("Zandvoort", 6), ("Spa", 2), ("BrandsHatch", 2)]
BATCH = 600


def _braked_corner_number(track: str, k: int) -> int:
    braked = [c.number for c in ideal_corners(track=track) if c.ideal.brake_point_m is not None]
    return braked[k - 1]


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def analysed(request):
    track, k = request.param
    corner = _braked_corner_number(track, k)
    sim = simulate_session(track=track, laps=3, profile=DriverProfile(mistakes=(brake_early(corner=corner, metres=20, laps=(2,)),)))
    arrays = canonical_arrays(sim.channels)
    session = telemetry_pb2.Session(session_id=f"sim-{track}", track=telemetry_pb2.Track(name=track, length_m=sim.track.length_m))
    analyzer = StreamAnalyzer(session=session)
    events = []
    n = len(arrays["session_time_s"])
    for seq, start in enumerate(range(0, n, BATCH), start=1):
        events += analyzer.feed({name: a[start : start + BATCH] for name, a in arrays.items()}, seq=seq)
    return sim, corner, {e.lap.lap_number: e for e in events}


def test_every_timed_lap_is_found_with_its_time(analysed):
    sim, _, events = analysed
    for truth in sim.truth["laps"]:
        lap = events[truth["lap"]].lap
        assert lap.valid
        assert lap.lap_time.ToNanoseconds() / 1e9 == pytest.approx(truth["lap_time_s"], abs=0.02)


def _zone_brake_point(lap, number: int) -> float | None:
    zones = [z.brake_point_m for z in lap.braking_zones if z.corner_number == number]
    return zones[-1] if zones else None


def test_braked_corners_count_apex_and_brake_point(analysed):
    sim, _, events = analysed
    for truth in sim.truth["laps"]:
        lap = events[truth["lap"]].lap
        braked_truth = [c for c in truth["corners"] if c["brake_point_m"] is not None]
        braked_found = [c for c in lap.corners if _zone_brake_point(lap, c.number) is not None]
        assert len(braked_found) == len(braked_truth), (
            f"lap {truth['lap']}: {[round(c.apex_m) for c in braked_found]} vs {[c['apex_m'] for c in braked_truth]}")
        for want in braked_truth:
            near = [c for c in braked_found if abs(c.apex_m - want["apex_m"]) <= 10.0]
            assert len(near) == 1, f"lap {truth['lap']} corner {want['corner']}: apex {want['apex_m']} not found"
            got = _zone_brake_point(lap, near[0].number)
            assert got == pytest.approx(want["brake_point_m"], abs=3.0), f"corner {want['corner']} brake point"


def test_corner_numbers_mean_one_place_on_every_lap(analysed):
    _, _, events = analysed
    apexes = [{c.number: c.apex_m for c in e.lap.corners} for e in events.values()]
    for a in apexes[1:]:
        for number, apex in a.items():
            assert abs(apex - apexes[0][number]) <= 10.0


def test_losses_sum_to_the_lap_delta_and_the_mistake_corner_loses_most(analysed):
    sim, corner, events = analysed
    times = {t["lap"]: t["lap_time_s"] for t in sim.truth["laps"]}
    event = events[2]  # the lap with the mistake, compared with the best lap so far (lap 1)
    assert event.HasField("comparison") and event.reference.lap_number == 1
    cmp = event.comparison
    losses = np.array([c.time_loss_s for c in cmp.corner_deltas])
    lap_delta = cmp.lap_delta.ToNanoseconds() / 1e9
    assert losses.sum() == pytest.approx(lap_delta, abs=1e-3)
    assert lap_delta == pytest.approx(times[2] - times[1], abs=0.02)
    assert lap_delta > 0.05
    truth_apex = next(c["apex_m"] for c in sim.truth["laps"][1]["corners"] if c["corner"] == corner)
    number = next(c.number for c in event.lap.corners if abs(c.apex_m - truth_apex) <= 10.0)
    worst = cmp.corner_deltas[int(np.argmax(losses))]
    assert worst.corner_number == number, f"largest loss at corner {worst.corner_number}, mistake at {number}: {losses}"
