"""A complex one lap ran together is cut apart again at the catalogue's corners."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from racecoach.analysis.v1 import analysis_pb2
from racecoach.client.simulator import DriverProfile, brake_late, simulate_session
from racecoach.client.source import canonical_arrays
from racecoach.services.analysis.complexes import split_merged
from racecoach.services.analysis.stream import StreamAnalyzer
from racecoach.telemetry.v1 import telemetry_pb2

RIGHT, LEFT = analysis_pb2.CORNER_DIRECTION_RIGHT, analysis_pb2.CORNER_DIRECTION_LEFT


def _published(number: int, apex_m: float, direction: int, name: str = "") -> SimpleNamespace:
    return SimpleNamespace(number=number, apex_m=apex_m, direction=direction, name=name)


def test_a_corner_spanning_a_missing_catalogue_corner_is_cut_in_two_at_the_catalogue_places():
    grid = np.arange(0.0, 401.0)
    # slowest at 150 m (first part) and at 262 m (second part), faster between them
    speed = 30.0 + 0.02 * np.minimum((grid - 150.0) ** 2, (grid - 262.0) ** 2)
    throttle = np.where((grid > 160) & (grid < 200), 0.8, 0.0) + np.where(grid > 270, 1.0, 0.0)
    brake = np.where((grid > 100) & (grid < 140), 0.9, 0.0)
    channels = {"speed_mps": speed, "throttle": throttle, "brake": brake,
                "lat_accel_mps2": np.where(grid < 205, 12.0, -14.0)}
    time_s = np.cumsum(np.concatenate([[0.0], 1.0 / speed[:-1]]))
    lap = analysis_pb2.LapAnalysis(corners=[analysis_pb2.Corner(number=8, entry_m=120.0, apex_m=205.0, exit_m=300.0, direction=RIGHT)])
    published = [_published(7, 148.0, RIGHT, "Chicane (T9)"), _published(8, 260.0, LEFT, "Chicane (T10)")]

    assert split_merged(lap=lap, published=published, grid_m=grid, channels=channels, time_s=time_s) == [7]
    first, second = lap.corners
    assert (first.number, first.name, first.direction) == (7, "Chicane (T9)", RIGHT)
    assert (first.entry_m, first.exit_m, second.entry_m, second.exit_m) == (120.0, 204.0, 204.0, 300.0)
    assert (first.apex_m, second.apex_m) == (150.0, 262.0)
    assert first.apex_speed_mps == pytest.approx(30.0) and second.apex_speed_mps == pytest.approx(30.0)
    assert first.max_lat_g == pytest.approx(12.0 / 9.80665) and second.max_lat_g == pytest.approx(14.0 / 9.80665)
    assert second.throttle_on_m == 271.0  # throttle from 271 m on, held to the exit
    assert first.throttle_on_m == 0.0  # off the throttle again before its exit
    # time in each part from the trace's own clock
    assert first.time_in_corner_s + second.time_in_corner_s == pytest.approx(
        float(np.interp(300.0, grid, time_s) - np.interp(120.0, grid, time_s)))


def test_nothing_is_cut_when_every_catalogue_corner_is_there_or_none_lies_inside_a_corner():
    grid = np.arange(0.0, 401.0)
    channels = {"speed_mps": np.full_like(grid, 40.0)}
    lap = analysis_pb2.LapAnalysis(corners=[analysis_pb2.Corner(number=1, entry_m=50.0, apex_m=80.0, exit_m=100.0)])
    published = [_published(1, 80.0, RIGHT), _published(2, 300.0, LEFT)]  # corner 2 is missing but outside corner 1
    assert split_merged(lap=lap, published=published, grid_m=grid, channels=channels, time_s=grid / 40.0) == []
    assert [c.number for c in lap.corners] == [1]


def test_an_overshoot_at_the_bus_stop_keeps_both_corners_of_the_chicane_numbered():
    track = "Spa"
    sim = simulate_session(track=track, laps=3, profile=DriverProfile(mistakes=(brake_late(corner=15, metres=14, laps=(3,)),)))
    session = telemetry_pb2.Session(session_id="sim-spa-bus-stop", track=telemetry_pb2.Track(name=track, length_m=sim.track.length_m))
    events = {e.lap.lap_number: e.lap for e in StreamAnalyzer(session=session).feed(canonical_arrays(sim.channels), seq=1)}
    clean = {c.number: c.apex_m for c in events[2].corners}
    overshoot = {c.number: c.apex_m for c in events[3].corners}
    assert {15, 16} <= set(clean) and {15, 16} <= set(overshoot)
    for number in (15, 16):
        assert overshoot[number] == pytest.approx(clean[number], abs=15.0)
