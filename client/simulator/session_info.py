"""iRacing-style session info (``WeekendInfo``, ``SessionInfo``, ``DriverInfo``) for a simulation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .car import Car
from .corners import Corner
from .track import Track

__all__ = ["build_session_info"]


def build_session_info(*, track: Track, car: Car, corners: Sequence[Corner], driver: str,
                       air_temp_c: float, track_temp_c: float, ideal_lap_s: float) -> dict[str, Any]:
    """The session-info dict iRacing would write for one driver in an offline practice."""
    meta = track.meta
    initials = "".join(w[0] for w in driver.split()[:2]).upper()
    return {
        "WeekendInfo": {
            "TrackName": track.name.lower(),
            "TrackID": meta.track_id,
            "TrackLength": f"{track.length_m / 1000:.2f} km",
            "TrackLengthOfficial": f"{track.length_m / 1000:.2f} km",
            "TrackDisplayName": meta.display_name,
            "TrackDisplayShortName": track.name,
            "TrackConfigName": meta.config_name,
            "TrackCity": meta.city,
            "TrackCountry": meta.country,
            "TrackAltitude": f"{meta.alt_m:.2f} m",
            "TrackLatitude": f"{meta.lat_deg:.6f} m",
            "TrackLongitude": f"{meta.lon_deg:.6f} m",
            "TrackNumTurns": len(corners),
            "TrackPitSpeedLimit": "60.00 kph",
            "TrackType": "road course",
            "TrackSurfaceTemp": f"{track_temp_c:.2f} C",
            "TrackAirTemp": f"{air_temp_c:.2f} C",
            "SeriesID": 0,
            "SessionID": 0,
            "SubSessionID": 0,
            "EventType": "Practice",
            "Category": "Road",
            "SimMode": "full",
            "NumCarClasses": 1,
            "NumCarTypes": 1,
            "BuildType": "Racecoach Simulator",
        },
        "SessionInfo": {
            "CurrentSessionNum": 0,
            "Sessions": [{
                "SessionNum": 0,
                "SessionLaps": "unlimited",
                "SessionTime": "unlimited",
                "SessionType": "Practice",
                "SessionName": "PRACTICE",
            }],
        },
        "DriverInfo": {
            "DriverCarIdx": 0,
            "DriverUserID": 1,
            "DriverCarIdleRPM": car.idle_rpm,
            "DriverCarRedLine": car.shift_rpm,
            "DriverCarFuelMaxLtr": car.fuel_capacity_l,
            "DriverCarEstLapTime": round(ideal_lap_s, 4),
            "Drivers": [{
                "CarIdx": 0,
                "UserName": driver,
                "AbbrevName": driver,
                "Initials": initials,
                "UserID": 1,
                "TeamName": driver,
                "CarNumber": "1",
                "CarPath": car.car_path,
                "CarClassID": 0,
                "CarID": car.car_id,
                "CarScreenName": car.screen_name,
                "CarIsPaceCar": 0,
                "CarIsAI": 0,
            }],
        },
    }
