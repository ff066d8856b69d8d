"""The live collector: sampler thread → spool (in that thread) → uploader (event loop), one per session.

Each live session gets a fresh session id (uuid4). The sampler thread builds every batch and
appends it to the session's spool before anything is sent; the event loop only reads the
spool and streams it (never blocked by sampling, never blocking it). A collector that dies
leaves its spool behind; the next ``collect`` or ``upload`` sends it, exactly once.

The event loop also keeps the collector's :class:`~racecoach.client.live.state.CollectorState`:
its own laps of every session (``laps``), from the spooled batches by the lap definition that
analysis applies to the same batches, the simulator's and the mesh's state, the last cue.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from racecoach.client.live.sampler import (
    LiveSampler,
    Samples,
    SessionEnded,
    SessionStarted,
    Status,
)
from racecoach.client.live.state import (
    MESH_CONNECTED,
    MESH_UNREACHABLE,
    SIMULATOR_CONNECTED,
    SIMULATOR_WAITING,
    CollectorState,
    SessionLaps,
)
from racecoach.client.report import format_lap, format_own_lap
from racecoach.client.source import session_from_info
from racecoach.client.spool import Spool
from racecoach.client.uploader import Uploader, UploadError
from racecoach.common.batch import build_raw_batch
from racecoach.telemetry.v1 import telemetry_pb2


@dataclass
class CollectSummary:
    sessions: list[str] = field(default_factory=list)
    batches: int = 0
    samples: int = 0
    laps: int = 0
    cues: int = 0
    left_in_spool: int = 0
    ticks: int = 0
    missed_ticks: int = 0


@dataclass
class _Live:
    session: telemetry_pb2.Session
    spool: Spool
    uploader: Uploader
    ended: asyncio.Event
    task: asyncio.Task | None = None


class LiveCollector:
    """Runs a :class:`LiveSampler` and streams what it samples; ``await run(stop)`` until ``stop`` is set."""

    def __init__(self, *, address: str, token: str, spool_dir: Path, test_file: Path | None = None,
                 poll_hz: float = 60.0, batch_ms: float = 100.0, stale_s: float = 2.0, reconnect_s: float = 1.0,
                 out: TextIO | None = None, on_cue=None, drain_s: float = 10.0, on_message=None, memory=None,
                 print_own_laps: bool = False, tls=None) -> None:
        self.address = address
        self.tls = tls  # the CA ingest's certificate is checked against, when the mesh speaks TLS
        self.token = token
        self.spool_dir = spool_dir
        self.out = out  # None: whatever sys.stdout is when a line is printed (the live view redirects it)
        self.on_cue = on_cue
        self.on_message = on_message  # each line the collector would print (default: print it to ``out``)
        self.print_own_laps = print_own_laps  # a line per lap of its own (plain output: no panel shows them)
        self.drain_s = drain_s
        self.summary = CollectSummary()
        self.state = CollectorState(source=test_file.name if test_file else "iRacing", ingest=address)
        self.laps: dict[str, SessionLaps] = {}  # session id → the collector's own laps of it
        self.mesh_laps: dict[str, list] = {}  # session id → the LapCompleted the mesh sent back
        self.sampler = LiveSampler(sink=self._sink, test_file=test_file, poll_hz=poll_hz, batch_ms=batch_ms,
                                   stale_s=stale_s, reconnect_s=reconnect_s, memory=memory)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._current: _Live | None = None  # touched by the sampler thread only
        self._all: list[_Live] = []

    def _say(self, text: str) -> None:
        self.state.note(text)
        if self.on_message is not None:
            self.on_message(text)
        else:
            print(text, file=self.out or sys.stdout, flush=True)

    def spool_backlog(self) -> int:
        """Batches spooled and not yet committed by the mesh, over every session of this run."""
        return sum(live.spool.unacked_count for live in self._all if live.spool.directory.exists())

    # --- sampler thread ---------------------------------------------------------------------

    def _sink(self, event: object) -> None:
        if isinstance(event, Samples):
            live = self._current
            if live is None:
                return
            seq = live.spool.last_seq + 1
            payload = build_raw_batch(session_id=live.session.session_id, seq=seq, arrays=event.arrays).SerializeToString()
            live.spool.append(seq=seq, payload=payload, last_time_s=float(event.arrays["session_time_s"][-1]))
            self.summary.batches += 1
            self.summary.samples += len(event.arrays["session_time_s"])
            self._loop.call_soon_threadsafe(self._wake, live)
            self._loop.call_soon_threadsafe(self._local_laps, live, event.arrays)
        elif isinstance(event, SessionStarted):
            session = session_from_info(info=event.info, session_id=str(uuid.uuid4()),
                                        source=telemetry_pb2.SESSION_SOURCE_LIVE, source_name="iRacing",
                                        tick_rate_hz=event.tick_rate_hz)
            spool = Spool.create(root=self.spool_dir, session=session)
            live = _Live(session=session, spool=spool, uploader=None, ended=None)  # type: ignore[arg-type]
            self._current = live
            self._loop.call_soon_threadsafe(self._start_upload, live)
        elif isinstance(event, SessionEnded):
            live, self._current = self._current, None
            if live is not None:
                live.spool.mark_ended()
                self._loop.call_soon_threadsafe(self._end_upload, live, event.reason)
        elif isinstance(event, Status):
            self._loop.call_soon_threadsafe(self._status, event)

    # --- event loop ------------------------------------------------------------------------

    def _status(self, event: Status) -> None:
        if event.kind == "connected":
            self.state.simulator = SIMULATOR_CONNECTED
        elif event.kind == "waiting":
            self.state.simulator = SIMULATOR_WAITING
        self._say(event.text)

    def _local_laps(self, live: _Live, arrays) -> None:
        if self.state.session_id == live.session.session_id:
            for lap in self.state.feed(arrays):  # feeds the session's SessionLaps, as below
                if self.print_own_laps:
                    self._say(format_own_lap(lap, delta_s=self.state.last_delta_s, backlog=self.spool_backlog()))
        else:
            self.laps[live.session.session_id].feed(arrays)

    def _mesh_status(self, text: str) -> None:
        self.state.mesh, self.state.mesh_detail = MESH_UNREACHABLE, text
        self._say(text)

    def _mesh_accepted(self) -> None:
        self.state.mesh, self.state.mesh_detail = MESH_CONNECTED, ""

    def _start_upload(self, live: _Live) -> None:
        s = live.session
        kind = telemetry_pb2.SessionType.Name(s.session_type).removeprefix("SESSION_TYPE_").lower()
        description = (f"{s.track.display_name or s.track.name or 'unknown track'}"
                       f"{' (' + s.track.layout + ')' if s.track.layout else ''}, {s.car.name or 'unknown car'}, {kind}")
        self.state.start_session(session_id=s.session_id, description=description, track_length_m=s.track.length_m)
        self.laps[s.session_id] = self.state.laps
        self._say(f"session {s.session_id}: {description}")
        self.summary.sessions.append(s.session_id)
        live.ended = asyncio.Event()
        live.uploader = Uploader(address=self.address, token=self.token, session=s, spool=live.spool, tls=self.tls,
                                 max_attempts=None, on_lap=self._lap, on_cue=self._cue, on_status=self._mesh_status,
                                 on_accepted=self._mesh_accepted)

        async def until_ended():
            await live.ended.wait()
            return
            yield  # an async generator that yields nothing: the batches come from the spool

        live.task = asyncio.create_task(live.uploader.run(until_ended()))
        self._all.append(live)

    @staticmethod
    def _wake(live: _Live) -> None:
        if live.uploader is not None:
            live.uploader.wake()

    def _end_upload(self, live: _Live, reason: str) -> None:
        self._say(f"session {live.session.session_id} ended: {reason}")
        if live.ended is not None:
            live.ended.set()
        if live.uploader is not None:
            live.uploader.wake()

    def _lap(self, completed) -> None:
        self.summary.laps += 1
        self.mesh_laps.setdefault(completed.lap.session_id, []).append(completed)
        self._say(format_lap(completed))

    def _cue(self, cue) -> None:
        self.summary.cues += 1
        self.state.cue(cue.text)
        if self.on_cue is not None:
            self.on_cue(cue)

    async def run(self, stop: asyncio.Event) -> CollectSummary:
        """Collect until ``stop``; then flush, give uploads ``drain_s`` to finish, and leave the rest spooled."""
        self._loop = asyncio.get_running_loop()
        self.sampler.start()
        await stop.wait()
        await asyncio.to_thread(self.sampler.stop)
        await asyncio.sleep(0)  # let the sampler's last callbacks (final batch, session end) run
        tasks = [live.task for live in self._all if live.task is not None]
        if tasks:
            done, pending = await asyncio.wait(tasks, timeout=self.drain_s)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                if task.exception() is not None and isinstance(task.exception(), UploadError):
                    self._say(f"upload stopped: {task.exception()}")
        for live in self._all:
            if live.spool.directory.exists():
                self.summary.left_in_spool += live.spool.unacked_count
                live.spool.close()
        self.summary.ticks = self.sampler.stats.ticks
        self.summary.missed_ticks = self.sampler.stats.missed_ticks
        return self.summary
