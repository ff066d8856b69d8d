"""Test data for the native kernels: a synthetic-lap factory and a tiny .ibt reader.

The synthetic lap is a track made of straights and constant-radius arcs, driven
with a simple lap-simulation speed profile (corner speed from a lateral grip
limit, forward pass with an acceleration limit, backward pass with a braking
limit), then sampled at 60 Hz like iRacing telemetry.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HZ = 60.0
DS_M = 0.5  # resolution of the underlying track model
WGS84_A_M = 6378137.0
WGS84_E2 = 0.00669437999014


@dataclass(frozen=True)
class Corner:
    """A straight of ``straight_m`` followed by an arc of ``arc_m`` with radius ``radius_m``."""

    straight_m: float
    radius_m: float
    arc_m: float
    direction: int  # +1 left, -1 right


@dataclass(frozen=True)
class LapSpec:
    corners: tuple[Corner, ...]
    final_straight_m: float = 200.0
    lat_grip_mps2: float = 12.0
    accel_mps2: float = 5.0
    brake_decel_mps2: float = 12.0
    v_max_mps: float = 65.0
    peak_brake: float = 0.9
    trail_m: float = 15.0      # brake fades to 0 over this distance into each arc
    noise: float = 0.0         # relative noise on speed / lat / yaw channels
    seed: int = 0
    start_time_s: float = 1000.0
    origin_deg: tuple[float, float] = (27.45, -81.35)


@dataclass
class Lap:
    """60 Hz samples of one lap plus the ground truth the factory used."""

    channels: dict[str, np.ndarray]
    length_m: float
    arcs_m: list[tuple[float, float, int, float]] = field(default_factory=list)  # start, end, dir, radius
    brake_points_m: list[float] = field(default_factory=list)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.channels[name]


def _model(spec: LapSpec):
    pieces = []
    arcs = []
    pos = 0.0
    for c in spec.corners:
        pieces.append((c.straight_m, 0.0))
        pos += c.straight_m
        pieces.append((c.arc_m, c.direction / c.radius_m))
        arcs.append((pos, pos + c.arc_m, c.direction, c.radius_m))
        pos += c.arc_m
    pieces.append((spec.final_straight_m, 0.0))
    length = pos + spec.final_straight_m
    s = np.arange(0.0, length + DS_M, DS_M)
    kappa = np.zeros_like(s)
    for start, end, direction, radius in arcs:
        kappa[(s >= start) & (s < end)] = direction / radius
    return s, kappa, arcs, length


def _speed_profile(spec: LapSpec, s: np.ndarray, kappa: np.ndarray):
    limit = np.minimum(np.sqrt(spec.lat_grip_mps2 / np.maximum(np.abs(kappa), 1e-9)), spec.v_max_mps)
    fwd = limit.copy()
    fwd[0] = min(limit[0], 0.8 * spec.v_max_mps)
    for i in range(1, s.shape[0]):
        fwd[i] = min(limit[i], np.sqrt(fwd[i - 1] ** 2 + 2 * spec.accel_mps2 * DS_M))
    v = fwd.copy()
    for i in range(s.shape[0] - 2, -1, -1):
        v[i] = min(v[i], np.sqrt(v[i + 1] ** 2 + 2 * spec.brake_decel_mps2 * DS_M))
    braking = v < fwd - 1e-9
    accelerating = (~braking) & (v < limit - 1e-9)
    return v, braking, accelerating


def make_lap(spec: LapSpec) -> Lap:
    s, kappa, arcs, length = _model(spec)
    v, braking, accelerating = _speed_profile(spec, s, kappa)
    brake = np.where(braking, spec.peak_brake, 0.0)
    for start, _end, _d, _r in arcs:  # trail braking: fade into the arc
        if spec.trail_m > 0:
            into = (s >= start) & (s < start + spec.trail_m)
            prev_braking = braking[max(int(start / DS_M) - 1, 0)]
            if prev_braking:
                brake[into] = np.maximum(brake[into], 0.5 * spec.peak_brake * (1 - (s[into] - start) / spec.trail_m))
    throttle = np.where(accelerating, 1.0, np.where(braking | (brake > 0), 0.0, 0.3))
    starts = np.flatnonzero(np.diff(np.concatenate(([0], (brake >= 0.1).astype(int)))) == 1)
    t = np.concatenate(([0.0], np.cumsum(2 * DS_M / (v[1:] + v[:-1]))))
    heading = np.concatenate(([0.3], 0.3 + np.cumsum(0.5 * (kappa[1:] + kappa[:-1]) * DS_M)))
    x = np.concatenate(([0.0], np.cumsum(np.cos(heading[:-1]) * DS_M)))
    y = np.concatenate(([0.0], np.cumsum(np.sin(heading[:-1]) * DS_M)))

    times = np.arange(0.0, t[-1], 1.0 / HZ)
    dist = np.interp(times, t, s)
    at = lambda a: np.interp(dist, s, a)  # noqa: E731
    rng = np.random.default_rng(spec.seed)
    jitter = lambda a: a * (1 + spec.noise * rng.standard_normal(a.shape))  # noqa: E731
    speed = at(v)
    k = at(kappa)
    lat0, lon0 = spec.origin_deg
    phi = np.radians(lat0)
    w = 1 - WGS84_E2 * np.sin(phi) ** 2
    r_north = WGS84_A_M * (1 - WGS84_E2) / w**1.5
    r_east = WGS84_A_M / np.sqrt(w) * np.cos(phi)
    channels = {
        "session_time_s": spec.start_time_s + times,
        "lap_dist_m": dist,
        "speed_mps": jitter(speed),
        "brake": at(brake),
        "throttle": at(throttle),
        "yaw_rate_rps": jitter(k * speed),
        "lat_accel_mps2": jitter(k * speed**2),
        "steering_rad": k * 2.7 * 14.0,
        "yaw_rad": at(heading),
        "lat_deg": lat0 + np.degrees(at(y) / r_north),
        "lon_deg": lon0 + np.degrees(at(x) / r_east),
        "x_m": at(x),
        "y_m": at(y),
    }
    return Lap(channels=channels, length_m=float(length), arcs_m=arcs,
               brake_points_m=[float(s[i]) for i in starts])


# --- .ibt ------------------------------------------------------------------------------

_IBT_TYPES = {0: "S1", 1: "?", 2: "<i4", 3: "<u4", 4: "<f4", 5: "<f8"}


def read_ibt(path: Path) -> np.ndarray:
    """All records of an iRacing .ibt file as a numpy structured array (one field per variable)."""
    raw = Path(path).read_bytes()
    header = struct.unpack_from("<10i", raw, 0)
    num_vars, var_header_offset, buf_len = header[6], header[7], header[9]
    buf_offset = struct.unpack_from("<i", raw, 52)[0]
    record_count = struct.unpack_from("<i", raw, 112 + 8 + 8 + 8 + 4)[0]
    names, formats, offsets = [], [], []
    for k in range(num_vars):
        vtype, offset, count, _as_time, name, _desc, _unit = struct.unpack_from(
            "<iii?3x32s64s32s", raw, var_header_offset + 144 * k
        )
        fmt = _IBT_TYPES[vtype]
        names.append(name.split(b"\0")[0].decode("ascii"))
        formats.append(fmt if count == 1 else (fmt, (count,)))
        offsets.append(offset)
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": buf_len})
    return np.frombuffer(raw, dtype=dtype, count=record_count, offset=buf_offset)
