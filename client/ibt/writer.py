"""Write a valid ``.ibt`` from channel arrays, a session-info dict and a tick rate.

Layout written: header (112 B) · disk sub-header (32 B) · var headers (144 B each) ·
session-info YAML (``---`` ... ``...``, NUL-padded to 16 B) · records. Variables are packed
in the order given, without padding, like iRacing does.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import KNOWN_VARIABLES
from .layout import (
    DISK_HEADER_OFFSET,
    DISK_HEADER_SIZE,
    VAR_HEADER_SIZE,
    DiskHeader,
    Header,
    VarHeader,
    VarType,
    numpy_dtype_for,
    var_type_for_dtype,
)
from .session_yaml import dump_session_info

__all__ = ["ChannelSpec", "write_ibt"]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """How one channel is declared in the file; ``None`` fields fall back to the catalog."""

    type: VarType | None = None
    unit: str | None = None
    desc: str | None = None


def _spec_for(name: str, array: np.ndarray, spec: ChannelSpec | None) -> tuple[VarType, str, str]:
    known = KNOWN_VARIABLES.get(name)
    vtype = (spec.type if spec and spec.type is not None else None)
    if vtype is None:
        vtype = known[0] if known else var_type_for_dtype(array.dtype)
    unit = spec.unit if spec and spec.unit is not None else (known[1] if known else "")
    desc = spec.desc if spec and spec.desc is not None else (known[2] if known else "")
    return VarType(vtype), unit, desc


def write_ibt(path: str | os.PathLike[str], *, channels: Mapping[str, np.ndarray],
              session_info: Mapping[str, Any] | str, tick_rate_hz: int = 60,
              specs: Mapping[str, ChannelSpec] | None = None, lap_count: int | None = None,
              start_date_unix_s: int | None = None) -> Path:
    """Write ``channels`` (name → array of shape ``(n,)`` or ``(n, count)``) to ``path``.

    Types come from ``specs``, then the catalog of iRacing variables (``Speed`` is a float,
    ``SessionTime`` a double, ...), then the array dtype. ``lap_count`` defaults to the
    highest ``Lap`` value; start/end time in the disk header come from ``SessionTime``.
    Returns the path written.
    """
    path = Path(path)
    specs = specs or {}
    if not channels:
        raise ValueError("write_ibt needs at least one channel")
    if not 0 < tick_rate_hz <= 10_000:
        raise ValueError(f"tick rate {tick_rate_hz} Hz is out of range")
    arrays = {n: np.asarray(a) for n, a in channels.items()}
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1:
        detail = ", ".join(f"{n}={len(a)}" for n, a in arrays.items())
        raise ValueError(f"channels differ in length: {detail}")
    (n_records,) = lengths

    variables: list[VarHeader] = []
    offset = 0
    for name, array in arrays.items():
        if array.ndim not in (1, 2):
            raise ValueError(f"channel {name!r} has shape {array.shape}; expected (n,) or (n, count)")
        vtype, unit, desc = _spec_for(name, array, specs.get(name))
        count = 1 if array.ndim == 1 else array.shape[1]
        var = VarHeader(name=name, type=vtype, count=count, offset=offset, unit=unit, desc=desc)
        variables.append(var)
        offset += var.size
    buf_len = offset

    dtype = np.dtype({
        "names": [v.name for v in variables],
        "formats": [v.dtype if v.count == 1 else (v.dtype, (v.count,)) for v in variables],
        "offsets": [v.offset for v in variables],
        "itemsize": buf_len,
    })
    records = np.zeros(n_records, dtype=dtype)
    for v in variables:
        records[v.name] = arrays[v.name].astype(numpy_dtype_for(v.type), copy=False)

    text = session_info if isinstance(session_info, str) else dump_session_info(session_info)
    if not text.startswith("---"):
        text = "---\n" + text
    info = text.encode("utf-8")
    info += b"\0" * (16 - len(info) % 16)  # NUL-terminated, padded like iRacing

    var_header_offset = DISK_HEADER_OFFSET + DISK_HEADER_SIZE
    info_offset = var_header_offset + len(variables) * VAR_HEADER_SIZE
    buf_offset = info_offset + len(info)

    times = arrays.get("SessionTime")
    ticks = arrays.get("SessionTick")
    laps = arrays.get("Lap")
    header = Header(
        version=2, status=1, tick_rate=int(tick_rate_hz), session_info_update=0,
        session_info_len=len(info), session_info_offset=info_offset, num_vars=len(variables),
        var_header_offset=var_header_offset, num_buf=1, buf_len=buf_len,
        buf_tick_count=int(ticks[-1]) if ticks is not None and n_records else n_records,
        buf_offset=buf_offset,
    )
    disk = DiskHeader(
        start_date=int(time.time()) if start_date_unix_s is None else int(start_date_unix_s),
        start_time=float(times[0]) if times is not None and n_records else 0.0,
        end_time=float(times[-1]) if times is not None and n_records else 0.0,
        lap_count=int(lap_count if lap_count is not None else (laps.max() if laps is not None and n_records else 0)),
        record_count=n_records,
    )
    var_headers = b"".join(v.pack() for v in variables)  # raises before anything is written
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "wb") as fh:
            fh.write(header.pack())
            fh.write(disk.pack())
            fh.write(var_headers)
            fh.write(info)
            fh.write(records.tobytes())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
