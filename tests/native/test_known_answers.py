"""Hand-computed answers, checked against both the C kernels and the numpy reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

G = 9.80665


# --- resample_lap --------------------------------------------------------------------

def test_resample_linear_channel_on_half_metre_grid(impl):
    d = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    lap = impl.resample_lap(lap_dist_m=d, channels={"x": 10 * d}, step_m=0.5, lap_length_m=4.0)
    np.testing.assert_array_equal(lap.grid_m, np.arange(8) * 0.5)
    np.testing.assert_allclose(lap["x"], 10 * lap.grid_m, rtol=0, atol=1e-12)
    assert lap.samples_dropped == 0 and lap.step_m == 0.5


def test_resample_drops_repeated_and_backward_samples(impl):
    d = np.array([0.0, 10.0, 10.0, 5.0, 20.0, 30.0])
    v = np.array([0.0, 1.0, 99.0, 99.0, 2.0, 3.0])
    lap = impl.resample_lap(lap_dist_m=d, channels={"v": v}, step_m=5.0)
    np.testing.assert_array_equal(lap.grid_m, [0, 5, 10, 15, 20, 25])  # < 30 = largest distance
    np.testing.assert_allclose(lap["v"], [0, 0.5, 1, 1.5, 2, 2.5], atol=1e-12)
    assert lap.samples_dropped == 2


def test_resample_holds_values_outside_the_samples(impl):
    lap = impl.resample_lap(lap_dist_m=np.array([2.0, 4.0]), channels={"v": np.array([1.0, 3.0])},
                            step_m=1.0, lap_length_m=6.0)
    np.testing.assert_allclose(lap["v"], [1, 1, 1, 2, 3, 3], atol=1e-12)


def test_resample_time_at_distance(impl):
    t = 500.0 + np.arange(0, 60.0, 1 / 60)       # 50 m/s for 60 s
    d = 50.0 * (t - 500.0)
    lap = impl.resample_lap(lap_dist_m=d, channels={"session_time_s": t, "speed_mps": np.full_like(t, 50.0)})
    assert lap.grid_m.shape[0] == math.ceil(d[-1])
    np.testing.assert_allclose(lap["session_time_s"][100], 502.0, atol=1e-9)
    np.testing.assert_allclose(lap["session_time_s"], 500.0 + lap.grid_m / 50.0, atol=1e-9)
    assert set(lap.channels) == {"session_time_s", "speed_mps"}


def test_resample_accepts_2d_channels_and_float32(impl):
    d = np.linspace(0, 100, 201).astype(np.float32)
    matrix = np.stack([d, 2 * d]).astype(np.float32)
    lap = impl.resample_lap(lap_dist_m=d, channels=matrix, step_m=10.0)
    assert lap.names == ("0", "1") and lap.values.shape == (2, 10)
    np.testing.assert_allclose(lap["1"], 2 * lap.grid_m, rtol=1e-6)


# --- braking_zones -------------------------------------------------------------------

GRID = np.arange(0.0, 500.0, 0.5)


def _zone_inputs(brake, lat=None):
    speed = 60.0 - 0.2 * np.clip(170.0 - np.abs(GRID - 170.0), 0, None)  # V with its tip at 170 m
    return dict(dist_m=GRID, brake=brake, speed_mps=speed, time_s=100.0 + GRID / 40.0, lat_accel_mps2=lat)


def test_brake_zone_from_100_to_180(impl):
    brake = np.where((GRID >= 100.0) & (GRID <= 180.0), 0.8, 0.0)
    lat = np.where(GRID >= 150.0, 5.0, 0.0)
    (z,) = impl.braking_zones(**_zone_inputs(brake, lat))
    assert abs(z["brake_point_m"] - 100.0) <= 0.5 and abs(z["end_m"] - 180.0) <= 0.5
    assert z["peak_brake"] == pytest.approx(0.8)
    inputs = _zone_inputs(brake)
    assert z["entry_speed_mps"] == pytest.approx(inputs["speed_mps"][GRID == 100.0][0])
    assert z["min_speed_dist_m"] == pytest.approx(170.0) and z["min_speed_mps"] == pytest.approx(26.0)
    assert z["duration_s"] == pytest.approx(80.0 / 40.0, abs=0.5 / 40)
    assert z["trail_brake_dist_m"] == pytest.approx(30.0, abs=0.5)
    assert z["trail_brake_fraction"] == pytest.approx(30.0 / 80.0, abs=0.01)


def test_brake_zone_trail_braking_from_steering(impl):
    brake = np.where((GRID >= 100.0) & (GRID <= 180.0), 0.8, 0.0)
    steer = np.where(GRID >= 160.0, -0.5, 0.0)  # right turn: the sign does not matter
    kwargs = _zone_inputs(brake)
    kwargs.pop("lat_accel_mps2")
    (z,) = impl.braking_zones(**kwargs, steering_rad=steer)
    assert z["trail_brake_dist_m"] == pytest.approx(20.0, abs=0.5)


@pytest.mark.parametrize("gap_m, zones", [(5.0, 1), (30.0, 2)])
def test_short_releases_are_bridged(impl, gap_m, zones):
    brake = np.where(((GRID >= 100) & (GRID <= 150)) | ((GRID >= 150 + gap_m) & (GRID <= 250)), 0.9, 0.0)
    found = impl.braking_zones(**_zone_inputs(brake), bridge_m=10.0)
    assert len(found) == zones
    assert found["brake_point_m"][0] == pytest.approx(100.0) and found["end_m"][-1] == pytest.approx(250.0)


def test_hysteresis(impl):
    brake = np.zeros_like(GRID)
    brake[(GRID >= 100) & (GRID <= 200)] = 0.6
    brake[(GRID >= 140) & (GRID <= 160)] = 0.07  # above off (0.05): still braking
    brake[(GRID >= 300) & (GRID <= 350)] = 0.08  # never reaches on (0.10): not a zone
    (z,) = impl.braking_zones(**_zone_inputs(brake), bridge_m=0.0)
    assert z["brake_point_m"] == pytest.approx(100.0) and z["end_m"] == pytest.approx(200.0)


def test_short_stabs_are_dropped_and_lap_end_closes_a_zone(impl):
    brake = np.zeros_like(GRID)
    brake[(GRID >= 50) & (GRID <= 52)] = 1.0     # 2 m stab
    brake[GRID >= 450] = 0.5                     # still braking at the end of the data
    (z,) = impl.braking_zones(**_zone_inputs(brake), min_length_m=5.0)
    assert z["brake_point_m"] == pytest.approx(450.0) and z["end_m"] == pytest.approx(GRID[-1])


def test_no_brake_no_zone(impl):
    assert impl.braking_zones(**_zone_inputs(np.zeros_like(GRID))).shape == (0,)


# --- corners -------------------------------------------------------------------------

CGRID = np.arange(0.0, 1000.0, 1.0)


def _corner_inputs(direction=1, radius=100.0, start=300.0, end=450.0, throttle_from=400.0):
    kappa = np.where((CGRID >= start) & (CGRID < end), direction / radius, 0.0)
    speed = np.minimum(20.0 + 0.1 * np.abs(CGRID - 380.0), 45.0)
    throttle = np.where(CGRID >= throttle_from, 1.0, 0.0)
    return dict(dist_m=CGRID, speed_mps=speed, yaw_rate_rps=kappa * speed, lat_accel_mps2=kappa * speed**2,
                throttle=throttle, brake=np.zeros_like(CGRID))


@pytest.mark.parametrize("direction", [1, -1])
def test_constant_radius_corner(impl, direction):
    (c,) = impl.corners(**_corner_inputs(direction))
    assert c["direction"] == direction
    assert abs(c["entry_m"] - 300.0) <= 8 and abs(c["exit_m"] - 449.0) <= 8
    assert c["apex_m"] == 380.0 and c["apex_speed_mps"] == pytest.approx(20.0)
    assert c["min_radius_m"] == pytest.approx(100.0, rel=1e-9)
    assert c["max_lat_g"] == pytest.approx(0.01 * 28.0**2 / G, rel=0.02)  # fastest point in the arc: 300 m
    assert c["throttle_on_m"] == 400.0
    assert c["coasting_m"] == pytest.approx(400.0 - c["entry_m"], abs=1e-9)


def test_the_apex_is_the_lowest_speed_only_without_curvature_peaks(impl):
    """A flat speed minimum from 340 to 420 m and the tightest curvature at 400 m: with
    peak_window_m = 0 the apex is the first lowest-speed sample, with peaks the held one nearest the peak."""
    kappa = np.where((CGRID >= 300.0) & (CGRID < 450.0), 0.01 * (1.0 - np.abs(CGRID - 400.0) / 150.0), 0.0)
    speed = np.clip(20.0 + 0.1 * np.maximum(340.0 - CGRID, CGRID - 420.0), 20.0, 45.0)
    kwargs = dict(dist_m=CGRID, speed_mps=speed, yaw_rate_rps=kappa * speed, lat_accel_mps2=kappa * speed**2,
                  throttle=np.zeros_like(CGRID), brake=np.zeros_like(CGRID))
    (lowest,) = impl.corners(**kwargs)
    assert lowest["apex_m"] == CGRID[np.argmin(speed)] == 340.0
    (peaked,) = impl.corners(**kwargs, peak_window_m=40.0)
    assert peaked["apex_m"] == 400.0 and peaked["apex_speed_mps"] == 20.0


def test_corner_without_yaw_rate_uses_lateral_acceleration(impl):
    kwargs = _corner_inputs()
    with_yaw = impl.corners(**kwargs)
    kwargs["yaw_rate_rps"] = None
    without = impl.corners(**kwargs)
    np.testing.assert_allclose(without["apex_m"], with_yaw["apex_m"])
    assert without["min_radius_m"][0] == pytest.approx(100.0, rel=1e-6)


def test_throttle_must_stay_on_to_the_exit(impl):
    kwargs = _corner_inputs()
    kwargs["throttle"][(CGRID >= 420) & (CGRID < 426)] = 0.1
    assert impl.corners(**kwargs)["throttle_on_m"][0] == 426.0
    kwargs["throttle"][CGRID >= 430] = 0.0
    assert np.isnan(impl.corners(**kwargs)["throttle_on_m"][0])


def test_standstill_yaw_does_not_make_a_corner(impl):
    kwargs = _corner_inputs()
    kwargs["speed_mps"] = np.full_like(CGRID, 1.0)    # below min_speed_mps
    kwargs["yaw_rate_rps"] = np.full_like(CGRID, 0.5)  # 0.5 rad/m if divided by the speed
    kwargs["lat_accel_mps2"] = np.zeros_like(CGRID)
    assert impl.corners(**kwargs).shape == (0,)


@pytest.mark.parametrize("merge_gap_m, count", [(0.0, 2), (60.0, 1)])
def test_close_corners_of_the_same_direction_merge(impl, merge_gap_m, count):
    a = _corner_inputs(start=300.0, end=400.0)
    b = _corner_inputs(start=440.0, end=520.0)
    kwargs = dict(a, yaw_rate_rps=a["yaw_rate_rps"] + b["yaw_rate_rps"],
                  lat_accel_mps2=a["lat_accel_mps2"] + b["lat_accel_mps2"])
    assert len(impl.corners(**kwargs, merge_gap_m=merge_gap_m)) == count


# --- delta_time / corner_time_loss ---------------------------------------------------

DGRID = np.arange(0.0, 3000.0, 1.0)


def test_uniformly_one_percent_slower(impl):
    a = 100.0 + DGRID / 50.0
    b = 7000.0 + 1.01 * DGRID / 50.0
    delta = impl.delta_time(grid_m=DGRID, time_a_s=a, time_b_s=b)
    assert delta[0] == 0.0
    np.testing.assert_allclose(delta, 0.01 * DGRID / 50.0, atol=1e-9)
    seg = impl.corner_time_loss(grid_m=DGRID, delta_s=delta, boundaries_m=[500.0, 1200.0, 2000.0])
    np.testing.assert_array_equal(seg["start_m"], [0, 500, 1200, 2000])
    np.testing.assert_array_equal(seg["end_m"], [500, 1200, 2000, 2999])
    np.testing.assert_allclose(seg["time_loss_s"], 0.01 * np.array([500, 700, 800, 999]) / 50.0, atol=1e-9)
    assert abs(seg["time_loss_s"].sum() - delta[-1]) < 1e-9


def test_time_lost_in_one_corner(impl):
    a = DGRID / 40.0
    b = a + np.interp(DGRID, [1000.0, 1100.0], [0.0, 0.3])
    delta = impl.delta_time(grid_m=DGRID, time_a_s=a, time_b_s=b)
    seg = impl.corner_time_loss(grid_m=DGRID, delta_s=delta, boundaries_m=np.array([900.0, 1200.5, 2500.0]))
    np.testing.assert_allclose(seg["time_loss_s"], [0.0, 0.3, 0.0, 0.0], atol=1e-12)


def test_no_boundaries_is_one_segment(impl):
    delta = np.sin(DGRID / 100.0)
    (seg,) = impl.corner_time_loss(grid_m=DGRID, delta_s=delta, boundaries_m=[])
    assert seg["time_loss_s"] == pytest.approx(delta[-1] - delta[0], abs=1e-15)


# --- track_map -----------------------------------------------------------------------

def _metres_per_degree(lat_deg):
    """Standard series for the length of a degree (independent of the kernels)."""
    p = math.radians(lat_deg)
    north = 111132.92 - 559.82 * math.cos(2 * p) + 1.175 * math.cos(4 * p) - 0.0023 * math.cos(6 * p)
    east = 111412.84 * math.cos(p) - 93.5 * math.cos(3 * p) + 0.118 * math.cos(5 * p)
    return north, east


def test_latlon_projection_against_degree_lengths(impl):
    lat = np.array([0.0, 27.45, 27.451, 27.45, 0.0, 27.452])  # 0/0 dummies first and in the middle
    lon = np.array([0.0, -81.35, -81.35, -81.349, 0.0, -81.351])
    m = impl.track_map(lat_deg=lat, lon_deg=lon)
    north, east = _metres_per_degree(27.45)
    assert m.source == "latlon" and m.samples_used == 4
    np.testing.assert_allclose(m.x_m, [0, 0, 0, 0.001 * east, 0.001 * east, -0.001 * east], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(m.y_m, [0, 0, 0.001 * north, 0, 0, 0.002 * north], rtol=1e-4, atol=1e-6)


def test_dead_reckoning_straight_and_circle(impl):
    t = np.arange(0.0, 10.0 + 1e-9, 1 / 60)
    east = impl.track_map(yaw_rad=np.zeros_like(t), speed_mps=np.full_like(t, 20.0), time_s=t)
    assert east.source == "dead_reckoning"
    assert east.x_m[-1] == pytest.approx(200.0) and abs(east.y_m[-1]) < 1e-9
    north = impl.track_map(yaw_rad=np.full_like(t, np.pi / 2), speed_mps=np.full_like(t, 20.0), time_s=t)
    assert north.y_m[-1] == pytest.approx(200.0) and abs(north.x_m[-1]) < 1e-9
    omega = 2 * np.pi / 10.0  # one full left turn in 10 s at 10 m/s: radius 10 / omega
    circle = impl.track_map(yaw_rad=omega * t, speed_mps=np.full_like(t, 10.0), time_s=t)
    radius = 10.0 / omega
    np.testing.assert_allclose(np.hypot(circle.x_m, circle.y_m - radius), radius, rtol=1e-3)
    assert np.hypot(circle.x_m[-1], circle.y_m[-1]) < 0.01


def test_zero_gps_falls_back_to_heading(impl):
    t = np.arange(0.0, 5.0, 0.5)
    zeros = np.zeros_like(t)
    m = impl.track_map(lat_deg=zeros, lon_deg=zeros, yaw_rad=zeros, speed_mps=np.full_like(t, 4.0), time_s=t)
    assert m.source == "dead_reckoning"
    np.testing.assert_allclose(m.x_m, 4.0 * t, atol=1e-12)
