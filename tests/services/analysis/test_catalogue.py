"""Corner identity: matching a lap's apexes to the catalogue and learning the catalogue."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.analysis.catalogue import (
    CornerCatalogue,
    catalogue_from_corners,
    match_corners,
    refine_catalogue,
)
from racecoach.storage.v1 import storage_pb2


def corner(apex: float, number: int = 0) -> analysis_pb2.Corner:
    return analysis_pb2.Corner(number=number, entry_m=apex - 30, apex_m=apex, exit_m=apex + 40)


def test_match_numbers_each_apex_by_its_catalogue_corner():
    assert match_corners(apexes_m=[105.0, 498.0, 1210.0], catalogue_apexes_m=[100.0, 500.0, 1200.0]) == [1, 2, 3]


def test_a_missed_corner_keeps_the_others_numbers():
    # Turn 2 not detected on this lap: Turn 3 is still 3, not 2.
    assert match_corners(apexes_m=[101.0, 1195.0], catalogue_apexes_m=[100.0, 500.0, 1200.0]) == [1, 3]


def test_an_extra_corner_gets_no_number():
    assert match_corners(apexes_m=[100.0, 800.0, 1200.0], catalogue_apexes_m=[100.0, 500.0, 1200.0]) == [1, 0, 3]


def test_two_apexes_cannot_claim_one_catalogue_corner():
    # Both are near Turn 1; the nearer one gets it, the other (out of range of Turn 2) gets none.
    assert match_corners(apexes_m=[90.0, 130.0], catalogue_apexes_m=[100.0, 500.0]) == [1, 0]


def test_empty_inputs():
    assert match_corners(apexes_m=[], catalogue_apexes_m=[1.0]) == []
    assert match_corners(apexes_m=[5.0], catalogue_apexes_m=[]) == [0]


def test_match_is_keyword_only():
    with pytest.raises(TypeError):
        match_corners([1.0], [1.0])  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(150.0, 900.0), min_size=1, max_size=20),
    shifts=st.data(),
)
def test_shifted_laps_match_the_catalogue_one_to_one(gaps, shifts):
    """Corners at least 150 m apart, each moved by < 60 m: every corner gets its own number back."""
    apexes, pos = [], 0.0
    for g in gaps:
        pos += g
        apexes.append(pos)
    moved = [a + shifts.draw(st.floats(-59.0, 59.0)) for a in apexes]
    numbers = match_corners(apexes_m=moved, catalogue_apexes_m=apexes)
    # independent check: nearest catalogue corner by brute force
    want = [min(range(len(apexes)), key=lambda k: abs(apexes[k] - m)) + 1 for m in moved]
    assert numbers == want


def test_refinement_is_the_running_mean_weighted_by_laps_seen():
    catalogue = [storage_pb2.TrackCorner(number=1, entry_m=70, apex_m=100, exit_m=140, laps_seen=3),
                 storage_pb2.TrackCorner(number=2, entry_m=470, apex_m=500, exit_m=540, laps_seen=1)]
    refined = refine_catalogue(catalogue=catalogue, corners=[corner(108.0, number=1)])
    assert refined[0].apex_m == pytest.approx((100 * 3 + 108) / 4)
    assert refined[0].entry_m == pytest.approx((70 * 3 + 78) / 4)
    assert refined[0].laps_seen == 4
    assert refined[1] == catalogue[1]  # not seen on this lap: unchanged
    assert catalogue[0].apex_m == 100  # the input is not modified


def test_first_valid_lap_defines_then_later_laps_refine_and_are_numbered():
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    first = analysis_pb2.LapAnalysis(valid=True, corners=[corner(100, 1), corner(500, 2), corner(1200, 3)])
    cat.number(first)
    cat.learn(first)
    assert [c.number for c in cat.corners] == [1, 2, 3] and cat.dirty
    second = analysis_pb2.LapAnalysis(valid=True, corners=[corner(104, 1), corner(1190, 2)],
                                      braking_zones=[analysis_pb2.BrakingZone(corner_number=2)])
    cat.number(second)
    assert [c.number for c in second.corners] == [1, 3]
    assert second.braking_zones[0].corner_number == 3
    cat.learn(second)
    assert [c.apex_m for c in cat.corners] == pytest.approx([102.0, 500.0, 1195.0])
    assert [c.laps_seen for c in cat.corners] == [2, 1, 2]


def test_invalid_laps_do_not_teach_the_catalogue():
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    cat.learn(analysis_pb2.LapAnalysis(valid=False, corners=[corner(100, 1)]))
    assert cat.corners == [] and not cat.dirty


def test_catalogue_from_corners_numbers_in_apex_order():
    made = catalogue_from_corners([corner(500), corner(100)])
    assert [(c.number, c.apex_m, c.laps_seen) for c in made] == [(1, 100, 1), (2, 500, 1)]
