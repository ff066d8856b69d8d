"""The session being driven, as server-sent events: ``GET /api/v1/sessions/{sessionId}/live``.

Design: the gateway polls StorageService.GetSession for the session every ``POLL_S`` (0.5 s)
and sends an event whenever what storage holds changed: samples stored so far, the laps, and
for the newest timed lap its delta against the session best (AnalysisService.CompareLaps) and
its coaching remarks (GetLap), re-read until the report is stored. Ingest commits every batch
to storage as it arrives, so the sample count moves with the car; laps appear when analysis
closed them. Nothing new runs in ingest, every call goes through the caller's token, and a
gateway with many viewers costs per viewer one GetSession per poll, a read of the samples
stored since the last one, and one LiveCues stream in coaching.

The lap being driven (``currentLap``: its running delta against the reference and the live
cues coaching gives for it) is followed by ``live_lap.LiveLap``, which reads the open lap's
samples as storage commits them (``StorageService.StreamSessionTelemetry``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from google.protobuf import json_format
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.params import PathParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage

from racecoach.analysis.v1 import analysis_pb2
from racecoach.codegen.rest_models import NO_NUL
from racecoach.services.common.limits import MAX_ID_CHARS
from racecoach.services.gateway.errors import ERROR_RESPONSES
from racecoach.services.gateway.live_lap import LiveLap
from racecoach.storage.v1 import storage_pb2

POLL_S = 0.5
KEEPALIVE_S = 10.0
REPORT_POLLS = 20  # a lap's report is looked for this many polls (10 s) after the lap appeared
STORAGE = "racecoach.storage.v1.StorageService"
ANALYSIS = "racecoach.analysis.v1.AnalysisService"


def _seconds(duration: Any) -> float | None:
    return duration.seconds + duration.nanos / 1e9 if duration.ByteSize() else None


def _lap_row(lap: analysis_pb2.LapAnalysis) -> dict[str, Any]:
    return {"lapId": lap.lap_id, "lapNumber": lap.lap_number, "lapTimeS": _seconds(lap.lap_time), "valid": lap.valid,
            "flags": [analysis_pb2.LapFlag.Name(f) for f in lap.flags]}


async def _last_lap(backend: Any, request: Request, lap: analysis_pb2.LapAnalysis) -> dict[str, Any]:
    """The newest timed lap: its delta trace against the session best and its report's remarks."""
    out = _lap_row(lap)
    try:
        delta = await backend.unary(
            service=ANALYSIS, method="CompareLaps", http_request=request,
            request=analysis_pb2.CompareLapsRequest(lap_id=lap.lap_id, reference=analysis_pb2.REFERENCE_KIND_SESSION_BEST, step_m=5),
        )
        out.update(referenceLapId=delta.reference_lap_id, lapDeltaS=_seconds(delta.lap_delta) or 0.0, stepM=delta.step_m,
                   deltaS=[round(v, 4) for v in delta.delta_s])
    except HTTPException:  # no reference yet (the first lap), or analysis is away: the lap without a delta
        out.update(referenceLapId="", lapDeltaS=None, stepM=0.0, deltaS=[])
    detail = await backend.unary(service=STORAGE, method="GetLap", request=storage_pb2.GetLapRequest(lap_id=lap.lap_id), http_request=request)
    report = detail.report if detail.HasField("report") else None
    out["reported"] = report is not None
    out["summary"] = report.summary if report else ""
    out["cues"] = [json_format.MessageToDict(f) for f in report.feedback] if report else []
    return out


@get("/api/v1/sessions/{session_id:str}/live", operation_id="LiveSession", tags=["StorageService"], summary="LiveSession",
     description="Server-sent events while a session is driven: one JSON object whenever storage holds more (samples, laps, "
                 "the lap being driven with its running delta to the reference and its live cues, the newest lap's delta "
                 "against the session best and its remarks), polled every 0.5 s.",
     media_type="text/event-stream", responses=ERROR_RESPONSES)
async def live_session(
    session_id: Annotated[str, PathParameter(description="the session", max_length=MAX_ID_CHARS, pattern=NO_NUL)], request: Request, backend: NamedDependency[Any],
) -> ServerSentEvent:
    def read() -> Any:
        return backend.unary(service=STORAGE, method="GetSession", request=storage_pb2.GetSessionRequest(session_id=session_id),
                             http_request=request)

    first = await read()  # an unknown session or a bad token stays an HTTP error

    async def events() -> AsyncIterator[ServerSentEventMessage]:
        current = LiveLap(backend=backend, request=request, detail=first)
        try:
            await current.open()
            async for message in updates(current):
                yield message
        finally:
            await current.close()

    async def updates(current: LiveLap) -> AsyncIterator[ServerSentEventMessage]:
        detail, seen, last, quiet, polls = first, None, None, 0.0, 0
        stored, lap_now = None, None
        while True:
            timed = [lap for lap in detail.laps if lap.lap_time.ByteSize()]
            newest = timed[-1] if timed else None
            if newest is not None and (last is None or last["lapId"] != newest.lap_id):
                last, seen, polls = await _last_lap(backend, request, newest), None, 0
            elif last is not None and not last["reported"] and polls < REPORT_POLLS:
                polls += 1
                fresh = await _last_lap(backend, request, newest)
                if fresh != last:
                    last, seen = fresh, None
            held = (detail.summary.sample_count, tuple((lap.lap_id, lap.lap_time.ByteSize()) for lap in detail.laps))
            if held != stored:  # more samples or laps: the open lap's delta moves on
                try:
                    lap_now, stored = await current.update(detail), held
                except HTTPException:
                    pass  # read again at the next poll
            state = (held, current.cues[0]["sessionTimeS"] if current.cues else None)  # a cue arrives between polls
            if state != seen:
                seen, quiet = state, 0.0
                if lap_now is not None:
                    lap_now["cues"] = list(current.cues)
                payload = {"sessionId": session_id, "sampleCount": detail.summary.sample_count, "lapCount": len(detail.laps),
                           "laps": [_lap_row(lap) for lap in detail.laps], "lastLap": last, "currentLap": lap_now}
                yield ServerSentEventMessage(data=msgspec.json.encode(payload).decode(), event="update")
            elif quiet >= KEEPALIVE_S:
                quiet = 0.0
                yield ServerSentEventMessage(comment="keep-alive")
            await asyncio.sleep(POLL_S)
            quiet += POLL_S
            try:
                detail = await read()
            except HTTPException as exc:
                yield ServerSentEventMessage(data=msgspec.json.encode({"statusCode": exc.status_code, "detail": exc.detail}).decode(),
                                             event="failure")
                return

    return ServerSentEvent(events())


ROUTES = [live_session]
