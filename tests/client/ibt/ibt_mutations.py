"""Seeded mutations of ``.ibt`` bytes for the fuzz test: byte flips, truncations, header and
variable-header field changes, and session-info YAML mutations (wrong types, missing keys,
huge numbers, non-UTF-8, YAML that does not parse). Each mutator is ``(rng, data) -> bytes``."""

from __future__ import annotations

import copy
import itertools
import random
import re
import struct

import yaml
from racecoach.client.ibt import dump_session_info
from racecoach.client.ibt.layout import (
    DISK_HEADER,
    DISK_HEADER_OFFSET,
    HEADER,
    HEADER_SIZE,
    VAR_HEADER_SIZE,
    DiskHeader,
    Header,
)
from racecoach.client.ibt.session_yaml import decode_session_info, load_session_info

INT32 = (0, 1, -1, 2, 60, 144, 0x7FFF_FFFF, -0x8000_0000, 0x7FFF_FFFF // 144, 1 << 20)


def shrink(data: bytes, *, records: int) -> bytes:
    """The file cut to its first ``records`` records, the disk header saying so (a small, valid base)."""
    h, disk = Header.unpack(data), DiskHeader.unpack(data)
    count = min(records, disk.record_count or records)
    disk = DiskHeader(start_date=disk.start_date, start_time=disk.start_time, end_time=disk.end_time,
                      lap_count=disk.lap_count, record_count=count)
    end = h.buf_offset + count * h.buf_len
    return data[:DISK_HEADER_OFFSET] + disk.pack() + data[DISK_HEADER_OFFSET + DISK_HEADER.size:end]


def _int(rng: random.Random, data: bytes) -> int:
    return rng.choice((*INT32, len(data), len(data) + 1, len(data) - 1, rng.randrange(-(1 << 31), 1 << 31)))


def flip_header_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    limit = min(len(out), Header.unpack(data).buf_offset + 64)
    for _ in range(rng.randint(1, 8)):
        out[rng.randrange(limit)] ^= rng.randint(1, 255)
    return bytes(out)


def flip_any_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 32)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(rng: random.Random, data: bytes) -> bytes:
    h = Header.unpack(data)
    cut = rng.choice((rng.randrange(len(data)), rng.randrange(min(len(data), h.buf_offset + 1)),
                      h.buf_offset, h.buf_offset - 1, HEADER_SIZE, len(data) - 1))
    return data[:max(cut, 0)]


def header_field(rng: random.Random, data: bytes) -> bytes:
    values = list(HEADER.unpack_from(data, 0))
    for _ in range(rng.randint(1, 2)):
        values[rng.randrange(len(values))] = _int(rng, data)
    return HEADER.pack(*values) + data[HEADER_SIZE:]


def records_offset(rng: random.Random, data: bytes) -> bytes:
    """The records said to start past the end of the file, at its end, or inside the headers."""
    values = list(HEADER.unpack_from(data, 0))
    values[13] = rng.choice((len(data) + rng.randint(1, 1 << 20), len(data), 0, HEADER_SIZE, values[5]))
    disk = list(DISK_HEADER.unpack_from(data, DISK_HEADER_OFFSET))
    disk[4] = rng.choice((0, 0, 1, disk[4]))
    return HEADER.pack(*values) + data[HEADER_SIZE:DISK_HEADER_OFFSET] + DISK_HEADER.pack(*disk) + data[DISK_HEADER_OFFSET + DISK_HEADER.size:]


def disk_field(rng: random.Random, data: bytes) -> bytes:
    values = list(DISK_HEADER.unpack_from(data, DISK_HEADER_OFFSET))
    index = rng.randrange(len(values))
    if index in (1, 2):
        values[index] = rng.choice((float("nan"), float("inf"), -1e308, 0.0, 1e300))
    else:
        values[index] = max(min(_int(rng, data), 0x7FFF_FFFF), -0x8000_0000)
    return data[:DISK_HEADER_OFFSET] + DISK_HEADER.pack(*values) + data[DISK_HEADER_OFFSET + DISK_HEADER.size:]


