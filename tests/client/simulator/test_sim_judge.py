"""The simulator as judge: every mistake costs time, and the truth says how much and where."""

from __future__ import annotations

import numpy as np
import pytest
from racecoach.client.simulator import (
    CARS,
    DriverProfile,
    Variability,
    available_tracks,
    brake_early,
    brake_late,
    coasting,
    ideal_corners,
    late_throttle,
    lift,
    load_track,
    low_apex_speed,
    mistake_time_cost_s,
    simulate_session,
)
from racecoach.client.simulator.qss import pedals, periodic_profile

CORNERS_PER_TRACK = 3
METRES = (5, 15, 40)


def _braked_corners(track: str, car: str) -> list[tuple[int, float]]:
    """(corner, exit speed) of the corners braked from full throttle by at least 10 km/h."""
    trk, vehicle = load_track(track), CARS[car]
    v = periodic_profile(limit=vehicle.corner_speed(trk.kappa_per_m), ds=trk.ds_m, car=vehicle)
    v3 = np.tile(v, 3)
    thr = pedals(v3, trk.ds_m, vehicle).throttle
    out = []
    for c in ideal_corners(track=track, car=car):
        p = c.ideal
        if p.brake_point_m is None or p.throttle_point_m is None:
            continue
        bp = trk.n + round(p.brake_point_m / trk.ds_m) - (trk.n if p.brake_point_m > p.apex_m else 0)
        if (v3[bp] - p.apex_speed_mps) * 3.6 >= 10 and np.all(thr[bp - 45:bp - 1] >= 0.99):
            out.append((c.number, float(v[round(p.throttle_point_m / trk.ds_m) % trk.n])))
    return out


def _sample() -> list[tuple[str, str, int, float]]:
    rng = np.random.default_rng(20240611)
    picked = []
    for track in available_tracks():
        for car in ("gt3", "gt4"):
            corners = _braked_corners(track, car)
            for i in sorted(rng.choice(len(corners), size=min(CORNERS_PER_TRACK, len(corners)), replace=False)):
                picked.append((track, car, *corners[i]))
    return picked


SAMPLE = _sample()


def test_the_sample_covers_every_track_and_car() -> None:
    assert {(t, c) for t, c, *_ in SAMPLE} == {(t, c) for t in available_tracks() for c in ("gt3", "gt4")}


@pytest.mark.parametrize(("track", "car", "corner", "exit_mps"), SAMPLE,
                         ids=[f"{t}-{c}-T{k}" for t, c, k, _ in SAMPLE])
def test_every_mistake_costs_time(track: str, car: str, corner: int, exit_mps: float) -> None:
    tp = next(c for c in ideal_corners(track=track, car=car) if c.number == corner).ideal.throttle_point_m
    for metres in METRES:
        mistakes = [
            brake_early(corner=corner, metres=metres), brake_late(corner=corner, metres=metres),
            coasting(corner=corner, metres=metres), late_throttle(corner=corner, metres=metres),
            low_apex_speed(corner=corner, kph=metres / 2.5),                 # 2, 6, 16 km/h
            lift(at_m=tp, seconds=metres / exit_mps),                       # lift on the exit for that far
        ]
        # five metres of coasting before the brakes is ~0.07 s off the throttle at 70 m/s: a few ms
        floor = 0.002 if metres == 5 else 0.01
        for m in mistakes:
            cost = mistake_time_cost_s(mistake=m, track=track, car=car)
            assert cost > (floor if m.kind.value == "coasting" else 0.01 if metres > 5 else 0.005), \
                f"{m.describe()} on {track} in the {car}: {cost:.4f} s"


@pytest.mark.parametrize("track", ["Spielberg", "Zandvoort", "Spa"])
def test_braking_late_overshoots(track: str) -> None:
    corners = [k for k, _ in _braked_corners(track, "gt3")]
    ideal = simulate_session(track=track, laps=1)
    for k in corners:
        for metres in METRES:
            s = simulate_session(track=track, laps=1, profile=DriverProfile(mistakes=(brake_late(corner=k, metres=metres),)))
            good, bad = ideal.truth["laps"][0]["corners"][k - 1], s.truth["laps"][0]["corners"][k - 1]
            assert s.lap_times_s[0] > ideal.lap_times_s[0] + 0.05
            assert bad["brake_point_m"] == pytest.approx(good["brake_point_m"] + metres, abs=1.5)
            assert s.truth["mistakes"][0]["time_cost_s"] > 0.05
            if metres <= 15:  # 40 m late into a hairpin the car is still sliding wide 60 m past the apex
                assert bad["apex_speed_mps"] < good["apex_speed_mps"]
                assert bad["throttle_point_m"] > good["throttle_point_m"]


