"""The corner catalogue by consensus over many laps with a driver's jitter: same place, same number.

Laps are built from the simulator's corners of real circuits (``ideal_corners``), each apex moved
like a driver's (a few metres usually, now and then 20 m), with corners missed and spurious ones
found now and then, as an analysis of real laps does.
"""

from __future__ import annotations

import numpy as np
import pytest
from racecoach.analysis.v1 import analysis_pb2
from racecoach.client.simulator import ideal_corners
from racecoach.services.analysis.catalogue import CornerCatalogue

LEFT, RIGHT = analysis_pb2.CORNER_DIRECTION_LEFT, analysis_pb2.CORNER_DIRECTION_RIGHT
TRACKS = ["Spielberg", "Spa", "Monza", "Suzuka", "Zandvoort", "Silverstone"]


def truth(track: str) -> list[tuple[float, int]]:
    return [(c.ideal.apex_m, LEFT if c.direction == "left" else RIGHT) for c in ideal_corners(track=track)]


def jittered_lap(corners, rng, *, miss=0.05, spurious=0.15, wide=0.1) -> analysis_pb2.LapAnalysis:
    found = []
    for apex, direction in corners:
        if rng.random() < miss:
            continue
        shift = rng.normal(0, 4.0) + (rng.choice([-20.0, 20.0]) if rng.random() < wide else 0.0)
        found.append((apex + shift, direction))
    if rng.random() < spurious:
        found.append((rng.uniform(0, corners[-1][0]), int(rng.choice([LEFT, RIGHT]))))
    found.sort()
    lap = analysis_pb2.LapAnalysis(valid=True)
    for n, (apex, direction) in enumerate(found, start=1):
        lap.corners.append(analysis_pb2.Corner(number=n, entry_m=apex - 40, apex_m=apex, exit_m=apex + 50, direction=direction))
    return lap


def run(cat: CornerCatalogue, laps) -> list[analysis_pb2.LapAnalysis]:
    for lap in laps:
        cat.number(lap)
        cat.learn(lap)
    return laps


def places(laps) -> dict[int, list[float]]:
    seen: dict[int, list[float]] = {}
    for lap in laps:
        for c in lap.corners:
            seen.setdefault(c.number, []).append(c.apex_m)
    return seen


@pytest.mark.parametrize("track", TRACKS)
def test_same_place_same_number_on_every_lap(track):
    corners = truth(track)
    rng = np.random.default_rng(7)
    cat = CornerCatalogue(track_name=f"test-{track}", layout="", corners=[])
    laps = run(cat, [jittered_lap(corners, rng) for _ in range(12)])
    assert len(cat.corners) == len(corners)
    assert [c.apex_m for c in cat.corners] == pytest.approx([a for a, _ in corners], abs=6.0)
    for number, apexes in places(laps[2:]).items():  # laps 3+ are numbered by the published catalogue
        assert max(apexes) - min(apexes) <= 60.0, f"corner {number} at {apexes}"
        assert len({round(a / 150) for a in apexes}) <= 2  # one place
    by_number = {c.number: c.apex_m for c in cat.corners}
    for lap in laps[2:]:
        for c in lap.corners:
            assert abs(c.apex_m - by_number[c.number]) <= 35.0


def test_a_corner_seen_on_one_lap_of_ten_is_never_published():
    base = [(300.0, RIGHT), (900.0, LEFT), (1500.0, RIGHT)]
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    laps = [jittered_lap(base, np.random.default_rng(i), miss=0, spurious=0, wide=0) for i in range(10)]
    laps[5].corners.append(analysis_pb2.Corner(number=9, entry_m=1150, apex_m=1200, exit_m=1250, direction=LEFT))
    run(cat, laps)
    assert [round(c.apex_m, -1) for c in cat.corners] == [300, 900, 1500] and cat.version == 1
    assert all(c.number for c in laps[5].corners) and len(laps[5].corners) == 3  # the stray corner got no number


