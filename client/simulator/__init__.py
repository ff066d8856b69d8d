"""Quasi-steady-state lap simulator on real circuit shapes, writing iRacing ``.ibt`` files.

>>> s = simulate_session(track="Spielberg", laps=3,                       # doctest: +SKIP
...                      profile=DriverProfile(mistakes=(brake_early(corner=3, metres=15),)))
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
from .session import (
    SimulatedSession,
    ideal_corners,
    simulate_session,
    truth_path_for,
    write_session,
)
from .track import Track, available_tracks, load_track

__all__ = [
    "CARS",
    "Car",
    "Corner",
    "CornerPass",
    "DriverProfile",
    "Mistake",
    "MistakeKind",
    "MistakeParseError",
    "SimulatedSession",
    "Track",
    "available_tracks",
    "brake_early",
    "brake_late",
    "coasting",
    "ideal_corners",
    "late_throttle",
    "lift",
    "load_track",
    "low_apex_speed",
    "parse_mistake",
    "simulate_session",
    "truth_path_for",
    "write_session",
]
