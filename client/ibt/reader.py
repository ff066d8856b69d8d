"""Vectorised ``.ibt`` reader: one numpy structured dtype over a memory map of the records.

>>> with read_ibt("session.ibt") as f:                       # doctest: +SKIP
...     speed = f.channel("Speed")          # m/s, float32 view, no copy
...     t = f.channel("SessionTime")        # s, float64

Channel arrays are read-only views into the mapping; they stay valid after ``close()``
(the mapping is released when the last view is garbage-collected).
"""

from __future__ import annotations

import difflib
import mmap
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Self

import numpy as np
import yaml

from .errors import IbtFormatError, IbtMissingChannelError, IbtTruncatedError
from .layout import (
    DISK_HEADER_OFFSET,
    DISK_HEADER_SIZE,
    HEADER_SIZE,
    MAX_BUFS,
    VAR_HEADER_SIZE,
    DiskHeader,
    Header,
    VarHeader,
)
from .session_yaml import decode_session_info, load_session_info

__all__ = ["IbtFile", "read_ibt", "require_channels"]

_MAX_VARS = 100_000
_MAX_TICK_RATE_HZ = 10_000


def _n(value: int) -> str:
    return f"{value:,}"


class IbtFile:
    """An open ``.ibt`` file. Build it with :func:`read_ibt`.

    Attributes: ``path``, ``header``, ``disk_header``, ``variables`` (list of
    :class:`VarHeader` in file order), ``record_count``, ``tick_rate_hz``, ``records``
    (the structured numpy array over all records).
    """

    def __init__(self, *, path: Path, mm: mmap.mmap | None, data: bytes | mmap.mmap,
                 header: Header, disk_header: DiskHeader, variables: list[VarHeader],
                 record_count: int) -> None:
        self.path = path
        self.header = header
        self.disk_header = disk_header
        self.variables = variables
        self.record_count = record_count
        self._mm = mm
        self._data = data
        self._by_name = {v.name: v for v in variables}
        self.records = np.frombuffer(
            data, dtype=_record_dtype(variables, header.buf_len), count=record_count,
            offset=header.buf_offset,
        )

    # -- metadata -----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def tick_rate_hz(self) -> int:
        """Samples per second of session time (60 for iRacing disk telemetry)."""
        return self.header.tick_rate

    @property
    def duration_s(self) -> float:
        """Session time covered by the records, in seconds (end - start of disk header)."""
        return self.disk_header.end_time - self.disk_header.start_time

    @property
    def channel_names(self) -> list[str]:
        return list(self._by_name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def variable(self, name: str) -> VarHeader:
        """The :class:`VarHeader` of ``name`` (``IbtMissingChannelError`` if absent)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise _missing(self, [name]) from None

    @cached_property
    def session_info_text(self) -> str:
        """The raw session-info YAML text."""
        h = self.header
        return decode_session_info(bytes(self._data[h.session_info_offset:h.session_info_offset + h.session_info_len]))

    @cached_property
    def session_info(self) -> dict[str, Any]:
        """The session-info YAML parsed into a dict (``WeekendInfo``, ``DriverInfo``, ...)."""
        try:
            return load_session_info(self.session_info_text, source=self.name)
        except yaml.YAMLError as exc:
            raise IbtFormatError(str(exc)) from exc

    # -- data -----------------------------------------------------------------------
    def channel(self, name: str, *, copy: bool = False) -> np.ndarray:
        """All samples of one variable: shape ``(record_count,)`` or ``(record_count, count)``.

        Without ``copy`` the result is a read-only strided view into the file mapping.
        """
        if name not in self._by_name:
            raise _missing(self, [name])
        view = self.records[name]
        return np.array(view) if copy else view

    def channels(self, names: Iterable[str] | None = None, *, copy: bool = False) -> dict[str, np.ndarray]:
        """Several channels at once (all of them when ``names`` is None)."""
        wanted = list(self._by_name) if names is None else list(names)
        require_channels(self, wanted)
        return {n: self.channel(n, copy=copy) for n in wanted}

    def close(self) -> None:
        """Release the mapping (deferred while channel views are still alive)."""
        self.records = self.records[:0]
        self._data = b""
        if self._mm is not None:
            try:
                self._mm.close()
            except BufferError:
                pass  # views still export the buffer; the mapping closes when they die
            self._mm = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"IbtFile({self.name!r}, {len(self.variables)} variables, "
                f"{self.record_count} records at {self.tick_rate_hz} Hz)")


def _record_dtype(variables: Sequence[VarHeader], buf_len: int) -> np.dtype:
    names, formats, offsets = [], [], []
    for v in variables:
        names.append(v.name)
        formats.append(v.dtype if v.count == 1 else (v.dtype, (v.count,)))
        offsets.append(v.offset)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": buf_len})


def _missing(f: IbtFile, names: Sequence[str]) -> IbtMissingChannelError:
    hints = []
    for n in names:
        close = difflib.get_close_matches(n, f.channel_names, n=3)
        hints.append(f"{n} (did you mean {', '.join(close)}?)" if close else n)
    plural = "channels" if len(names) > 1 else "channel"
    return IbtMissingChannelError(
        f"{f.name}: required {plural} not recorded: {'; '.join(hints)} "
        f"({len(f.variables)} variables in the file)",
        missing=tuple(names),
    )


def require_channels(f: IbtFile, names: Iterable[str]) -> None:
    """Raise :class:`IbtMissingChannelError` naming every channel of ``names`` not in ``f``."""
    missing = [n for n in names if n not in f]
    if missing:
        raise _missing(f, missing)


def _parse(path: Path, data: bytes | mmap.mmap, size: int, *, allow_truncated: bool):
    name = path.name
    if size == 0:
        raise IbtTruncatedError(f"{name} is empty (0 bytes): not an iRacing .ibt file")
    if size < HEADER_SIZE + DISK_HEADER_SIZE:
        raise IbtTruncatedError(
            f"{name} is not an iRacing .ibt file: {_n(size)} bytes is shorter than the "
            f"{HEADER_SIZE + DISK_HEADER_SIZE}-byte header (truncated)")
    h = Header.unpack(data)
    problems = []
    if h.version not in (1, 2):
        problems.append(f"header version is {h.version}, expected 1 or 2")
    if not 0 < h.tick_rate <= _MAX_TICK_RATE_HZ:
        problems.append(f"tick rate is {h.tick_rate} Hz")
    if not 0 < h.num_vars <= _MAX_VARS:
        problems.append(f"variable count is {h.num_vars}")
    if not 1 <= h.num_buf <= MAX_BUFS:
        problems.append(f"buffer count is {h.num_buf}, expected 1..{MAX_BUFS}")
    if h.buf_len <= 0:
        problems.append(f"record length is {h.buf_len} bytes")
    if h.var_header_offset < DISK_HEADER_OFFSET + DISK_HEADER_SIZE:
        problems.append(f"variable headers start at byte {h.var_header_offset}, inside the header")
    if h.session_info_len < 0 or h.session_info_offset < 0 or h.buf_offset < 0:
        problems.append("negative offset or length")
    if problems:
        raise IbtFormatError(f"{name} is not an iRacing .ibt file: {'; '.join(problems)}")

    vars_end = h.var_header_offset + h.num_vars * VAR_HEADER_SIZE
    if vars_end > size:
        raise IbtTruncatedError(
            f"{name}: header says {_n(h.num_vars)} variable headers ending at byte {_n(vars_end)} "
            f"but the file ends at byte {_n(size)} (truncated)")
    info_end = h.session_info_offset + h.session_info_len
    if info_end > size:
        raise IbtTruncatedError(
            f"{name}: header says the session info ends at byte {_n(info_end)} but the file "
            f"ends at byte {_n(size)} (truncated)")

    variables: dict[str, VarHeader] = {}
    for i in range(h.num_vars):
        try:
            v = VarHeader.unpack(data, h.var_header_offset + i * VAR_HEADER_SIZE)
        except ValueError as exc:
            raise IbtFormatError(f"{name}: variable header {i}: {exc}") from None
        if not v.name or v.count < 1 or v.offset < 0 or v.offset + v.size > h.buf_len:
            raise IbtFormatError(
                f"{name}: variable header {i} ({v.name!r}) has offset {v.offset} and count "
                f"{v.count}, outside the {h.buf_len}-byte record")
        variables.pop(v.name, None)  # a duplicate name: the later header wins
        variables[v.name] = v

    if h.buf_offset > size:
        raise IbtTruncatedError(
            f"{name}: header says the records start at byte {_n(h.buf_offset)} but the file "
            f"ends at byte {_n(size)} (truncated)")
    disk = DiskHeader.unpack(data)
    if disk.record_count < 0:
        raise IbtFormatError(f"{name}: disk header says {disk.record_count} records")
    available = max(size - h.buf_offset, 0) // h.buf_len
    count = disk.record_count
    if count == 0 and available > 0:
        count = available  # written by a session that never finalised the disk header
    if count > available:
        if not allow_truncated:
            raise IbtTruncatedError(
                f"{name}: header says {_n(disk.record_count)} records of {_n(h.buf_len)} bytes "
                f"at offset {_n(h.buf_offset)} but the file ends at byte {_n(size)} (truncated)")
        count = available
    return h, disk, list(variables.values()), count


def read_ibt(path: str | os.PathLike[str], *, allow_truncated: bool = False) -> IbtFile:
    """Open and validate an ``.ibt`` file; records are memory-mapped, not read.

    ``allow_truncated`` keeps the whole records a cut-off file holds instead of raising
    :class:`IbtTruncatedError`. Raises :class:`IbtFormatError` for a file that is not an
    ``.ibt`` and ``FileNotFoundError`` for a missing one.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else None
    data: bytes | mmap.mmap = mm if mm is not None else b""
    try:
        h, disk, variables, count = _parse(path, data, size, allow_truncated=allow_truncated)
        return IbtFile(path=path, mm=mm, data=data, header=h, disk_header=disk,
                       variables=variables, record_count=count)
    except BaseException:
        if mm is not None:
            mm.close()
        raise
