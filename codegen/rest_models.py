"""msgspec structs for every message of the contracts, in proto3 JSON shape."""

from __future__ import annotations

import keyword
from typing import TYPE_CHECKING, Any

from google.protobuf import descriptor_pb2

if TYPE_CHECKING:
    from racecoach.codegen.rest_plugin import Index

F = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    F.TYPE_DOUBLE: "float", F.TYPE_FLOAT: "float",
    F.TYPE_INT32: "int", F.TYPE_UINT32: "int", F.TYPE_SINT32: "int", F.TYPE_FIXED32: "int", F.TYPE_SFIXED32: "int",
    F.TYPE_INT64: "str", F.TYPE_UINT64: "str", F.TYPE_SINT64: "str", F.TYPE_FIXED64: "str", F.TYPE_SFIXED64: "str",
    F.TYPE_BOOL: "bool", F.TYPE_STRING: "str", F.TYPE_BYTES: "str",
}
WELL_KNOWN = {
    ".google.protobuf.Timestamp": ("str", "RFC 3339 timestamp, e.g. \"2026-11-21T10:00:00Z\""),
    ".google.protobuf.Duration": ("str", "duration in seconds with an \"s\" suffix, e.g. \"83.456s\""),
}


def struct_name(full_name: str) -> str:
    """``.racecoach.storage.v1.GetLapResponse`` → ``StorageGetLapResponse``."""
    parts = full_name.lstrip(".").split(".")
    domain = parts[1].capitalize() if len(parts) > 3 and parts[0] == "racecoach" else ""
    local = [p for p in parts if p[:1].isupper()]
    return domain + "".join(local)


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def field_type(*, index: Index, fld: descriptor_pb2.FieldDescriptorProto) -> tuple[str, str]:
    """The Python annotation of one field and any note on its JSON form."""
    note = ""
    if fld.type == F.TYPE_MESSAGE and fld.type_name in WELL_KNOWN:
        base, note = WELL_KNOWN[fld.type_name]
    elif fld.type == F.TYPE_MESSAGE:
        message = index.messages.get(fld.type_name)
        if message is not None and message.options.map_entry:
            from racecoach.codegen.rest_plugin import PluginError

            raise PluginError(f"map field {fld.name} is not supported by the REST generator")
        base = struct_name(fld.type_name)
    elif fld.type == F.TYPE_ENUM:
        enum = index.enums[fld.type_name]
        base = "Literal[" + ", ".join(f'"{v.name}"' for v in enum.value) + "]"
    else:
        base = SCALARS[fld.type]
        if fld.type == F.TYPE_BYTES:
            note = "base64"
        elif base == "str" and fld.type != F.TYPE_STRING:
            note = "64-bit integer as a decimal string"
    if fld.label == F.LABEL_REPEATED:
        base = f"list[{base}]"
    return base, note


def render_models(*, index: Index, files: list[descriptor_pb2.FileDescriptorProto]) -> tuple[str, dict[str, str]]:
    """Source of ``models.py`` and the struct name of every message."""
    names: dict[str, str] = {}
    seen_names: dict[str, str] = {}
    ordered = sorted(index.messages)
    for full_name in ordered:
        name = struct_name(full_name)
        if name in seen_names:
            from racecoach.codegen.rest_plugin import PluginError

            raise PluginError(f"struct name {name} is used by {seen_names[name]} and {full_name}")
        seen_names[name] = full_name
        names[full_name] = name
    wanted = {f".{f.package}" for f in files}
    lines = [
        '"""msgspec structs of the REST API: one per protobuf message, in proto3 JSON shape."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Annotated, Any, Literal",
        "",
        "import msgspec",
        "",
        "__all__: list[str] = []",
        "",
    ]
    schema_rules: dict[str, dict[str, dict[str, Any]]] = {}
    required: dict[str, list[str]] = {}
    for full_name in ordered:
        if full_name in WELL_KNOWN or not any(full_name.startswith(p + ".") for p in wanted):
            continue
        message = index.messages[full_name]
        if message.options.map_entry:
            continue
        name = names[full_name]
        doc = index.comment(full_name) or f"{message.name}."
        lines += ["", f"class {name}(msgspec.Struct, kw_only=True, omit_defaults=True):"]
        lines.append(f'    """{_quote(doc)}"""')
        lines.append("")
        for fld in message.field:
            annotation, note = field_type(index=index, fld=fld)
            attribute = fld.json_name
            if keyword.iskeyword(attribute):
                from racecoach.codegen.rest_plugin import PluginError

                raise PluginError(f"field {full_name}.{fld.name} has a Python keyword as JSON name")
            if rules := json_rules(fld):
                schema_rules.setdefault(name, {})[attribute] = rules
            if is_required(fld):
                required.setdefault(name, []).append(attribute)
            description = index.comment(full_name, fld.name)
            if note:
                description = f"{description} ({note})" if description else note
            if description:
                meta = f"msgspec.Meta(description={description!r})"
                lines.append(f"    {attribute}: Annotated[{annotation} | None, {meta}] = None")
            else:
                lines.append(f"    {attribute}: {annotation} | None = None")
        if not message.field:
            lines.append("    pass")
        lines.append("")
        lines.append(f'__all__.append("{name}")')
        lines.append("")
    lines += [
        "",
        "# struct name -> field -> the JSON Schema keywords of the values a request may carry there (the field's type's",
        "# range, the JSON form of times and 64-bit integers, the contract's buf.validate rules); the gateway's OpenAPI",
        "# document states them on each struct's properties.",
        "JSON_SCHEMA_RULES: dict[str, dict[str, dict[str, Any]]] = {",
        *(f"    {struct!r}: {fields!r}," for struct, fields in sorted(schema_rules.items())),
        "}",
        "# struct name -> the fields a request must carry there (the contract's buf.validate `required`: set, not null,",
        "# and for a string not empty); the gateway's OpenAPI document lists them as each struct's required properties.",
        "JSON_SCHEMA_REQUIRED: dict[str, list[str]] = {",
        *(f"    {struct!r}: {fields!r}," for struct, fields in sorted(required.items())),
        "}",
    ]
    return "\n".join(lines).rstrip() + "\n", names


