"""iRacing session-info YAML: tolerant loading and iRacing-style dumping.

iRacing writes YAML by hand and does not quote values, so user-typed strings such as
``UserName: ,Bob`` or ``DriverSetupName: race: v2`` or ``TeamName: @home`` are not valid
YAML. :func:`load_session_info` parses the text as is and, only when that fails, quotes the
offending scalar values and tries again. Dates stay strings (no timestamp resolution), as
in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["SessionInfoLoader", "decode_session_info", "dump_session_info", "load_session_info"]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SessionInfoLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that keeps ``2024-04-01`` and ``12:00 pm`` as plain strings."""


SessionInfoLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

# C0 controls (except tab/newline/CR) and cp1252 holes that YAML rejects.
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d]")
# "  key: value" or "  - key: value"
_KEY_VALUE = re.compile(r"^(?P<lead>\s*(?:-\s+)?[A-Za-z_][\w]*:[ \t]+)(?P<value>\S.*?)\s*$")
_SAFE_PLAIN = re.compile(r"^[A-Za-z0-9_.+\-/()%~ ]*$")


def decode_session_info(raw: bytes) -> str:
    """Bytes of the session-info block → text (UTF-8, falling back to Windows-1252)."""
    raw = raw.split(b"\0", 1)[0]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    return _NON_PRINTABLE.sub("", text)


def _needs_quotes(value: str) -> bool:
    if _SAFE_PLAIN.match(value):
        return False
    already_quoted = len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]
    return not already_quoted


def repair_session_info(text: str) -> str:
    """Single-quote every ``key: value`` whose value is not a plain, safe YAML scalar."""
    out = []
    for line in text.splitlines():
        m = _KEY_VALUE.match(line)
        if m and _needs_quotes(m["value"]):
            value = m["value"].replace("'", "''")
            line = f"{m['lead']}'{value}'"
        out.append(line)
    return "\n".join(out) + "\n"


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "…"


def load_session_info(text: str, *, source: str = "session info") -> dict[str, Any]:
    """Parse iRacing session-info YAML into a dict ({} for an empty block).

    Raises ``yaml.YAMLError`` (with ``source`` in the message) when even the repaired
    text cannot be parsed.
    """
    if not text.strip():
        return {}
    try:
        try:
            data = yaml.load(text, Loader=SessionInfoLoader)
        except yaml.YAMLError:
            data = yaml.load(repair_session_info(text), Loader=SessionInfoLoader)
    except yaml.YAMLError as exc:
        raise yaml.YAMLError(f"{source}: session-info YAML cannot be parsed: {_one_line(exc)}") from exc
    except (ValueError, RecursionError) as exc:  # a number too long to convert, nesting too deep to build
        raise yaml.YAMLError(f"{source}: session-info YAML cannot be read: {_one_line(exc)}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise yaml.YAMLError(f"{source}: session-info YAML is a {type(data).__name__}, not a mapping")
    return data


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if text == "" or "\n" in text:
        return yaml.safe_dump(text, default_style='"').strip()
    dumped = yaml.safe_dump(text, default_flow_style=True, width=10**6, allow_unicode=True)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _emit(value: Any, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping) and item:
                out.append(f"{pad}{key}:")
                _emit(item, indent + 1, out)
            elif isinstance(item, (list, tuple)) and item:
                out.append(f"{pad}{key}:")
                _emit(item, indent, out)  # iRacing puts "- " under the key's first letter
            else:
                text = _scalar(item) if not isinstance(item, (Mapping, list, tuple)) else ""
                out.append(f"{pad}{key}: {text}".rstrip())
        return
    for item in value:  # a sequence
        if isinstance(item, Mapping) and item:
            sub: list[str] = []
            _emit(item, indent + 2, sub)
            out.append(f"{pad}- {sub[0].lstrip()}")
            out.extend(sub[1:])
        else:
            out.append(f"{pad}- {_scalar(item)}".rstrip())


def dump_session_info(data: Mapping[str, Any]) -> str:
    """Dump a dict in iRacing's style: ``---``, one-space indents, ``...`` terminator."""
    out: list[str] = ["---"]
    for key, item in data.items():
        if isinstance(item, Mapping) and item:
            out.append(f"{key}:")
            _emit(item, 1, out)
        elif isinstance(item, (list, tuple)) and item:
            out.append(f"{key}:")
            _emit(item, 0, out)
        else:
            out.append(f"{key}: {_scalar(item)}".rstrip())
        out.append("")
    out.append("...")
    return "\n".join(out) + "\n"
