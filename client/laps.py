"""Collector-side lap detection from raw iRacing channels (pure functions over numpy arrays).

A lap boundary is a start/finish crossing: ``LapDistPct`` wrapping from ≈1 to ≈0 between
two samples. The crossing time is interpolated linearly inside that sample interval::

    f = (1 - p0) / ((1 - p0) + p1)        t_cross = t0 + f · (t1 - t0)

A jump of ``LapDistPct`` larger than ``max_jump_pct`` between two samples (a reset, a tow
to the pits, a teleport) or samples where the car is not in the world
(``PlayerTrackSurface == -1``, e.g. iRacing's dummy record 0) also end a lap, which is then
incomplete. Flags per lap:

* ``out_lap``   – starts in the pits (pit road / pit stall) or from a standstill at the start
  of the recording;
* ``in_lap``    – ends on pit road;
* ``complete``  – starts and ends at a crossing (only then ``lap_time_s`` is set);
* ``reset``     – cut by a distance discontinuity at either end;
* ``pit``       – on pit road at any time;
* ``off_track`` – ``PlayerTrackSurface == 0`` for at least ``off_track_min_s`` in a row.

:class:`LapDetector` does the same incrementally (feed chunks, get completed laps);
:func:`detect_laps` is one feed of everything plus ``finish()``, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["DetectedLap", "LapDetector", "crossing_times", "detect_laps"]

SURFACE_NOT_IN_WORLD = -1
SURFACE_OFF_TRACK = 0
SURFACE_PIT_STALL = 1
SURFACE_APPROACHING_PITS = 2


@dataclass(frozen=True, slots=True)
class DetectedLap:
    """One lap (or piece of one) as the collector saw it. Times are session time (s)."""

    index: int                 # 0, 1, 2 ... in detection order
    lap: int | None            # iRacing's ``Lap`` value during this lap, when given
    start_time_s: float
    end_time_s: float
    start_index: int           # first sample of the lap (global sample index)
    end_index: int             # one past the last sample
    start_reason: str          # "crossing" | "recording_start" | "reset" | "gap"
    end_reason: str            # "crossing" | "recording_end" | "reset" | "gap"
    out_lap: bool
    in_lap: bool
    pit: bool
    off_track: bool

    @property
    def complete(self) -> bool:
        return self.start_reason == "crossing" and self.end_reason == "crossing"

    @property
    def incomplete(self) -> bool:
        return not self.complete

    @property
    def reset(self) -> bool:
        return "reset" in (self.start_reason, self.end_reason)

    @property
    def lap_time_s(self) -> float | None:
        """End minus start for a complete lap, else ``None``."""
        return self.end_time_s - self.start_time_s if self.complete else None


def crossing_times(*, session_time_s: np.ndarray, lap_dist_pct: np.ndarray,
                   max_jump_pct: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated start/finish crossings: ``(times_s, sample_index_after_crossing)``."""
    t = np.asarray(session_time_s, dtype=float)
    p = np.asarray(lap_dist_pct, dtype=float)
    p0, p1 = p[:-1], p[1:]
    gap = (1.0 - p0) + p1
    hit = (p1 - p0 < -0.5) & (gap <= max_jump_pct)
    i = np.flatnonzero(hit)
    frac = (1.0 - p0[i]) / np.maximum(gap[i], 1e-12)
    return t[i] + frac * (t[i + 1] - t[i]), i + 1


@dataclass
class _Open:
    start_time: float
    start_index: int
    start_reason: str
    lap: int | None
    out_lap: bool
    pit: bool = False
    off_track: bool = False


