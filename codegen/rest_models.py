"""msgspec structs for every message of the contracts, in proto3 JSON shape."""

from __future__ import annotations

import keyword
from typing import TYPE_CHECKING

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
        "from typing import Annotated, Literal",
        "",
        "import msgspec",
        "",
        "__all__: list[str] = []",
        "",
    ]
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
    return "\n".join(lines).rstrip() + "\n", names
