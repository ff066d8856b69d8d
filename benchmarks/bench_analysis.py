"""Benchmark: full lap analysis with the C kernels vs the numpy reference.

Run with ``python benchmarks/bench_analysis.py`` (or import and call :func:`main`).
It builds a synthetic 7,000-sample lap (a 12-corner track driven with a simple
grip/acceleration/braking speed profile, ~40 channels as iRacing records them),
then times the full analysis the analysis service runs at the line — resample
the seven analysis channels onto a 1 m grid, braking zones, corners, delta time
against a reference lap and the time lost per segment, with the service's
kernel settings — as ``analyze_lap`` of both implementations in the same
process: the C one is a single call into C, the numpy reference composes its
kernels one after the other. A per-step table times each kernel on its own
(plus resampling all ~40 channels and the track map, which the lap analysis
does not need), and finally the C path's throughput on one thread vs two
threads at once (the GIL is released inside C, so two threads should get close
to twice the laps/s on two or more cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable

import numpy as np

from racecoach import native
from racecoach.native import kernels, reference
from racecoach.services.analysis.lap import CORNER_PARAMS, ZONE_PARAMS

SAMPLES = 7000
EXTRA_CHANNELS = 30  # tyre temperatures, pressures, ride heights...: resampled like the rest


def synthetic_lap(samples: int = SAMPLES, *, grip_mps2: float = 13.0, seed: int = 7) -> dict[str, np.ndarray]:
    """One lap of ``samples`` samples (about 60 Hz) with corners, braking zones and GPS."""
    rng = np.random.default_rng(seed)
    ds = 0.5
    corners = [(350, 60, 90, 1), (500, 140, 160, -1), (250, 35, 70, 1), (700, 200, 220, -1),
               (300, 80, 110, 1), (450, 45, 80, -1), (600, 120, 140, 1), (280, 30, 60, -1),
               (520, 90, 120, 1), (380, 55, 85, -1), (650, 170, 200, 1), (300, 40, 75, -1)]
    s_edges, kappa_parts, pos = [], [], 0.0
    for straight, radius, arc, direction in corners:
        s_edges += [pos + straight, pos + straight + arc]
        kappa_parts.append((pos + straight, pos + straight + arc, direction / radius))
        pos += straight + arc
    length = pos + 400.0
    s = np.arange(0.0, length, ds)
    kappa = np.zeros_like(s)
    for start, end, k in kappa_parts:
        kappa[(s >= start) & (s < end)] = k
    limit = np.minimum(np.sqrt(grip_mps2 / np.maximum(np.abs(kappa), 1e-9)), 70.0)
    fwd = limit.copy()
    for i in range(1, s.shape[0]):
        fwd[i] = min(limit[i], np.sqrt(fwd[i - 1] ** 2 + 2 * 5.0 * ds))
    v = fwd.copy()
    for i in range(s.shape[0] - 2, -1, -1):
        v[i] = min(v[i], np.sqrt(v[i + 1] ** 2 + 2 * 12.0 * ds))
    braking = v < fwd - 1e-9
    t = np.concatenate(([0.0], np.cumsum(2 * ds / (v[1:] + v[:-1]))))
    heading = 0.4 + np.concatenate(([0.0], np.cumsum(kappa[:-1] * ds)))
    x = np.concatenate(([0.0], np.cumsum(np.cos(heading[:-1]) * ds)))
    y = np.concatenate(([0.0], np.cumsum(np.sin(heading[:-1]) * ds)))

    times = np.linspace(0.0, t[-1], samples)
    dist = np.interp(times, t, s)
    at = lambda a: np.interp(dist, s, a)  # noqa: E731
    speed = at(v) * (1 + 0.005 * rng.standard_normal(samples))
    k = at(kappa)
    lap = {
        "lap_dist_m": dist,
        "session_time_s": 3600.0 + times,
        "speed_mps": speed,
        "brake": at(np.where(braking, 0.85, 0.0)),
        "throttle": at(np.where(braking, 0.0, np.where(v < limit - 1e-9, 1.0, 0.35))),
        "yaw_rate_rps": k * speed,
        "lat_accel_mps2": k * speed**2 * (1 + 0.02 * rng.standard_normal(samples)),
        "steering_rad": k * 2.7 * 14.0,
        "yaw_rad": at(heading),
        "lat_deg": 27.45 + np.degrees(at(y) / 6_343_000.0),
        "lon_deg": -81.35 + np.degrees(at(x) / (6_382_000.0 * np.cos(np.radians(27.45)))),
    }
    for c in range(EXTRA_CHANNELS):
        lap[f"aux_{c:02d}"] = 80.0 + 5 * np.sin(dist / (50.0 + c))
    lap["_length_m"] = np.array([length])
    return lap


ANALYSIS_CHANNELS = ("session_time_s", "speed_mps", "brake", "throttle", "yaw_rate_rps", "lat_accel_mps2", "steering_rad")


def analyse(impl, lap: dict[str, np.ndarray], reference_time_s: np.ndarray):
    """The analysis of one lap: what the analysis service runs at the line."""
    return impl.analyze_lap(lap_dist_m=lap["lap_dist_m"], lap_length_m=float(lap["_length_m"][0]),
                            **{k: lap[k] for k in ANALYSIS_CHANNELS}, reference_time_s=reference_time_s,
                            zone_params=ZONE_PARAMS, corner_params=CORNER_PARAMS)


def analyse_in_steps(impl, lap: dict[str, np.ndarray], reference_time_s: np.ndarray) -> None:
    """The same analysis through the single kernels (one crossing into C per step)."""
    g = impl.resample_lap(lap_dist_m=lap["lap_dist_m"], channels={k: lap[k] for k in ANALYSIS_CHANNELS},
                          step_m=1.0, lap_length_m=float(lap["_length_m"][0]))
    impl.braking_zones(dist_m=g.grid_m, brake=g["brake"], speed_mps=g["speed_mps"], time_s=g["session_time_s"],
                       lat_accel_mps2=g["lat_accel_mps2"], steering_rad=g["steering_rad"], **ZONE_PARAMS)
    found = impl.corners(dist_m=g.grid_m, speed_mps=g["speed_mps"], yaw_rate_rps=g["yaw_rate_rps"],
                         lat_accel_mps2=g["lat_accel_mps2"], throttle=g["throttle"], brake=g["brake"], **CORNER_PARAMS)
    delta = impl.delta_time(grid_m=g.grid_m, time_a_s=reference_time_s, time_b_s=g["session_time_s"])
    exits = found["exit_m"][(found["exit_m"] > 0) & (found["exit_m"] < g.grid_m[-1])]
    impl.corner_time_loss(grid_m=g.grid_m, delta_s=delta, boundaries_m=exits)


def run_times(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def median_time(fn: Callable[[], object], repeats: int) -> float:
    return statistics.median(run_times(fn, repeats))


def step_times(impl, lap: dict[str, np.ndarray], reference_time_s: np.ndarray, repeats: int) -> dict[str, float]:
    """Median seconds of each step of the analysis run on its own with the single kernels."""
    chans = {k: lap[k] for k in ANALYSIS_CHANNELS}
    every = {k: lap[k] for k in lap if k not in ("lap_dist_m", "_length_m")}
    length = float(lap["_length_m"][0])
    g = impl.resample_lap(lap_dist_m=lap["lap_dist_m"], channels=chans, step_m=1.0, lap_length_m=length)
    found = impl.corners(dist_m=g.grid_m, speed_mps=g["speed_mps"], yaw_rate_rps=g["yaw_rate_rps"],
                         lat_accel_mps2=g["lat_accel_mps2"], throttle=g["throttle"], brake=g["brake"], **CORNER_PARAMS)
    delta = impl.delta_time(grid_m=g.grid_m, time_a_s=reference_time_s, time_b_s=g["session_time_s"])
    steps = {
        "resample_lap (7 ch)": lambda: impl.resample_lap(lap_dist_m=lap["lap_dist_m"], channels=chans, step_m=1.0,
                                                         lap_length_m=length),
        "braking_zones": lambda: impl.braking_zones(dist_m=g.grid_m, brake=g["brake"], speed_mps=g["speed_mps"],
                                                    time_s=g["session_time_s"], lat_accel_mps2=g["lat_accel_mps2"],
                                                    steering_rad=g["steering_rad"], **ZONE_PARAMS),
        "corners": lambda: impl.corners(dist_m=g.grid_m, speed_mps=g["speed_mps"], yaw_rate_rps=g["yaw_rate_rps"],
                                        lat_accel_mps2=g["lat_accel_mps2"], throttle=g["throttle"],
                                        brake=g["brake"], **CORNER_PARAMS),
        "delta_time": lambda: impl.delta_time(grid_m=g.grid_m, time_a_s=reference_time_s,
                                              time_b_s=g["session_time_s"]),
        "corner_time_loss": lambda: impl.corner_time_loss(grid_m=g.grid_m, delta_s=delta,
                                                          boundaries_m=found["exit_m"][:-1]),
        "steps one by one": lambda: analyse_in_steps(impl, lap, reference_time_s),
        "(resample all 40 ch)": lambda: impl.resample_lap(lap_dist_m=lap["lap_dist_m"], channels=every, step_m=1.0,
                                                          lap_length_m=length),
        "(track_map)": lambda: impl.track_map(lat_deg=lap["lat_deg"], lon_deg=lap["lon_deg"]),
    }
    return {name: median_time(fn, repeats) for name, fn in steps.items()}


def gil_probe(seconds: float = 0.3) -> float:
    """Pure-Python progress of this thread while another thread runs long C kernel calls,
    as a fraction of its progress alone (near 1 on 2+ cores when the GIL is released
    during the calls, near 0 if a call held it)."""
    n = 2_000_000
    d = np.arange(n, dtype=np.float64)
    speed = np.full(n, 30.0)
    wave = 0.01 * np.sin(d / 300.0)
    kw = dict(dist_m=d, speed_mps=speed, yaw_rate_rps=wave * speed, lat_accel_mps2=wave * speed**2,
              throttle=np.ones(n), brake=np.zeros(n))

    def count(stop_at: float) -> int:
        i = 0
        while time.perf_counter() < stop_at:
            i += 1
        return i

    alone = count(time.perf_counter() + seconds)
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            kernels.corners(**kw)

    worker = threading.Thread(target=busy)
    worker.start()
    time.sleep(0.05)
    during = count(time.perf_counter() + seconds)
    stop.set()
    worker.join()
    return during / alone


def threaded_throughput(fn: Callable[[], object], threads: int, laps_per_thread: int) -> float:
    """Laps per second with ``threads`` threads each analysing ``laps_per_thread`` laps."""
    barrier = threading.Barrier(threads + 1)

    def worker() -> None:
        barrier.wait()
        for _ in range(laps_per_thread):
            fn()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for th in pool:
        th.start()
    barrier.wait()
    start = time.perf_counter()
    for th in pool:
        th.join()
    return threads * laps_per_thread / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31, help="timed runs per implementation (median)")
    parser.add_argument("--laps", type=int, default=150, help="laps per thread in the threading test")
    args = parser.parse_args(argv)

    lap = synthetic_lap()
    ref_lap = synthetic_lap(grip_mps2=14.0, seed=8)
    ref_grid = kernels.resample_lap(lap_dist_m=ref_lap["lap_dist_m"],
                                    channels={"t": ref_lap["session_time_s"]},
                                    lap_length_m=float(lap["_length_m"][0]))
    ref_time = ref_grid["t"]

    c_out, r_out = analyse(native, lap, ref_time), analyse(reference, lap, ref_time)
    same = (len(c_out.zones) == len(r_out.zones) and len(c_out.corners) == len(r_out.corners)
            and np.allclose(c_out.delta_s, r_out.delta_s, atol=1e-9)
            and np.allclose(c_out.segments["time_loss_s"], r_out.segments["time_loss_s"], atol=1e-9))
    c_runs = run_times(lambda: analyse(native, lap, ref_time), args.repeats)
    r_runs = run_times(lambda: analyse(reference, lap, ref_time), args.repeats)
    t_c, t_r = statistics.median(c_runs), statistics.median(r_runs)

    def run_c() -> object:
        return analyse(native, lap, ref_time)

    one = max(threaded_throughput(run_c, 1, args.laps) for _ in range(3))
    two = max(threaded_throughput(run_c, 2, args.laps) for _ in range(3))

    n_ch = len(lap) - 2
    c_steps = step_times(kernels, lap, ref_time, args.repeats)
    r_steps = step_times(reference, lap, ref_time, args.repeats)
    probe = gil_probe()
    print(f"lap: {SAMPLES} samples x {n_ch} channels, {lap['_length_m'][0]:.0f} m, "
          f"{len(c_out.zones)} braking zones, {len(c_out.corners)} corners, "
          f"lap delta {c_out.delta_s[-1]:+.3f} s; C == reference: {same}")
    print(f"{'step':<24}{'reference ms':>14}{'C ms':>10}{'ratio':>9}")
    for name in c_steps:
        print(f"{name:<24}{r_steps[name] * 1e3:>14.3f}{c_steps[name] * 1e3:>10.3f}"
              f"{r_steps[name] / c_steps[name]:>8.1f}x")
    print(f"{'full analysis (one call)':<24}{t_r * 1e3:>14.3f}{t_c * 1e3:>10.3f}{t_r / t_c:>8.1f}x   (goal 20x)")
    print(f"{'  best of runs':<24}{min(r_runs) * 1e3:>14.3f}{min(c_runs) * 1e3:>10.3f}"
          f"{min(r_runs) / min(c_runs):>8.1f}x   (less sensitive to other load on the machine)")
    print()
    print(f"{'C path, threads':<24}{'laps/s':>14}{'ms/lap':>10}")
    print(f"{'1 thread':<24}{one:>14.0f}{1e3 / one:>10.3f}")
    print(f"{'2 threads':<24}{two:>14.0f}{1e3 / two:>10.3f}")
    print(f"{'2-thread scaling':<24}{two / one:>13.2f}x   (cores: {os.cpu_count()})")
    print(f"{'GIL probe':<24}{probe:>13.2f}    (Python progress beside a thread in C calls; 1.0 = GIL released)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
