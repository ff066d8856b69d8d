"""From iRacing data (an .ibt file, or a live session's variables) to the contracts' shapes."""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from racecoach.client.ibt import IbtFormatError, IbtMissingChannelError, read_ibt
from racecoach.common.channels import BY_IRACING, REQUIRED, BY_FIELD
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


_MAX_TEXT = 256  # characters kept of a session-info string (names, ids)


def _mapping(value: object) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one (session info is hand-written YAML)."""
    return value if isinstance(value, Mapping) else {}


def _mappings(value: object) -> list[Mapping[str, Any]]:
    """The mappings of a list (``Drivers``, ``Sessions``); anything else gives none."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _text(value: object) -> str:
    """A scalar as a short, valid UTF-8 string; lists, mappings, None and unprintable numbers give ""."""
    if not isinstance(value, (str, int, float)):
        return ""
    try:
        text = str(value)
    except ValueError:  # an integer with more digits than Python prints
        return ""
    return text[:_MAX_TEXT].encode("utf-8", "replace").decode("utf-8").replace("\0", "")


def _length_m(value: object) -> float:
    """iRacing's TrackLength ("4.32 km" or "2.68 mi") in metres; 0 when unreadable."""
    try:
        number, unit = _text(value).split()
        metres = float(number) * (1609.344 if unit.startswith("mi") else 1000.0)
    except ValueError:
        return 0.0
    return metres if math.isfinite(metres) and metres >= 0 else 0.0


def session_from_info(*, info: Mapping[str, Any], session_id: str, source: int, source_name: str, tick_rate_hz: float) -> telemetry_pb2.Session:
    """A Session message from iRacing's session-info YAML (fields of the wrong type are left empty)."""
    weekend = _mapping(info.get("WeekendInfo"))
    driver_info = _mapping(info.get("DriverInfo"))
    drivers = _mappings(driver_info.get("Drivers"))
    my_index = driver_info.get("DriverCarIdx")
    me = next((d for d in drivers if d.get("CarIdx") == my_index), drivers[0] if drivers else {})
    sessions = _mappings(_mapping(info.get("SessionInfo")).get("Sessions"))
    kind = _text(sessions[-1].get("SessionType", "")).lower() if sessions else ""
    session = telemetry_pb2.Session(
        session_id=session_id,
        track=telemetry_pb2.Track(
            track_id=_text(weekend.get("TrackID")), name=_text(weekend.get("TrackName")),
            display_name=_text(weekend.get("TrackDisplayName")), layout=_text(weekend.get("TrackConfigName")),
            length_m=_length_m(weekend.get("TrackLength")),
        ),
        car=telemetry_pb2.Car(car_id=_text(me.get("CarID")), name=_text(me.get("CarScreenName")), path=_text(me.get("CarPath"))),
        session_type=_SESSION_TYPES.get(kind, telemetry_pb2.SESSION_TYPE_UNSPECIFIED),
        driver_name=_text(me.get("UserName")), tick_rate_hz=tick_rate_hz, source=source, source_name=source_name,
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


def _file_arrays(ibt, path: Path) -> dict[str, np.ndarray]:
    """The file's channels that map to TelemetryBatch channels, converted (IbtFormatError when one cannot be)."""
    arrays: dict[str, np.ndarray] = {}
    for name in ibt.channel_names:
        channel = BY_IRACING.get(name)
        if channel is None or ibt.variable(name).count != 1:
            continue
        try:
            arrays[channel.field] = np.ascontiguousarray(ibt.channel(name), dtype=channel.dtype)
        except (ValueError, TypeError):
            raise IbtFormatError(f"{path.name}: channel {name} is recorded as {ibt.variable(name).type.name.lower()}, "
                                 f"which cannot be read as {np.dtype(channel.dtype).name}") from None
    missing = [BY_FIELD[f].iracing for f in REQUIRED if f not in arrays]
    if missing:
        raise IbtMissingChannelError(f"{path.name} lacks the channels {', '.join(missing)} that laps need")
    return arrays


_PLAUSIBLE_START_S = 946_684_800  # 2000-01-01: an earlier start date in a file's header is not a real one


def load_ibt(path: Path) -> tuple[telemetry_pb2.Session, dict[str, np.ndarray]]:
    """Session and canonical channel arrays of an .ibt file (IbtError subclasses on bad files)."""
    with read_ibt(path) as ibt:
        arrays = _file_arrays(ibt, path)
        simulated = _mapping(ibt.session_info.get("WeekendInfo")).get("BuildType") == SIMULATOR_BUILD
        source = telemetry_pb2.SESSION_SOURCE_SIMULATOR if simulated else telemetry_pb2.SESSION_SOURCE_IBT_FILE
        session = session_from_info(
            info=ibt.session_info, session_id=file_session_id(path), source=source, source_name=path.name,
            tick_rate_hz=float(ibt.tick_rate_hz),
        )
        driven = ibt.disk_header.start_date
        if _PLAUSIBLE_START_S <= driven <= time.time() + 86_400:
            session.start_time.FromSeconds(int(driven))  # when the session was driven, not when it is imported
    keep = _recorded(arrays)
    return session, {k: v[keep] for k, v in arrays.items()}


def _recorded(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Samples worth sending: session time finite and strictly increasing (dummy and repeated records dropped)."""
    finite = np.isfinite(arrays["session_time_s"])
    time = np.where(finite, arrays["session_time_s"], -np.inf)
    keep = finite.copy()
    if len(time):
        with np.errstate(invalid="ignore"):
            keep[1:] &= np.diff(time) > 0
        keep &= time >= np.maximum.accumulate(time)
    return keep
