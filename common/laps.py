"""The lap definition, one for the collector (its local lap list and progress) and for analysis.

A lap runs from one start/finish crossing to the next. A crossing is ``LapDistPct`` wrapping
from above ``WRAP_HIGH`` to below ``WRAP_LOW`` between two samples; its time is interpolated
linearly inside that interval::

    f = (1 - p0) / ((1 - p0) + p1)        t_cross = t0 + f · (t1 - t0)

Only laps between two crossings, of ``MIN_LAP_SAMPLES`` samples or more, are laps; what comes before the first crossing (leaving the
pits, a flying start) and after the last one is the lap in progress, never a lap. A lap is
numbered by iRacing's ``Lap`` at its middle sample. A lap is valid when it has no flag:

* ``OUT_LAP`` – in the pits (pit road, pit stall or approaching pits) at its first sample;
* ``IN_LAP`` – in the pits at its last sample; ``PIT`` – in the pits at any sample;
* ``RESET`` – ``LapDistPct`` jumps by more than ``RESET_JUMP_PCT`` between two samples inside
  the lap (a reset, a tow), or the crossing at either end skips more than that (a tow across
  the line is no crossing driven);
* ``OFF_TRACK`` – ``PlayerTrackSurface`` 0 for ``OFF_TRACK_MIN_S`` in all;
* ``NEAR_STOP`` – slower than ``NEAR_STOP_MPS`` on track, away from the pits, for ``NEAR_STOP_MIN_S``;
* ``SPIN`` – yawing faster than ``SPIN_YAW_RATE_RPS`` or sliding more than ``SPIN_SLIP_RAD``
  while moving, for ``SPIN_MIN_S``.

:class:`LapDetector` is fed consecutive batches; a lap comes back as soon as the batch holding
its end crossing arrives, the same laps whatever the batching.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from racecoach.analysis.v1 import analysis_pb2

__all__ = ["FLAG_CHANNELS", "Lap", "LapDetector", "LapProgress", "crossings", "detect_laps", "flag_names", "lap_flags"]

Arrays = dict[str, np.ndarray]

WRAP_HIGH = 0.9
WRAP_LOW = 0.1
RESET_JUMP_PCT = 0.05  # a jump of 5 % of a lap between two samples is a reset or a tow
OFF_TRACK_MIN_S = 0.5
NEAR_STOP_MPS = 5.0
NEAR_STOP_MIN_S = 1.0
SPIN_YAW_RATE_RPS = 2.0
SPIN_SLIP_RAD = 0.6
SPIN_MIN_SPEED_MPS = 5.0
SPIN_MIN_S = 0.2
MIN_LAP_SAMPLES = 10  # fewer samples between two crossings (jitter on the line) make no lap

SURFACE_OFF_TRACK = 0
SURFACE_PIT_STALL = 1
SURFACE_APPROACHING_PITS = 2

# The channels the definition reads: what a detector that keeps no other samples needs.
FLAG_CHANNELS = ("session_time_s", "lap", "lap_dist_pct", "speed_mps", "track_surface", "on_pit_road",
                 "yaw_rate_rps", "velocity_x_mps", "velocity_y_mps")


@dataclass(frozen=True)
class Lap:
    """One lap between two start/finish crossings; times are session time (s)."""

    lap_number: int
    start_time_s: float
    end_time_s: float
    arrays: Arrays
    flags: tuple[int, ...]
    through_seq: int

    @property
    def lap_time_s(self) -> float:
        return self.end_time_s - self.start_time_s

    @property
    def valid(self) -> bool:
        return not self.flags

    @property
    def sample_count(self) -> int:
        return len(self.arrays.get("session_time_s", ()))


@dataclass(frozen=True)
class LapProgress:
    """The lap being driven: iRacing's lap number, when it began (None before the first crossing), where the car is."""

    lap_number: int
    start_time_s: float | None
    session_time_s: float
    lap_dist_pct: float


def flag_names(flags: Iterable[int]) -> list[str]:
    """``[LAP_FLAG_OUT_LAP, ...]`` as ``["out lap", ...]``."""
    return [analysis_pb2.LapFlag.Name(f).removeprefix("LAP_FLAG_").lower().replace("_", " ") for f in flags]


