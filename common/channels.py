"""The channel catalogue: TelemetryBatch field ↔ iRacing variable, unit, dtype, kind, physical range.

The range is the contract's: each channel's ``buf.validate`` item rule on ``TelemetryBatch`` (finite, and
within ``gte``..``lte``), read from the descriptor (:func:`contract_range`), so a third party's protovalidate
and the mesh's numpy check (``services.common.batch``) hold a batch to the same numbers.

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
from buf.validate import validate_pb2

from racecoach.telemetry.v1 import telemetry_pb2

INF = float("inf")


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


def contract_range(field: str) -> tuple[float, float]:
    """The physical range the contract gives channel ``field``: its ``buf.validate`` item rule on TelemetryBatch
    (``gte``/``lte``; a bound it leaves out is infinite), or the range of its type (a bit field's fixed32)."""
    descriptor = telemetry_pb2.TelemetryBatch.DESCRIPTOR.fields_by_name[field]
    rules = descriptor.GetOptions().Extensions[validate_pb2.field]
    if descriptor.type == descriptor.TYPE_FIXED32:
        return 0.0, float(2**32 - 1)
    items = rules.repeated.items.double if descriptor.type == descriptor.TYPE_DOUBLE else rules.repeated.items.float
    return (float(items.gte) if items.HasField("gte") else -INF, float(items.lte) if items.HasField("lte") else INF)


def _c(
    field: str, iracing: str, unit: str, description: str, dtype: str = "<f4", kind: Kind = Kind.CONTINUOUS,
) -> Channel:
    low, high = contract_range(field)
    return Channel(field, iracing, unit, np.dtype(dtype), low, high, description, kind)


D, F = Kind.DISCRETE, Kind.FLAG

CHANNELS: tuple[Channel, ...] = (
    _c("session_time_s", "SessionTime", "s", "session time of the sample", "<f8"),
    _c("lap", "Lap", "", "lap number", kind=D),
    _c("lap_dist_m", "LapDist", "m", "distance from the start/finish line"),
    _c("lap_dist_pct", "LapDistPct", "", "fraction of the lap completed"),
    _c("speed_mps", "Speed", "m/s", "speed"),
    _c("throttle", "Throttle", "", "throttle pedal, 0 to 1"),
    _c("brake", "Brake", "", "brake pedal, 0 to 1"),
    _c("clutch", "Clutch", "", "clutch pedal, 0 to 1"),
    _c("steering_rad", "SteeringWheelAngle", "rad", "steering wheel angle"),
    _c("gear", "Gear", "", "gear, -1 reverse, 0 neutral", kind=D),
    _c("rpm", "RPM", "rev/min", "engine speed"),
    _c("lat_accel_mps2", "LatAccel", "m/s²", "lateral acceleration"),
    _c("long_accel_mps2", "LongAccel", "m/s²", "longitudinal acceleration"),
    _c("vert_accel_mps2", "VertAccel", "m/s²", "vertical acceleration"),
    _c("yaw_rate_rps", "YawRate", "rad/s", "yaw rate"),
    _c("pitch_rate_rps", "PitchRate", "rad/s", "pitch rate"),
    _c("roll_rate_rps", "RollRate", "rad/s", "roll rate"),
    _c("yaw_rad", "Yaw", "rad", "heading"),
    _c("pitch_rad", "Pitch", "rad", "pitch angle"),
    _c("roll_rad", "Roll", "rad", "roll angle"),
    _c("velocity_x_mps", "VelocityX", "m/s", "longitudinal velocity"),
    _c("velocity_y_mps", "VelocityY", "m/s", "lateral velocity"),
    _c("velocity_z_mps", "VelocityZ", "m/s", "vertical velocity"),
    _c("lat_deg", "Lat", "deg", "latitude", "<f8"),
    _c("lon_deg", "Lon", "deg", "longitude", "<f8"),
    _c("alt_m", "Alt", "m", "altitude"),
    _c("track_surface", "PlayerTrackSurface", "", "where the car is: -1 not in world, 0 off track, 1 pit stall, 2 approaching pits, 3 on track",
       kind=D),
    _c("on_pit_road", "OnPitRoad", "", "1 on pit road", kind=F),
    _c("session_flags", "SessionFlags", "", "iRacing SessionFlags bit field", "<u4", kind=F),
    _c("brake_pressure_lf_bar", "LFbrakeLinePress", "bar", "left-front brake line pressure"),
    _c("brake_pressure_rf_bar", "RFbrakeLinePress", "bar", "right-front brake line pressure"),
    _c("brake_pressure_lr_bar", "LRbrakeLinePress", "bar", "left-rear brake line pressure"),
    _c("brake_pressure_rr_bar", "RRbrakeLinePress", "bar", "right-rear brake line pressure"),
    _c("tyre_temp_lf_c", "LFtempCM", "°C", "left-front tyre carcass temperature"),
    _c("tyre_temp_rf_c", "RFtempCM", "°C", "right-front tyre carcass temperature"),
    _c("tyre_temp_lr_c", "LRtempCM", "°C", "left-rear tyre carcass temperature"),
    _c("tyre_temp_rr_c", "RRtempCM", "°C", "right-rear tyre carcass temperature"),
    _c("tyre_wear_lf", "LFwearM", "", "left-front tread remaining"),
    _c("tyre_wear_rf", "RFwearM", "", "right-front tread remaining"),
    _c("tyre_wear_lr", "LRwearM", "", "left-rear tread remaining"),
    _c("tyre_wear_rr", "RRwearM", "", "right-rear tread remaining"),
    _c("fuel_level_l", "FuelLevel", "l", "fuel in the tank"),
    _c("air_temp_c", "AirTemp", "°C", "air temperature"),
    _c("track_temp_c", "TrackTempCrew", "°C", "track temperature"),
    _c("lap_last_lap_time_s", "LapLastLapTime", "s", "iRacing's time of the last lap", kind=D),
    _c("lap_current_lap_time_s", "LapCurrentLapTime", "s", "iRacing's running lap time"),
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
