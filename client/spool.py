"""Durable on-disk spool of a session's batches: nothing the collector produced is lost to a crash.

Layout under ``<data dir>/spool/<session_id>/``:

``session.pb``
    the serialized ``telemetry.v1.Session`` (written once, atomically: temp file, fsync, rename).
``batches.log``
    length-prefixed records, appended in seq order. Each record is a 24-byte header
    ``<IIQd`` (payload length in bytes, CRC-32 of the payload, seq, session time of the
    batch's last sample in s) followed by the serialized ``TelemetryBatch``. A torn record at
    the end (a crash in the middle of a write) fails its length or CRC check and is cut off
    when the spool is opened again.
``acked``
    16 bytes ``<Qd``: the highest seq ingest confirmed as committed and the session time (s)
    of that batch's last sample. It is a lower
    bound only: losing an update to a crash makes the uploader resend batches the server
    already has, which it re-acks without storing them twice.
``ended``
    present once the session produced its last batch (the uploader may close it).

Durability policy: every batch is handed to the operating system with one ``write`` before
it is sent (a crash of the collector process loses nothing); ``fsync`` runs on a timer
(:attr:`Spool.fsync_interval_s`, default 1 s, driven by the uploader) and at close, so a
power loss costs at most that much of the not-yet-acknowledged tail. The acknowledged prefix
is dropped by compaction (rewrite of the unacked tail into a new file, fsync, rename) once it
holds :attr:`Spool.compact_bytes` or more; a fully acknowledged, ended session's directory is
removed by :meth:`Spool.remove`.
"""

from __future__ import annotations

import math
import os
import shutil
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

from racecoach.telemetry.v1 import telemetry_pb2

RECORD = struct.Struct("<IIQd")
ACKED = struct.Struct("<Qd")
MAX_RECORD_BYTES = 64 * 1024 * 1024


class SpoolError(Exception):
    """The spool directory cannot be used (unreadable session, bad permissions)."""


@dataclass(frozen=True)
class _Entry:
    seq: int
    offset: int
    length: int
    last_time_s: float


def spool_root(data_dir: Path) -> Path:
    """Where spooled sessions live under a data directory."""
    return Path(data_dir) / "spool"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


# Windows opens a file descriptor in text mode unless told otherwise, and has no os.pread.
_BINARY = getattr(os, "O_BINARY", 0)


def _pread(fd: int, length: int, offset: int) -> bytes:
    """``length`` bytes at ``offset``: os.pread, or where there is none (Windows) a seek and a read; the
    callers hold the spool's lock, and appends (O_APPEND) go to the end whatever the position."""
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, length)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def batch_last_time(payload: bytes) -> float:
    """Session time in s of a serialized batch's last sample (parsed from its raw view)."""
    view = telemetry_pb2.TelemetryBatchRawView.FromString(payload)
    data = view.session_time_s
    return struct.unpack_from("<d", data, len(data) - 8)[0] if len(data) >= 8 else view.first_session_time_s


