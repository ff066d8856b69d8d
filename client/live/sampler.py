"""Live telemetry from iRacing through pyirsdk, in a thread of its own.

The loop: wait for the simulator (retry every ``reconnect_s``), then once per tick
(``poll_hz``, 60 by default) ``freeze_var_buffer_latest()`` and keep a copy of the newest
var buffer when its ``SessionTime`` moved on. Every ``batch_ms`` of session time the copied
rows become one column array per canonical channel (one ``np.frombuffer`` over the rows:
no per-value work in the tick loop). Session info (track, layout, car, session type) is read
on connect and whenever ``sessionInfoUpdate``, ``SessionNum`` or ``SessionUniqueID``
changes, or session time jumps back; a changed identity ends the session and starts a new
one. When no new tick arrives for ``stale_s`` (the simulator quit, froze or paused) the loop
drops the connection and waits for the simulator again; the session stays open, so a pause
continues it, while a restarted simulator (session time back at zero) starts a new one.

Events go to ``sink`` (called from this thread): :class:`SessionStarted`, :class:`Samples`,
:class:`SessionEnded`, :class:`Status`.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from racecoach.client.live.memory import IrsdkMemory, TelemetryMemory
from racecoach.client.source import canonical_arrays
from racecoach.client.uploader import finite_samples
from racecoach.common.channels import BY_FIELD, BY_IRACING, REQUIRED

_TYPES = {0: "S1", 1: "?", 2: "<i4", 3: "<u4", 4: "<f4", 5: "<f8"}


@dataclass(frozen=True)
class Status:
    """A line for the driver; ``kind`` says what it means for the simulator: "waiting", "connected", or "info"."""

    text: str
    kind: str = "info"


@dataclass(frozen=True)
class SessionStarted:
    """A session began; ``info`` holds WeekendInfo, DriverInfo and SessionInfo (the current session only)."""

    key: tuple
    info: dict[str, Any]
    tick_rate_hz: float


@dataclass(frozen=True)
class Samples:
    """Consecutive samples, canonical channel name → array (session_time_s strictly increasing)."""

    arrays: dict[str, np.ndarray]


@dataclass(frozen=True)
class SessionEnded:
    reason: str


@dataclass
class SamplerStats:
    ticks: int = 0
    missed_ticks: int = 0
    sessions: int = 0
    connects: int = 0
    cpu_s: float = 0.0


@dataclass
class _Layout:
    dtype: np.dtype
    time_offset: int
    num_offset: int | None
    unique_offset: int | None
    tick_offset: int | None


def _layout(memory: TelemetryMemory) -> _Layout:
    """A structured dtype over one var buffer for the canonical channels the simulator provides."""
    headers = memory.variables
    names, formats, offsets = [], [], []
    for name, header in headers.items():
        if name in BY_IRACING and header.count == 1:
            names.append(name)
            formats.append(_TYPES[header.type])
            offsets.append(header.offset)
    missing = [BY_FIELD[f].iracing for f in REQUIRED if BY_FIELD[f].iracing not in names]
    if missing:
        raise RuntimeError(f"the simulator's telemetry lacks {', '.join(missing)}")

    def offset_of(name: str) -> int | None:
        return headers[name].offset if name in headers else None

    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": memory.buffer_length})
    return _Layout(dtype, headers["SessionTime"].offset, offset_of("SessionNum"), offset_of("SessionUniqueID"),
                   offset_of("SessionTick"))


class LiveSampler:
    """Samples iRacing (or a pyirsdk ``test_file``) in a daemon thread; see the module docstring.

    ``memory`` makes the :class:`~racecoach.client.live.memory.TelemetryMemory` to read (default: pyirsdk over
    the simulator's shared memory, or over ``test_file``); tests pass a fake."""

    def __init__(self, *, sink: Callable[[object], None], test_file: Path | None = None, poll_hz: float = 60.0,
                 batch_ms: float = 100.0, reconnect_s: float = 1.0, stale_s: float = 2.0,
                 memory: Callable[[], TelemetryMemory] | None = None) -> None:
        self.sink = sink
        self.test_file = test_file
        self.source_name = test_file.name if test_file else "iRacing"
        self._make_memory = memory or (lambda: IrsdkMemory(test_file=test_file))
        self.poll_hz = poll_hz
        self.batch_ms = batch_ms
        self.reconnect_s = reconnect_s
        self.stale_s = stale_s
        self.stats = SamplerStats()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="iracing-sampler", daemon=True)
        self._rows: list[bytes] = []
        self._session: tuple | None = None
        self._layout: _Layout | None = None
        self._streaming = False
        self._last_time = -1.0  # session time of the last sample taken, kept across reconnects

    def start(self) -> LiveSampler:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop after flushing the partial batch and ending the session."""
        self._stop.set()
        self._thread.join(timeout_s)

    # --- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        started = time.thread_time()
        ir = None
        waiting_said = False
        try:
            ir = self._make_memory()
            while not self._stop.is_set():
                if not self._connect(ir):
                    if not waiting_said:
                        self.sink(Status("waiting for iRacing…", "waiting"))
                        waiting_said = True
                    self._stop.wait(self.reconnect_s)
                    continue
                waiting_said = False
                reason = self._sample(ir)
                self._flush()  # the session stays open: a pause or a restart into the same session continues it
                ir.shutdown()
                if reason != "collector stopped" and self._streaming:
                    self.sink(Status(f"{reason}; waiting for iRacing", "waiting"))
                    self._streaming = False
                waiting_said = True
                self._stop.wait(self.reconnect_s)
            self._end("collector stopped")
        except Exception as exc:  # noqa: BLE001 report, never die silently: the collector prints it and stops
            self._end(f"sampler failed: {exc}")
            self.sink(Status(f"error: live telemetry stopped: {exc}", "waiting"))
        finally:
            if ir is not None:
                ir.shutdown()
            self.stats.cpu_s = time.thread_time() - started

    def _connect(self, ir: TelemetryMemory) -> bool:
        if ir.startup():
            self._layout = _layout(ir)
            self.stats.connects += 1
            return True
        return False

    def _sample(self, ir: TelemetryMemory) -> str:
        """Tick loop for one connection; returns why it ended."""
        layout = self._layout
        period = 1.0 / self.poll_hz
        rate = ir.tick_rate_hz
        per_batch = max(1, round(self.batch_ms / 1000.0 * rate))
        info_update = -1
        last_tick = None
        last_new = time.monotonic()
        next_poll = time.monotonic()
        while not self._stop.is_set():
            if not ir.is_connected:
                return "iRacing disconnected"
            memory = ir.latest()  # a frozen copy of the newest buffer
            now = time.monotonic()
            session_time = struct.unpack_from("<d", memory, layout.time_offset)[0]
            if session_time > self._last_time:
                if not self._streaming:
                    self._streaming = True
                    self.sink(Status(f"receiving telemetry from {self.source_name}",
                                            "connected"))
                identity = self._identity(memory)
                if ir.session_info_update != info_update or identity != (self._session or (None,))[-1]:
                    info_update = ir.session_info_update
                    self._maybe_new_session(ir, identity, rate)
                if last_tick is not None and layout.tick_offset is not None:
                    tick = struct.unpack_from("<i", memory, layout.tick_offset)[0]
                    self.stats.missed_ticks += max(0, tick - last_tick - 1)
                    last_tick = tick
                elif layout.tick_offset is not None:
                    last_tick = struct.unpack_from("<i", memory, layout.tick_offset)[0]
                self._rows.append(memory if len(memory) == layout.dtype.itemsize else bytes(memory[:layout.dtype.itemsize]))
                self.stats.ticks += 1
                self._last_time, last_new = session_time, now
                if len(self._rows) >= per_batch:
                    self._flush()
            elif session_time < self._last_time - 1.0:
                self._end("session time went back (new session, or the simulator restarted)")
                self._last_time, last_tick, info_update = -1.0, None, -1
                continue
            elif now - last_new > self.stale_s:
                return f"no telemetry for {self.stale_s:g} s"
            if not ir.waits_for_data:
                next_poll = max(next_poll + period, now)
                delay = next_poll - time.monotonic()
                if delay > 0:
                    self._stop.wait(delay)
        return "collector stopped"

    def _identity(self, memory) -> tuple:
        layout = self._layout
        num = struct.unpack_from("<i", memory, layout.num_offset)[0] if layout.num_offset is not None else 0
        unique = struct.unpack_from("<i", memory, layout.unique_offset)[0] if layout.unique_offset is not None else 0
        return (num, unique)

    def _maybe_new_session(self, ir, identity: tuple, rate: float) -> None:
        weekend = ir.session_info("WeekendInfo") or {}
        drivers = ir.session_info("DriverInfo") or {}
        sessions = (ir.session_info("SessionInfo") or {}).get("Sessions") or []
        current = [s for s in sessions if s.get("SessionNum") == identity[0]] or sessions[-1:]
        me = next((d for d in drivers.get("Drivers") or [] if d.get("CarIdx") == drivers.get("DriverCarIdx")), {})
        key = (weekend.get("SessionID"), weekend.get("SubSessionID"), weekend.get("TrackID"),
               weekend.get("TrackConfigName"), me.get("CarID"), identity)
        if self._session == key:
            return
        self._end("new session")
        self._session = key
        self.stats.sessions += 1
        info = {"WeekendInfo": weekend, "DriverInfo": drivers, "SessionInfo": {"Sessions": current}}
        self.sink(SessionStarted(key=key, info=info, tick_rate_hz=rate))

    def _flush(self) -> None:
        if not self._rows or self._session is None:
            self._rows.clear()
            return
        records = np.frombuffer(b"".join(self._rows), dtype=self._layout.dtype)
        self._rows.clear()
        arrays = finite_samples(canonical_arrays({name: records[name] for name in records.dtype.names}))
        if len(arrays["session_time_s"]):
            self.sink(Samples(arrays))

    def _end(self, reason: str) -> None:
        self._flush()
        if self._session is not None:
            self._session = None
            self.sink(SessionEnded(reason))
