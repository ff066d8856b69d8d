"""What a request may carry, as the contract says it: required fields, string lengths, ranges, plus NUL-free text,
finite numbers and times protobuf can convert.

The per-field rules are ``buf.validate`` annotations in ``proto/`` (e.g. ``Session.session_id`` is required and at
most 128 characters, ``TelemetryBatch.seq`` at least 1), evaluated by protovalidate, the evaluator a third party
uses in any language; nothing here repeats them. Three rules hold for every field of every request, and so are
not written on each: no string holds a NUL character, no singular float or double is NaN or infinite, and every
Timestamp and Duration is one protobuf itself can convert (years 1 to 9999, nanos within one second).

:func:`check_message` raises :class:`InvalidInputError` naming the first field that breaks a rule, e.g.
``session.driver_name is 1048576 characters long; at most 256 are allowed`` or
``batch.seq is 0; it must be at least 1 (rule uint64.gte)``. Telemetry arrays (repeated numbers) carry their
channel's range as an item rule in the contract too; the mesh holds them to it with numpy where a batch enters it
(:mod:`racecoach.services.common.batch`, the catalogue reading the same rules), not item by item here.
"""

from __future__ import annotations

import math
from functools import lru_cache

import protovalidate
from buf.validate import validate_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.errors import InvalidInputError
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2

_STRING, _FLOAT, _MESSAGE, _TIME = "string", "float", "message", "time"
# What protobuf's JSON, its ToDatetime() and PostgreSQL accept: 0001-01-01 to 9999-12-31, nanos within one second.
TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)
DURATION_SECONDS = 315_576_000_000
CONTRACTS = (telemetry_pb2, ingest_pb2, storage_pb2, analysis_pb2, coaching_pb2)
_VALIDATOR = protovalidate.Validator()


def field_rules(field: FieldDescriptor) -> validate_pb2.FieldRules:
    """The ``(buf.validate.field)`` rules the contract puts on ``field`` (empty when it has none)."""
    return field.GetOptions().Extensions[validate_pb2.field]


def max_len(field: FieldDescriptor) -> int | None:
    """The most characters the contract lets string ``field`` (or each item of a repeated one) hold; None: no limit."""
    rules = field_rules(field)
    strings = rules.repeated.items.string if rules.HasField("repeated") else rules.string
    return strings.max_len if strings.HasField("max_len") else None


def _annotated_strings() -> dict[str, set[int]]:
    """Field name -> the max_len the contract gives string fields of that name, over every message of every domain."""
    found: dict[str, set[int]] = {}

    def walk(descriptor: Descriptor) -> None:
        for f in descriptor.fields:
            if f.type == FieldDescriptor.TYPE_STRING and (most := max_len(f)) is not None:
                found.setdefault(f.name, set()).add(most)
        for nested in descriptor.nested_types:
            walk(nested)

    for module in CONTRACTS:
        for message in module.DESCRIPTOR.message_types_by_name.values():
            walk(message)
    return found


_BY_NAME = _annotated_strings()
# The contract's classes of string, read from it: ids, names and labels, prose.
MAX_ID_CHARS = max_len(telemetry_pb2.Session.DESCRIPTOR.fields_by_name["session_id"])
MAX_NAME_CHARS = max_len(telemetry_pb2.Session.DESCRIPTOR.fields_by_name["driver_name"])
MAX_TEXT_CHARS = max_len(coaching_pb2.LapReport.DESCRIPTOR.fields_by_name["summary"])


def limit_of(name: str) -> int:
    """The most characters the contract lets a string field called ``name`` hold (the least where fields of that
    name differ; a name the contract does not bound gets :data:`MAX_NAME_CHARS`)."""
    limits = _BY_NAME.get(name)
    return min(limits) if limits else MAX_NAME_CHARS


def check_text(value: str, *, field: str, limit: int | None = None) -> str:
    """``value`` when it is NUL-free and short enough for ``field``; InvalidInputError otherwise."""
    most = limit if limit is not None else limit_of(field.rsplit(".", 1)[-1].split("[", 1)[0])
    if len(value) > most:
        raise InvalidInputError(f"{field} is {len(value)} characters long; at most {most} are allowed")
    if "\x00" in value:
        raise InvalidInputError(f"{field} must not contain a NUL character")
    return value


def _path(violation: protovalidate.ViolationPb) -> str:
    """``a.b[2].c`` from a violation's field path (an index or a map key as the subscript)."""
    parts = []
    for element in violation.field.elements:
        subscript = element.subscript  # None, or Oneof(field="index" | "<type>_key", value)
        if subscript is None:
            parts.append(element.field_name)
        elif subscript.field == "index":
            parts.append(f"{element.field_name}[{subscript.value}]")
        else:
            parts.append(f"{element.field_name}[{subscript.value!r}]")
    return ".".join(parts)


