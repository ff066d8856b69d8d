"""The simulated channels obey the physics they claim (independent hand checks)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from racecoach.client.ibt import read_ibt
from racecoach.client.simulator import CARS, simulate_session, write_session

CAR = CARS["gt3"]


@pytest.fixture(scope="module")
def flying():
    return simulate_session(track="Spielberg", laps=2, seed=3)


@pytest.fixture(scope="module")
def from_pits():
    return simulate_session(track="Norisring", laps=1, car="gt4", start_in_pits=True, seed=1)


def test_fast_enough(tmp_path: Path) -> None:
    began = time.perf_counter()
    s = simulate_session(track="Spielberg", laps=3)
    write_session(s, tmp_path / "out.ibt")
    assert time.perf_counter() - began < 2.0


def test_types_are_iracings(flying) -> None:
    ch = flying.channels
    expect = {"SessionTime": np.float64, "SessionTick": np.int32, "Lap": np.int32, "LapCompleted": np.int32,
              "Gear": np.int32, "PlayerTrackSurface": np.int32, "Lat": np.float64, "Lon": np.float64,
              "OnPitRoad": np.bool_, "IsOnTrack": np.bool_, "SessionFlags": np.uint32, "Speed": np.float32,
              "LapDistPct": np.float32, "Throttle": np.float32, "LFbrakeLinePress": np.float32,
              "LFtempCM": np.float32, "VertAccel": np.float32, "TrackTempCrew": np.float32}
    for name, dtype in expect.items():
        assert ch[name].dtype == dtype, name
    n = len(ch["SessionTime"])
    assert all(len(a) == n for a in ch.values())
    assert np.allclose(np.diff(ch["SessionTime"]), 1 / 60)
    assert np.array_equal(np.diff(ch["SessionTick"]), np.ones(n - 1))


def test_kinematics(flying) -> None:
    ch = {k: v.astype(np.float64) for k, v in flying.channels.items() if v.dtype.kind == "f"}
    v, t = ch["Speed"], ch["SessionTime"]
    track = flying.track
    kappa = np.interp(ch["LapDist"], np.append(track.s_m, track.length_m), np.append(track.kappa_per_m, track.kappa_per_m[0]))
    assert np.allclose(ch["YawRate"], v * kappa, atol=2e-3)
    assert np.allclose(ch["LatAccel"], v * v * kappa, atol=0.02)
    assert np.allclose(ch["LatAccel"], v * ch["YawRate"], rtol=1e-4, atol=1e-3)
    # LongAccel is dSpeed/dt
    dvdt = np.gradient(v, t)
    assert np.median(np.abs(dvdt - ch["LongAccel"])) < 0.05
    # within the grip circle's lateral limit on an ideal lap
    assert np.all(np.abs(ch["LatAccel"]) <= CAR.grip(v) * 1.002 + 0.01)
    # the distance driven is the integral of speed: one lap per lap
    lap = flying.channels["Lap"]
    for k in (1, 2):
        sel = lap == k
        driven = np.trapezoid(v[sel], t[sel])
        assert driven == pytest.approx(track.length_m, rel=0.003)
    # gravity in vertical acceleration; a steering angle that follows curvature
    assert ch["VertAccel"].mean() == pytest.approx(9.81, abs=0.02)
    same_sign = np.sign(ch["SteeringWheelAngle"]) == np.sign(kappa.astype(np.float32))
    assert np.all(same_sign | (np.abs(kappa) < 1e-6))


def test_pedals_are_consistent_with_acceleration(flying) -> None:
    ch = flying.channels
    v = ch["Speed"].astype(float)
    a = ch["LongAccel"].astype(float)
    thr, brk = ch["Throttle"].astype(float), ch["Brake"].astype(float)
    assert not np.any((thr > 0) & (brk > 0))
    full_thr = thr == 1.0
    assert np.allclose(a[full_thr], (CAR.drive(v) - CAR.resistance(v))[full_thr], rtol=0.01, atol=0.05)
    full_brake = brk == 1.0
    assert full_brake.sum() > 100
    assert np.allclose(-a[full_brake], (CAR.grip(v) + CAR.resistance(v))[full_brake], rtol=0.01)
    # partial braking: pedal ≈ required decel / max decel
    part = (brk > 0.05) & (brk < 0.95)
    need = (-a - CAR.coast(v)) / (CAR.grip(v) - CAR.engine_brake_n / CAR.mass_kg)
    assert np.allclose(brk[part], need[part], atol=0.02)
    # partial throttle while speed-limited in corners: acceleration ≈ 0 there
    partial = (thr > 0.02) & (thr < 0.98)
    assert partial.sum() > 20 and np.all(np.abs(a[partial]) < CAR.drive(v[partial]))
    # brake pressure follows the pedal; rear is the rear share of the front
    assert np.allclose(ch["LFbrakeLinePress"], brk * CAR.brake_line_max_bar, rtol=1e-5, atol=1e-4)
    assert np.allclose(ch["LRbrakeLinePress"], ch["LFbrakeLinePress"] * CAR.rear_brake_share, rtol=1e-5)


def test_gears_position_and_fuel(flying) -> None:
    ch = flying.channels
    v, gear, rpm = ch["Speed"], ch["Gear"], ch["RPM"]
    order = np.argsort(v, kind="stable")
    assert np.all(np.diff(gear[order]) >= 0)  # higher gear at higher speed
    assert rpm.max() <= CAR.shift_rpm + 1 and rpm.min() >= CAR.idle_rpm
    # consecutive Lat/Lon samples are speed·dt apart (equirectangular metres)
    lat, lon = np.radians(ch["Lat"]), np.radians(ch["Lon"])
    dy = np.diff(lat) * 6_371_000
    dx = np.diff(lon) * 6_371_000 * np.cos(lat[:-1])
    step = np.hypot(dx, dy)
    expected = 0.5 * (v[1:] + v[:-1]) / 60
    assert np.allclose(step, expected, rtol=0.01, atol=0.02)
    fuel = ch["FuelLevel"]
    assert np.all(np.diff(fuel) <= 1e-6) and fuel[0] - fuel[-1] > 0.5
    assert np.all(ch["PlayerTrackSurface"] == 3) and not ch["OnPitRoad"].any()


def test_pit_start(from_pits) -> None:
    ch = from_pits.channels
    surface, pits, v = ch["PlayerTrackSurface"], ch["OnPitRoad"], ch["Speed"]
    assert surface[0] == 1 and ch["PlayerCarInPitStall"][0] and v[0] == 0 and ch["Gear"][0] == 0
    assert ch["Clutch"][0] == 0 and ch["Brake"][0] == 1
    assert set(np.unique(surface)) == {1, 2, 3}
    # surfaces come in order: stall, pit road, track
    changes = surface[np.flatnonzero(np.diff(surface)) + 1]
    assert changes.tolist() == [2, 3]
    assert np.all(v[pits] <= 60 / 3.6 + 1e-3)
    assert pits[surface < 3].all() and not pits[surface == 3].any()
    assert from_pits.truth["partial_laps"][0]["out_lap"] is True


def test_session_info_and_sidecar(tmp_path: Path, flying) -> None:
    ibt, sidecar = write_session(flying, tmp_path / "out.ibt")
    assert sidecar.name == "out.truth.json"
    with read_ibt(ibt) as f:
        info = f.session_info
        assert info["WeekendInfo"]["TrackDisplayName"] == "Red Bull Ring"
        assert info["WeekendInfo"]["TrackLength"] == f"{flying.track.length_m / 1000:.2f} km"
        assert info["WeekendInfo"]["TrackConfigName"] == "Grand Prix"
        assert info["DriverInfo"]["DriverCarIdx"] == 0
        driver = info["DriverInfo"]["Drivers"][0]
        assert driver["CarIdx"] == 0 and driver["CarScreenName"] == CAR.screen_name and driver["CarID"] == CAR.car_id
        assert info["SessionInfo"]["Sessions"][0]["SessionType"] == "Practice"
        assert f.disk_header.lap_count == 2
        assert f.record_count == flying.truth["record_count"]
        assert np.array_equal(f.channel("Speed"), flying.channels["Speed"])
