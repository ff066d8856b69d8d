"""The trace functions against a hand calculation and a numpy reference: continuous channels interpolated
(np.interp), the gear held from the sample at or before each grid point, distance never going back, and
downsampling keeping the first and last samples."""

from __future__ import annotations

import numpy as np
import pytest

from racecoach.services.storage import traces


def hand_lap() -> dict[str, np.ndarray]:
    """Six samples: the car stands still at 10 m (sample 2) and its distance reads back at sample 4."""
    return {
        "session_time_s": np.array([100.0, 101.0, 102.0, 103.0, 104.0, 105.0]),
        "lap_dist_m": np.array([0.0, 10.0, 10.0, 30.0, 25.0, 40.0], dtype=np.float32),
        "speed_mps": np.array([10.0, 20.0, 99.0, 40.0, 99.0, 50.0], dtype=np.float32),
        "gear": np.array([2, 3, 9, 4, 9, 5], dtype=np.float32),
    }


def test_a_lap_on_the_grid_by_hand():
    dist, keep = traces.forward_only(hand_lap()["lap_dist_m"])
    np.testing.assert_array_equal(dist, [0.0, 10.0, 30.0, 40.0])
    np.testing.assert_array_equal(keep, [True, True, False, True, False, True])
    np.testing.assert_array_equal(traces.distance_grid(length_m=40.0, step_m=5.0), [0, 5, 10, 15, 20, 25, 30, 35])

    got = traces.lap_on_grid(arrays=hand_lap(), start_session_time_s=100.0, length_m=40.0, step_m=5.0)
    assert set(got) == {"elapsed_s", "speed_mps", "gear"}  # throttle and brake were not stored: left out
    # kept samples: 0 m at 0 s / 10 m/s / gear 2, 10 m at 1 s / 20 / 3, 30 m at 3 s / 40 / 4, 40 m at 5 s / 50 / 5
    np.testing.assert_allclose(got["elapsed_s"], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
    np.testing.assert_allclose(got["speed_mps"], [10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0])
    np.testing.assert_array_equal(got["gear"], [2, 2, 3, 3, 3, 3, 4, 4])


def test_a_lap_on_the_grid_matches_numpy():
    rng = np.random.default_rng(11)
    steps = rng.uniform(0.0, 3.0, 500)
    steps[rng.choice(500, 40, replace=False)] = 0.0  # standing still now and then
    steps[0] = 0.4  # the first sample past the line: the grid's 0 m takes the first sample's values
    dist = np.cumsum(steps).astype(np.float32)
    count = len(dist)
    arrays = {
        "session_time_s": 50.0 + np.arange(count) / 60.0,
        "lap_dist_m": dist,
        "speed_mps": rng.uniform(10, 80, count).astype(np.float32),
        "throttle": rng.uniform(0, 1, count).astype(np.float32),
        "brake": rng.uniform(0, 1, count).astype(np.float32),
        "gear": rng.integers(1, 7, count).astype(np.float32),
    }
    length = float(dist[-1])
    got = traces.lap_on_grid(arrays=arrays, start_session_time_s=50.0, length_m=length, step_m=2.5)

    stored = dist.astype(np.float64)
    first = np.concatenate([[True], np.diff(stored) > 0])  # the first sample at each distance
    x = stored[first]
    grid = np.arange(0.0, length, 2.5)
    np.testing.assert_allclose(got["elapsed_s"], np.interp(grid, x, arrays["session_time_s"][first] - 50.0))
    for name in ("speed_mps", "throttle", "brake"):
        np.testing.assert_allclose(got[name], np.interp(grid, x, arrays[name][first].astype(np.float64)))
    gears = arrays["gear"][first]
    held = np.array([gears[np.flatnonzero(x <= g)[-1]] if (x <= g).any() else gears[0] for g in grid])
    np.testing.assert_array_equal(got["gear"], held)
    assert not np.all(np.interp(grid, x, arrays["gear"][first]) % 1 == 0)  # linear would have given fractions


def test_downsampling_by_hand():
    arrays = {"session_time_s": np.arange(10.0), "speed_mps": np.arange(10.0, 20.0)}
    kept = traces.downsample(arrays=arrays, max_samples=4)  # linspace(0, 9, 4): 0, 3, 6, 9
    np.testing.assert_array_equal(kept["session_time_s"], [0, 3, 6, 9])
    np.testing.assert_array_equal(kept["speed_mps"], [10, 13, 16, 19])
    kept = traces.downsample(arrays=arrays, max_samples=7)  # 0, 1.5, 3, 4.5, 6, 7.5, 9 rounded half to even
    np.testing.assert_array_equal(kept["session_time_s"], [0, 2, 3, 4, 6, 8, 9])
    for every in (0, 10, 11):
        assert traces.downsample(arrays=arrays, max_samples=every) is arrays


@pytest.mark.parametrize(("lap", "reference", "length"), [((4000.0, 3990.0), (4010.0, 4005.0), 4000.0),
                                                         ((0.0, 3990.0), (4010.0, 4005.0), 3990.0),
                                                         ((0.0, 3990.0), (0.0, 3980.0), 3980.0)])
def test_a_comparison_covers_the_shorter_lap(lap, reference, length):
    """A lap's measured distance, or its furthest sample without one; the shorter of the two."""
    lengths = [traces.lap_length_m(distance_m=distance, lap_dist_m=np.array([0.0, furthest, 12.0]))
               for distance, furthest in (lap, reference)]
    assert traces.comparison_length_m(lap_m=lengths[0], reference_m=lengths[1]) == length