def describe(violation: protovalidate.Violation, *, prefix: str = "") -> str:
    """A violation in words, naming the field and the contract's rule."""
    proto = violation.proto
    path = prefix + _path(proto)
    if proto.rule_id == "string.max_len" and isinstance(violation.field_value, str):
        return f"{path} is {len(violation.field_value)} characters long; at most {violation.rule_value} are allowed"
    if proto.rule_id == "required":
        return f"{path} is required (rule required)"
    kind, _, bound = proto.rule_id.rpartition(".")
    if bound in ("gte", "lte") and not isinstance(violation.field_value, (list, dict)):
        most = "at least" if bound == "gte" else "at most"
        return f"{path} is {violation.field_value}; it must be {most} {violation.rule_value} (rule {proto.rule_id})"
    return f"{path}: {proto.message} (rule {proto.rule_id})"


_BATCH = telemetry_pb2.TelemetryBatch.DESCRIPTOR
_BATCH_HEADER = tuple(f.name for f in _BATCH.fields if not f.is_repeated)


@lru_cache(maxsize=None)
def _batch_fields(descriptor: Descriptor) -> tuple[str, ...]:
    """The fields of ``descriptor`` that hold a TelemetryBatch (singular or repeated)."""
    return tuple(f.name for f in descriptor.fields if f.message_type is _BATCH)


def _headers_only(message: Message) -> Message:
    """``message`` with each TelemetryBatch it holds cut to its header (session, seq, counts): the channel arrays'
    item rules (ranges) are held by :mod:`.batch` with numpy, from the same rules, where a batch enters the mesh;
    evaluated item by item here they would cost some 40x the rest of the check."""
    fields = _batch_fields(message.DESCRIPTOR)
    if not fields:
        return message
    light = type(message)()
    for field, value in message.ListFields():
        if field.message_type is _BATCH:
            for batch in (value if field.is_repeated else (value,)):
                header = getattr(light, field.name).add() if field.is_repeated else getattr(light, field.name)
                for key in _BATCH_HEADER:
                    setattr(header, key, getattr(batch, key))
        elif field.is_repeated:
            getattr(light, field.name).extend(value)
        elif field.message_type is not None:
            getattr(light, field.name).CopyFrom(value)
        else:
            setattr(light, field.name, value)
    return light


def check_rules(message: Message, *, prefix: str = "") -> None:
    """InvalidInputError naming the first field of ``message`` that breaks a rule the contract annotates (a
    TelemetryBatch's channel arrays apart: see :func:`_headers_only`)."""
    violations = _VALIDATOR.collect_violations(_headers_only(message), fail_fast=True)
    if violations:
        raise InvalidInputError(describe(violations[0], prefix=prefix))


@lru_cache(maxsize=None)
def _plan(descriptor: Descriptor) -> tuple[tuple[str, str, bool], ...]:
    """The fields the rules for every field concern: strings, singular floats, times (Timestamp, Duration) and
    messages (not other well-known types)."""
    plan = []
    for f in descriptor.fields:
        if f.type == FieldDescriptor.TYPE_STRING:
            plan.append((f.name, _STRING, f.is_repeated))
        elif f.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE) and not f.is_repeated:
            plan.append((f.name, _FLOAT, False))
        elif f.type == FieldDescriptor.TYPE_MESSAGE and f.message_type.full_name in (
                "google.protobuf.Timestamp", "google.protobuf.Duration"):
            plan.append((f.name, _TIME, f.is_repeated))
        elif f.type == FieldDescriptor.TYPE_MESSAGE and not f.message_type.full_name.startswith("google.protobuf."):
            if f.message_type.GetOptions().map_entry:
                continue
            plan.append((f.name, _MESSAGE, f.is_repeated))
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


def check_every_field(message: Message, *, prefix: str = "") -> None:
    """InvalidInputError naming the first string that holds NUL, number that is not finite, or time (Timestamp,
    Duration) that protobuf cannot convert: the rules that hold for every field."""
    for name, kind, repeated in _plan(message.DESCRIPTOR):
        path = f"{prefix}{name}"
        if kind == _STRING:
            values = getattr(message, name)
            for index, value in enumerate(values) if repeated else ((None, values),):
                if value and "\x00" in value:
                    raise InvalidInputError(
                        f"{path if index is None else f'{path}[{index}]'} must not contain a NUL character")
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
                check_every_field(item, prefix=f"{path}[{index}].")
        elif message.HasField(name):
            check_every_field(getattr(message, name), prefix=f"{path}.")


def check_message(message: Message, *, prefix: str = "") -> None:
    """Raise InvalidInputError naming the first field of ``message`` (nested messages included) that breaks a rule
    of the contract (:func:`check_rules`) or one that holds for every field (:func:`check_every_field`)."""
    check_rules(message, prefix=prefix)
    check_every_field(message, prefix=prefix)