def var_header_field(rng: random.Random, data: bytes) -> bytes:
    h = Header.unpack(data)
    at = h.var_header_offset + rng.randrange(max(h.num_vars, 1)) * VAR_HEADER_SIZE
    out = bytearray(data)
    field = rng.choice(("type", "offset", "count", "name", "copy-name"))
    if field in ("type", "offset", "count"):
        position = at + ("type", "offset", "count").index(field) * 4
        value = rng.choice((*range(-1, 8), h.buf_len, h.buf_len - 1, _int(rng, data))) if field != "type" else rng.randrange(-1, 8)
        struct.pack_into("<i", out, position, value)
    elif field == "name":
        out[at + 16:at + 48] = rng.choice((b"\0" * 32, b"\xff" * 32, b"SessionTime".ljust(32, b"\0"), bytes(rng.randrange(256) for _ in range(32))))
    else:  # another header's name: a duplicate
        other = h.var_header_offset + rng.randrange(max(h.num_vars, 1)) * VAR_HEADER_SIZE
        out[at + 16:at + 48] = data[other + 16:other + 48]
    return bytes(out)


# -- session info ---------------------------------------------------------------------------

def with_session_info(data: bytes, info: bytes) -> bytes:
    """The file with its session-info block replaced (records moved after it, offsets fixed)."""
    h = Header.unpack(data)
    info = info + b"\0" * (16 - len(info) % 16)
    start = h.session_info_offset
    header = Header(version=h.version, status=h.status, tick_rate=h.tick_rate, session_info_update=h.session_info_update,
                    session_info_len=len(info), session_info_offset=start, num_vars=h.num_vars,
                    var_header_offset=h.var_header_offset, num_buf=h.num_buf, buf_len=h.buf_len,
                    buf_tick_count=h.buf_tick_count, buf_offset=start + len(info))
    return header.pack() + data[HEADER_SIZE:start] + info + data[h.buf_offset:]


def _info(data: bytes) -> str:
    h = Header.unpack(data)
    return decode_session_info(data[h.session_info_offset:h.session_info_offset + h.session_info_len])


WRONG_VALUES = (None, "", [], {}, [1, 2], {"a": {"b": 1}}, True, -1, 0, 1e308, float("nan"), "x" * 20_000,
                "\x00nul", "é ünï", [{"CarIdx": "zero"}], "4.3 furlongs", "nan km", "1e999 mi")


def _paths(node, prefix=()):
    """Paths to the items of ``node``, at most 8 levels deep (deeper nesting is a mutation of its own)."""
    if len(prefix) >= 8:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from _paths(value, (*prefix, index))


_TREES: dict[bytes, dict] = {}
_DELETE = object()


def _tree(data: bytes) -> dict:
    """The parsed session info of ``data`` (cached: the bases are parsed once)."""
    h = Header.unpack(data)
    raw = bytes(data[h.session_info_offset:h.session_info_offset + h.session_info_len])
    if raw not in _TREES:
        _TREES[raw] = load_session_info(decode_session_info(raw))
    return _TREES[raw]


