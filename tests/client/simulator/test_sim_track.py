"""Track geometry and corner ground truth, checked against hand computations on the CSVs."""

from __future__ import annotations

import numpy as np
import pytest
from racecoach.client.simulator import (
    CARS,
    available_tracks,
    ideal_corners,
    load_track,
    simulate_session,
)
from racecoach.client.simulator.track import TRACK_DIR


def test_all_eight_tracks_ship_with_licence_and_attribution() -> None:
    assert available_tracks() == ["BrandsHatch", "Monza", "Norisring", "Silverstone", "Spa",
                                  "Spielberg", "Suzuka", "Zandvoort"]
    assert (TRACK_DIR / "LICENSE-LGPL-3.0.txt").is_file()
    readme = (TRACK_DIR / "README.md").read_text()
    assert "TUMFTM/racetrack-database" in readme and "e59595d" in readme and "OpenStreetMap" in readme


@pytest.mark.parametrize("name", ["BrandsHatch", "Monza", "Norisring", "Silverstone", "Spa",
                                  "Spielberg", "Suzuka", "Zandvoort"])
def test_resampled_loop_matches_the_csv(name: str) -> None:
    raw = np.loadtxt(TRACK_DIR / f"{name}_raceline.csv", delimiter=",", comments="#")
    closed = np.vstack([raw, raw[:1]])
    polyline_m = np.hypot(*np.diff(closed, axis=0).T).sum()
    t = load_track(name)
    assert t.length_m == pytest.approx(polyline_m, rel=0.005)  # smoothing shortens a little
    assert t.ds_m == pytest.approx(1.0, abs=0.01)
    steps = np.hypot(np.diff(t.x_m), np.diff(t.y_m))
    assert np.allclose(steps, t.ds_m, rtol=0.02)
    # every smoothed point stays within 1.5 m of the original race line points' polyline
    d = np.hypot(t.x_m[:, None] - raw[None, ::1, 0], t.y_m[:, None] - raw[None, ::1, 1]).min(axis=1)
    assert d.max() < 3.0  # 5 m point spacing: nearest vertex within half a segment + smoothing
    # curvature is the derivative of heading
    dpsi = np.angle(np.exp(1j * np.diff(np.append(t.heading_rad, t.heading_rad[0]))))
    mid_kappa = 0.5 * (t.kappa_per_m + np.roll(t.kappa_per_m, -1))
    assert np.allclose(dpsi / t.ds_m, mid_kappa, atol=2e-4)
    # total turning of a closed loop: ±2π (Suzuka is a figure of eight: 0)
    turning = t.kappa_per_m.sum() * t.ds_m
    expected = 0.0 if name == "Suzuka" else 2 * np.pi
    assert abs(turning) == pytest.approx(expected, abs=0.05)


def test_unknown_track() -> None:
    with pytest.raises(ValueError, match="unknown track 'Nurburgring'; available: BrandsHatch, Monza"):
        load_track("Nurburgring")


def test_spielberg_corners_are_ordered_curvature_peaks() -> None:
    s = simulate_session(track="Spielberg", laps=1)
    track, corners = s.track, s.corners
    assert [c.number for c in corners] == list(range(1, len(corners) + 1))
    assert len(corners) == 9
    peaks = [c.peak_m for c in corners]
    assert peaks == sorted(peaks)
    car = CARS["gt3"]
    for c in corners:
        node = round(c.peak_m / track.ds_m)
        assert c.radius_m == pytest.approx(1 / abs(track.kappa_per_m[node]))
        assert c.radius_m < 250
        ideal = c.ideal
        assert abs(ideal.apex_m - c.peak_m) <= 60
        if ideal.brake_point_m is not None:
            assert 0 < (ideal.apex_m - ideal.brake_point_m) % track.length_m < 500
            # a braked corner: the apex speed is the steady cornering speed of its curvature
            k = abs(track.kappa_per_m[round(ideal.apex_m / track.ds_m)])
            hand = np.sqrt(car.mu * 9.81 / (k - car.mu * car.c_downforce / car.mass_kg))
            assert ideal.apex_speed_mps == pytest.approx(hand, rel=0.01)
    # Remus (the hairpin, corner 2) is the slowest corner of the lap
    assert min(corners, key=lambda c: c.ideal.apex_speed_mps).number == 2
    assert s.truth["track"]["corners"][1]["corner"] == 2
    assert ideal_corners(track="Spielberg") == corners


def test_braking_starts_at_the_first_firm_stage_and_the_brake_point_is_the_last_application():
    from racecoach.client.simulator import ideal_corners, simulate_session
    from racecoach.client.source import canonical_arrays

    corners = {c.number: c.ideal for c in ideal_corners(track="Suzuka")}
    for ideal in corners.values():
        if ideal.brake_point_m is None:
            assert ideal.braking_start_m is None
        else:
            assert ideal.braking_start_m <= ideal.brake_point_m
    # Suzuka's T5 (the esses) is braked in two stages: firmly, a coast, then a light trail of the brake
    staged = corners[5]
    assert staged.brake_point_m - staged.braking_start_m > 30.0
    sim = simulate_session(track="Suzuka", laps=1)
    arrays = canonical_arrays(sim.channels)
    lap = arrays["lap"] == 1
    dist, brake = arrays["lap_dist_m"][lap], arrays["brake"][lap]
    between = (dist > staged.braking_start_m) & (dist < staged.brake_point_m)
    assert brake[between].max() > 0.5 > brake[(dist >= staged.brake_point_m) & (dist < staged.apex_m)].max()
