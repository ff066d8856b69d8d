"""Server-side lap segmentation of a stream of batches: start/finish crossings interpolated
from the LapDistPct wrap, with the flags that make a lap incomparable."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.common.batch import Arrays, concat

WRAP_HIGH = 0.9
WRAP_LOW = 0.1
RESET_JUMP_PCT = 0.05  # a jump of 5 % of a lap between two samples is a reset or a tow
OFF_TRACK_MIN_S = 0.5
NEAR_STOP_MPS = 5.0  # slower than this on track, away from the pits, for NEAR_STOP_MIN_S: a near stop
NEAR_STOP_MIN_S = 1.0
SPIN_YAW_RATE_RPS = 2.0  # yawing faster than this (or sliding more than SPIN_SLIP_RAD) for SPIN_MIN_S: a spin
SPIN_SLIP_RAD = 0.6
SPIN_MIN_SPEED_MPS = 5.0
SPIN_MIN_S = 0.2


@dataclass(frozen=True)
class CompletedLap:
    """One lap between two start/finish crossings."""

    lap_number: int
    start_time_s: float
    end_time_s: float
    arrays: Arrays
    flags: tuple[int, ...]
    through_seq: int

    @property
    def lap_time_s(self) -> float:
        return self.end_time_s - self.start_time_s


def crossings(*, time_s: np.ndarray, pct: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``i`` where the lap wraps between samples i-1 and i, and the interpolated crossing times."""
    if len(pct) < 2:
        return np.empty(0, np.int64), np.empty(0)
    before, after = pct[:-1].astype(np.float64), pct[1:].astype(np.float64)
    index = np.nonzero((before > WRAP_HIGH) & (after < WRAP_LOW))[0] + 1
    p0, p1 = pct[index - 1].astype(np.float64), pct[index].astype(np.float64) + 1.0
    fraction = (1.0 - p0) / (p1 - p0)
    times = time_s[index - 1] + fraction * (time_s[index] - time_s[index - 1])
    return index, times


def lap_flags(arrays: Arrays) -> tuple[int, ...]:
    """Flags of one lap's samples."""
    flags: list[int] = []
    pit = arrays.get("on_pit_road")
    surface = arrays.get("track_surface")
    in_pits = np.zeros(len(arrays["session_time_s"]), bool)
    if pit is not None:
        in_pits |= pit > 0.5
    if surface is not None:
        in_pits |= (surface == 1) | (surface == 2)
    if len(in_pits) and in_pits[0]:
        flags.append(analysis_pb2.LAP_FLAG_OUT_LAP)
    if len(in_pits) and in_pits[-1]:
        flags.append(analysis_pb2.LAP_FLAG_IN_LAP)
    if in_pits.any():
        flags.append(analysis_pb2.LAP_FLAG_PIT)
    pct = arrays["lap_dist_pct"].astype(np.float64)
    if len(pct) > 1 and np.any(np.abs(np.diff(pct)) > RESET_JUMP_PCT):
        flags.append(analysis_pb2.LAP_FLAG_RESET)
    if surface is not None and len(surface) > 1:
        off = surface == 0
        dt = np.diff(arrays["session_time_s"], prepend=arrays["session_time_s"][0])
        if float(dt[off].sum()) >= OFF_TRACK_MIN_S:
            flags.append(analysis_pb2.LAP_FLAG_OFF_TRACK)
    dt = np.diff(arrays["session_time_s"], prepend=arrays["session_time_s"][0]) if len(pct) else np.zeros(0)
    speed = arrays.get("speed_mps")
    if speed is not None and len(speed) > 1:
        moving = speed >= SPIN_MIN_SPEED_MPS
        if float(dt[(speed < NEAR_STOP_MPS) & ~in_pits].sum()) >= NEAR_STOP_MIN_S:
            flags.append(analysis_pb2.LAP_FLAG_NEAR_STOP)
        spinning = np.zeros(len(speed), bool)
        if "yaw_rate_rps" in arrays:
            spinning |= np.abs(arrays["yaw_rate_rps"]) > SPIN_YAW_RATE_RPS
        if "velocity_x_mps" in arrays and "velocity_y_mps" in arrays:
            spinning |= np.abs(np.arctan2(arrays["velocity_y_mps"], np.abs(arrays["velocity_x_mps"]))) > SPIN_SLIP_RAD
        if float(dt[spinning & moving].sum()) >= SPIN_MIN_S:
            flags.append(analysis_pb2.LAP_FLAG_SPIN)
    return tuple(flags)


@dataclass
class LapSegmenter:
    """Feed consecutive batches; get each lap as soon as its end crossing arrives."""

    pending: list[Arrays] = field(default_factory=list)
    lap_start_s: float | None = None
    last_seq: int = 0

    def feed(self, arrays: Arrays, *, seq: int) -> list[CompletedLap]:
        self.last_seq = seq
        if self.pending:
            previous = self.pending[-1]
            joined = concat([{k: v[-1:] for k, v in previous.items()}, arrays])
            offset = 1
        else:
            joined, offset = arrays, 0
        index, times = crossings(time_s=joined["session_time_s"], pct=joined["lap_dist_pct"])
        completed: list[CompletedLap] = []
        cut = 0
        for i, t in zip(index - offset, times):
            head = {k: v[cut:i] for k, v in arrays.items()}
            lap_arrays = concat([*self.pending, head]) if self.pending else head
            self.pending = []
            if self.lap_start_s is not None and len(lap_arrays.get("session_time_s", ())) > 1:
                lap_number = int(round(float(lap_arrays["lap"][len(lap_arrays["lap"]) // 2]))) if "lap" in lap_arrays else 0
                completed.append(
                    CompletedLap(
                        lap_number=lap_number, start_time_s=self.lap_start_s, end_time_s=float(t), arrays=lap_arrays,
                        flags=lap_flags(lap_arrays), through_seq=seq,
                    )
                )
            self.lap_start_s = float(t)
            cut = i
        rest = {k: v[cut:] for k, v in arrays.items()}
        if len(rest["session_time_s"]):
            self.pending.append(rest)
        return completed
