"""The lap being driven, for the live view: its running delta against the reference, and the live cues.

No lap holds the samples of the open lap yet, so the gateway reads them from storage as they
are committed (``StorageService.StreamSessionTelemetry`` from the last sample it has, on) and:

* finds where the lap started: the last start/finish crossing among them (the ``LapDistPct``
  wrap, interpolated), else the end of the newest closed lap;
* computes the running delta at every sample, ``(t - start) - reference_elapsed(lap_dist_m)``,
  with the reference lap's elapsed time on its distance grid (``GetLapComparison``); at the
  line it is the lap-time difference, as CompareLaps gives it for the closed lap;
* feeds the same samples to ``CoachingService.LiveCues`` with the context ingest gives it (the
  reference: the personal best or a faster valid lap of the session; the last lap: the newest
  closed one), so the cues listed are the ones the collector is told, issued where it hears them.

Every call carries the viewer's credentials. The reference is the same for delta and cues.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any

import grpc
import numpy as np
from litestar import Request
from litestar.exceptions import HTTPException

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.common.batch import arrays_from_typed, build_batch
from racecoach.services.gateway.backend import forwarded_metadata
from racecoach.storage.v1 import storage_pb2

STORAGE = "racecoach.storage.v1.StorageService"
COACHING = "racecoach.coaching.v1.CoachingService"
CHANNELS = ("session_time_s", "lap", "lap_dist_m", "lap_dist_pct", "speed_mps")
TRACE_STEP_M = 10.0  # the running delta sent to the page: one point per this many metres
STEP_M = 5.0
KEPT_CUES = 5


def _ns(lap: analysis_pb2.LapAnalysis) -> int:
    return lap.lap_time.ToNanoseconds()


def crossing_time(t: np.ndarray, pct: np.ndarray) -> tuple[int, float] | None:
    """The index of the first sample after the last start/finish crossing and the crossing's interpolated time."""
    wraps = np.flatnonzero(np.diff(pct) < -0.5)
    if not len(wraps):
        return None
    k = int(wraps[-1])
    before, after = 1.0 - float(pct[k]), float(pct[k + 1])
    share = before / (before + after) if before + after > 0 else 1.0
    return k + 1, float(t[k] + share * (t[k + 1] - t[k]))


def running_delta(*, elapsed_s: np.ndarray, dist_m: np.ndarray, ref_elapsed_s: np.ndarray, step_m: float) -> np.ndarray:
    """Time behind the reference (s, above 0: slower) at each sample, the reference read at the same distance."""
    grid = np.arange(len(ref_elapsed_s)) * step_m
    return elapsed_s - np.interp(dist_m, grid, ref_elapsed_s)


def thinned(dist_m: np.ndarray, *, step_m: float = TRACE_STEP_M) -> np.ndarray:
    """Indices of the last sample of every ``step_m`` of distance (the trace the page draws)."""
    if not len(dist_m):
        return np.empty(0, dtype=np.int64)
    bucket = np.floor(np.maximum(dist_m, 0) / step_m)
    return np.append(np.flatnonzero(np.diff(bucket) != 0), len(dist_m) - 1)


