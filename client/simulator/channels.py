"""Sample a solved drive (speeds on the distance grid) in time at 60 Hz as iRacing channels.

Each distance segment has constant acceleration, so speed is exactly linear in time inside
it; position is interpolated linearly (error below a millimetre at 1 m spacing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .car import Car, G
from .qss import Pedals
from .track import Track

__all__ = ["EARTH_RADIUS_M", "Drive", "sample_channels"]

EARTH_RADIUS_M = 6_371_000.0
SESSION_FLAGS = 0x10040000  # what iRacing shows in an open practice session
SESSION_STATE_RACING = 4


@dataclass(frozen=True)
class Drive:
    """A solved drive: node speeds from session node ``start`` on, in session time.

    ``t_nodes`` (s, session time) has one entry per node; ``wait_s`` seconds are spent
    stationary at the first node before it (in the pit stall). ``pit_end`` is the first
    session node past the pit exit (``start`` if the drive starts on track). ``v_line`` is
    the speed along the race line where the car runs wide (default ``v``: on the line); its
    path then curves by ``kappa·(v_line/v)²``. ``lateral_m`` offsets the positions per node
    (m, to the left of the line; default none).
    """

    start: int
    v: np.ndarray
    pedals: Pedals
    t_nodes: np.ndarray
    t_begin: float
    wait_s: float
    pit_end: int
    crossing_times: np.ndarray   # session time of each start/finish crossing, in order
    timed_laps: int
    v_line: np.ndarray | None = None
    lateral_m: np.ndarray | None = None


def _gears(v: np.ndarray, car: Car) -> tuple[np.ndarray, np.ndarray]:
    ratios = np.asarray(car.gear_ratios)
    rpm_all = v[:, None] / car.wheel_radius_m * ratios[None, :] * 60.0 / (2 * np.pi)
    ok = rpm_all <= car.shift_rpm
    gear = np.where(ok.any(axis=1), ok.argmax(axis=1), len(ratios) - 1)
    rpm = rpm_all[np.arange(len(v)), gear]
    return (gear + 1).astype(np.int32), np.maximum(rpm, car.idle_rpm)


def _first_order(values: np.ndarray, t: np.ndarray, tau_s: float, initial: np.ndarray) -> np.ndarray:
    """Exponential lag of ``values`` (samples × columns) with time constant ``tau_s``, at 1 Hz."""
    secs = np.floor(t - t[0]).astype(int)
    n_bins = secs[-1] + 1
    sums = np.zeros((n_bins, values.shape[1]))
    np.add.at(sums, secs, values)
    means = sums / np.bincount(secs, minlength=n_bins)[:, None]
    out = np.empty_like(means)
    state = initial.astype(float)
    alpha = 1.0 - np.exp(-1.0 / tau_s)
    for i in range(n_bins):
        state = state + alpha * (means[i] - state)
        out[i] = state
    centres = t[0] + np.arange(n_bins) + 0.5
    return np.column_stack([np.interp(t, centres, out[:, j]) for j in range(values.shape[1])])


def sample_channels(*, drive: Drive, track: Track, car: Car, tick_rate_hz: int, rng: np.random.Generator,
                    air_temp_c: float, track_temp_c: float, fuel_start_l: float) -> dict[str, np.ndarray]:
    """All channels of the drive, sampled every ``1/tick_rate_hz`` s of session time."""
    n, ds, length = track.n, track.ds_m, track.length_m
    t_end = float(drive.t_nodes[-1])
    count = int(np.floor((t_end - drive.t_begin) * tick_rate_hz)) + 1
    tick0 = round(drive.t_begin * tick_rate_hz)
    ticks = tick0 + np.arange(count)
    t = ticks / tick_rate_hz
    node_pos = np.arange(len(drive.v), dtype=float)
    pos = np.interp(t, drive.t_nodes, node_pos)  # fractional node index since drive.start
    speed = np.interp(t, drive.t_nodes, drive.v)
    seg = np.clip(np.searchsorted(drive.t_nodes, t, side="right") - 1, 0, len(drive.pedals.accel_mps2) - 1)
    waiting = t < drive.t_nodes[0]
    accel = np.where(waiting, 0.0, drive.pedals.accel_mps2[seg])
    throttle = np.where(waiting, 0.0, drive.pedals.throttle[seg])
    brake = np.where(waiting, 1.0, drive.pedals.brake[seg])

    g_nodes = drive.start + pos                     # session node index (0 = lap 0's line)
    lap = np.floor(g_nodes / n).astype(np.int32)
    lap_dist = (g_nodes - lap * n) * ds
    lap_pct = lap_dist / length
    idx_lap = np.arange(n + 1)
    wrap = lambda a: np.append(a, a[0])
    node_in_lap = g_nodes - lap * n
    kappa = np.interp(node_in_lap, idx_lap, wrap(track.kappa_per_m))
    if drive.v_line is not None:  # running wide: the path curves less than the line
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(drive.v > 0, drive.v_line / np.maximum(drive.v, 1e-9), 1.0)
        kappa = kappa * np.interp(pos, node_pos, np.minimum(ratio, 1.0)) ** 2
    x = np.interp(node_in_lap, idx_lap, wrap(track.x_m))
    y = np.interp(node_in_lap, idx_lap, wrap(track.y_m))
    heading_u = np.unwrap(track.heading_rad)
    closing = np.angle(np.exp(1j * (track.heading_rad[0] - track.heading_rad[-1])))
    heading_u = np.append(heading_u, heading_u[-1] + closing)
    heading = np.interp(node_in_lap, idx_lap, heading_u)
    if drive.lateral_m is not None:  # the line wanders a little: offset along the left normal
        side = np.interp(pos, node_pos, drive.lateral_m)
        x, y = x - side * np.sin(heading), y + side * np.cos(heading)
    yaw = np.angle(np.exp(1j * heading))

    in_pits = g_nodes < drive.pit_end
    on_track_surface = np.where(in_pits, np.where(speed < 0.05, 1, 2), 3).astype(np.int32)
    moving_since = np.where(waiting, -1.0, t - drive.t_nodes[0])
    clutch = np.where(waiting, 0.0, np.clip(moving_since / 1.0, 0.0, 1.0)) if drive.wait_s > 0 else np.ones(count)
    gear, rpm = _gears(speed, car)
    gear = np.where(waiting, 0, gear).astype(np.int32)
    rpm = np.where(waiting, car.idle_rpm, rpm)

    lat_accel = speed * speed * kappa
    yaw_rate = speed * kappa
    pitch = -0.0015 * accel
    roll = -0.004 * lat_accel
    dt = 1.0 / tick_rate_hz
    pitch_rate = np.gradient(pitch, dt) if count > 1 else np.zeros(count)
    roll_rate = np.gradient(roll, dt) if count > 1 else np.zeros(count)
    vert = G + rng.normal(0.0, 0.15, count) * np.minimum(speed / 20.0, 1.0)

    lat0 = np.radians(track.meta.lat_deg)
    lat_deg = track.meta.lat_deg + np.degrees(y / EARTH_RADIUS_M)
    lon_deg = track.meta.lon_deg + np.degrees(x / (EARTH_RADIUS_M * np.cos(lat0)))

    # lap timing as the car's dash shows it
    crossings = drive.crossing_times
    n_cross = np.searchsorted(crossings, t, side="right")       # crossings passed so far
    last_cross = np.where(n_cross > 0, crossings[np.maximum(n_cross - 1, 0)], drive.t_begin)
    lap_times = np.diff(crossings)                               # timed laps 1..N
    last_lap = np.full(count, -1.0)
    best_lap = np.full(count, -1.0)
    best_lap_no = np.zeros(count, dtype=np.int32)
    if len(lap_times):
        done = np.clip(n_cross - 1, 0, len(lap_times))           # timed laps completed
        has = done > 0
        last_lap[has] = lap_times[done[has] - 1]
        running_best = np.minimum.accumulate(lap_times)
        best_idx = np.array([int(np.argmin(lap_times[:k])) + 1 for k in range(1, len(lap_times) + 1)])
        best_lap[has] = running_best[done[has] - 1]
        best_lap_no[has] = best_idx[done[has] - 1]

    burnt = np.cumsum(throttle * car.fuel_l_per_s_full * dt)
    # A session longer than the usual fill starts with enough for it and 2 l spare, as a driver would fill up (up to
    # the tank's size; a session beyond one tank shows it empty rather than below zero, which no car reads).
    fuel_start_l = max(fuel_start_l, min(car.fuel_capacity_l, float(burnt[-1]) + 2.0)) if len(burnt) else fuel_start_l
    fuel = np.maximum(fuel_start_l - burnt, 0.0)
    press = brake * car.brake_line_max_bar
    # tyre carcass temperatures: lag towards a target driven by cornering/braking load
    load_l = np.maximum(-lat_accel, 0.0)    # right-hand corners load the left tyres
    load_r = np.maximum(lat_accel, 0.0)
    long_load = np.abs(accel)
    base = track_temp_c + 45.0
    targets = np.column_stack([
        base + 3.0 * load_l + 1.5 * long_load, base + 3.0 * load_r + 1.5 * long_load,
        base - 3.0 + 2.5 * load_l + 1.0 * long_load, base - 3.0 + 2.5 * load_r + 1.0 * long_load,
    ])
    targets = np.where(speed[:, None] < 1.0, track_temp_c + 5.0, targets)
    start_temp = track_temp_c + 5.0 if drive.wait_s > 0 else base + 8.0
    temps = _first_order(targets, t, 45.0, np.full(4, start_temp))

    f4 = np.float32
    ch: dict[str, np.ndarray] = {
        "SessionTime": t.astype(np.float64),
        "SessionTick": ticks.astype(np.int32),
        "SessionNum": np.zeros(count, np.int32),
        "SessionState": np.full(count, SESSION_STATE_RACING, np.int32),
        "SessionFlags": np.full(count, SESSION_FLAGS, np.uint32),
        "Lap": lap,
        "LapCompleted": np.maximum(lap - 1, 0).astype(np.int32),
        "LapDist": lap_dist.astype(f4),
        "LapDistPct": lap_pct.astype(f4),
        "Speed": speed.astype(f4),
        "Throttle": throttle.astype(f4),
        "Brake": brake.astype(f4),
        "Clutch": clutch.astype(f4),
        "SteeringWheelAngle": (car.steering_ratio * np.arctan(car.wheelbase_m * kappa)).astype(f4),
        "Gear": gear,
        "RPM": rpm.astype(f4),
        "LatAccel": lat_accel.astype(f4),
        "LongAccel": accel.astype(f4),
        "VertAccel": vert.astype(f4),
        "YawRate": yaw_rate.astype(f4),
        "PitchRate": pitch_rate.astype(f4),
        "RollRate": roll_rate.astype(f4),
        "Yaw": yaw.astype(f4),
        "YawNorth": np.mod(np.pi / 2 - heading, 2 * np.pi).astype(f4),
        "Pitch": pitch.astype(f4),
        "Roll": roll.astype(f4),
        "VelocityX": speed.astype(f4),
        "VelocityY": np.zeros(count, f4),
        "VelocityZ": np.zeros(count, f4),
        "Lat": lat_deg,
        "Lon": lon_deg,
        "Alt": np.full(count, track.meta.alt_m, f4),
        "PlayerTrackSurface": on_track_surface,
        "OnPitRoad": in_pits,
        "PlayerCarInPitStall": waiting.copy(),
        "IsOnTrack": np.ones(count, bool),
        "IsOnTrackCar": np.ones(count, bool),
        "LapCurrentLapTime": (t - last_cross).astype(f4),
        "LapLastLapTime": last_lap.astype(f4),
        "LapBestLapTime": best_lap.astype(f4),
        "LapBestLap": best_lap_no,
        "FuelLevel": fuel.astype(f4),
        "FuelLevelPct": (fuel / car.fuel_capacity_l).astype(f4),
        "AirTemp": np.full(count, air_temp_c, f4),
        "TrackTempCrew": np.full(count, track_temp_c, f4),
        "LFbrakeLinePress": press.astype(f4),
        "RFbrakeLinePress": press.astype(f4),
        "LRbrakeLinePress": (press * car.rear_brake_share).astype(f4),
        "RRbrakeLinePress": (press * car.rear_brake_share).astype(f4),
    }
    inner_hot = 4.0  # negative camber: the inner edge runs hotter
    for col, wheel in enumerate(("LF", "RF", "LR", "RR")):
        mid = temps[:, col]
        left_is_inner = wheel[0] == "R"
        ch[f"{wheel}tempCL"] = (mid + (inner_hot if left_is_inner else -inner_hot) / 2).astype(f4)
        ch[f"{wheel}tempCM"] = mid.astype(f4)
        ch[f"{wheel}tempCR"] = (mid + (-inner_hot if left_is_inner else inner_hot) / 2).astype(f4)
    return ch
