"""Driver variability: seeded, lap to lap, never faster than the ideal, and readable back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from racecoach.client.ibt import read_ibt
from racecoach.client.simulator import DriverProfile, Variability, simulate_session, write_session

TYPICAL = DriverProfile(name="Typical Driver", variability=Variability.typical())


@pytest.fixture(scope="module")
def varied():
    return simulate_session(track="Spielberg", laps=5, seed=11, profile=TYPICAL)


def test_zero_is_the_default_and_laps_are_identical() -> None:
    assert DriverProfile().variability == Variability() and Variability().is_zero
    s = simulate_session(track="Monza", laps=3, seed=5)
    ideal = s.truth["ideal_lap_time_s"]
    assert s.lap_times_s == pytest.approx([ideal] * 3, abs=1e-6)
    assert all(lap["variability"] == [] and lap["clean_lap_time_s"] == pytest.approx(ideal, abs=1e-6)
               for lap in s.truth["laps"])
    same = simulate_session(track="Monza", laps=3, seed=6)  # the seed only changes weather and noise
    assert same.lap_times_s == pytest.approx(s.lap_times_s, abs=1e-9)


def test_a_seed_reproduces_a_session_exactly(varied) -> None:
    again = simulate_session(track="Spielberg", laps=5, seed=11, profile=TYPICAL)
    assert again.truth == varied.truth
    for name in ("Speed", "Brake", "Throttle", "Lat", "Lon", "VertAccel"):
        assert np.array_equal(again.channels[name], varied.channels[name]), name
    other = simulate_session(track="Spielberg", laps=5, seed=12, profile=TYPICAL)
    assert other.lap_times_s != varied.lap_times_s
    assert other.truth["laps"][0]["variability"] != varied.truth["laps"][0]["variability"]


@pytest.mark.parametrize("track", ["Spielberg", "Monza", "Suzuka"])
def test_laps_vary_by_a_realistic_spread_and_are_never_faster_than_ideal(track: str) -> None:
    s = simulate_session(track=track, laps=6, seed=3, profile=TYPICAL)
    times = np.array(s.lap_times_s)
    ideal = s.truth["ideal_lap_time_s"]
    assert np.all(times > ideal)
    assert 0.05 < times.max() - times.min() < 0.8   # six laps of a consistent driver
    assert 0.02 < times.std() < 0.3
    assert 0.1 < times.mean() - ideal < 1.5   # a consistent driver, a few tenths off the limit
    assert len(set(np.round(times, 4))) == len(times)
    for lap in s.truth["laps"]:
        assert lap["clean_lap_time_s"] == pytest.approx(lap["lap_time_s"], abs=1e-6)  # no mistakes


def test_deviations_are_what_the_laps_show(varied) -> None:
    corners = {c["corner"]: c for c in varied.truth["track"]["corners"]}
    moved = 0
    for lap in varied.truth["laps"]:
        devs = {d["corner"]: d for d in lap["variability"]}
        assert devs and all(d["brake_early_m"] >= 0 and d["apex_kph"] >= 0 and d["throttle_late_m"] >= 0
                            and 0.5 <= d["brake_fraction"] <= 1 for d in devs.values())
        for driven in lap["corners"]:
            ideal = corners[driven["corner"]]
            assert driven["apex_speed_mps"] <= ideal["apex_speed_mps"] + 1e-6  # never faster than the limit
            if ideal["brake_point_m"] is not None and driven["brake_point_m"] is not None:
                early = (ideal["brake_point_m"] - driven["brake_point_m"]) % varied.track.length_m
                assert early < 60 or early > varied.track.length_m - 2
                moved += early > 0.5
    assert moved > 5
    pressure = varied.channels["Brake"][varied.channels["Lap"] >= 1]
    assert pressure.max() == 1.0 and 0 < np.mean(pressure[pressure > 0.5] < 0.99)  # some peaks under the limit


def test_the_line_wanders_a_little(varied) -> None:
    ideal = simulate_session(track="Spielberg", laps=5, seed=11)
    ch, ch0 = varied.channels, ideal.channels
    lap = ch["Lap"] == 2
    lat, lon = np.radians(ch["Lat"][lap]), np.radians(ch["Lon"][lap])
    d0 = ch0["LapDist"][ch0["Lap"] == 2]
    lat0 = np.interp(ch["LapDist"][lap], d0, np.radians(ch0["Lat"][ch0["Lap"] == 2]))
    lon0 = np.interp(ch["LapDist"][lap], d0, np.radians(ch0["Lon"][ch0["Lap"] == 2]))
    off = np.hypot((lat - lat0) * 6_371_000, (lon - lon0) * 6_371_000 * np.cos(lat))
    assert 0.05 < np.median(off) < 0.6 and off.max() < 1.5


def test_the_file_reads_back(tmp_path: Path, varied) -> None:
    ibt, sidecar = write_session(varied, tmp_path / "varied.ibt")
    truth = json.loads(sidecar.read_text())
    assert truth["format"] == "racecoach-simulator-truth/2"
    assert truth["variability"]["typical"] is True and truth["variability"]["spreads"]["brake_early_sd_m"] == 2.0
    with read_ibt(ibt) as f:
        lap, last = f.channel("Lap"), f.channel("LapLastLapTime")
        for k, expected in enumerate(varied.lap_times_s, start=1):
            assert last[np.flatnonzero(lap == k + 1)[0]] == pytest.approx(expected, abs=1e-3)
        assert np.array_equal(f.channel("Speed"), varied.channels["Speed"])


def test_bad_spreads_are_refused() -> None:
    with pytest.raises(ValueError, match="brake_early_sd_m must be a finite number >= 0"):
        Variability(brake_early_sd_m=-1)
    with pytest.raises(ValueError, match="brake_under_share must be in"):
        Variability(brake_under_share=2)