class LiveLap:
    """One viewer's open lap: samples since the lap started, the reference trace and the cues heard."""

    def __init__(self, *, backend: Any, request: Request, detail: storage_pb2.GetSessionResponse) -> None:
        self.backend, self.request = backend, request
        self.session = detail.summary.session
        self.arrays: dict[str, np.ndarray] = {name: np.empty(0) for name in CHANNELS}  # the open lap's samples
        self.read_from = 0.0
        self.start_s: float | None = None
        self.last_closed: str | None = None
        self.personal_best: analysis_pb2.LapAnalysis | None = None
        self.reference: analysis_pb2.LapAnalysis | None = None
        self.ref_elapsed: np.ndarray | None = None
        self.cues: collections.deque[dict[str, Any]] = collections.deque(maxlen=KEPT_CUES)
        self._requests: asyncio.Queue = asyncio.Queue(maxsize=64)
        self._cue_task: asyncio.Task | None = None
        self._seq = 0
        closed = [lap for lap in detail.laps if lap.lap_time.ByteSize()]
        if closed:  # a viewer joining mid-session reads only the open lap
            self.read_from = self.start_s = max(lap.end_session_time_s for lap in closed)

    async def _unary(self, method: str, message: Any) -> Any:
        return await self.backend.unary(service=STORAGE, method=method, request=message, http_request=self.request)

    async def open(self) -> None:
        try:
            found = await self._unary("GetReferenceLap", storage_pb2.GetReferenceLapRequest(
                session=self.session, reference=analysis_pb2.REFERENCE_KIND_PERSONAL_BEST))
            self.personal_best = found.lap if found.found else None
        except HTTPException:
            self.personal_best = None  # the session's own laps are the reference then
        call = self.backend.channels[COACHING].stream_stream(
            f"/{COACHING}/LiveCues", request_serializer=coaching_pb2.LiveCuesRequest.SerializeToString,
            response_deserializer=coaching_pb2.LiveCuesResponse.FromString)
        self._stream = call(self._drain(), metadata=forwarded_metadata(self.request))
        self._cue_task = asyncio.create_task(self._read_cues(self._stream))

    async def _drain(self):
        yield coaching_pb2.LiveCuesRequest(context=coaching_pb2.LiveContext(session=self.session))
        while (item := await self._requests.get()) is not None:
            yield item

    async def _read_cues(self, stream) -> None:
        try:
            async for reply in stream:
                cue = reply.cue
                self.cues.appendleft({"text": cue.text, "cornerNumber": cue.corner_number, "targetDistanceM": round(cue.target_distance_m, 1),
                                      "leadDistanceM": round(cue.lead_distance_m, 1), "sessionTimeS": round(cue.session_time_s, 3),
                                      "kind": coaching_pb2.CueKind.Name(cue.kind)})
        except (grpc.aio.AioRpcError, asyncio.CancelledError):
            pass  # cues are advisory: the delta goes on without them

    def _send(self, item: coaching_pb2.LiveCuesRequest) -> None:
        try:
            self._requests.put_nowait(item)
        except asyncio.QueueFull:
            pass  # a viewer behind skips a batch's cues rather than hold up the delta

    async def close(self) -> None:
        if self._cue_task is not None:
            self._stream.cancel()
            self._cue_task.cancel()
            await asyncio.gather(self._cue_task, return_exceptions=True)

    async def _choose_reference(self, closed: list[analysis_pb2.LapAnalysis]) -> None:
        """The personal best or a faster valid lap of this session; the coaching context follows each closed lap."""
        candidates = ([self.personal_best] if self.personal_best is not None else []) + [lap for lap in closed if lap.valid]
        best = min(candidates, key=_ns, default=None)
        if best is not None and (self.reference is None or best.lap_id != self.reference.lap_id):
            try:
                trace = await self._unary("GetLapComparison", storage_pb2.GetLapComparisonRequest(
                    lap_id=best.lap_id, reference_lap_id=best.lap_id, step_m=STEP_M))
                self.reference, self.ref_elapsed = best, np.asarray(trace.reference.elapsed_s, dtype=np.float64)
            except HTTPException:
                pass  # tried again at the next poll
        newest = closed[-1] if closed else None
        if newest is not None and newest.lap_id != self.last_closed and self.reference is not None:
            self.last_closed = newest.lap_id
            self._send(coaching_pb2.LiveCuesRequest(context=coaching_pb2.LiveContext(
                session=self.session, reference=self.reference, last_lap=newest)))
            if len(self.arrays["session_time_s"]):  # samples of this lap fed before its context: the coach sees them again
                self._seq += 1  # (a cue already issued on this passage is not issued twice)
                self._send(coaching_pb2.LiveCuesRequest(batch=build_batch(session_id=self.session.session_id, seq=self._seq, arrays=self.arrays)))

    async def _read_samples(self) -> None:
        message = storage_pb2.StreamSessionTelemetryRequest(session_id=self.session.session_id, from_session_time_s=self.read_from,
                                                           channels=list(CHANNELS), chunk_samples=600)
        parts = []
        async for reply in self.backend.server_stream(service=STORAGE, method="StreamSessionTelemetry", request=message,
                                                      http_request=self.request):
            self._seq += 1
            reply.chunk.seq = self._seq
            self._send(coaching_pb2.LiveCuesRequest(batch=reply.chunk))
            parts.append(arrays_from_typed(reply.chunk, names=CHANNELS))
        if not parts:
            return
        for name in CHANNELS:
            self.arrays[name] = np.concatenate([*([self.arrays[name]] if len(self.arrays[name]) else []), *(p[name] for p in parts)])
        t = self.arrays["session_time_s"]
        self.read_from = float(t[-1]) + 0.5 / (self.session.tick_rate_hz or 60.0)  # the next sample on
        crossed = crossing_time(t, self.arrays["lap_dist_pct"])
        if crossed is not None:
            first, self.start_s = crossed
            self.arrays = {name: values[first:] for name, values in self.arrays.items()}

    async def update(self, detail: storage_pb2.GetSessionResponse) -> dict[str, Any]:
        """Read what storage added and return the open lap's state for the page."""
        await self._choose_reference([lap for lap in detail.laps if lap.lap_time.ByteSize()])
        await self._read_samples()
        t, dist = self.arrays["session_time_s"], self.arrays["lap_dist_m"].astype(np.float64)
        out: dict[str, Any] = {"lapNumber": int(self.arrays["lap"][-1]) if len(t) else None, "started": self.start_s is not None,
                               "distanceM": round(float(dist[-1]), 1) if len(t) else None, "cues": list(self.cues),
                               "referenceLapId": self.reference.lap_id if self.reference else "",
                               "referenceLapNumber": self.reference.lap_number if self.reference else None,
                               "referenceSessionId": self.reference.session_id if self.reference else "",
                               "elapsedS": None, "deltaS": None, "trace": {"distanceM": [], "deltaS": []}}
        if self.start_s is None or not len(t):
            return out
        out["elapsedS"] = round(float(t[-1] - self.start_s), 3)
        if self.ref_elapsed is None or not len(self.ref_elapsed):
            return out
        delta = running_delta(elapsed_s=t - self.start_s, dist_m=dist, ref_elapsed_s=self.ref_elapsed, step_m=STEP_M)
        keep = thinned(dist)
        out["deltaS"] = round(float(delta[-1]), 3)
        out["trace"] = {"distanceM": [round(float(v), 1) for v in dist[keep]], "deltaS": [round(float(v), 4) for v in delta[keep]]}
        return out
