"""Bounds on what a request may carry, defined once: string and id lengths, NUL-free text, finite numbers.

:func:`check_message` walks a request message (nested messages included) and raises
:class:`InvalidInputError` naming the first field that breaks a bound, e.g.
``session.driver_name is 1048576 characters long; at most 256 are allowed``. Telemetry arrays
(repeated numbers) are checked by :mod:`racecoach.services.common.batch` with their channel ranges.
"""

from __future__ import annotations

import math
from functools import lru_cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from racecoach.services.common.errors import InvalidInputError

MAX_ID_CHARS = 128  # session, lap and other ids, page tokens
MAX_NAME_CHARS = 256  # names and labels: track, layout, car, driver, channel, corner, filters
MAX_TEXT_CHARS = 4096  # prose: a report's summary and note, a remark's description
TEXT_FIELDS = frozenset({"description", "summary", "note"})

_STRING, _FLOAT, _MESSAGE, _TIME = "string", "float", "message", "time"
# What protobuf's JSON, its ToDatetime() and PostgreSQL accept: 0001-01-01 to 9999-12-31, nanos within one second.
TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)
DURATION_SECONDS = 315_576_000_000


def limit_of(name: str) -> int:
    """The most characters field ``name`` may hold."""
    if name.endswith("_id") or name == "page_token":
        return MAX_ID_CHARS
    return MAX_TEXT_CHARS if name in TEXT_FIELDS else MAX_NAME_CHARS


def check_text(value: str, *, field: str, limit: int | None = None) -> str:
    """``value`` when it is NUL-free and short enough for ``field``; InvalidInputError otherwise."""
    most = limit if limit is not None else limit_of(field.rsplit(".", 1)[-1].split("[", 1)[0])
    if len(value) > most:
        raise InvalidInputError(f"{field} is {len(value)} characters long; at most {most} are allowed")
    if "\x00" in value:
        raise InvalidInputError(f"{field} must not contain a NUL character")
    return value


@lru_cache(maxsize=None)
def _plan(descriptor: Descriptor) -> tuple[tuple[str, str, bool, int], ...]:
    """The fields worth looking at: strings, singular floats, times (Timestamp, Duration) and messages (not other
    well-known types)."""
    plan = []
    for f in descriptor.fields:
        if f.type == FieldDescriptor.TYPE_STRING:
            plan.append((f.name, _STRING, f.is_repeated, limit_of(f.name)))
        elif f.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE) and not f.is_repeated:
            plan.append((f.name, _FLOAT, False, 0))
        elif f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.full_name in (
                "google.protobuf.Timestamp", "google.protobuf.Duration"):
            plan.append((f.name, _TIME, f.is_repeated, 0))
        elif f.type == FieldDescriptor.TYPE_MESSAGE and not f.message_type.full_name.startswith("google.protobuf."):
            if f.message_type.GetOptions().map_entry:
                continue
            plan.append((f.name, _MESSAGE, f.is_repeated, 0))
    return tuple(plan)


def check_time(value: Message, *, field: str) -> None:
    """InvalidInputError unless ``value`` (a Timestamp or a Duration) is one that protobuf itself can convert."""
    seconds, nanos = value.seconds, value.nanos
    if value.DESCRIPTOR.full_name == "google.protobuf.Timestamp":
        low, high = TIMESTAMP_SECONDS
        if not low <= seconds <= high:
            raise InvalidInputError(f"{field} is not a valid time: seconds {seconds} lies outside the years 1 to 9999")
        if not 0 <= nanos <= 999_999_999:
            raise InvalidInputError(f"{field} is not a valid time: nanos {nanos} must be between 0 and 999999999")
        return
    if not -DURATION_SECONDS <= seconds <= DURATION_SECONDS:
        raise InvalidInputError(f"{field} is not a valid duration: seconds {seconds} is beyond 10,000 years")
    if not -999_999_999 <= nanos <= 999_999_999 or (seconds and nanos and (seconds < 0) != (nanos < 0)):
        raise InvalidInputError(
            f"{field} is not a valid duration: nanos {nanos} must be within one second and of the sign of seconds")


def check_message(message: Message, *, prefix: str = "") -> None:
    """Raise InvalidInputError naming the first string that is too long or holds NUL, number that is not finite, or
    time (Timestamp, Duration) that protobuf cannot convert."""
    for name, kind, repeated, limit in _plan(message.DESCRIPTOR):
        path = f"{prefix}{name}"
        if kind == _STRING:
            values = getattr(message, name)
            for index, value in enumerate(values) if repeated else ((None, values),):
                if value and (len(value) > limit or "\x00" in value):
                    check_text(value, field=path if index is None else f"{path}[{index}]", limit=limit)
        elif kind == _FLOAT:
            value = getattr(message, name)
            if not math.isfinite(value):
                raise InvalidInputError(f"{path} is {value}; it must be a finite number")
        elif kind == _TIME:
            for index, item in enumerate(getattr(message, name)) if repeated else ((None, getattr(message, name)),):
                if item.seconds or item.nanos:
                    check_time(item, field=path if index is None else f"{path}[{index}]")
        elif repeated:
            for index, item in enumerate(getattr(message, name)):
                check_message(item, prefix=f"{path}[{index}].")
        elif message.HasField(name):
            check_message(getattr(message, name), prefix=f"{path}.")