_INT_RANGES = {
    F.TYPE_INT32: (-(2**31), 2**31 - 1), F.TYPE_SINT32: (-(2**31), 2**31 - 1), F.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    F.TYPE_UINT32: (0, 2**32 - 1), F.TYPE_FIXED32: (0, 2**32 - 1),
}
_SIGNED_64 = {F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64}
_RULES_FOR = {  # field type -> the name of its buf.validate rules
    F.TYPE_INT32: "int32", F.TYPE_SINT32: "sint32", F.TYPE_SFIXED32: "sfixed32", F.TYPE_UINT32: "uint32",
    F.TYPE_FIXED32: "fixed32", F.TYPE_DOUBLE: "double", F.TYPE_FLOAT: "float", F.TYPE_STRING: "string",
}
# The JSON forms of the well-known types protobuf's JSON parser accepts (it refuses anything else with a 400):
# a duration of at most 10,000 years in seconds with at most 9 decimals, an RFC 3339 time.
DURATION_PATTERN = r"^-?[0-9]{1,11}(\.[0-9]{1,9})?s$"
# No string of a request may hold a NUL character (services.common.limits holds it for every field).
NO_NUL = r"^[^\x00]*$"
INT64_PATTERNS = {True: r"^-?[0-9]{1,18}$", False: r"^[0-9]{1,18}$"}


# The JSON Schema of each CEL rule of the contracts. protovalidate evaluates a CEL expression; JSON Schema cannot, so
# every CEL rule a field carries is written here with the expression it was translated from, keyed by the rule's id.
# A CEL rule without an id, with an id not listed here, or whose expression is not the one listed stops `make gen`
# (PluginError) until its JSON Schema is written here: the document never silently lacks a rule, nor states an old one.
CEL_JSON_SCHEMA: dict[str, tuple[str, dict[str, Any]]] = {
    # GetLapComparisonRequest.step_m: 0 (the default step), or a step from 0.1 to 100 m. A CEL rule, not a range with
    # `ignore = IGNORE_IF_ZERO_VALUE`: protovalidate would hold -0.0 to the range, which the service takes as 0.
    "get_lap_comparison_request.step_m": (
        "this == 0.0 || (this >= 0.1 && this <= 100.0)",
        {"anyOf": [{"const": 0}, {"minimum": 0.1, "maximum": 100}]},
    ),
    # ScoreLapRequest.lap names its session: a lap object whose sessionId is a non-empty string.
    "score_lap_request.lap_session_id": (
        "this.session_id != ''",
        {"type": "object", "required": ["sessionId"], "properties": {"sessionId": {"type": "string", "minLength": 1}}},
    ),
}


def _error(text: str) -> Exception:
    from racecoach.codegen.rest_plugin import PluginError

    return PluginError(text)


def _validate_rules(fld: descriptor_pb2.FieldDescriptorProto) -> Any:
    from buf.validate import validate_pb2  # registers the (buf.validate.field) option, in gen/python

    return fld.options.Extensions[validate_pb2.field]


