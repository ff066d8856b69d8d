"""Corner identity: matching a lap's apexes to the catalogue, numbering laps, versions and saving."""

from __future__ import annotations

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.analysis.catalogue import CatalogueStore, CornerCatalogue, match_corners
from racecoach.storage.v1 import storage_pb2

LEFT, RIGHT = analysis_pb2.CORNER_DIRECTION_LEFT, analysis_pb2.CORNER_DIRECTION_RIGHT


def corner(apex: float, number: int = 0, direction: int = RIGHT) -> analysis_pb2.Corner:
    return analysis_pb2.Corner(number=number, entry_m=apex - 30, apex_m=apex, exit_m=apex + 40, direction=direction)


def lap(*apexes: float, valid: bool = True, zones: tuple[int, ...] = ()) -> analysis_pb2.LapAnalysis:
    return analysis_pb2.LapAnalysis(valid=valid, corners=[corner(a, n) for n, a in enumerate(apexes, start=1)],
                                    braking_zones=[analysis_pb2.BrakingZone(corner_number=z) for z in zones])


def feed(cat: CornerCatalogue, one: analysis_pb2.LapAnalysis) -> analysis_pb2.LapAnalysis:
    cat.number(one)
    cat.learn(one)
    return one


def test_match_numbers_each_apex_by_its_catalogue_corner():
    assert match_corners(apexes_m=[105.0, 498.0, 1210.0], catalogue_apexes_m=[100.0, 500.0, 1200.0]) == [1, 2, 3]


def test_a_missed_corner_keeps_the_others_numbers():
    assert match_corners(apexes_m=[101.0, 1195.0], catalogue_apexes_m=[100.0, 500.0, 1200.0]) == [1, 3]


def test_an_extra_corner_gets_no_number():
    assert match_corners(apexes_m=[100.0, 800.0, 1200.0], catalogue_apexes_m=[100.0, 500.0, 1200.0]) == [1, 0, 3]


def test_two_apexes_cannot_claim_one_catalogue_corner():
    assert match_corners(apexes_m=[90.0, 130.0], catalogue_apexes_m=[100.0, 500.0]) == [1, 0]


def test_a_corner_only_matches_one_turning_the_same_way():
    # a chicane: right at 100, left at 150; a right-hander found at 140 is still the right one
    assert match_corners(apexes_m=[140.0], catalogue_apexes_m=[100.0, 150.0], directions=[RIGHT],
                         catalogue_directions=[RIGHT, LEFT]) == [1]


def test_an_apex_halfway_between_two_corners_takes_the_earlier():
    assert match_corners(apexes_m=[125.0], catalogue_apexes_m=[100.0, 150.0]) == [1]


def test_empty_inputs_and_keyword_only():
    assert match_corners(apexes_m=[], catalogue_apexes_m=[1.0]) == []
    assert match_corners(apexes_m=[5.0], catalogue_apexes_m=[]) == [0]
    with pytest.raises(TypeError):
        match_corners([1.0], [1.0])  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(gaps=st.lists(st.floats(150.0, 900.0), min_size=1, max_size=20), shifts=st.data())
def test_shifted_laps_match_the_catalogue_one_to_one(gaps, shifts):
    """Corners at least 150 m apart, each moved by < 50 m: every corner gets its own number back."""
    apexes, pos = [], 0.0
    for g in gaps:
        pos += g
        apexes.append(pos)
    moved = [a + shifts.draw(st.floats(-49.0, 49.0)) for a in apexes]
    want = [min(range(len(apexes)), key=lambda k: abs(apexes[k] - m)) + 1 for m in moved]
    assert match_corners(apexes_m=moved, catalogue_apexes_m=apexes) == want


def test_lap_one_is_numbered_provisionally_and_lap_two_publishes_what_both_saw():
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    first = feed(cat, lap(100, 500, 1200))
    assert [c.number for c in first.corners] == [1, 2, 3]
    assert cat.corners == [] and cat.version == 0 and not cat.dirty  # one lap is no consensus
    second = feed(cat, lap(104, 502, 1196))
    assert [c.number for c in second.corners] == [1, 2, 3]  # numbered like lap 1
    assert [c.number for c in cat.corners] == [1, 2, 3] and cat.version == 1 and cat.dirty
    assert [c.laps_seen for c in cat.corners] == [2, 2, 2]


def test_published_numbers_are_kept_and_zones_follow_their_corner():
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    for _ in range(2):
        feed(cat, lap(100, 500, 1200))
    third = feed(cat, lap(104, 1190, zones=(2,)))  # Turn 2 missed: Turn 3 is still 3
    assert [c.number for c in third.corners] == [1, 3]
    assert third.braking_zones[0].corner_number == 3
    assert [c.laps_seen for c in cat.corners] == [3, 2, 3]


