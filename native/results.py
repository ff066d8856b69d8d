"""Result types of the analysis kernels; units are in the field names.

Braking zones, corners and segments are numpy structured arrays (one row per
item, one named field per quantity) so a whole lap's worth can be sliced,
sorted and serialised without Python loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: One row per braking zone (see :func:`racecoach.native.braking_zones`).
BRAKE_ZONE_DTYPE = np.dtype(
    [
        ("brake_point_m", "<f8"),        # distance of the first sample with the brake on
        ("end_m", "<f8"),                # distance of the last sample with the brake on
        ("entry_speed_mps", "<f8"),      # speed at the brake point
        ("peak_brake", "<f8"),           # largest brake value, 0-1
        ("min_speed_mps", "<f8"),        # lowest speed inside the zone
        ("min_speed_dist_m", "<f8"),     # where that lowest speed is
        ("duration_s", "<f8"),           # time from brake point to end
        ("trail_brake_fraction", "<f8"), # share of the zone's length braking while cornering
        ("trail_brake_dist_m", "<f8"),   # distance braking while cornering
    ]
)

#: One row per corner (see :func:`racecoach.native.corners`). ``direction``: +1 left, -1 right.
CORNER_DTYPE = np.dtype(
    [
        ("entry_m", "<f8"),
        ("apex_m", "<f8"),
        ("exit_m", "<f8"),
        ("apex_speed_mps", "<f8"),
        ("max_lat_g", "<f8"),
        ("min_radius_m", "<f8"),
        ("throttle_on_m", "<f8"),   # NaN when the throttle is not back on by the exit
        ("coasting_m", "<f8"),
        ("direction", "<i4"),
    ],
    align=True,
)

#: One row per lap segment (see :func:`racecoach.native.corner_time_loss`).
SEGMENT_DTYPE = np.dtype([("start_m", "<f8"), ("end_m", "<f8"), ("time_loss_s", "<f8")])

LEFT = 1
RIGHT = -1


@dataclass(frozen=True)
class ResampledLap:
    """A lap on a uniform distance grid.

    ``values[c]`` is channel ``names[c]`` at ``grid_m``; ``samples_dropped`` counts the
    input samples removed because their distance repeated or went backwards.
    """

    grid_m: np.ndarray
    values: np.ndarray
    names: tuple[str, ...]
    step_m: float
    samples_dropped: int

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.values[self.names.index(name)]
        except ValueError:
            raise KeyError(f"no channel {name!r}; channels are {list(self.names)}") from None

    @property
    def channels(self) -> dict[str, np.ndarray]:
        """Channel name → resampled values (views into ``values``)."""
        return {name: self.values[i] for i, name in enumerate(self.names)}


@dataclass(frozen=True)
class TrackMap:
    """Planar track map: ``x_m`` east, ``y_m`` north of the first valid sample.

    ``source`` is ``"latlon"`` (GPS projection) or ``"dead_reckoning"`` (heading and
    speed integrated over time).
    """

    x_m: np.ndarray
    y_m: np.ndarray
    source: str
    samples_used: int = field(default=0)


#: Channel rows of :func:`racecoach.native.analyze_lap`, in the C kernel's order.
LAP_CHANNELS = ("session_time_s", "speed_mps", "brake", "throttle", "yaw_rate_rps", "lat_accel_mps2", "steering_rad")


@dataclass(frozen=True)
class LapResult:
    """One lap's whole analysis (see :func:`racecoach.native.analyze_lap`).

    ``channels`` maps each analysis channel given to its values on ``grid_m``; ``delta_s`` and
    ``segments`` are ``None`` without a reference lap.
    """

    grid_m: np.ndarray
    channels: dict[str, np.ndarray]
    zones: np.ndarray
    corners: np.ndarray
    delta_s: np.ndarray | None
    segments: np.ndarray | None
    samples_dropped: int
