"""From iRacing data (an .ibt file, or a live session's variables) to the contracts' shapes."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from racecoach.client.ibt import IbtMissingChannelError, read_ibt
from racecoach.services.common.channels import BY_IRACING, REQUIRED, BY_FIELD
from racecoach.telemetry.v1 import telemetry_pb2

SIMULATOR_BUILD = "Racecoach Simulator"
SESSION_NAMESPACE = uuid.UUID("6f0b3c1e-6b7e-4f57-9a55-52a6c0a1c0de")
_SESSION_TYPES = {
    "practice": telemetry_pb2.SESSION_TYPE_PRACTICE, "open practice": telemetry_pb2.SESSION_TYPE_PRACTICE,
    "offline testing": telemetry_pb2.SESSION_TYPE_PRACTICE, "lone practice": telemetry_pb2.SESSION_TYPE_PRACTICE,
    "qualify": telemetry_pb2.SESSION_TYPE_QUALIFY, "lone qualify": telemetry_pb2.SESSION_TYPE_QUALIFY,
    "open qualify": telemetry_pb2.SESSION_TYPE_QUALIFY, "race": telemetry_pb2.SESSION_TYPE_RACE,
    "heat race": telemetry_pb2.SESSION_TYPE_RACE, "warmup": telemetry_pb2.SESSION_TYPE_RACE,
    "time trial": telemetry_pb2.SESSION_TYPE_TIME_TRIAL,
}


def _length_m(text: object) -> float:
    """iRacing's TrackLength ("4.32 km" or "2.68 mi") in metres; 0 when unreadable."""
    try:
        value, unit = str(text).split()
        return float(value) * (1609.344 if unit.startswith("mi") else 1000.0)
    except (ValueError, AttributeError):
        return 0.0


def session_from_info(*, info: Mapping[str, Any], session_id: str, source: int, source_name: str, tick_rate_hz: float) -> telemetry_pb2.Session:
    """A Session message from iRacing's session-info YAML."""
    weekend = info.get("WeekendInfo") or {}
    driver_info = info.get("DriverInfo") or {}
    drivers = driver_info.get("Drivers") or []
    me = next((d for d in drivers if d.get("CarIdx") == driver_info.get("DriverCarIdx")), drivers[0] if drivers else {})
    sessions = (info.get("SessionInfo") or {}).get("Sessions") or []
    kind = str(sessions[-1].get("SessionType", "")).lower() if sessions else ""
    session = telemetry_pb2.Session(
        session_id=session_id,
        track=telemetry_pb2.Track(
            track_id=str(weekend.get("TrackID", "")), name=str(weekend.get("TrackName", "")),
            display_name=str(weekend.get("TrackDisplayName", "")), layout=str(weekend.get("TrackConfigName", "") or ""),
            length_m=_length_m(weekend.get("TrackLength")),
        ),
        car=telemetry_pb2.Car(car_id=str(me.get("CarID", "")), name=str(me.get("CarScreenName", "")), path=str(me.get("CarPath", ""))),
        session_type=_SESSION_TYPES.get(kind, telemetry_pb2.SESSION_TYPE_UNSPECIFIED),
        driver_name=str(me.get("UserName", "")), tick_rate_hz=tick_rate_hz, source=source, source_name=source_name,
    )
    session.start_time.FromDatetime(datetime.now(timezone.utc))
    return session


def canonical_arrays(raw: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """iRacing variables → TelemetryBatch channels (canonical names and dtypes); others are dropped."""
    arrays: dict[str, np.ndarray] = {}
    for name, values in raw.items():
        channel = BY_IRACING.get(name)
        if channel is None or np.ndim(values) != 1:
            continue
        arrays[channel.field] = np.ascontiguousarray(values, dtype=channel.dtype)
    return arrays


def file_session_id(path: Path) -> str:
    """The same file always gets the same session id, so a replay that is repeated or resumed stores nothing twice."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return str(uuid.uuid5(SESSION_NAMESPACE, digest.hexdigest()))


def load_ibt(path: Path) -> tuple[telemetry_pb2.Session, dict[str, np.ndarray]]:
    """Session and canonical channel arrays of an .ibt file (IbtError subclasses on bad files)."""
    with read_ibt(path) as ibt:
        missing = [BY_FIELD[f].iracing for f in REQUIRED if BY_FIELD[f].iracing not in ibt]
        if missing:
            raise IbtMissingChannelError(f"{path.name} lacks the channels {', '.join(missing)} that laps need")
        raw = {name: ibt.channel(name, copy=True) for name in ibt.channel_names if name in BY_IRACING}
        simulated = (ibt.session_info.get("WeekendInfo") or {}).get("BuildType") == SIMULATOR_BUILD
        source = telemetry_pb2.SESSION_SOURCE_SIMULATOR if simulated else telemetry_pb2.SESSION_SOURCE_IBT_FILE
        session = session_from_info(
            info=ibt.session_info, session_id=file_session_id(path), source=source, source_name=path.name,
            tick_rate_hz=float(ibt.tick_rate_hz),
        )
    arrays = canonical_arrays(raw)
    keep = _recorded(arrays)
    return session, {k: v[keep] for k, v in arrays.items()}


def _recorded(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Samples worth sending: session time strictly increasing (dummy and repeated records dropped)."""
    time = arrays["session_time_s"]
    keep = np.ones(len(time), bool)
    if len(time):
        keep[1:] = np.diff(time) > 0
        running = np.maximum.accumulate(time)
        keep &= time >= running
    return keep
