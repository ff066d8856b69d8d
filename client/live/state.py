"""What the collector knows while it runs: the simulator, the mesh, the session, its own laps, the last cue.

The collector's laps are its own, from the samples it spools, by the one lap definition
(:mod:`racecoach.common.laps`) that analysis applies to the same samples: the local lap list,
lap and progress hold while the mesh is unreachable and match the mesh's laps once it answers.
Everything here is touched on the collector's event loop only; the terminal view reads it.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from racecoach.client.cues import CarPosition
from racecoach.common.laps import FLAG_CHANNELS, Lap, LapDetector, LapProgress

SIMULATOR_WAITING = "waiting"
SIMULATOR_CONNECTED = "connected"
MESH_CONNECTING = "connecting"
MESH_REACHABLE = "reachable"  # ingest answers; no session streamed yet
MESH_CONNECTED = "connected"
MESH_UNREACHABLE = "unreachable"


@dataclass
class SessionLaps:
    """One session's laps as the collector sees them; ``feed`` the batches it spools, in order."""

    detector: LapDetector = field(default_factory=lambda: LapDetector(channels=FLAG_CHANNELS))
    laps: list[Lap] = field(default_factory=list)

    def feed(self, arrays: dict[str, np.ndarray]) -> list[Lap]:
        done = self.detector.feed(arrays)
        self.laps += done
        return done

    @property
    def progress(self) -> LapProgress | None:
        return self.detector.progress

    def best_valid_before(self, lap: Lap) -> float | None:
        """The fastest valid lap time of the laps before ``lap``."""
        times = [x.lap_time_s for x in self.laps[: self.laps.index(lap)] if x.valid]
        return min(times) if times else None


@dataclass
class CollectorState:
    """The collector's state for the terminal; see the module docstring."""

    source: str = "iRacing"
    ingest: str = ""
    simulator: str = SIMULATOR_WAITING
    mesh: str = MESH_CONNECTING
    mesh_detail: str = ""
    session: str = ""
    session_id: str = ""
    laps: SessionLaps | None = None
    last_lap: Lap | None = None
    last_delta_s: float | None = None
    last_cue: str = ""
    last_cue_at: float | None = None
    spool_backlog: int = 0
    track_length_m: float = 0.0
    position: CarPosition | None = None  # the car at the last sample (the voice drops cues it would say too late)
    samples: int = 0
    batches: int = 0
    messages: deque[str] = field(default_factory=lambda: deque(maxlen=6))

    def note(self, text: str) -> None:
        self.messages.append(text)

    def start_session(self, *, session_id: str, description: str, track_length_m: float = 0.0) -> None:
        self.session_id, self.session, self.track_length_m = session_id, description, track_length_m
        self.position = None
        self.laps, self.last_lap, self.last_delta_s = SessionLaps(), None, None

    def feed(self, arrays: dict[str, np.ndarray]) -> list[Lap]:
        """The samples of one spooled batch: the laps they complete (the last one becomes ``last_lap``)."""
        if self.laps is None:
            return []
        self.samples += len(arrays["session_time_s"])
        self.batches += 1
        if "lap_dist_m" in arrays and "speed_mps" in arrays:
            self.position = CarPosition(lap_dist_m=float(arrays["lap_dist_m"][-1]), speed_mps=float(arrays["speed_mps"][-1]),
                                        track_length_m=self.track_length_m, at=time.monotonic())
        done = self.laps.feed(arrays)
        for lap in done:
            best = self.laps.best_valid_before(lap)
            self.last_lap = lap
            self.last_delta_s = lap.lap_time_s - best if best is not None and lap.valid else None
        return done

    def cue(self, text: str) -> None:
        self.last_cue, self.last_cue_at = text, time.monotonic()
