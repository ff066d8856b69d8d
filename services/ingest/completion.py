"""Completing the work a crash left undone: laps whose samples are stored but that no analysis holds, and analysed
laps without a coaching report.

Every ack means committed, so when a service dies mid-lap the samples are safe but the lap in progress is never
analysed (analysis or ingest restarted, storage lost), or analysed and never scored (coaching down longer than the
retries). Three paths bring those laps back, all reading the stored samples again:

* a session stream that resumes (the collector reconnecting after a failure) or whose analysis stream is reopened
  sends analysis the stored samples of the lap in progress first (:func:`stored_batches`, used by the pipeline);
* a collector stream that opens completes its user's other unfinished sessions in the background
  (:func:`start_completion`); a stream that resumes scores its session's laps left without a report, and
  a stream that ends completes its own session (a lap coaching did not score, one ingest died before scoring);
* ``racing-coach reanalyze`` completes the caller's history (:func:`complete_sessions`).

Storage says what is left (``ListUnfinishedSessions``); :func:`complete_session` sends the samples from there
through a fresh analysis stream and stores the laps it lacks, then scores and stores the reports it lacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field

import grpc

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.common.batch import arrays_from_typed, build_batch
from racecoach.services.common.errors import ServiceError, from_rpc_error
from racecoach.services.common.logs import get_logger
from racecoach.services.common.ticks import ticks_of
from racecoach.services.ingest.links import Links
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2

log = get_logger(__name__)
SCORE_RETRY_DELAYS_S = (0.5, 1.0, 2.0, 4.0)  # ScoreLap tried again while coaching is unavailable (e.g. restarting)
LEAD_S = 0.5  # samples read from this long before the end of the last lap, so the crossing that ends it is seen again


def score_request(event: analysis_pb2.AnalyzeStreamResponse) -> coaching_pb2.ScoreLapRequest:
    """What coaching needs to score the lap of ``event``: the lap, and its reference and deltas when it has one."""
    request = coaching_pb2.ScoreLapRequest(lap=event.lap)
    if event.HasField("reference"):
        request.reference.CopyFrom(event.reference)
        request.corner_deltas.extend(event.comparison.corner_deltas)
        request.phase_deltas.extend(event.comparison.phase_deltas)
    return request


async def score(*, links: Links, metadata: Sequence[tuple[str, str]], request: coaching_pb2.ScoreLapRequest,
                stop=lambda: False, delays_s: Sequence[float] = SCORE_RETRY_DELAYS_S) -> coaching_pb2.LapReport | None:
    """The lap's report, ScoreLap tried again after each of ``delays_s`` while coaching is unavailable (and ``stop()``
    is false); None when coaching stays away or refuses."""
    bound = log.bind(session_id=request.lap.session_id, lap=request.lap.lap_number)
    for delay in (*delays_s, None):
        try:
            scored = await links.coaching.ScoreLap(request, metadata=metadata, timeout=links.timeout_s)
        except grpc.aio.AioRpcError as exc:
            if delay is None or exc.code() != grpc.StatusCode.UNAVAILABLE or stop():
                bound.warning("coaching unavailable; lap reported without coaching", code=exc.code().name)
                return None
            bound.info("coaching unavailable; scoring again shortly", code=exc.code().name, retry_in_s=delay)
            await asyncio.sleep(delay)
            continue
        return scored.report
    return None


async def stored_batches(*, links: Links, metadata: Sequence[tuple[str, str]], session: telemetry_pb2.Session,
                         from_s: float, through_tick: int | None = None, chunk_samples: int = 600
                         ) -> AsyncIterator[telemetry_pb2.TelemetryBatch]:
    """The session's stored samples from ``from_s`` − LEAD_S on (through ``through_tick`` when given), in batches of
    at most ``chunk_samples``: what analysis reads again to close the lap in progress at a failure."""
    request = storage_pb2.StreamSessionTelemetryRequest(
        session_id=session.session_id, from_session_time_s=max(0.0, from_s - LEAD_S) if from_s > 0 else 0.0,
        chunk_samples=chunk_samples,
    )
    async for reply in links.storage.StreamSessionTelemetry(request, metadata=metadata, timeout=links.timeout_s * 6):
        chunk = reply.chunk
        if through_tick is None:
            yield chunk
            continue
        arrays = arrays_from_typed(chunk)
        keep = ticks_of(arrays["session_time_s"], tick_rate_hz=session.tick_rate_hz) <= through_tick
        if keep.all():
            yield chunk
            continue
        if keep.any():
            yield build_batch(session_id=session.session_id, seq=chunk.seq, arrays={k: v[keep] for k, v in arrays.items()})
        return


async def store(*, links: Links, metadata: Sequence[tuple[str, str]], items: Sequence[storage_pb2.WriteRequest]) -> None:
    """Store ``items`` (laps, reports) on one Write stream; a refusal of any is raised as this layer's error."""
    requests = []
    for number, item in enumerate(items, start=1):
        request = storage_pb2.WriteRequest()
        request.CopyFrom(item)
        request.request_id = number
        requests.append(request)
    try:
        replies = [reply async for reply in links.storage.Write(iter(requests), metadata=metadata, timeout=links.timeout_s)]
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc, service="storage") from exc
    refused = [reply.error.message for reply in replies if reply.HasField("error")]
    if refused:
        raise ServiceError(f"storage refused {len(refused)} of {len(requests)} writes: {refused[0]}")