def _replaced(node, path: tuple, value):
    """A copy of ``node`` with the item at ``path`` replaced (or removed: ``_DELETE``); only the path is copied."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copied = dict(node) if isinstance(node, dict) else list(node)
    new = _replaced(copied[head], rest, value)
    if new is _DELETE:
        del copied[head]
    else:
        copied[head] = new
    return copied


def yaml_structure(rng: random.Random, data: bytes) -> bytes:
    """Values of the parsed session info replaced by ones of the wrong type, or keys removed."""
    tree = _tree(data)
    for _ in range(rng.randint(1, 3)):
        paths = list(itertools.islice(_paths(tree), 5000))  # an alias bomb has billions
        if not paths:
            break
        value = _DELETE if rng.random() < 0.3 else copy.deepcopy(rng.choice(WRONG_VALUES))
        tree = _replaced(tree, rng.choice(paths), value)
    if rng.random() < 0.1:
        tree = rng.choice(([1, 2, 3], "just text", 42))
    try:
        text = dump_session_info(tree) if isinstance(tree, dict) else yaml.safe_dump(tree)
    except (ValueError, TypeError, yaml.YAMLError):
        text = yaml.safe_dump(tree)
    return with_session_info(data, text.encode("utf-8", "surrogatepass"))


_VALUE_LINE = re.compile(rb"^(\s*(?:- )?[A-Za-z]\w*: )(.+)$", re.M)
TEXT_VALUES = (b"9" * 5000, b"-" + b"9" * 400, b"1e999", b".nan", b"-.inf", b"0x7fffffffffffffff", b"\xff\xfe\xfd",
               b"\xc3\x28", b"\xed\xa0\x80", b"[unclosed", b"{a: b", b"&anchor", b"*nowhere", b"!!python/object:os.system",
               b"!!binary AAAA", b'"\\ud800"', b"'", b": :", b"\t", b"|\n x", b"@home", b"%", b"`")


def yaml_text(rng: random.Random, data: bytes) -> bytes:
    """Line-level mutations of the session-info text: odd values, non-UTF-8, broken or hostile YAML."""
    h = Header.unpack(data)
    raw = bytes(data[h.session_info_offset:h.session_info_offset + h.session_info_len]).split(b"\0", 1)[0]
    kind = rng.choice(("value", "value", "bytes", "lines", "bomb", "deep", "dup", "garbage"))
    if kind == "value":
        matches = list(_VALUE_LINE.finditer(raw))
        for m in rng.sample(matches, min(len(matches), rng.randint(1, 4))):
            raw = raw[:m.start(2)] + rng.choice(TEXT_VALUES) + raw[m.end(2):] if m.end(2) <= len(raw) else raw
    elif kind == "bytes":
        out = bytearray(raw)
        for _ in range(rng.randint(1, 10)):
            out.insert(rng.randrange(len(out) + 1), rng.choice((0xFF, 0xC3, 0x80, 0xED, 0x00, 0x09, 0x1B)))
        raw = bytes(out)
    elif kind == "lines":
        lines = raw.split(b"\n")
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(lines))
            action = rng.randrange(3)
            if action == 0:
                del lines[i]
            elif action == 1:
                lines.insert(i, lines[rng.randrange(len(lines))])
            else:
                lines[i] = b" " * rng.randint(0, 5) + lines[i].lstrip()
            if not lines:
                lines = [b""]
        raw = b"\n".join(lines)
    elif kind == "bomb":
        levels = [b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        levels += [b"a%d: &a%d [" % (i, i) + b", ".join([b"*a%d" % (i - 1)] * 10) + b"]" for i in range(1, 9)]
        raw = b"---\n" + b"\n".join(levels) + b"\nWeekendInfo:\n TrackName: *a8\n TrackLength: *a8\nDriverInfo:\n Drivers: *a8\n"
    elif kind == "deep":
        depth = rng.choice((100, 1000, 20_000))
        raw = b"---\nWeekendInfo: " + b"[" * depth + b"]" * depth + b"\n"
    elif kind == "dup":
        raw = raw + b"\nWeekendInfo: 5\nDriverInfo:\n Drivers: 7\n"
    else:
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    return with_session_info(data, raw)


MUTATORS = (flip_header_bytes, flip_any_bytes, truncate, header_field, records_offset, disk_field, var_header_field,
            yaml_structure, yaml_structure, yaml_text, yaml_text, yaml_text)


def mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """One or two mutations of ``data`` and their names."""
    chosen = [rng.choice(MUTATORS) for _ in range(1 if rng.random() < 0.8 else 2)]
    chosen.sort(key=lambda mutator: mutator is not yaml_structure)  # it re-dumps the tree: never after an alias bomb
    for mutator in chosen:
        if len(data) < HEADER_SIZE + DISK_HEADER.size:
            break
        try:
            data = mutator(rng, data)
        except (struct.error, ValueError, IndexError, KeyError, TypeError, RecursionError, yaml.YAMLError):
            pass  # the mutation does not apply to this (already mutated) file: keep the bytes as they are
    return "+".join(m.__name__ for m in chosen), data