class Spool:
    """One session's spool. Thread-safe: a sampling thread may append while the event loop sends."""

    def __init__(self, *, directory: Path, session: telemetry_pb2.Session, fsync_interval_s: float = 1.0,
                 compact_bytes: int = 4 * 1024 * 1024) -> None:
        self.directory = directory
        self.session = session
        self.fsync_interval_s = fsync_interval_s
        self.compact_bytes = compact_bytes
        self._lock = threading.RLock()
        self._entries: list[_Entry] = []
        self._committed = 0
        self._committed_time_s: float | None = None
        self._dirty = False
        self._last_sync = time.monotonic()
        self._log = directory / "batches.log"
        self._fd = -1
        self._open_log()

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, *, root: Path, session: telemetry_pb2.Session, **options) -> Spool:
        """Open the session's spool, creating it (and storing the session) when new."""
        if not session.session_id or "/" in session.session_id or session.session_id.startswith("."):
            raise SpoolError(f"session id {session.session_id!r} cannot name a spool directory")
        directory = Path(root) / session.session_id
        directory.mkdir(parents=True, exist_ok=True)
        if not (directory / "session.pb").is_file():
            _atomic_write(directory / "session.pb", session.SerializeToString())
        return cls(directory=directory, session=session, **options)

    @classmethod
    def load(cls, directory: Path, **options) -> Spool:
        """Open an existing spool directory (as left by an earlier run)."""
        try:
            session = telemetry_pb2.Session.FromString((directory / "session.pb").read_bytes())
        except (OSError, ValueError) as exc:
            raise SpoolError(f"{directory}: no readable session.pb ({exc})") from None
        return cls(directory=directory, session=session, **options)

    @staticmethod
    def pending(root: Path) -> list[Path]:
        """Spool directories under ``root`` that still hold a session, oldest first."""
        if not Path(root).is_dir():
            return []
        found = [d for d in Path(root).iterdir() if d.is_dir() and (d / "session.pb").is_file()]
        return sorted(found, key=lambda d: (d / "session.pb").stat().st_mtime)

    def _open_log(self) -> None:
        acked = self.directory / "acked"
        if acked.is_file() and acked.stat().st_size >= ACKED.size:
            self._committed, committed_time = ACKED.unpack(acked.read_bytes()[:ACKED.size])
            self._committed_time_s = None if math.isnan(committed_time) else committed_time
        self._fd = os.open(self._log, os.O_RDWR | os.O_CREAT | os.O_APPEND | _BINARY, 0o600)
        size = os.fstat(self._fd).st_size
        offset = 0
        while offset + RECORD.size <= size:
            length, crc, seq, last_time = RECORD.unpack(_pread(self._fd, RECORD.size, offset))
            if length > MAX_RECORD_BYTES or offset + RECORD.size + length > size:
                break
            payload = _pread(self._fd, length, offset + RECORD.size)
            if zlib.crc32(payload) != crc or (self._entries and seq <= self._entries[-1].seq):
                break
            self._entries.append(_Entry(seq, offset + RECORD.size, length, last_time))
            offset += RECORD.size + length
        if offset < size:
            os.ftruncate(self._fd, offset)  # a torn tail from a crash mid-write
            os.fsync(self._fd)

    # --- state -----------------------------------------------------------------------------

    @property
    def session_id(self) -> str:
        return self.session.session_id

    @property
    def committed_seq(self) -> int:
        """Highest seq ingest confirmed as committed (as last recorded)."""
        return self._committed

    @property
    def last_seq(self) -> int:
        """Highest seq ever appended (0: none); new batches must follow it."""
        with self._lock:
            return max(self._entries[-1].seq if self._entries else 0, self._committed)

    @property
    def last_time_s(self) -> float | None:
        """Session time in s of the last spooled sample, None when nothing is spooled."""
        with self._lock:
            return self._entries[-1].last_time_s if self._entries else self._committed_time_s

    @property
    def unacked_count(self) -> int:
        with self._lock:
            return sum(1 for e in self._entries if e.seq > self._committed)

    @property
    def ended(self) -> bool:
        return (self.directory / "ended").exists()

    # --- writing ---------------------------------------------------------------------------

    def append(self, *, seq: int, payload: bytes, last_time_s: float | None = None) -> bool:
        """Append one serialized batch (one ``write``; the OS has it when this returns).

        Returns False, writing nothing, when ``seq`` is not after :attr:`last_seq` (already
        spooled or already committed).
        """
        with self._lock:
            if seq <= self.last_seq:
                return False
            if last_time_s is None:
                last_time_s = batch_last_time(payload)
            record = RECORD.pack(len(payload), zlib.crc32(payload), seq, last_time_s) + payload
            offset = os.fstat(self._fd).st_size
            written = os.write(self._fd, record)
            if written != len(record):
                os.ftruncate(self._fd, offset)
                raise SpoolError(f"{self._log}: short write ({written} of {len(record)} bytes); is the disk full?")
            self._entries.append(_Entry(seq, offset + RECORD.size, len(payload), last_time_s))
            self._dirty = True
            return True

    def records_after(self, seq: int, *, limit: int) -> list[tuple[int, bytes]]:
        """Up to ``limit`` spooled (seq, payload) with seq greater than ``seq``, in order."""
        with self._lock:
            picked = [e for e in self._entries if e.seq > seq][:limit]
            return [(e.seq, _pread(self._fd, e.length, e.offset)) for e in picked]

    def held_times(self) -> list[tuple[int, float]]:
        """(seq, session time of the last sample) of every spooled batch not yet acknowledged, in order."""
        with self._lock:
            return [(e.seq, e.last_time_s) for e in self._entries if e.seq > self._committed]

    def acked(self, committed: int) -> None:
        """Record that ingest committed everything up to ``committed``; compact when worthwhile."""
        with self._lock:
            if committed <= self._committed:
                return
            self._committed = committed
            self._committed_time_s = next((e.last_time_s for e in self._entries if e.seq == committed), None)
            with open(self.directory / "acked", "r+b" if (self.directory / "acked").exists() else "wb") as handle:
                handle.write(ACKED.pack(committed, float("nan") if self._committed_time_s is None else self._committed_time_s))
            acked_bytes = sum(RECORD.size + e.length for e in self._entries if e.seq <= committed)
            if acked_bytes >= self.compact_bytes or (acked_bytes and acked_bytes == os.fstat(self._fd).st_size):
                self._compact()

    def _compact(self) -> None:
        keep = [e for e in self._entries if e.seq > self._committed]
        tmp = self._log.with_name("batches.log.tmp")
        entries: list[_Entry] = []
        with open(tmp, "wb") as handle:
            for e in keep:
                payload = _pread(self._fd, e.length, e.offset)
                header = RECORD.pack(e.length, zlib.crc32(payload), e.seq, e.last_time_s)
                entries.append(_Entry(e.seq, handle.tell() + RECORD.size, e.length, e.last_time_s))
                handle.write(header + payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.close(self._fd)  # before the replace: Windows does not replace a file that is open
        self._fd = -1
        os.replace(tmp, self._log)
        _fsync_dir(self.directory)
        self._fd = os.open(self._log, os.O_RDWR | os.O_APPEND | _BINARY, 0o600)
        self._entries = entries
        self._dirty = False

    def sync(self) -> None:
        """fsync the log and the acked mark (the uploader calls this on a timer and at close)."""
        with self._lock:
            if self._fd >= 0 and self._dirty:
                os.fsync(self._fd)
                self._dirty = False
            self._last_sync = time.monotonic()

    def mark_ended(self) -> None:
        """The session produced its last batch."""
        (self.directory / "ended").touch()

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = -1

    def remove(self) -> None:
        """Delete the spool (call once everything is committed)."""
        self.close()
        shutil.rmtree(self.directory, ignore_errors=True)
