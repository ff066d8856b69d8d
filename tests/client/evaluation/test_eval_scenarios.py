"""Evaluation scenarios: deterministic, clean reference laps, mistakes of every kind where they can happen."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from racecoach.client.evaluation.scenarios import (
    AMOUNT_RANGES,
    BRAKING_KINDS,
    CLEAN_LAPS,
    EARLY_KINDS,
    EARLY_MARGIN_M,
    build_scenario,
    early_room_m,
    plan_mistakes,
    straights,
)
from racecoach.client.simulator import MistakeKind, available_tracks, ideal_corners, load_track, simulate_session


def test_same_arguments_give_the_same_driver():
    a = build_scenario(track="Spa", seed=2, laps=6)
    b = build_scenario(track="Spa", seed=2, laps=6)
    assert a.profile == b.profile and a.profile.mistakes
    assert build_scenario(track="Spa", seed=3, laps=6).profile.mistakes != a.profile.mistakes
    assert build_scenario(track="Monza", seed=2, laps=6).profile.mistakes != a.profile.mistakes


@pytest.mark.parametrize("track", available_tracks())
def test_mistakes_follow_the_rules(track):
    corners = {c.number: c for c in ideal_corners(track=track)}
    length = load_track(track).length_m
    kinds = Counter()
    room = early_room_m(corners=list(corners.values()), length_m=length)
    for seed in (1, 2, 3):
        scenario = build_scenario(track=track, seed=seed, laps=6)
        by_lap: dict[int, list] = {}
        for m in scenario.profile.mistakes:
            assert m.laps is not None and len(m.laps) == 1
            by_lap.setdefault(m.laps[0], []).append(m)
            kinds[m.kind] += 1
            low, high, _ = AMOUNT_RANGES[m.kind]
            assert low <= m.amount[0] <= high
            if m.kind in BRAKING_KINDS:
                assert corners[m.corner].ideal.brake_point_m is not None
            if m.kind in EARLY_KINDS:  # it starts where the car is still on the throttle
                assert m.amount[0] <= room[m.corner], f"{m.kind} of {m.amount[0]} m at T{m.corner}: {room[m.corner]:.0f} m of room"
            if m.kind is MistakeKind.LIFT:
                assert 0 <= m.at_m < length
                assert any((m.at_m - s.start_m) % length <= s.length_m for s in straights(corners=list(corners.values()), length_m=length))
        assert min(by_lap) > CLEAN_LAPS and max(by_lap) <= 6
        assert set(by_lap) == set(range(CLEAN_LAPS + 1, 7))
        for lap, mistakes in by_lap.items():
            assert 1 <= len(mistakes) <= 3
            at = [m.corner for m in mistakes if m.corner is not None]
            assert len(at) == len(set(at)), f"lap {lap}: two mistakes at one corner"
    assert set(kinds) == set(MistakeKind), f"{track}: kinds {dict(kinds)}"


def test_kinds_are_dealt_so_a_session_of_six_mistakes_has_them_all():
    corners = ideal_corners(track="Spielberg")
    length = load_track("Spielberg").length_m
    for seed in range(20):
        mistakes = plan_mistakes(corners=corners, length_m=length, laps=12, rng=random.Random(seed))
        assert len(mistakes) >= 10
        assert {m.kind for m in mistakes} == set(MistakeKind)


def test_the_simulator_takes_the_scenario():
    scenario = build_scenario(track="Norisring", seed=1, laps=4)
    session = simulate_session(track="Norisring", laps=4, profile=scenario.profile, seed=1)
    assert [m["lap"] for m in session.truth["mistakes"]] == sorted(m.laps[0] for m in scenario.profile.mistakes)
    assert all(not lap["mistakes"] for lap in session.truth["laps"][:CLEAN_LAPS])
    assert max(session.lap_times_s[CLEAN_LAPS:]) > min(session.lap_times_s[:CLEAN_LAPS])


def test_an_early_mistake_has_room_only_where_the_car_accelerates_before_the_brake_point():
    corners = ideal_corners(track="Norisring")
    length = load_track("Norisring").length_m
    room = early_room_m(corners=corners, length_m=length)
    for i, corner in enumerate(corners):
        if corner.ideal.brake_point_m is None:
            assert corner.number not in room
            continue
        before = corners[i - 1].ideal
        on = before.throttle_point_m if before.throttle_point_m is not None else before.apex_m
        if i == 0:
            on -= length  # the previous corner is the last one, on the lap before
        assert room[corner.number] == pytest.approx(corner.ideal.brake_point_m - on - EARLY_MARGIN_M, abs=1e-6)
    # the second part of the Schöller-S is braked for soon after the first part's exit: little room, never 40 m
    assert 0 < room[3] < AMOUNT_RANGES[MistakeKind.BRAKE_EARLY][1]
    rng = random.Random(3)
    for _ in range(200):
        for m in plan_mistakes(corners=corners, length_m=load_track("Norisring").length_m, laps=6, rng=rng):
            if m.kind in EARLY_KINDS:
                assert m.amount[0] <= room[m.corner]