@dataclass
class Completed:
    """What completing one session stored."""

    session_id: str
    laps: list[int] = field(default_factory=list)  # lap numbers whose analysis was stored
    reports: list[int] = field(default_factory=list)  # lap numbers whose report was stored


async def complete_session(*, links: Links, metadata: Sequence[tuple[str, str]], unfinished: storage_pb2.UnfinishedSession,
                           reports_only: bool = False, score_delays_s: Sequence[float] = SCORE_RETRY_DELAYS_S) -> Completed:
    """Analyse the session's stored samples from ``unfinished.resume_from_s`` again; store each lap it lacks (not
    with ``reports_only``: a stream has the session open and analyses those), and score and store each report
    it lacks. Laps stored with their report are left as they are."""
    session = unfinished.session
    stored, unreported = set(unfinished.stored_lap_numbers), set(unfinished.unreported_lap_numbers)
    done = Completed(session_id=session.session_id)
    if reports_only and not unreported:
        return done
    bound = log.bind(session_id=session.session_id)

    async def requests() -> AsyncIterator[analysis_pb2.AnalyzeStreamRequest]:
        yield analysis_pb2.AnalyzeStreamRequest(session=session)
        async for batch in stored_batches(links=links, metadata=metadata, session=session, from_s=unfinished.resume_from_s):
            yield analysis_pb2.AnalyzeStreamRequest(batch=batch)

    try:
        events = [event async for event in links.analysis.AnalyzeStream(requests(), metadata=metadata, timeout=links.timeout_s * 6)]
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc, service="analysis") from exc
    for event in events:
        number = event.lap.lap_number
        if (number in stored and number not in unreported) or (reports_only and number not in stored):
            continue
        items = [] if number in stored else [storage_pb2.WriteRequest(lap=event.lap)]
        report = await score(links=links, metadata=metadata, request=score_request(event), delays_s=score_delays_s)
        if report is not None:
            items.append(storage_pb2.WriteRequest(report=report))
        if not items:
            continue
        await store(links=links, metadata=metadata, items=items)
        if number not in stored:
            done.laps.append(number)
        if report is not None:
            done.reports.append(number)
    bound.info("session completed", laps_stored=done.laps, reports_stored=done.reports)
    return done


async def complete_sessions(*, links: Links, metadata: Sequence[tuple[str, str]], session_id: str = "",
                            skip: Collection[str] = (), reports_only: bool = False, pages: int | None = None,
                            score_delays_s: Sequence[float] = SCORE_RETRY_DELAYS_S) -> list[Completed]:
    """Complete every unfinished session of the caller (or the one named), newest first, leaving out ``skip``; with
    ``pages``, among that many pages (50 sessions each) of the newest sessions only."""
    done: list[Completed] = []
    page_token = ""
    while True:
        request = storage_pb2.ListUnfinishedSessionsRequest(session_id=session_id, page_token=page_token)
        try:
            page = await links.storage.ListUnfinishedSessions(request, metadata=metadata, timeout=links.timeout_s * 3)
        except grpc.aio.AioRpcError as exc:
            raise from_rpc_error(exc, service="storage") from exc
        for unfinished in page.sessions:
            if unfinished.session.session_id not in skip:
                done.append(await complete_session(links=links, metadata=metadata, unfinished=unfinished,
                                                   reports_only=reports_only, score_delays_s=score_delays_s))
        page_token = page.next_page_token
        pages = None if pages is None else pages - 1
        if not page_token or pages == 0:
            return done


def start_completion(*, links: Links, metadata: Sequence[tuple[str, str]], key: str, session_id: str = "",
                     reports_only: bool = False) -> asyncio.Task | None:
    """Complete the caller's unfinished sessions in the background, leaving out those a stream of this process has
    open, or the one named (``reports_only``: only its reports, while its own stream analyses the rest). One
    completion per ``key`` at a time; None when one is running. A failure is logged, never raised: the next stream
    that opens or ends tries again."""
    running = links.background.get(key)
    if running is not None and not running.done():
        return None
    task = asyncio.create_task(_complete_quietly(links=links, metadata=list(metadata), session_id=session_id,
                                                 reports_only=reports_only))
    links.background[key] = task
    task.add_done_callback(lambda done: links.background.pop(key, None) if links.background.get(key) is done else None)
    return task


async def _complete_quietly(*, links: Links, metadata: list[tuple[str, str]], session_id: str, reports_only: bool) -> list[Completed]:
    try:
        # At a stream's opening only the newest sessions are looked at (a crash leaves recent ones unfinished; a
        # long history is `racing-coach reanalyze`'s), so opening a stream costs a bounded number of queries.
        return await complete_sessions(links=links, metadata=metadata, session_id=session_id, reports_only=reports_only,
                                       skip=() if session_id else links.open_sessions, pages=None if session_id else 1)
    except (ServiceError, grpc.aio.AioRpcError) as exc:
        log.warning("completing unfinished sessions failed; tried again when a stream opens", error=str(exc))
        return []


async def wait_completions(links: Links) -> None:
    """Until every background completion running now has ended."""
    while tasks := [task for task in links.background.values() if not task.done()]:
        await asyncio.gather(*tasks, return_exceptions=True)
