"""The channel catalogue: TelemetryBatch field ↔ iRacing variable, unit, dtype, kind, physical range.

Every channel has a kind, and the kind decides how the channel is resampled onto another axis (a
distance grid, say), as Fast-F1's channel table does:

- ``continuous``: a physical quantity between samples (speed, pedals, accelerations):
  linear interpolation;
- ``discrete``: a value that changes in steps and means nothing in between (gear, lap number,
  track surface): held, previous sample (zero-order hold), never interpolated;
- ``flag``: a boolean or a bit field (on pit road, session flags): held like a discrete channel.

:func:`resample` is the one place that applies these rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class Kind(enum.Enum):
    """What a channel's values are between two samples."""

    CONTINUOUS = "continuous"
    DISCRETE = "discrete"
    FLAG = "flag"


class Resampling(enum.Enum):
    """How a channel is carried onto another axis."""

    LINEAR = "linear"  # linear interpolation between the neighbouring samples
    HOLD = "hold"  # the previous sample's value (zero-order hold); the first sample's before it


RESAMPLING: dict[Kind, Resampling] = {
    Kind.CONTINUOUS: Resampling.LINEAR,
    Kind.DISCRETE: Resampling.HOLD,
    Kind.FLAG: Resampling.HOLD,
}


@dataclass(frozen=True)
class Channel:
    """One channel of a TelemetryBatch."""

    field: str
    iracing: str
    unit: str
    dtype: np.dtype
    low: float
    high: float
    description: str
    kind: Kind = Kind.CONTINUOUS

    @property
    def resampling(self) -> Resampling:
        return RESAMPLING[self.kind]


def _c(
    field: str, iracing: str, unit: str, low: float, high: float, description: str, dtype: str = "<f4",
    kind: Kind = Kind.CONTINUOUS,
) -> Channel:
    return Channel(field, iracing, unit, np.dtype(dtype), low, high, description, kind)


D, F = Kind.DISCRETE, Kind.FLAG
INF = float("inf")

