"""Binary layout of an iRacing ``.ibt`` file (all little-endian).

::

    offset 0    header, 112 B:   ver, status, tickRate, sessionInfoUpdate, sessionInfoLen,
                                 sessionInfoOffset, numVars, varHeaderOffset, numBuf, bufLen,
                                 pad[2], varBuf[4] of {tickCount, bufOffset, pad[2]}
    offset 112  disk sub-header, 32 B: startDate (int64 unix s), startTime (s), endTime (s),
                                 lapCount, recordCount
    varHeaderOffset             numVars x 144 B var headers
    sessionInfoOffset           sessionInfoLen bytes of YAML (starts with ``---``)
    varBuf[0].bufOffset         recordCount x bufLen bytes of records
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = [
    "DISK_HEADER",
    "HEADER",
    "HEADER_SIZE",
    "VAR_HEADER",
    "VAR_HEADER_SIZE",
    "DiskHeader",
    "Header",
    "VarHeader",
    "VarType",
    "numpy_dtype_for",
    "var_type_for_dtype",
]

HEADER = struct.Struct("<10i2i16i")
DISK_HEADER = struct.Struct("<qddii")
VAR_HEADER = struct.Struct("<iii?3x32s64s32s")
HEADER_SIZE = HEADER.size  # 112
DISK_HEADER_OFFSET = HEADER_SIZE
DISK_HEADER_SIZE = DISK_HEADER.size  # 32
VAR_HEADER_SIZE = VAR_HEADER.size  # 144
MAX_BUFS = 4


class VarType(IntEnum):
    """iRacing ``irsdk_VarType``."""

    CHAR = 0
    BOOL = 1
    INT = 2
    BITFIELD = 3
    FLOAT = 4
    DOUBLE = 5


_NUMPY_FORMATS = {
    VarType.CHAR: np.dtype("S1"),
    VarType.BOOL: np.dtype("?"),
    VarType.INT: np.dtype("<i4"),
    VarType.BITFIELD: np.dtype("<u4"),
    VarType.FLOAT: np.dtype("<f4"),
    VarType.DOUBLE: np.dtype("<f8"),
}


def numpy_dtype_for(var_type: VarType | int) -> np.dtype:
    """The numpy scalar dtype a value of ``var_type`` is stored as."""
    return _NUMPY_FORMATS[VarType(var_type)]


def var_type_for_dtype(dtype: np.dtype) -> VarType:
    """The iRacing type a numpy array of ``dtype`` is written as (ints become int32)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return VarType.BOOL
    if dtype.kind == "S":
        return VarType.CHAR
    if dtype.kind == "u" and dtype.itemsize == 4:
        return VarType.BITFIELD
    if dtype.kind in "iu":
        return VarType.INT
    if dtype.kind == "f":
        return VarType.DOUBLE if dtype.itemsize == 8 else VarType.FLOAT
    raise TypeError(f"no iRacing variable type for numpy dtype {dtype}")


@dataclass(frozen=True, slots=True)
class Header:
    """The 112-byte main header. Offsets and lengths are in bytes, ``tick_rate`` in Hz."""

    version: int
    status: int
    tick_rate: int
    session_info_update: int
    session_info_len: int
    session_info_offset: int
    num_vars: int
    var_header_offset: int
    num_buf: int
    buf_len: int
    buf_tick_count: int
    buf_offset: int

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> Header:
        v = HEADER.unpack_from(data, 0)
        return cls(*v[:10], buf_tick_count=v[12], buf_offset=v[13])

    def pack(self) -> bytes:
        bufs = [0] * 16
        bufs[0], bufs[1] = self.buf_tick_count, self.buf_offset
        return HEADER.pack(
            self.version, self.status, self.tick_rate, self.session_info_update,
            self.session_info_len, self.session_info_offset, self.num_vars,
            self.var_header_offset, self.num_buf, self.buf_len, 0, 0, *bufs,
        )


@dataclass(frozen=True, slots=True)
class DiskHeader:
    """The 32-byte disk sub-header: start date (unix s), start/end session time (s)."""

    start_date: int
    start_time: float
    end_time: float
    lap_count: int
    record_count: int

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> DiskHeader:
        return cls(*DISK_HEADER.unpack_from(data, DISK_HEADER_OFFSET))

    def pack(self) -> bytes:
        return DISK_HEADER.pack(
            self.start_date, self.start_time, self.end_time, self.lap_count, self.record_count
        )


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1")


@dataclass(frozen=True, slots=True)
class VarHeader:
    """One recorded variable: its type, element count, byte offset inside a record, unit."""

    name: str
    type: VarType
    count: int
    offset: int
    unit: str = ""
    desc: str = ""
    count_as_time: bool = False

    @property
    def dtype(self) -> np.dtype:
        """Scalar numpy dtype of one element."""
        return numpy_dtype_for(self.type)

    @property
    def size(self) -> int:
        """Bytes the variable occupies inside a record."""
        return self.dtype.itemsize * self.count

    @classmethod
    def unpack(cls, data: bytes | memoryview, offset: int) -> VarHeader:
        vtype, voff, count, cat, name, desc, unit = VAR_HEADER.unpack_from(data, offset)
        if vtype not in VarType._value2member_map_:
            raise ValueError(f"variable type {vtype} is not one of 0..5")
        return cls(
            name=_cstr(name), type=VarType(vtype), count=count, offset=voff,
            unit=_cstr(unit), desc=_cstr(desc), count_as_time=bool(cat),
        )

    def pack(self) -> bytes:
        def enc(text: str, size: int) -> bytes:
            raw = text.encode("latin-1")
            if len(raw) >= size:
                raise ValueError(f"{text!r} does not fit the {size}-byte field of {self.name!r}")
            return raw

        return VAR_HEADER.pack(
            int(self.type), self.offset, self.count, self.count_as_time,
            enc(self.name, 32), enc(self.desc, 64), enc(self.unit, 32),
        )