def crossings(*, time_s: np.ndarray, pct: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start/finish crossings: indices ``i`` where the lap wraps between samples i-1 and i, the interpolated
    crossing times, and whether each skipped more than ``RESET_JUMP_PCT`` of the lap (a tow across the line)."""
    if len(pct) < 2:
        return np.empty(0, np.int64), np.empty(0), np.empty(0, bool)
    before, after = pct[:-1].astype(np.float64), pct[1:].astype(np.float64)
    index = np.nonzero((before > WRAP_HIGH) & (after < WRAP_LOW))[0] + 1
    p0, p1 = pct[index - 1].astype(np.float64), pct[index].astype(np.float64) + 1.0
    fraction = (1.0 - p0) / (p1 - p0)
    times = time_s[index - 1] + fraction * (time_s[index] - time_s[index - 1])
    return index, times, (p1 - p0) > RESET_JUMP_PCT


def _seconds_where(mask: np.ndarray, dt: np.ndarray) -> float:
    return float(dt[mask].sum())


def lap_flags(arrays: Mapping[str, np.ndarray], *, towed_in: bool = False, towed_out: bool = False) -> tuple[int, ...]:
    """Flags of one lap's samples (``towed_in``/``towed_out``: its start/end crossing skipped part of the lap)."""
    flags: list[int] = []
    times = arrays["session_time_s"]
    pit = arrays.get("on_pit_road")
    surface = arrays.get("track_surface")
    in_pits = np.zeros(len(times), bool)
    if pit is not None:
        in_pits |= pit > 0.5
    if surface is not None:
        in_pits |= (surface == SURFACE_PIT_STALL) | (surface == SURFACE_APPROACHING_PITS)
    if len(in_pits) and in_pits[0]:
        flags.append(analysis_pb2.LAP_FLAG_OUT_LAP)
    if len(in_pits) and in_pits[-1]:
        flags.append(analysis_pb2.LAP_FLAG_IN_LAP)
    if in_pits.any():
        flags.append(analysis_pb2.LAP_FLAG_PIT)
    pct = arrays["lap_dist_pct"].astype(np.float64)
    if towed_in or towed_out or (len(pct) > 1 and np.any(np.abs(np.diff(pct)) > RESET_JUMP_PCT)):
        flags.append(analysis_pb2.LAP_FLAG_RESET)
    dt = np.diff(times, prepend=times[0]) if len(times) else np.zeros(0)
    if surface is not None and len(surface) > 1 and _seconds_where(surface == SURFACE_OFF_TRACK, dt) >= OFF_TRACK_MIN_S:
        flags.append(analysis_pb2.LAP_FLAG_OFF_TRACK)
    speed = arrays.get("speed_mps")
    if speed is not None and len(speed) > 1:
        moving = speed >= SPIN_MIN_SPEED_MPS
        if _seconds_where((speed < NEAR_STOP_MPS) & ~in_pits, dt) >= NEAR_STOP_MIN_S:
            flags.append(analysis_pb2.LAP_FLAG_NEAR_STOP)
        spinning = np.zeros(len(speed), bool)
        if "yaw_rate_rps" in arrays:
            spinning |= np.abs(arrays["yaw_rate_rps"]) > SPIN_YAW_RATE_RPS
        if "velocity_x_mps" in arrays and "velocity_y_mps" in arrays:
            spinning |= np.abs(np.arctan2(arrays["velocity_y_mps"], np.abs(arrays["velocity_x_mps"]))) > SPIN_SLIP_RAD
        if _seconds_where(spinning & moving, dt) >= SPIN_MIN_S:
            flags.append(analysis_pb2.LAP_FLAG_SPIN)
    return tuple(flags)


def _concat(parts: list[Arrays]) -> Arrays:
    """Consecutive batches' arrays joined channel by channel (a channel missing from any part is dropped)."""
    if len(parts) == 1:
        return parts[0]
    names = set(parts[0]).intersection(*parts[1:])
    return {name: np.concatenate([p[name] for p in parts]) for name in sorted(names)}


@dataclass
class LapDetector:
    """Feed consecutive batches (channel name → array); get each lap as soon as its end crossing arrives.

    ``channels`` limits the samples kept for the lap in progress (``FLAG_CHANNELS`` is enough for the laps
    and their flags; None keeps every channel, as analysis needs).
    """

    channels: tuple[str, ...] | None = None
    pending: list[Arrays] = field(default_factory=list)
    lap_start_s: float | None = None
    towed_in: bool = False
    last_seq: int = 0
    progress: LapProgress | None = None

    def feed(self, arrays: Mapping[str, np.ndarray], *, seq: int = 0) -> list[Lap]:
        if self.channels is not None:
            arrays = {k: v for k, v in arrays.items() if k in self.channels}
        else:
            arrays = dict(arrays)
        self.last_seq = seq
        count = len(arrays["session_time_s"])
        if count == 0:
            return []
        if self.pending:
            previous = self.pending[-1]
            joined = _concat([{k: v[-1:] for k, v in previous.items()}, arrays])
            offset = 1
        else:
            joined, offset = arrays, 0
        index, times, towed = crossings(time_s=joined["session_time_s"], pct=joined["lap_dist_pct"])
        completed: list[Lap] = []
        cut = 0
        for i, t, tow in zip(index - offset, times, towed):
            head = {k: v[cut:i] for k, v in arrays.items()}
            lap_arrays = _concat([*self.pending, head]) if self.pending else head
            self.pending = []
            if self.lap_start_s is not None and len(lap_arrays.get("session_time_s", ())) >= MIN_LAP_SAMPLES:
                lap_number = int(round(float(lap_arrays["lap"][len(lap_arrays["lap"]) // 2]))) if "lap" in lap_arrays else 0
                completed.append(Lap(
                    lap_number=lap_number, start_time_s=self.lap_start_s, end_time_s=float(t), arrays=lap_arrays,
                    flags=lap_flags(lap_arrays, towed_in=self.towed_in, towed_out=bool(tow)), through_seq=seq,
                ))
            self.lap_start_s, self.towed_in = float(t), bool(tow)
            cut = int(i)
        rest = {k: v[cut:] for k, v in arrays.items()}
        if len(rest["session_time_s"]):
            self.pending.append(rest)
        lap = arrays.get("lap")
        self.progress = LapProgress(
            lap_number=int(lap[-1]) if lap is not None else 0, start_time_s=self.lap_start_s,
            session_time_s=float(arrays["session_time_s"][-1]), lap_dist_pct=float(arrays["lap_dist_pct"][-1]),
        )
        return completed


def detect_laps(arrays: Mapping[str, np.ndarray], *, channels: tuple[str, ...] | None = None) -> list[Lap]:
    """Every lap of a recording's samples (one feed of everything)."""
    return LapDetector(channels=channels).feed(arrays)