def _scalar_rules(fld: descriptor_pb2.FieldDescriptorProto, rules: Any) -> dict[str, Any]:
    """JSON Schema keywords of one value of ``fld`` (an item, when repeated): its type's range and the contract's rules."""
    if fld.type == F.TYPE_MESSAGE:
        if fld.type_name == ".google.protobuf.Timestamp":
            return {"format": "date-time"}
        if fld.type_name == ".google.protobuf.Duration":
            return {"pattern": DURATION_PATTERN}
        return {}
    if fld.type in (F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_SINT64, F.TYPE_FIXED64, F.TYPE_SFIXED64):
        return {"pattern": INT64_PATTERNS[fld.type in _SIGNED_64]}
    out: dict[str, Any] = {}
    if fld.type in _INT_RANGES:
        out["minimum"], out["maximum"] = _INT_RANGES[fld.type]
    kind = _RULES_FOR.get(fld.type)
    typed = getattr(rules, kind) if kind and rules.HasField(kind) else None
    if typed is None:
        return {"pattern": NO_NUL} if fld.type == F.TYPE_STRING else out
    if kind == "string":
        out["pattern"] = NO_NUL
        for rule, name in (("max_len", "maxLength"), ("min_len", "minLength")):
            if typed.HasField(rule):
                out[name] = getattr(typed, rule)
        return out
    for rule, name in (("gte", "minimum"), ("lte", "maximum"), ("gt", "exclusiveMinimum"), ("lt", "exclusiveMaximum")):
        if typed.HasField(rule):
            out[name] = getattr(typed, rule)
    return out


def _cel_rules(fld: descriptor_pb2.FieldDescriptorProto, rules: Any) -> dict[str, Any]:
    """The JSON Schema keywords of the CEL rules on ``fld``, from :data:`CEL_JSON_SCHEMA`."""
    if rules.cel_expression:
        raise _error(f"field {fld.name}: a CEL rule needs an id and a message (cel, not cel_expression), and its"
                     " JSON Schema in racecoach.codegen.rest_models.CEL_JSON_SCHEMA")
    out: dict[str, Any] = {}
    for rule in rules.cel:
        known = CEL_JSON_SCHEMA.get(rule.id)
        if known is None or known[0] != rule.expression:
            raise _error(f"field {fld.name}: CEL rule {rule.id!r} ({rule.expression}) has no JSON Schema in"
                         " racecoach.codegen.rest_models.CEL_JSON_SCHEMA for that expression; write it there")
        out.update(known[1])
    return out


def is_required(fld: descriptor_pb2.FieldDescriptorProto) -> bool:
    """Whether the contract's ``(buf.validate.field).required`` holds for ``fld``: a request must carry it, set (not
    null in JSON) and, for a string, not empty. Rendered for strings and messages; another type stops ``make gen``."""
    if not _validate_rules(fld).required:
        return False
    if fld.label == F.LABEL_REPEATED or fld.type not in (F.TYPE_STRING, F.TYPE_MESSAGE):
        raise _error(f"field {fld.name}: `required` is rendered in JSON Schema for singular strings and messages only")
    return True


def json_rules(fld: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
    """The JSON Schema keywords that say which values of ``fld`` its request may carry: the range of its protobuf type,
    the JSON form of a Timestamp, Duration or 64-bit integer, no NUL in a string, and the contract's ``buf.validate``
    rules (string lengths, number ranges, item counts, a required string's least length, the CEL rules of
    :data:`CEL_JSON_SCHEMA`). Only what protobuf's JSON parser or protovalidate refuses is written; whether the field
    must be there at all is :func:`is_required`."""
    rules = _validate_rules(fld)
    if fld.label != F.LABEL_REPEATED:
        out, cel = _scalar_rules(fld, rules), _cel_rules(fld, rules)
        if clash := sorted(out.keys() & cel.keys()):
            raise _error(f"field {fld.name}: its CEL rules' JSON Schema says {clash} again")
        out.update(cel)
        if is_required(fld) and fld.type == F.TYPE_STRING:
            out["minLength"] = max(out.get("minLength", 1), 1)
        return out
    if rules.cel or rules.cel_expression:
        raise _error(f"field {fld.name}: CEL rules on a repeated field are not rendered in JSON Schema")
    out: dict[str, Any] = {}
    repeated = rules.repeated if rules.HasField("repeated") else None
    items = _scalar_rules(fld, repeated.items if repeated is not None and repeated.HasField("items") else type(rules)())
    if items:
        out["items"] = items
    for rule, name in (("max_items", "maxItems"), ("min_items", "minItems")):
        if repeated is not None and repeated.HasField(rule):
            out[name] = getattr(repeated, rule)
    return out
