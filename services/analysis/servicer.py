"""AnalysisService: translates protobuf to the analysis functions and back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import numpy as np

from racecoach.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from racecoach.common.laps import LapDetector
from racecoach.native import KernelInternalError
from racecoach.services.analysis.catalogue import CatalogueStore
from racecoach.services.analysis.lap import LapTrace, analyze_trace, compare_traces, number_and_measure, trace_from_samples
from racecoach.services.analysis.phases import measure_corners
from racecoach.services.analysis.stream import StreamAnalyzer
from racecoach.services.common.auth import forwarded
from racecoach.services.common.batch import BatchValidationError, arrays_from_typed, concat, validate
from racecoach.services.common.errors import (
    ConflictError, DependencyUnavailableError, InvalidInputError, NotFoundError, ServiceError, translate_errors,
)
from racecoach.services.common.logs import get_logger
from racecoach.services.common.metrics import ANALYSIS_BATCHES, ANALYSIS_FEED_SECONDS, ANALYSIS_LAPS, ANALYSIS_SAMPLES
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

log = get_logger(__name__)
SERVICE_NAME = "racecoach.analysis.v1.AnalysisService"


def _trace_or_refuse(*, refusal: type[ServiceError], what: str, **samples) -> LapTrace:
    """:func:`trace_from_samples`, its refusals of the samples (too few, or a ``KernelInputError`` of the
    kernels) raised as ``refusal`` naming ``what``; a kernel's internal failure stays what it is."""
    try:
        return trace_from_samples(**samples)
    except KernelInternalError:
        raise
    except ValueError as exc:  # KernelInputError is a ValueError
        raise refusal(f"{what} cannot be analysed: {exc}") from exc


def _layout(track) -> str:
    name = track.display_name or track.name or "an unnamed track"
    return f"{name} ({track.layout})" if track.layout else name


