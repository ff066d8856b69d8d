"""Injected mistakes really change the traces, consistently, and the truth says so."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from racecoach.client.ibt import read_ibt
from racecoach.client.simulator import (
    DriverProfile,
    Mistake,
    MistakeKind,
    MistakeParseError,
    brake_early,
    brake_late,
    coasting,
    late_throttle,
    lift,
    low_apex_speed,
    parse_mistake,
    simulate_session,
    write_session,
)

PROFILE = DriverProfile(name="Mistake Maker", mistakes=(
    brake_early(corner=3, metres=15, laps=(2,)),
    brake_late(corner=1, metres=10, laps=(3,)),
    low_apex_speed(corner=2, kph=8, laps=(1,)),
    late_throttle(corner=5, metres=30, laps=(1,)),
    coasting(corner=8, metres=40, laps=(2,)),
    lift(at_m=1000, seconds=0.8, laps=(3,)),
))


@pytest.fixture(scope="module")
def ideal():
    return simulate_session(track="Spielberg", laps=4)


@pytest.fixture(scope="module")
def flawed():
    return simulate_session(track="Spielberg", laps=4, profile=PROFILE)


def _corner(session, lap: int, corner: int) -> dict:
    return session.truth["laps"][lap - 1]["corners"][corner - 1]


def _lap_trace(session, lap: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    ch = session.channels
    sel = ch["Lap"] == lap
    return ch["LapDist"][sel].astype(float), ch[name][sel].astype(float)


def test_lap_times_add_up(ideal, flawed) -> None:
    ideal_s = ideal.truth["ideal_lap_time_s"]
    assert ideal.lap_times_s == pytest.approx([ideal_s] * 4, abs=1e-6)
    costs: dict[int, float] = {}
    for m in flawed.truth["mistakes"]:
        assert m["expected_time_cost_s"] > 0
        costs[m["lap"]] = costs.get(m["lap"], 0.0) + m["expected_time_cost_s"]
    for lap in (1, 2, 3):
        assert flawed.lap_times_s[lap - 1] - ideal_s == pytest.approx(costs[lap], abs=0.03)
    assert flawed.lap_times_s[3] == pytest.approx(ideal_s, abs=1e-6)  # no mistake on lap 4
    kinds = {(m["lap"], m["kind"], m["corner"]) for m in flawed.truth["mistakes"]}
    assert kinds == {(2, "brake_early", 3), (3, "brake_late", 1), (1, "low_apex_speed", 2),
                     (1, "late_throttle", 5), (2, "coasting", 8), (3, "lift", None)}
    early = next(m for m in flawed.truth["mistakes"] if m["kind"] == "brake_early")
    assert early["amount"] == 15 and early["unit"] == "m" and early["spec"] == "brake-early:corner=3:metres=15:laps=2"


def test_brake_early(ideal, flawed) -> None:
    good, bad = _corner(ideal, 2, 3), _corner(flawed, 2, 3)
    assert bad["brake_point_m"] == pytest.approx(good["brake_point_m"] - 15, abs=1.5)
    assert bad["apex_speed_mps"] == pytest.approx(good["apex_speed_mps"], abs=0.05)
    d, v_bad = _lap_trace(flawed, 2, "Speed")
    d0, v_good = _lap_trace(ideal, 2, "Speed")
    zone = (d > good["brake_point_m"] - 10) & (d < good["apex_m"] - 5)
    assert np.all(np.interp(d[zone], d0, v_good) - v_bad[zone] > -1e-3)
    assert np.mean(np.interp(d[zone], d0, v_good) - v_bad[zone]) > 2.0  # clearly slower before the corner
    _, brake = _lap_trace(flawed, 2, "Brake")
    early_zone = (d > good["brake_point_m"] - 13) & (d < good["brake_point_m"] - 2)
    assert np.all(brake[early_zone] > 0.5)
    _, brake0 = _lap_trace(ideal, 2, "Brake")
    assert np.all(brake0[(d0 > good["brake_point_m"] - 13) & (d0 < good["brake_point_m"] - 2)] == 0)
    assert _corner(flawed, 1, 3) == _corner(ideal, 1, 3)  # only on lap 2


def test_brake_late(ideal, flawed) -> None:
    good, bad = _corner(ideal, 3, 1), _corner(flawed, 3, 1)
    assert bad["brake_point_m"] == pytest.approx(good["brake_point_m"] + 10, abs=1.5)
    assert bad["apex_speed_mps"] == pytest.approx(0.92 * good["apex_speed_mps"], abs=0.05)


def test_low_apex_speed(ideal, flawed) -> None:
    good, bad = _corner(ideal, 1, 2), _corner(flawed, 1, 2)
    assert bad["apex_speed_kph"] == pytest.approx(good["apex_speed_kph"] - 8, abs=0.05)
    assert bad["apex_m"] == pytest.approx(good["apex_m"], abs=1.5)
    assert bad["brake_point_m"] <= good["brake_point_m"]  # brakes (a metre) earlier for it
    s = simulate_session(track="Spielberg", laps=1, profile=DriverProfile(mistakes=(low_apex_speed(corner=2, fraction=0.1),)))
    assert _corner(s, 1, 2)["apex_speed_mps"] == pytest.approx(0.9 * good["apex_speed_mps"], abs=0.01)


def test_late_throttle(ideal, flawed) -> None:
    good, bad = _corner(ideal, 1, 5), _corner(flawed, 1, 5)
    assert bad["throttle_point_m"] == pytest.approx(good["throttle_point_m"] + 30, abs=1.5)
    d, thr = _lap_trace(flawed, 1, "Throttle")
    held = (d > good["throttle_point_m"] + 2) & (d < good["throttle_point_m"] + 28)
    assert np.all(thr[held] < 0.6)
    _, v = _lap_trace(flawed, 1, "Speed")
    assert np.allclose(v[held], good["apex_speed_mps"], atol=0.05)


def test_coasting_and_lift(ideal, flawed) -> None:
    good = _corner(ideal, 2, 8)
    d, thr = _lap_trace(flawed, 2, "Throttle")
    _, brk = _lap_trace(flawed, 2, "Brake")
    _, v = _lap_trace(flawed, 2, "Speed")
    coast = (d > good["brake_point_m"] - 38) & (d < good["brake_point_m"] - 2)
    assert np.all(thr[coast] == 0) and np.all(brk[coast] == 0)
    assert np.all(np.diff(v[coast]) < 0)
    d, thr = _lap_trace(flawed, 3, "Throttle")
    _, t = _lap_trace(flawed, 3, "SessionTime")
    lifted = t[(thr == 0) & (d >= 1000) & (d < 1200)]
    assert lifted[0] - t[np.searchsorted(d, 1000)] < 0.05
    assert lifted[-1] - lifted[0] == pytest.approx(0.8, abs=0.05)


def test_mistakes_are_visible_in_the_written_file(tmp_path: Path, flawed) -> None:
    ibt, sidecar = write_session(flawed, tmp_path / "flawed.ibt")
    with read_ibt(ibt) as f:
        lap = f.channel("Lap")
        last = f.channel("LapLastLapTime")
        for k, expected in enumerate(flawed.lap_times_s, start=1):
            after = np.flatnonzero(lap == k + 1)[0]
            assert last[after] == pytest.approx(expected, abs=1e-3)
    import json

    truth = json.loads(sidecar.read_text())
    assert truth["driver"] == "Mistake Maker" and truth["lap_count"] == 4
    assert [lp["lap_time_s"] for lp in truth["laps"]] == flawed.lap_times_s


def test_bad_mistakes_are_refused() -> None:
    with pytest.raises(ValueError, match="corner 12 does not exist; Spielberg has 9 corners"):
        simulate_session(laps=1, profile=DriverProfile(mistakes=(brake_early(corner=12, metres=5),)))
    with pytest.raises(ValueError, match="corner 4 of Spielberg is taken without braking"):
        simulate_session(laps=1, profile=DriverProfile(mistakes=(brake_early(corner=4, metres=5),)))
    with pytest.raises(ValueError, match="the session has timed laps 1..2"):
        simulate_session(laps=2, profile=DriverProfile(mistakes=(coasting(corner=1, metres=5, laps=(3,)),)))
    with pytest.raises(ValueError, match="laps must be >= 1"):
        simulate_session(laps=0)
    with pytest.raises(ValueError, match="unknown car 'f1'"):
        simulate_session(car="f1")


@pytest.mark.parametrize(("text", "message"), [
    ("brake-erly:corner=1:metres=3", "unknown mistake 'brake-erly'"),
    ("brake-early:corner=3", "brake-early needs metres="),
    ("brake-early:corner=x:metres=3", "corner='x' is not a number"),
    ("brake-early:corner=3:meter=5", "unknown parameter 'meter' for brake-early"),
    ("brake-early:corner=0:metres=5", "corners are numbered from 1"),
    ("low-apex-speed:corner=2", "exactly one of kph= or fraction="),
    ("brake-late:corner=1:metres=500", r"metres must be in \(0, 60\]"),
    ("lift:at_m=100", "lift needs at_m= and seconds="),
    ("coasting:corner=1:metres", "'metres' is not key=value"),
    ("late-throttle:corner=1:metres=3:laps=0", "laps are numbered from 1"),
])
def test_parse_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(MistakeParseError, match=message):
        parse_mistake(text)


def test_parse_examples() -> None:
    assert parse_mistake("brake-early:corner=3:metres=15") == brake_early(corner=3, metres=15)
    assert parse_mistake("Brake_Late:corner=2:meters=5:laps=1,3") == brake_late(corner=2, metres=5, laps=(1, 3))
    assert parse_mistake("lift:at=1200:s=0.8") == lift(at_m=1200, seconds=0.8)
    assert parse_mistake("low-apex-speed:corner=2:fraction=0.1").fraction == 0.1


@given(kind=st.sampled_from([MistakeKind.BRAKE_EARLY, MistakeKind.LATE_THROTTLE, MistakeKind.COASTING]),
       corner=st.integers(1, 30), metres=st.floats(0.5, 150, allow_nan=False).map(lambda x: round(x, 2)),
       laps=st.none() | st.lists(st.integers(1, 20), min_size=1, max_size=3).map(tuple))
def test_describe_round_trips(kind: MistakeKind, corner: int, metres: float, laps) -> None:
    m = Mistake(kind, corner=corner, metres=metres, laps=laps)
    assert parse_mistake(m.describe()) == m
