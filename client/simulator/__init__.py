"""Quasi-steady-state lap simulator on real circuit shapes, writing iRacing ``.ibt`` files.

>>> s = simulate_session(track="Spielberg", laps=3,                       # doctest: +SKIP
...                      profile=DriverProfile(mistakes=(brake_early(corner=3, metres=15),)))
>>> s = simulate_session(track="Monza", laps=5, seed=1,                   # doctest: +SKIP
...                      profile=DriverProfile(variability=Variability.typical()))
>>> write_session(s, "out.ibt")   # out.ibt + out.truth.json                 # doctest: +SKIP
"""

from .car import CARS, Car
from .corners import Corner, CornerPass
from .mistakes import (
    Mistake,
    MistakeKind,
    MistakeParseError,
    brake_early,
    brake_late,
    coasting,
    late_throttle,
    lift,
    low_apex_speed,
    parse_mistake,
)
from .profile import DriverProfile
from .variability import CornerDeviation, Variability
from .session import (
    SimulatedSession,
    ideal_corners,
    mistake_time_cost_s,
    simulate_session,
    truth_path_for,
    write_session,
)
from .track import Track, available_tracks, load_track

__all__ = [
    "CARS",
    "Car",
    "Corner",
    "CornerDeviation",
    "CornerPass",
    "DriverProfile",
    "Mistake",
    "MistakeKind",
    "MistakeParseError",
    "SimulatedSession",
    "Track",
    "Variability",
    "available_tracks",
    "brake_early",
    "brake_late",
    "coasting",
    "ideal_corners",
    "late_throttle",
    "lift",
    "load_track",
    "low_apex_speed",
    "mistake_time_cost_s",
    "parse_mistake",
    "simulate_session",
    "truth_path_for",
    "write_session",
]