def test_refinement_is_a_median_that_moves_a_few_metres_a_lap_at_most():
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    for _ in range(3):
        feed(cat, lap(100, 500))
    feed(cat, lap(140, 500))  # one wild lap (40 m off, still matched)
    assert cat.corners[0].apex_m == pytest.approx(100.0)  # the median does not move
    for _ in range(10):
        feed(cat, lap(120, 500))
    assert 100.0 < cat.corners[0].apex_m <= 120.0
    before = cat.corners[0].apex_m
    feed(cat, lap(130, 500))
    assert abs(cat.corners[0].apex_m - before) <= 3.0 + 1e-9


def test_invalid_laps_do_not_teach_the_catalogue():
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    for _ in range(3):
        cat.learn(lap(100, valid=False))
    assert cat.corners == [] and not cat.dirty


def test_a_stored_catalogue_numbers_laps_with_its_own_numbers():
    stored = [storage_pb2.TrackCorner(number=1, entry_m=70, apex_m=100, exit_m=140, direction=RIGHT, laps_seen=9),
              storage_pb2.TrackCorner(number=3, entry_m=270, apex_m=300, exit_m=340, direction=RIGHT, laps_seen=4),
              storage_pb2.TrackCorner(number=2, entry_m=470, apex_m=500, exit_m=540, direction=RIGHT, laps_seen=9)]
    cat = CornerCatalogue(track_name="t", layout="", corners=stored, version=5)
    assert [c.number for c in cat.corners] == [1, 3, 2] and cat.base_version == 5
    one = feed(cat, lap(102, 301, 499))
    assert [c.number for c in one.corners] == [1, 3, 2]
    assert cat.version == 5 and cat.dirty  # refined, the set unchanged


class _FakeStorage:
    """GetTrackCorners / PutTrackCorners with a version check, as storage does it."""

    def __init__(self, corners=(), version=0):
        self.corners, self.version, self.puts = list(corners), version, []

    async def GetTrackCorners(self, request, metadata=None, timeout=None):
        return storage_pb2.GetTrackCornersResponse(corners=self.corners, version=self.version)

    async def PutTrackCorners(self, request, metadata=None, timeout=None):
        self.puts.append(request.base_version)
        if request.base_version != self.version:
            raise _Aborted()
        self.corners, self.version = list(request.corners), self.version + 1
        return storage_pb2.PutTrackCornersResponse(stored=len(self.corners), version=self.version)


class _Aborted(grpc.aio.AioRpcError):
    def __init__(self):
        super().__init__(grpc.StatusCode.ABORTED, grpc.aio.Metadata(), grpc.aio.Metadata(), details="stale")


async def test_save_names_its_base_and_a_conflict_reloads_and_merges_once():
    storage = _FakeStorage()
    store = CatalogueStore(storage=storage)
    cat = await store.load(track_name="t", layout="", metadata=[])
    for _ in range(2):
        feed(cat, lap(100, 500))
    await store.save(cat, metadata=[])
    assert storage.puts == [0] and cat.version == cat.base_version == 1 and not cat.dirty
    # another stream stores version 2 meanwhile, with its own position of Turn 1
    other = [storage_pb2.TrackCorner(number=1, entry_m=80, apex_m=110, exit_m=150, direction=RIGHT, laps_seen=20),
             storage_pb2.TrackCorner(number=2, entry_m=470, apex_m=500, exit_m=540, direction=RIGHT, laps_seen=20)]
    storage.corners, storage.version = other, 2
    feed(cat, lap(100, 500))
    await store.save(cat, metadata=[])
    assert storage.puts == [0, 1, 2] and storage.version == 3 and cat.base_version == 3
    assert [c.laps_seen for c in storage.corners] == [21, 21]  # merged onto the other writer's catalogue
    assert 107.0 <= storage.corners[0].apex_m <= 110.0


def test_the_first_publication_keeps_the_first_laps_numbers():
    cat = CornerCatalogue(track_name="t", layout="", corners=[])
    first = feed(cat, lap(100, 300, 500, 1200))  # 300: found on this lap only
    second = feed(cat, lap(102, 498, 1203))
    assert [c.number for c in first.corners] == [1, 2, 3, 4]
    assert [c.number for c in second.corners] == [1, 3, 4]  # numbered like lap 1
    assert [(c.number, round(c.apex_m)) for c in cat.corners] == [(1, 101), (3, 499), (4, 1202)]  # 2 stays unused
    third = feed(cat, lap(101, 650, 500, 1201))
    assert [c.number for c in third.corners] == [1, 3, 4]