CHANNELS: tuple[Channel, ...] = (
    _c("session_time_s", "SessionTime", "s", 0, 1e7, "session time of the sample", "<f8"),
    _c("lap", "Lap", "", -1, 100_000, "lap number", kind=D),
    _c("lap_dist_m", "LapDist", "m", -1_000, 100_000, "distance from the start/finish line"),
    _c("lap_dist_pct", "LapDistPct", "", -1.0, 2.0, "fraction of the lap completed"),
    _c("speed_mps", "Speed", "m/s", -5, 200, "speed"),
    _c("throttle", "Throttle", "", -0.01, 1.01, "throttle pedal, 0 to 1"),
    _c("brake", "Brake", "", -0.01, 1.01, "brake pedal, 0 to 1"),
    _c("clutch", "Clutch", "", -0.01, 1.01, "clutch pedal, 0 to 1"),
    _c("steering_rad", "SteeringWheelAngle", "rad", -60, 60, "steering wheel angle"),
    _c("gear", "Gear", "", -1, 12, "gear, -1 reverse, 0 neutral", kind=D),
    _c("rpm", "RPM", "rev/min", -1, 30_000, "engine speed"),
    _c("lat_accel_mps2", "LatAccel", "m/s²", -500, 500, "lateral acceleration"),
    _c("long_accel_mps2", "LongAccel", "m/s²", -500, 500, "longitudinal acceleration"),
    _c("vert_accel_mps2", "VertAccel", "m/s²", -500, 500, "vertical acceleration"),
    _c("yaw_rate_rps", "YawRate", "rad/s", -50, 50, "yaw rate"),
    _c("pitch_rate_rps", "PitchRate", "rad/s", -50, 50, "pitch rate"),
    _c("roll_rate_rps", "RollRate", "rad/s", -50, 50, "roll rate"),
    _c("yaw_rad", "Yaw", "rad", -10, 10, "heading"),
    _c("pitch_rad", "Pitch", "rad", -10, 10, "pitch angle"),
    _c("roll_rad", "Roll", "rad", -10, 10, "roll angle"),
    _c("velocity_x_mps", "VelocityX", "m/s", -200, 200, "longitudinal velocity"),
    _c("velocity_y_mps", "VelocityY", "m/s", -200, 200, "lateral velocity"),
    _c("velocity_z_mps", "VelocityZ", "m/s", -200, 200, "vertical velocity"),
    _c("lat_deg", "Lat", "deg", -90, 90, "latitude", "<f8"),
    _c("lon_deg", "Lon", "deg", -180, 180, "longitude", "<f8"),
    _c("alt_m", "Alt", "m", -1_000, 10_000, "altitude"),
    _c("track_surface", "PlayerTrackSurface", "", -1, 10, "where the car is: -1 not in world, 0 off track, 1 pit stall, 2 approaching pits, 3 on track",
       kind=D),
    _c("on_pit_road", "OnPitRoad", "", 0, 1, "1 on pit road", kind=F),
    _c("session_flags", "SessionFlags", "", 0, 2**32 - 1, "iRacing SessionFlags bit field", "<u4", kind=F),
    _c("brake_pressure_lf_bar", "LFbrakeLinePress", "bar", -1, 500, "left-front brake line pressure"),
    _c("brake_pressure_rf_bar", "RFbrakeLinePress", "bar", -1, 500, "right-front brake line pressure"),
    _c("brake_pressure_lr_bar", "LRbrakeLinePress", "bar", -1, 500, "left-rear brake line pressure"),
    _c("brake_pressure_rr_bar", "RRbrakeLinePress", "bar", -1, 500, "right-rear brake line pressure"),
    _c("tyre_temp_lf_c", "LFtempCM", "°C", -60, 400, "left-front tyre carcass temperature"),
    _c("tyre_temp_rf_c", "RFtempCM", "°C", -60, 400, "right-front tyre carcass temperature"),
    _c("tyre_temp_lr_c", "LRtempCM", "°C", -60, 400, "left-rear tyre carcass temperature"),
    _c("tyre_temp_rr_c", "RRtempCM", "°C", -60, 400, "right-rear tyre carcass temperature"),
    _c("tyre_wear_lf", "LFwearM", "", 0, 1.01, "left-front tread remaining"),
    _c("tyre_wear_rf", "RFwearM", "", 0, 1.01, "right-front tread remaining"),
    _c("tyre_wear_lr", "LRwearM", "", 0, 1.01, "left-rear tread remaining"),
    _c("tyre_wear_rr", "RRwearM", "", 0, 1.01, "right-rear tread remaining"),
    _c("fuel_level_l", "FuelLevel", "l", -1, 1_000, "fuel in the tank"),
    _c("air_temp_c", "AirTemp", "°C", -60, 80, "air temperature"),
    _c("track_temp_c", "TrackTempCrew", "°C", -60, 100, "track temperature"),
    _c("lap_last_lap_time_s", "LapLastLapTime", "s", -INF, INF, "iRacing's time of the last lap", kind=D),
    _c("lap_current_lap_time_s", "LapCurrentLapTime", "s", -INF, INF, "iRacing's running lap time"),
)

BY_FIELD: dict[str, Channel] = {c.field: c for c in CHANNELS}
BY_IRACING: dict[str, Channel] = {c.iracing: c for c in CHANNELS}
REQUIRED: tuple[str, ...] = ("session_time_s", "lap", "lap_dist_m", "lap_dist_pct", "speed_mps")


def resample(name: str, *, x: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Channel ``name`` sampled at ``x`` (increasing) carried onto ``at`` by its kind's rule.

    Continuous channels are interpolated linearly (``np.interp``: the end values beyond the ends);
    discrete channels and flags take the value of the last sample at or before each point (the
    first sample's before it), so a gear stays a gear the car was in. The result has the
    channel's values' dtype for held channels and float64 for interpolated ones.
    """
    x = np.asarray(x)
    values = np.asarray(values)
    if len(x) != len(values) or not len(x):
        raise ValueError(f"{name}: {len(values)} values for {len(x)} positions; need the same, at least one")
    if BY_FIELD[name].resampling is Resampling.LINEAR:
        return np.interp(at, x, values.astype(np.float64))
    index = np.searchsorted(x, at, side="right") - 1
    return values[np.clip(index, 0, len(values) - 1)]
