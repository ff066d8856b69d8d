"""C kernels vs the numpy reference on random but physically plausible laps (Hypothesis)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from racecoach.native import kernels, reference

from .conftest import assert_same_records
from .factories import Corner, LapSpec, make_lap

SETTINGS = settings(max_examples=int(os.environ.get("RC_HYPOTHESIS_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Radii stay below 1 / curvature_threshold (250 m) so every arc is a corner to find.
corner_st = st.builds(
    Corner,
    straight_m=st.floats(120.0, 450.0),
    radius_m=st.floats(25.0, 200.0),
    arc_m=st.floats(30.0, 180.0),
    direction=st.sampled_from([-1, 1]),
)
spec_st = st.builds(
    LapSpec,
    corners=st.lists(corner_st, min_size=1, max_size=4).map(tuple),
    final_straight_m=st.floats(100.0, 300.0),
    lat_grip_mps2=st.floats(9.0, 15.0),
    peak_brake=st.floats(0.5, 1.0),
    trail_m=st.floats(0.0, 30.0),
    noise=st.floats(0.0, 0.03),
    seed=st.integers(0, 2**16),
)
CHANNELS = ["session_time_s", "speed_mps", "brake", "throttle", "yaw_rate_rps", "lat_accel_mps2",
            "steering_rad", "yaw_rad", "lat_deg", "lon_deg"]


def _resample(impl, lap, step_m=1.0):
    return impl.resample_lap(lap_dist_m=lap["lap_dist_m"], channels={k: lap[k] for k in CHANNELS},
                             step_m=step_m, lap_length_m=lap.length_m)


def _with_glitches(lap, seed):
    """Repeat some samples and step others backwards, as pit-lane jitter does."""
    rng = np.random.default_rng(seed)
    d = lap["lap_dist_m"].copy()
    idx = rng.choice(np.arange(1, d.shape[0]), size=d.shape[0] // 50, replace=False)
    d[idx[: idx.shape[0] // 2]] = d[idx[: idx.shape[0] // 2] - 1]
    d[idx[idx.shape[0] // 2 :]] -= rng.uniform(0.01, 3.0, idx.shape[0] - idx.shape[0] // 2)
    lap.channels["lap_dist_m"] = d
    return lap


@SETTINGS
@given(spec=spec_st, step_m=st.sampled_from([0.5, 1.0, 2.0]), glitch_seed=st.integers(0, 1000))
def test_resample_matches_reference(spec, step_m, glitch_seed):
    lap = _with_glitches(make_lap(spec), glitch_seed)
    c, r = _resample(kernels, lap, step_m), _resample(reference, lap, step_m)
    np.testing.assert_array_equal(c.grid_m, r.grid_m)
    assert c.names == r.names and c.samples_dropped == r.samples_dropped > 0
    np.testing.assert_allclose(c.values, r.values, rtol=1e-12, atol=1e-9)
    # the grid covers the lap and time never runs backwards along it
    assert c.grid_m[0] == 0.0 and c.grid_m[-1] < lap.length_m <= c.grid_m[-1] + step_m
    assert np.all(np.diff(c["session_time_s"]) >= 0)


@SETTINGS
@given(spec=spec_st)
def test_braking_zones_match_reference(spec):
    lap = make_lap(spec)
    g = _resample(kernels, lap)
    kw = dict(dist_m=g.grid_m, brake=g["brake"], speed_mps=g["speed_mps"], time_s=g["session_time_s"],
              lat_accel_mps2=g["lat_accel_mps2"], steering_rad=g["steering_rad"])
    c = kernels.braking_zones(**kw)
    assert_same_records(c, reference.braking_zones(**kw))
    # physically sensible and close to where the factory put the brake points
    assert np.all(c["end_m"] >= c["brake_point_m"]) and np.all(c["brake_point_m"][1:] > c["end_m"][:-1])
    assert np.all((c["trail_brake_fraction"] >= 0) & (c["trail_brake_fraction"] <= 1))
    assert np.all(c["min_speed_mps"] <= c["entry_speed_mps"])
    for point in c["brake_point_m"]:
        assert min(abs(point - truth) for truth in lap.brake_points_m) <= 1.5


@SETTINGS
@given(spec=spec_st, on_grid=st.booleans())
def test_corners_match_reference(spec, on_grid):
    lap = make_lap(spec)
    src = _resample(kernels, lap) if on_grid else lap
    dist = src.grid_m if on_grid else lap["lap_dist_m"]
    kw = dict(dist_m=dist, speed_mps=src["speed_mps"], yaw_rate_rps=src["yaw_rate_rps"],
              lat_accel_mps2=src["lat_accel_mps2"], throttle=src["throttle"], brake=src["brake"])
    c = kernels.corners(**kw)
    assert_same_records(c, reference.corners(**kw))
    # every arc of the track is inside a detected corner turning the same way
    for start, end, direction, radius in lap.arcs_m:
        mid = 0.5 * (start + end)
        hit = c[(c["entry_m"] <= mid) & (c["exit_m"] >= mid)]
        assert hit.shape[0] == 1 and hit["direction"][0] == direction
        assert hit["min_radius_m"][0] <= radius * 1.1


@SETTINGS
@given(spec=spec_st, slower=st.floats(0.7, 0.98), boundaries=st.lists(st.floats(0.0, 1.0), max_size=8))
def test_delta_and_time_loss_match_reference(spec, slower, boundaries):
    lap_a = make_lap(spec)
    lap_b = make_lap(LapSpec(**{**spec.__dict__, "lat_grip_mps2": spec.lat_grip_mps2 * slower,
                                "start_time_s": 5000.0}))
    ga, gb = _resample(kernels, lap_a), _resample(kernels, lap_b)
    kw = dict(grid_m=ga.grid_m, time_a_s=ga["session_time_s"], time_b_s=gb["session_time_s"])
    delta = kernels.delta_time(**kw)
    np.testing.assert_allclose(delta, reference.delta_time(**kw), rtol=0, atol=1e-9)
    assert delta[0] == 0.0 and delta[-1] > 0  # less grip is slower
    bounds = np.unique(np.array(boundaries) * ga.grid_m[-1])
    seg = kernels.corner_time_loss(grid_m=ga.grid_m, delta_s=delta, boundaries_m=bounds)
    assert_same_records(seg, reference.corner_time_loss(grid_m=ga.grid_m, delta_s=delta, boundaries_m=bounds))
    assert abs(seg["time_loss_s"].sum() - delta[-1]) < 1e-9
    assert seg["start_m"][0] == 0.0 and seg["end_m"][-1] == ga.grid_m[-1]
    np.testing.assert_array_equal(seg["start_m"][1:], seg["end_m"][:-1])


@SETTINGS
@given(spec=spec_st)
def test_track_map_matches_reference(spec):
    lap = make_lap(spec)
    for kw in (dict(lat_deg=lap["lat_deg"], lon_deg=lap["lon_deg"]),
               dict(yaw_rad=lap["yaw_rad"], speed_mps=lap["speed_mps"], time_s=lap["session_time_s"])):
        c, r = kernels.track_map(**kw), reference.track_map(**kw)
        assert c.source == r.source and c.samples_used == r.samples_used
        np.testing.assert_allclose(c.x_m, r.x_m, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(c.y_m, r.y_m, rtol=1e-9, atol=1e-6)
    # GPS reproduces the factory's plane to well under a metre
    gps = kernels.track_map(lat_deg=lap["lat_deg"], lon_deg=lap["lon_deg"])
    assert np.max(np.hypot(gps.x_m - lap["x_m"], gps.y_m - lap["y_m"])) < 0.05


@SETTINGS
@given(spec=spec_st, on_grid=st.booleans(), window=st.sampled_from([5.0, 40.0, 150.0]),
       smooth=st.sampled_from([1, 15]))
def test_corners_by_curvature_peaks_match_reference(spec, on_grid, window, smooth):
    """Peak mode (split at several peaks, merge peakless corners, held-minimum apex) agrees."""
    lap = make_lap(spec)
    src = _resample(kernels, lap) if on_grid else lap
    dist = src.grid_m if on_grid else lap["lap_dist_m"]
    kw = dict(dist_m=dist, speed_mps=src["speed_mps"], yaw_rate_rps=src["yaw_rate_rps"],
              lat_accel_mps2=src["lat_accel_mps2"], throttle=src["throttle"], brake=src["brake"],
              peak_window_m=window, smooth_samples=smooth)
    c = kernels.corners(**kw)
    assert_same_records(c, reference.corners(**kw))
    assert np.all((c["apex_m"] >= c["entry_m"]) & (c["apex_m"] <= c["exit_m"]))
    assert np.all(np.diff(c["entry_m"]) > 0) and np.all(c["exit_m"][:-1] < c["entry_m"][1:])


@pytest.mark.parametrize("track", ["Monza", "Suzuka", "Zandvoort", "Spa"])
def test_corners_by_curvature_peaks_match_reference_on_simulated_laps(track):
    from racecoach.client.simulator import simulate_session
    from racecoach.client.source import canonical_arrays

    a = canonical_arrays(simulate_session(track=track, laps=1).channels)
    one = a["lap"] == 1
    chans = {k: a[k][one].astype(np.float64) for k in ("speed_mps", "yaw_rate_rps", "lat_accel_mps2", "throttle", "brake")}
    g = kernels.resample_lap(lap_dist_m=a["lap_dist_m"][one].astype(np.float64), channels=chans)
    kw = dict(dist_m=g.grid_m, **{k: g[k] for k in chans}, peak_window_m=40.0)
    assert_same_records(kernels.corners(**kw), reference.corners(**kw))