def test_refining_laps_never_renumber():
    base = truth("Monza")
    rng = np.random.default_rng(3)
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    run(cat, [jittered_lap(base, rng, miss=0, spurious=0) for _ in range(3)])
    # each number stands for one truth corner, found once and kept while laps refine its position
    place = {c.number: min(range(len(base)), key=lambda k: abs(base[k][0] - c.apex_m)) for c in cat.corners}
    assert sorted(place.values()) == list(range(len(base)))
    version = cat.version
    for _ in range(20):
        run(cat, [jittered_lap(base, rng)])
        assert {c.number for c in cat.corners} == set(place) and cat.version == version
        for c in cat.corners:
            assert abs(c.apex_m - base[place[c.number]][0]) <= 12.0
    assert [c.apex_m for c in sorted(cat.corners, key=lambda c: place[c.number])] == pytest.approx(
        [a for a, _ in base], abs=4.0)


def test_a_new_corner_seen_consistently_is_appended_with_a_version_bump():
    base = [(300.0, RIGHT), (900.0, LEFT), (1500.0, RIGHT)]
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    run(cat, [jittered_lap(base, np.random.default_rng(i), miss=0, spurious=0, wide=0) for i in range(4)])
    assert [c.number for c in cat.corners] == [1, 2, 3] and cat.version == 1
    more = base + [(600.0, LEFT)]  # e.g. a kink now found on every lap (another car, another line)
    laps = run(cat, [jittered_lap(more, np.random.default_rng(10 + i), miss=0, spurious=0, wide=0) for i in range(4)])
    assert cat.version == 2
    assert [(c.number, round(c.apex_m, -2)) for c in cat.corners] == [(1, 300), (4, 600), (2, 900), (3, 1500)]
    assert [c.number for c in laps[-1].corners] == [1, 4, 2, 3]  # old numbers untouched, the new one appended


def test_a_corner_no_longer_seen_is_dropped_with_a_version_bump():
    base = [(300.0, RIGHT), (900.0, LEFT), (1500.0, RIGHT)]
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    run(cat, [jittered_lap(base, np.random.default_rng(i), miss=0, spurious=0, wide=0) for i in range(3)])
    run(cat, [jittered_lap(base[:2], np.random.default_rng(20 + i), miss=0, spurious=0, wide=0) for i in range(12)])
    assert [c.number for c in cat.corners] == [1, 2] and cat.version == 2


def test_a_chicane_is_cut_the_same_way_on_every_lap():
    # right at 1000, left at 1060; some laps find one merged apex in between, some find both
    base = [(400.0, RIGHT), (1000.0, RIGHT), (1060.0, LEFT), (1800.0, LEFT)]
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    rng = np.random.default_rng(11)
    run(cat, [jittered_lap(base, rng, miss=0, spurious=0, wide=0) for _ in range(4)])
    want = {c.number: (round(c.apex_m, -1), c.direction) for c in cat.corners}
    assert sorted(v for v in want.values()) == [(400, RIGHT), (1000, RIGHT), (1060, LEFT), (1800, LEFT)]
    numbers = []
    for merged in (1030.0, 1031.0, 1029.0):
        for direction in (RIGHT, LEFT):
            lap = analysis_pb2.LapAnalysis(valid=True, corners=[
                analysis_pb2.Corner(number=1, apex_m=400, direction=RIGHT),
                analysis_pb2.Corner(number=2, apex_m=merged, direction=direction),
                analysis_pb2.Corner(number=3, apex_m=1800, direction=LEFT)])
            cat.number(lap)
            got = lap.corners[1].number
            assert want[got][1] == direction  # a right apex is the chicane's right, a left its left
            numbers.append((direction, got))
    assert len(set(numbers)) == 2  # the same cut every time
    # two apexes near one corner: the nearer keeps its number, the other is left out
    lap = analysis_pb2.LapAnalysis(valid=True, corners=[
        analysis_pb2.Corner(number=1, apex_m=395, direction=RIGHT), analysis_pb2.Corner(number=2, apex_m=430, direction=RIGHT)])
    cat.number(lap)
    assert [(c.apex_m, c.number) for c in lap.corners] == [(395, 1)]
