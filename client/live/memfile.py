"""A file laid out like iRacing's live telemetry memory map, written tick by tick.

pyirsdk's test mode (``IRSDK().startup(test_file=...)``) maps a *live-memory dump*, not an
``.ibt``: an ``.ibt`` has one var buffer whose offset points at the first of many records, so
pyirsdk would only ever see record 0. A live map has ``numBuf`` (3) rotating buffers, each
with a tick count that the simulator bumps after writing it, and a session-info block that is
rewritten in place with ``sessionInfoUpdate`` incremented. This module writes exactly that
layout into an ordinary file through a shared writable ``mmap``; a reader mapping the same
file (pyirsdk, read-only) sees every update at once, as it would the simulator's memory.

Layout (little-endian, offsets in bytes)::

    0       header, 112 B: ver=2, status (1 connected), tickRate, sessionInfoUpdate,
            sessionInfoLen, sessionInfoOffset, numVars, varHeaderOffset, numBuf, bufLen,
            curBufTickCount (40), curBuf (44), varBuf[4] at 48 of {tickCount, bufOffset,
            tickCountBegin, pad}
    144     numVars x 144 B var headers (as in the .ibt)
    ...     session info, sessionInfoLen bytes (YAML, NUL padded)
    ...     numBuf x bufLen bytes of var buffers

Used by the tests and benchmarks, and by ``racing-coach collect --from-ibt`` to demonstrate
the live path on any OS.
"""

from __future__ import annotations

import mmap
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from racecoach.client.ibt import VarHeader, read_ibt
from racecoach.client.ibt.layout import HEADER_SIZE, VAR_HEADER_SIZE

STATUS_CONNECTED = 1
NUM_BUF = 3
_I32 = struct.Struct("<i")


def _align(value: int, to: int = 64) -> int:
    return (value + to - 1) // to * to


class LiveMemoryFile:
    """A live-layout telemetry map in the file ``path`` (created or overwritten)."""

    def __init__(self, *, path: Path, variables: list[VarHeader], buf_len: int, tick_rate_hz: int,
                 session_info: str, info_capacity: int | None = None) -> None:
        self.path = Path(path)
        self.buf_len = buf_len
        info = session_info.encode("utf-8")
        self.info_capacity = info_capacity or _align(max(2 * len(info), 64 * 1024))
        var_offset = 144
        self.info_offset = _align(var_offset + len(variables) * VAR_HEADER_SIZE)
        self.buf_offsets = [_align(self.info_offset + self.info_capacity) + i * _align(buf_len) for i in range(NUM_BUF)]
        size = self.buf_offsets[-1] + _align(buf_len)
        staging = self.path.with_name(self.path.name + ".new")
        with open(staging, "wb") as handle:
            handle.truncate(size)
        self._file = open(staging, "r+b")  # noqa: SIM115 held for the life of the mapping
        self._mm = mmap.mmap(self._file.fileno(), size, access=mmap.ACCESS_WRITE)
        self.info_update = 0
        self.tick = 0
        header = struct.pack("<10i", 2, STATUS_CONNECTED, tick_rate_hz, 0, self.info_capacity, self.info_offset,
                             len(variables), var_offset, NUM_BUF, buf_len)
        self._mm[0:40] = header
        for i, offset in enumerate(self.buf_offsets):
            self._mm[48 + 16 * i:48 + 16 * i + 16] = struct.pack("<4i", 0, offset, 0, 0)
        for i, var in enumerate(variables):
            self._mm[var_offset + i * VAR_HEADER_SIZE:var_offset + (i + 1) * VAR_HEADER_SIZE] = var.pack()
        self.set_session_info(session_info)
        # a new inode replaces the old map: a reader of the old one (a "simulator restart") keeps a valid mapping
        staging.replace(self.path)
        assert HEADER_SIZE == 112

    def set_session_info(self, text: str) -> None:
        """Rewrite the session-info YAML in place and bump ``sessionInfoUpdate``."""
        data = text.encode("utf-8")
        if len(data) > self.info_capacity:
            raise ValueError(f"session info of {len(data)} bytes does not fit the {self.info_capacity}-byte block")
        self._mm[self.info_offset:self.info_offset + self.info_capacity] = data + b"\0" * (self.info_capacity - len(data))
        self.info_update += 1
        self._mm[12:16] = _I32.pack(self.info_update)

    def set_connected(self, connected: bool) -> None:
        """Header status: 1 while the simulator runs, 0 after it quits."""
        self._mm[4:8] = _I32.pack(STATUS_CONNECTED if connected else 0)

    def write_tick(self, record: bytes | memoryview) -> int:
        """Publish one record as the next tick (the buffer after the latest); returns its tick count."""
        self.tick += 1
        index = self.tick % NUM_BUF
        slot = 48 + 16 * index
        self._mm[slot + 8:slot + 12] = _I32.pack(self.tick)  # tickCountBegin: write starts
        offset = self.buf_offsets[index]
        self._mm[offset:offset + self.buf_len] = bytes(record)[:self.buf_len]
        self._mm[slot:slot + 4] = _I32.pack(self.tick)  # tickCount: write complete
        self._mm[40:44] = _I32.pack(self.tick)
        self._mm[44:45] = bytes([index])
        return self.tick

    def close(self) -> None:
        self._mm.close()
        self._file.close()


class IbtPlayer:
    """Plays an ``.ibt``'s records into a :class:`LiveMemoryFile` at ``speed`` x real time, in a thread.

    ``on_tick(i)`` (optional) runs after record ``i`` is published, e.g. to change the session
    info or simulate the simulator quitting at a given record.
    """

    def __init__(self, *, ibt_path: Path, memory_path: Path, speed: float = 1.0, start: int = 0,
                 stop_at: int | None = None, on_tick: Callable[[int], None] | None = None) -> None:
        with read_ibt(ibt_path) as ibt:
            self.records = np.array(ibt.records)  # copy: the .ibt mapping closes here
            self.memory = LiveMemoryFile(path=memory_path, variables=ibt.variables, buf_len=ibt.header.buf_len,
                                         tick_rate_hz=ibt.tick_rate_hz, session_info=ibt.session_info_text)
            self.tick_rate_hz = ibt.tick_rate_hz
        self.speed = speed
        self.start_index = start
        self.stop_at = len(self.records) if stop_at is None else stop_at
        self.on_tick = on_tick
        self.published = start
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ibt-player", daemon=True)
        if start < len(self.records):
            self.memory.write_tick(self.records[start].tobytes())  # the map is valid before the first tick is due
            self.published = start + 1

    def start(self) -> IbtPlayer:
        self._thread.start()
        return self

    def _run(self) -> None:
        period = 1.0 / (self.tick_rate_hz * self.speed)
        began = time.perf_counter()
        first = self.published
        try:
            for i in range(first, self.stop_at):
                if self._stop.is_set():
                    return
                due = began + (i - first + 1) * period
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                self.memory.write_tick(self.records[i].tobytes())
                self.published = i + 1
                if self.on_tick is not None:
                    self.on_tick(i)
        finally:
            self.done.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def close(self) -> None:
        self.stop()
        self.memory.close()