@dataclass
class LapDetector:
    """Incremental lap detection: ``feed()`` chunks in time order, ``finish()`` at the end.

    Parameters (keyword-only): ``max_jump_pct`` – largest ``LapDistPct`` step between two
    samples that is still driving; ``off_track_min_s`` – how long surface 0 must last to
    flag a lap off-track; ``standstill_mps`` – below this speed a car is standing.
    """

    max_jump_pct: float = 0.05
    off_track_min_s: float = 0.5
    standstill_mps: float = 1.0
    _index: int = field(default=0, init=False)
    _samples: int = field(default=0, init=False)
    _prev: tuple[float, float, int, bool] | None = field(default=None, init=False)  # t, pct, idx, in pits
    _open: _Open | None = field(default=None, init=False)
    _off_since: float | None = field(default=None, init=False)
    _seen_first: bool = field(default=False, init=False)

    def feed(self, *, session_time_s: np.ndarray, lap_dist_pct: np.ndarray, lap: np.ndarray | None = None,
             speed_mps: np.ndarray | None = None, track_surface: np.ndarray | None = None,
             on_pit_road: np.ndarray | None = None) -> list[DetectedLap]:
        """Consume one chunk of samples; return the laps that ended inside it."""
        t = np.asarray(session_time_s, dtype=float)
        n = len(t)
        pct = np.asarray(lap_dist_pct, dtype=float)
        for name, arr in (("lap_dist_pct", pct), ("lap", lap), ("speed_mps", speed_mps),
                          ("track_surface", track_surface), ("on_pit_road", on_pit_road)):
            if arr is not None and len(arr) != n:
                raise ValueError(f"{name} has {len(arr)} samples, session_time_s has {n}")
        base = self._samples
        self._samples += n
        surface = np.asarray(track_surface) if track_surface is not None else np.full(n, 3)
        pits = np.asarray(on_pit_road, dtype=bool) if on_pit_road is not None else np.zeros(n, bool)
        pits = pits | (surface == SURFACE_PIT_STALL) | (surface == SURFACE_APPROACHING_PITS)
        valid = (surface != SURFACE_NOT_IN_WORLD) & np.isfinite(pct) & np.isfinite(t)
        vi = np.flatnonzero(valid)
        done: list[DetectedLap] = []
        if len(vi) == 0:  # nothing usable: decide at the next valid sample (gap or reset)
            return done

        # boundaries between consecutive valid samples (including the carried previous one)
        g_idx = base + vi
        tv, pv = t[vi], pct[vi]
        if self._prev is not None:
            t_all = np.concatenate([[self._prev[0]], tv])
            p_all = np.concatenate([[self._prev[1]], pv])
            i_all = np.concatenate([[self._prev[2]], g_idx])
        else:
            t_all, p_all, i_all = tv, pv, g_idx
        p0, p1 = p_all[:-1], p_all[1:]
        wrap_gap = (1.0 - p0) + p1
        crossing = (p1 - p0 < -0.5) & (wrap_gap <= self.max_jump_pct)
        jump = ~crossing & (np.abs(p1 - p0) > self.max_jump_pct)
        gap = np.diff(i_all) > 1
        events = np.flatnonzero(crossing | jump | gap)
        offset = 1 if self._prev is not None else 0  # position of vi[k] in the *_all arrays

        lap_arr = np.asarray(lap) if lap is not None else None
        speed = np.asarray(speed_mps, dtype=float) if speed_mps is not None else None

        def local(pos_all: int) -> int:  # index into vi of position pos_all in *_all
            return pos_all - offset

        if self._open is None:
            reason = "recording_start" if not self._seen_first else "gap"
            first = int(vi[0])
            standing = speed is not None and speed[first] < self.standstill_mps and not self._seen_first
            self._open = _Open(float(tv[0]), int(g_idx[0]), reason,
                               None if lap_arr is None else int(lap_arr[first]),
                               bool(pits[first]) or standing)
            self._seen_first = True
        seg_start_local = 0
        for e in events:  # boundary between *_all[e] and *_all[e + 1]
            end_local = local(int(e) + 1)  # first valid sample of the next lap (index into vi)
            self._accumulate(vi[seg_start_local:end_local], t, surface, pits)
            if crossing[e]:
                f = (1.0 - p0[e]) / max(wrap_gap[e], 1e-12)
                when, reason = float(t_all[e] + f * (t_all[e + 1] - t_all[e])), "crossing"
            else:
                when, reason = float(t_all[e]), ("reset" if jump[e] else "gap")
            in_pits_end = bool(pits[vi[end_local - 1]]) if end_local > 0 else bool(self._prev and self._prev[3])
            done.append(self._close(when, int(i_all[e]) + 1, reason, in_lap=in_pits_end))
            nxt = int(vi[end_local])
            start_t = when if reason == "crossing" else float(t_all[e + 1])
            self._open = _Open(start_t, int(i_all[e + 1]), reason,
                               None if lap_arr is None else int(lap_arr[nxt]), bool(pits[nxt]))
            self._off_since = None if reason != "crossing" else self._off_since
            seg_start_local = end_local
        self._accumulate(vi[seg_start_local:], t, surface, pits)
        last = int(vi[-1])
        self._prev = (float(t[last]), float(pct[last]), base + last, bool(pits[last]))
        return done

    def finish(self) -> list[DetectedLap]:
        """Close the lap in progress (incomplete, ``end_reason="recording_end"``)."""
        if self._open is None or self._prev is None:
            return []
        return [self._close(self._prev[0], self._prev[2] + 1, "recording_end", in_lap=self._prev[3])]

    # -- internals --------------------------------------------------------------------
    def _accumulate(self, idx: np.ndarray, t: np.ndarray, surface: np.ndarray, pits: np.ndarray) -> None:
        if len(idx) == 0 or self._open is None:
            return
        self._open.pit |= bool(pits[idx].any())
        off = surface[idx] == SURFACE_OFF_TRACK
        times = t[idx]
        # runs of off-track samples, the first one possibly continuing from the last chunk
        edges = np.diff(off.astype(np.int8))
        starts = list(np.flatnonzero(edges == 1) + 1)
        ends = list(np.flatnonzero(edges == -1))
        if off[0]:
            starts.insert(0, 0)
        if off[-1]:
            ends.append(len(off) - 1)
        for k, (a, b) in enumerate(zip(starts, ends)):
            began = self._off_since if (k == 0 and a == 0 and self._off_since is not None) else float(times[a])
            if float(times[b]) - began >= self.off_track_min_s:
                self._open.off_track = True
        if off[-1]:
            a = starts[-1]
            self._off_since = self._off_since if (a == 0 and self._off_since is not None) else float(times[a])
        else:
            self._off_since = None

    def _close(self, when: float, end_index: int, reason: str, *, in_lap: bool = False) -> DetectedLap:
        o = self._open
        assert o is not None
        lap = DetectedLap(index=self._index, lap=o.lap, start_time_s=o.start_time, end_time_s=when,
                          start_index=o.start_index, end_index=end_index, start_reason=o.start_reason,
                          end_reason=reason, out_lap=o.out_lap, in_lap=in_lap, pit=o.pit or o.out_lap or in_lap,
                          off_track=o.off_track)
        self._index += 1
        self._open = None
        return lap


def detect_laps(*, session_time_s: np.ndarray, lap_dist_pct: np.ndarray, lap: np.ndarray | None = None,
                speed_mps: np.ndarray | None = None, track_surface: np.ndarray | None = None,
                on_pit_road: np.ndarray | None = None, max_jump_pct: float = 0.05,
                off_track_min_s: float = 0.5) -> list[DetectedLap]:
    """All laps of a recording, in order (see the module docstring for boundaries and flags)."""
    det = LapDetector(max_jump_pct=max_jump_pct, off_track_min_s=off_track_min_s)
    laps = det.feed(session_time_s=session_time_s, lap_dist_pct=lap_dist_pct, lap=lap, speed_mps=speed_mps,
                    track_surface=track_surface, on_pit_road=on_pit_road)
    return laps + det.finish()
