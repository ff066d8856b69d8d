"""racecoach.native: C analysis kernels (built with cffi) and their numpy reference.

Public API (keyword-only arguments, units in the names)::

    resample_lap(lap_dist_m=, channels=, step_m=1.0, lap_length_m=None) -> ResampledLap
    braking_zones(dist_m=, brake=, speed_mps=, time_s=, lat_accel_mps2=None, steering_rad=None, ...)
        -> ndarray[BRAKE_ZONE_DTYPE]
    corners(dist_m=, speed_mps=, yaw_rate_rps=, lat_accel_mps2=, throttle=, brake=, ...)
        -> ndarray[CORNER_DTYPE]
    delta_time(grid_m=, time_a_s=, time_b_s=) -> ndarray (s)
    corner_time_loss(grid_m=, delta_s=, boundaries_m=) -> ndarray[SEGMENT_DTYPE]
    track_map(lat_deg=None, lon_deg=None, yaw_rad=None, speed_mps=None, time_s=None) -> TrackMap
    analyze_lap(lap_dist_m=, session_time_s=, speed_mps=, brake=, throttle=, lat_accel_mps2=, lap_length_m=,
                yaw_rate_rps=None, steering_rad=None, step_m=1.0, reference_time_s=None,
                zone_params=None, corner_params=None) -> LapResult   (all of the above in one C call)

The functions exported here are the C kernels; :mod:`racecoach.native.reference` has
the same functions written in plain numpy. Errors are :class:`KernelError` subclasses.
"""

from .errors import (
    InputDtypeError,
    InputShapeError,
    KernelError,
    KernelInputError,
    KernelInternalError,
    LengthMismatchError,
    NonFiniteInputError,
    NotIncreasingError,
    NoUsableDataError,
    OutOfRangeError,
    ParameterError,
    TooFewSamplesError,
)
from .kernels import braking_zones, corner_time_loss, corners, delta_time, resample_lap, track_map
from .lap import analyze_lap
from .results import (
    BRAKE_ZONE_DTYPE,
    CORNER_DTYPE,
    LEFT,
    RIGHT,
    SEGMENT_DTYPE,
    LapResult,
    ResampledLap,
    TrackMap,
)

__all__ = [
    "BRAKE_ZONE_DTYPE",
    "CORNER_DTYPE",
    "LEFT",
    "RIGHT",
    "SEGMENT_DTYPE",
    "InputDtypeError",
    "InputShapeError",
    "KernelError",
    "KernelInputError",
    "KernelInternalError",
    "LengthMismatchError",
    "NoUsableDataError",
    "NonFiniteInputError",
    "NotIncreasingError",
    "OutOfRangeError",
    "ParameterError",
    "ResampledLap",
    "TooFewSamplesError",
    "TrackMap",
    "LapResult",
    "analyze_lap",
    "braking_zones",
    "corner_time_loss",
    "corners",
    "delta_time",
    "resample_lap",
    "track_map",
]