TWO = (brake_early(corner=3, metres=20, laps=(2,)), late_throttle(corner=6, metres=25, laps=(2,)))
THREE = (brake_late(corner=1, metres=15, laps=(3,)), low_apex_speed(corner=3, kph=6, laps=(3,)),
         coasting(corner=8, metres=60, laps=(3,)))


@pytest.fixture(scope="module")
def several():
    profile = DriverProfile(mistakes=TWO + THREE, variability=Variability.typical())
    return simulate_session(track="Spielberg", laps=4, seed=21, profile=profile)


def test_several_mistakes_on_a_lap_are_each_recorded(several) -> None:
    by_lap = {lap: sorted(m["spec"] for m in several.truth["mistakes"] if m["lap"] == lap) for lap in (1, 2, 3, 4)}
    assert by_lap == {1: [], 2: sorted(m.describe() for m in TWO), 3: sorted(m.describe() for m in THREE), 4: []}
    for lap in several.truth["laps"]:
        assert sorted(lap["mistakes"]) == by_lap[lap["lap"]]
    corners = {k: [lap["corners"][k - 1] for lap in several.truth["laps"]] for k in (1, 3, 6)}
    assert corners[3][1]["brake_point_m"] < min(corners[3][i]["brake_point_m"] for i in (0, 3)) - 15
    assert corners[6][1]["throttle_point_m"] > max(corners[6][i]["throttle_point_m"] for i in (0, 3)) + 20
    assert corners[1][2]["brake_point_m"] > max(corners[1][i]["brake_point_m"] for i in (0, 3)) + 10


def test_marginal_costs_are_positive_and_add_up(several) -> None:
    laps = {lap["lap"]: lap for lap in several.truth["laps"]}
    for lap in (1, 4):
        assert laps[lap]["lap_time_s"] == pytest.approx(laps[lap]["clean_lap_time_s"], abs=1e-6)
    for lap in (2, 3):
        mine = [m for m in several.truth["mistakes"] if m["lap"] == lap]
        loss = laps[lap]["lap_time_s"] - laps[lap]["clean_lap_time_s"]
        assert loss > 0.1 and all(m["time_cost_s"] > 0.01 for m in mine)
        assert sum(m["time_cost_s"] for m in mine) == pytest.approx(loss, rel=0.3)
        for m in mine:
            assert m["expected_time_cost_s"] > 0 and m["time_cost_s"] == pytest.approx(m["expected_time_cost_s"], rel=0.5)


def test_the_region_of_each_loss(several) -> None:
    length = several.track.length_m
    corners = {c["corner"]: c for c in several.truth["track"]["corners"]}
    for m in several.truth["mistakes"]:
        start, end = m["start_m"], m["end_m"]
        assert 0 <= start < length and 0 <= end < length
        span = (end - start) % length
        assert 5 < span < 1500
        apex = corners[m["corner"]]["apex_m"]
        # the corner's apex lies in the region, or within a few metres of its ends
        assert (apex - start) % length <= span + 10 or (start - apex) % length <= 10
    early = next(m for m in several.truth["mistakes"] if m["kind"] == "brake_early")
    assert early["start_m"] == pytest.approx(corners[3]["brake_point_m"] - 20 - 8, abs=10)


def test_interacting_mistakes_are_marginal() -> None:
    both = (brake_early(corner=3, metres=30), coasting(corner=3, metres=40))
    s = simulate_session(track="Spielberg", laps=1, profile=DriverProfile(mistakes=both))
    lap = s.truth["laps"][0]
    loss = lap["lap_time_s"] - lap["clean_lap_time_s"]
    costs = {m["kind"]: m for m in s.truth["mistakes"]}
    assert costs["brake_early"]["time_cost_s"] < costs["brake_early"]["expected_time_cost_s"]  # overlap
    assert 0 < costs["coasting"]["time_cost_s"] < loss
