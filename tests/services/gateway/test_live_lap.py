"""The live lap's arithmetic: where the lap started and the running delta against the reference."""

from __future__ import annotations

import numpy as np

from racecoach.services.gateway.live_lap import crossing_time, running_delta, thinned


def test_the_start_is_the_last_wrap_interpolated_between_its_two_samples():
    t = np.array([10.0, 10.1, 10.2, 10.3, 10.4])
    pct = np.array([0.97, 0.99, 0.01, 0.03, 0.05])  # the line is crossed halfway between 10.1 and 10.2
    first, start = crossing_time(t, pct)
    assert first == 2 and abs(start - 10.15) < 1e-9
    assert crossing_time(t[:2], pct[:2]) is None
    two = crossing_time(np.arange(6.0), np.array([0.9, 0.1, 0.5, 0.95, 0.05, 0.2]))  # the later of two crossings
    assert two[0] == 4 and abs(two[1] - 3.5) < 1e-9


def test_the_running_delta_reads_the_reference_at_the_same_distance():
    step = 5.0
    grid = np.arange(0, 1001, step)
    ref_elapsed = grid / 50.0  # the reference: 50 m/s all lap
    dist = np.linspace(0, 1000, 401)
    slow = np.where(dist < 500, dist / 50.0, 10.0 + (dist - 500) / 40.0)  # 40 m/s after 500 m
    delta = running_delta(elapsed_s=slow, dist_m=dist, ref_elapsed_s=ref_elapsed, step_m=step)
    assert np.allclose(delta[dist <= 500], 0.0, atol=1e-9)
    assert abs(delta[-1] - (10.0 + 12.5 - 20.0)) < 1e-9  # at the line: the lap-time difference, 2.5 s
    keep = thinned(dist, step_m=10.0)
    assert keep[-1] == len(dist) - 1 and 95 <= len(keep) <= 101 and np.all(np.diff(dist[keep]) > 0)