class AnalysisServicer(analysis_pb2_grpc.AnalysisServiceServicer):
    def __init__(self, *, storage: storage_pb2_grpc.StorageServiceStub | None, max_batch_samples: int, timeout_s: float = 10.0,
                 service_token: str | None = None) -> None:
        self.storage = storage
        self.max_batch_samples = max_batch_samples
        self.timeout_s = timeout_s
        self.service_token = service_token
        self.catalogues = CatalogueStore(storage=storage, timeout_s=timeout_s, service_token=service_token)

    def _forwarded(self, context: grpc.aio.ServicerContext) -> list[tuple[str, str]]:
        """The caller's authorization and this service's credential, for the calls made on its behalf."""
        return forwarded(context.invocation_metadata(), service_token=self.service_token)

    async def AnalyzeStream(self, request_iterator: AsyncIterator, context) -> AsyncIterator[analysis_pb2.AnalyzeStreamResponse]:
        analyzer: StreamAnalyzer | None = None
        metadata = self._forwarded(context)
        async for request in request_iterator:
            kind = request.WhichOneof("kind")
            if kind == "session":
                track = request.session.track
                catalogue = await self.catalogues.load(track_name=track.name, layout=track.layout, metadata=metadata)
                best = await self._personal_best(request.session, metadata)
                analyzer = StreamAnalyzer(session=request.session, catalogue=catalogue, best=best)
                continue
            if analyzer is None:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "send the session before any batch")
            batch = request.batch
            try:
                arrays = arrays_from_typed(batch)
                validate(arrays=arrays, sample_count=batch.sample_count, max_samples=self.max_batch_samples)
            except BatchValidationError as exc:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"batch seq {batch.seq}: {exc}")
            with ANALYSIS_FEED_SECONDS.time():
                events = analyzer.feed(arrays, seq=batch.seq)
            ANALYSIS_BATCHES.inc()
            ANALYSIS_SAMPLES.inc(batch.sample_count)
            await self.catalogues.save(analyzer.catalogue, metadata=metadata)
            for event in events:
                ANALYSIS_LAPS.labels(valid=str(event.lap.valid).lower()).inc()
                yield event

    async def AnalyzeLap(self, request, context):
        async with translate_errors(context):
            if not request.session.session_id:
                raise InvalidInputError("session.session_id is required")
            if not request.batches:
                raise InvalidInputError("send at least one batch holding the lap")
            parts = []
            for batch in request.batches:
                arrays = arrays_from_typed(batch)
                try:
                    validate(arrays=arrays, sample_count=batch.sample_count, max_samples=1_000_000)
                except BatchValidationError as exc:
                    raise InvalidInputError(f"batch seq {batch.seq}: {exc}") from None
                parts.append(arrays)
            laps = LapDetector().feed(concat(parts), seq=request.batches[-1].seq)
            wanted = [lap for lap in laps if request.lap_number in (0, lap.lap_number)]
            if not wanted:
                raise NotFoundError("no complete lap (two start/finish crossings) in the samples sent")
            done = wanted[0]
            trace = _trace_or_refuse(refusal=InvalidInputError, what=f"lap {done.lap_number}", arrays=done.arrays,
                                     start_time_s=done.start_time_s, end_time_s=done.end_time_s,
                                     length_m=request.session.track.length_m)
            lap = analyze_trace(trace=trace, session_id=request.session.session_id, lap_number=done.lap_number,
                                start_time_s=done.start_time_s, end_time_s=done.end_time_s, flags=done.flags,
                                sample_count=len(done.arrays["session_time_s"]))
            metadata = self._forwarded(context)
            track = request.session.track
            catalogue = await self.catalogues.load(track_name=track.name, layout=track.layout, metadata=metadata)
            number_and_measure(catalogue=catalogue, lap=lap, trace=trace)
            if not catalogue.corners:  # a single request may define a catalogue, never move one
                catalogue.learn(lap)
                await self.catalogues.save(catalogue, metadata=metadata)
            return analysis_pb2.AnalyzeLapResponse(lap=lap)

    async def _personal_best(self, session, metadata):
        """The driver's best valid lap of this track, layout and car from earlier sessions, with its trace: the
        stream's first reference. None without storage or such a lap; never fails the stream."""
        if self.storage is None or not session.track.name:
            return None
        try:
            found = await self.storage.GetReferenceLap(
                storage_pb2.GetReferenceLapRequest(session=session, reference=analysis_pb2.REFERENCE_KIND_PERSONAL_BEST),
                metadata=metadata, timeout=self.timeout_s,
            )
            if not found.found:
                return None
            lap, trace, _ = await self._lap_trace(found.lap.lap_id, metadata)
        except (grpc.aio.AioRpcError, NotFoundError, ConflictError, ValueError) as exc:
            log.warning("personal best unavailable; the stream's own best lap is its reference",
                        session_id=session.session_id, reason=str(exc.details() if isinstance(exc, grpc.aio.AioRpcError) else exc))
            return None
        measure_corners(grid_m=trace.grid_m, channels=trace.channels, corners=lap.corners)
        return lap, trace

    async def _lap_trace(self, lap_id: str, metadata):
        stub = self.storage
        got = await stub.GetLap(storage_pb2.GetLapRequest(lap_id=lap_id), metadata=metadata, timeout=self.timeout_s)
        parts = []
        async for chunk in stub.StreamLapTelemetry(
            storage_pb2.StreamLapTelemetryRequest(lap_id=lap_id, channels=list(("lap_dist_m", "lap_dist_pct", "speed_mps", "brake", "throttle", "yaw_rate_rps", "lat_accel_mps2", "steering_rad"))),
            metadata=metadata, timeout=self.timeout_s,
        ):
            parts.append(arrays_from_typed(chunk.chunk))
        arrays = concat(parts)
        if len(arrays.get("session_time_s", ())) < 10:
            raise NotFoundError(f"lap {lap_id} has no stored samples to compare")
        inside = (arrays["session_time_s"] >= got.lap.start_session_time_s) & (arrays["session_time_s"] <= got.lap.end_session_time_s)
        arrays = {k: v[inside] for k, v in arrays.items()}
        trace = _trace_or_refuse(refusal=ConflictError, what=f"lap {lap_id}: its stored samples", arrays=arrays,
                                 start_time_s=got.lap.start_session_time_s, end_time_s=got.lap.end_session_time_s,
                                 length_m=got.session.track.length_m or got.lap.distance_m)
        return got.lap, trace, got.session.track

    async def CompareLaps(self, request, context):
        async with translate_errors(context):
            if self.storage is None:
                raise DependencyUnavailableError("analysis has no storage address configured")
            if not request.lap_id:
                raise InvalidInputError("lap_id is required")
            metadata = self._forwarded(context)
            try:
                lap, trace, track = await self._lap_trace(request.lap_id, metadata)
                reference_id = request.reference_lap_id
                if request.reference == analysis_pb2.REFERENCE_KIND_LAP:
                    if not reference_id:
                        raise InvalidInputError("reference_lap_id is required with REFERENCE_KIND_LAP")
                else:
                    kind = request.reference or analysis_pb2.REFERENCE_KIND_PERSONAL_BEST
                    found = await self.storage.GetReferenceLap(
                        storage_pb2.GetReferenceLapRequest(lap_id=request.lap_id, reference=kind),
                        metadata=metadata, timeout=self.timeout_s,
                    )
                    if not found.found:
                        raise NotFoundError("no valid reference lap of that kind exists yet")
                    reference_id = found.lap.lap_id
                reference, reference_trace, reference_track = await self._lap_trace(reference_id, metadata)
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED):
                    await context.abort(exc.code(), exc.details())
                raise DependencyUnavailableError(f"storage unavailable: {exc.details()}") from None
            if (reference_track.name, reference_track.layout) != (track.name, track.layout):
                raise ConflictError(
                    f"reference lap {reference_id} was driven on {_layout(reference_track)}, lap {request.lap_id} on "
                    f"{_layout(track)}: choose a reference lap of the same track and layout"
                )
            catalogue = await self.catalogues.load(track_name=track.name, layout=track.layout, metadata=metadata)
            number_and_measure(catalogue=catalogue, lap=lap, trace=trace)
            measure_corners(grid_m=reference_trace.grid_m, channels=reference_trace.channels, corners=reference.corners)
            response = compare_traces(lap=lap, trace=trace, reference=reference, reference_trace=reference_trace)
            if request.step_m and request.step_m > 1.0:
                stride = int(round(request.step_m))
                kept = np.asarray(response.delta_s)[::stride]
                del response.delta_s[:]
                response.delta_s.extend(kept.tolist())
                response.step_m = float(stride)
            return response
