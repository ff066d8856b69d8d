"""The kernels on a real iRacing recording: Mercedes AMG GT4 at Sebring, 2,682 samples at 60 Hz.

The car leaves the pit stall (LapDist ~200.9 m, jittering backwards while
parked), drives ~1,050 m, stops, and is reset to the pit stall.
"""

from __future__ import annotations

import numpy as np
import pytest

from racecoach.native import kernels, reference

from .conftest import assert_same_records

CHANNELS = {
    "session_time_s": "SessionTime", "speed_mps": "Speed", "brake": "Brake", "throttle": "Throttle",
    "yaw_rate_rps": "YawRate", "lat_accel_mps2": "LatAccel", "steering_rad": "SteeringWheelAngle",
}


@pytest.fixture(scope="module")
def raw(sebring_records):
    return {name: sebring_records[var].astype(np.float64)
            for name, var in {**CHANNELS, "lap_dist_m": "LapDist", "lat_deg": "Lat", "lon_deg": "Lon",
                              "yaw_rad": "Yaw"}.items()}


@pytest.fixture(scope="module")
def on_grid(raw):
    """The driven part of the recording on the 1 m grid (C resampler), from the pit stall on."""
    lap = kernels.resample_lap(lap_dist_m=raw["lap_dist_m"], channels={k: raw[k] for k in CHANNELS})
    keep = lap.grid_m >= raw["lap_dist_m"][0]
    return {"dist_m": lap.grid_m[keep], **{k: v[keep] for k, v in lap.channels.items()}}


def test_resample_matches_reference_and_repairs_distance(raw):
    kw = dict(lap_dist_m=raw["lap_dist_m"], channels={k: raw[k] for k in CHANNELS}, step_m=0.5)
    c, r = kernels.resample_lap(**kw), reference.resample_lap(**kw)
    np.testing.assert_array_equal(c.grid_m, r.grid_m)
    np.testing.assert_allclose(c.values, r.values, rtol=1e-12, atol=1e-9)
    best, dropped = raw["lap_dist_m"][0], 0
    for x in raw["lap_dist_m"][1:]:  # a sample counts only when it gets further than any before it
        best, dropped = (x, dropped) if x > best else (best, dropped + 1)
    assert c.samples_dropped == r.samples_dropped == dropped > 300  # parked jitter and the reset
    assert c.grid_m[-1] < raw["lap_dist_m"].max() <= c.grid_m[-1] + 0.5
    assert np.all(np.diff(c["session_time_s"]) >= 0)


def test_braking_zones(on_grid, raw):
    kw = dict(dist_m=on_grid["dist_m"], brake=on_grid["brake"], speed_mps=on_grid["speed_mps"],
              time_s=on_grid["session_time_s"], lat_accel_mps2=on_grid["lat_accel_mps2"])
    zones = kernels.braking_zones(**kw)
    assert_same_records(zones, reference.braking_zones(**kw))
    # independent check: each zone starts where the raw brake trace rises through 0.10 while driving
    b, d, v = raw["brake"], raw["lap_dist_m"], raw["speed_mps"]
    rises = d[1:][(b[1:] >= 0.10) & (b[:-1] < 0.10) & (v[1:] > 5.0)]
    assert len(zones) >= 3
    for point in zones["brake_point_m"]:
        assert np.min(np.abs(rises - point)) <= 1.0
    assert np.all(zones["entry_speed_mps"] > 20.0)


def test_corners(on_grid):
    kw = dict(dist_m=on_grid["dist_m"], speed_mps=on_grid["speed_mps"], yaw_rate_rps=on_grid["yaw_rate_rps"],
              lat_accel_mps2=on_grid["lat_accel_mps2"], throttle=on_grid["throttle"], brake=on_grid["brake"])
    found = kernels.corners(**kw)
    assert_same_records(found, reference.corners(**kw))
    assert len(found) >= 3 and set(found["direction"]) == {-1, 1}
    assert np.all(found["max_lat_g"] < 2.0)  # a GT4 on slicks, not a rocket
    # the apex is the slowest point of each corner
    for c in found:
        inside = (on_grid["dist_m"] >= c["entry_m"]) & (on_grid["dist_m"] <= c["exit_m"])
        assert c["apex_speed_mps"] == on_grid["speed_mps"][inside].min()
    no_yaw = dict(kw, yaw_rate_rps=None)
    assert_same_records(kernels.corners(**no_yaw), reference.corners(**no_yaw))


def test_delta_against_a_constant_speed_lap(on_grid):
    grid = on_grid["dist_m"]
    kw = dict(grid_m=grid, time_a_s=grid / 30.0, time_b_s=on_grid["session_time_s"])
    delta = kernels.delta_time(**kw)
    np.testing.assert_allclose(delta, reference.delta_time(**kw), atol=1e-9)
    seg = kernels.corner_time_loss(grid_m=grid, delta_s=delta, boundaries_m=[400.0, 800.0, 1000.0])
    assert_same_records(seg, reference.corner_time_loss(grid_m=grid, delta_s=delta,
                                                        boundaries_m=[400.0, 800.0, 1000.0]))
    assert abs(seg["time_loss_s"].sum() - delta[-1]) < 1e-9


def test_track_map_gps_and_heading_agree(raw):
    before_reset = slice(0, 2389)  # the car is parked from here on and then teleported to the pits
    gps = kernels.track_map(lat_deg=raw["lat_deg"][before_reset], lon_deg=raw["lon_deg"][before_reset])
    dead = kernels.track_map(yaw_rad=raw["yaw_rad"][before_reset], speed_mps=raw["speed_mps"][before_reset],
                             time_s=raw["session_time_s"][before_reset])
    assert gps.source == "latlon" and dead.source == "dead_reckoning"
    path = np.hypot(np.diff(gps.x_m), np.diff(gps.y_m)).sum()
    driven = np.sum(0.5 * (raw["speed_mps"][1:2389] + raw["speed_mps"][:2388]) * np.diff(raw["session_time_s"][:2389]))
    assert path == pytest.approx(driven, rel=0.01)
    assert np.max(np.hypot(gps.x_m - dead.x_m, gps.y_m - dead.y_m)) < 10.0  # over ~1.1 km
    for kw in (dict(lat_deg=raw["lat_deg"], lon_deg=raw["lon_deg"]),
               dict(yaw_rad=raw["yaw_rad"], speed_mps=raw["speed_mps"], time_s=raw["session_time_s"])):
        c, r = kernels.track_map(**kw), reference.track_map(**kw)
        np.testing.assert_allclose(c.x_m, r.x_m, atol=1e-6)
        np.testing.assert_allclose(c.y_m, r.y_m, atol=1e-6)
