"""What AnalyzeLap and CompareLaps do, as plain functions: the servicer only translates.

Storage is read through its stub (``storage``) with the caller's credentials (``metadata``); an error
storage answers with comes back as this layer's error once (:func:`~racecoach.services.common.errors.from_rpc_error`).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
import numpy as np

from racecoach.analysis.v1 import analysis_pb2
from racecoach.common.laps import LapDetector
from racecoach.native import KernelInternalError
from racecoach.services.analysis.catalogue import CatalogueStore
from racecoach.services.analysis.lap import LapTrace, analyze_trace, compare_traces, number_and_measure, trace_from_samples
from racecoach.services.analysis.phases import measure_corners
from racecoach.services.common.batch import BatchValidationError, arrays_from_typed, concat, validate
from racecoach.services.common.errors import (
    ConflictError, DependencyUnavailableError, InvalidInputError, NotFoundError, ServiceError, from_rpc_error,
)
from racecoach.services.common.logs import get_logger
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from racecoach.telemetry.v1 import telemetry_pb2

log = get_logger(__name__)

TRACE_CHANNELS = ("lap_dist_m", "lap_dist_pct", "speed_mps", "brake", "throttle", "yaw_rate_rps", "lat_accel_mps2", "steering_rad")
MAX_REQUEST_SAMPLES = 1_000_000


def trace_or_refuse(*, refusal: type[ServiceError], what: str, **samples) -> LapTrace:
    """:func:`trace_from_samples`, its refusals of the samples (too few, too short, or a ``KernelInputError`` of the
    kernels) raised as ``refusal`` naming ``what``; a kernel's internal failure stays what it is."""
    try:
        return trace_from_samples(**samples)
    except KernelInternalError:
        raise
    except ValueError as exc:  # KernelInputError is a ValueError
        raise refusal(f"{what} cannot be analysed: {exc}") from exc


def layout_name(track: telemetry_pb2.Track) -> str:
    name = track.display_name or track.name or "an unnamed track"
    return f"{name} ({track.layout})" if track.layout else name


async def analyze_lap(*, request: analysis_pb2.AnalyzeLapRequest, catalogues: CatalogueStore,
                      metadata: Sequence[tuple[str, str]]) -> analysis_pb2.LapAnalysis:
    """The lap ``request.lap_number`` (0: the first complete one) of the samples sent, numbered by the layout's catalogue;
    a layout without a catalogue gets one from this lap."""
    if not request.session.session_id:
        raise InvalidInputError("session.session_id is required")
    if not request.batches:
        raise InvalidInputError("send at least one batch holding the lap")
    parts = []
    for batch in request.batches:
        arrays = arrays_from_typed(batch)
        try:
            validate(arrays=arrays, sample_count=batch.sample_count, max_samples=MAX_REQUEST_SAMPLES)
        except BatchValidationError as exc:
            raise InvalidInputError(f"batch seq {batch.seq}: {exc}") from exc
        parts.append(arrays)
    laps = LapDetector().feed(concat(parts), seq=request.batches[-1].seq)
    wanted = [lap for lap in laps if request.lap_number in (0, lap.lap_number)]
    if not wanted:
        raise NotFoundError("no complete lap (two start/finish crossings) in the samples sent")
    done = wanted[0]
    trace = trace_or_refuse(refusal=InvalidInputError, what=f"lap {done.lap_number}", arrays=done.arrays,
                            start_time_s=done.start_time_s, end_time_s=done.end_time_s,
                            length_m=request.session.track.length_m)
    lap = analyze_trace(trace=trace, session_id=request.session.session_id, lap_number=done.lap_number,
                        start_time_s=done.start_time_s, end_time_s=done.end_time_s, flags=done.flags,
                        sample_count=len(done.arrays["session_time_s"]))
    track = request.session.track
    catalogue = await catalogues.load(track_name=track.name, layout=track.layout, metadata=metadata)
    number_and_measure(catalogue=catalogue, lap=lap, trace=trace)
    if not catalogue.corners:  # a single request may define a catalogue, never move one
        catalogue.learn(lap)
        await catalogues.save(catalogue, metadata=metadata)
    return lap


async def stored_lap_trace(*, storage: storage_pb2_grpc.StorageServiceStub, lap_id: str,
                           metadata: Sequence[tuple[str, str]], timeout_s: float
                           ) -> tuple[analysis_pb2.LapAnalysis, LapTrace, telemetry_pb2.Track]:
    """A stored lap, its trace from its stored samples and its track (storage's refusals as this layer's errors)."""
    try:
        got = await storage.GetLap(storage_pb2.GetLapRequest(lap_id=lap_id), metadata=metadata, timeout=timeout_s)
        parts = []
        async for chunk in storage.StreamLapTelemetry(
            storage_pb2.StreamLapTelemetryRequest(lap_id=lap_id, channels=list(TRACE_CHANNELS)), metadata=metadata, timeout=timeout_s,
        ):
            parts.append(arrays_from_typed(chunk.chunk))
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc, service="storage") from exc
    arrays = concat(parts)
    if len(arrays.get("session_time_s", ())) < 10:
        raise NotFoundError(f"lap {lap_id} has no stored samples to compare")
    inside = (arrays["session_time_s"] >= got.lap.start_session_time_s) & (arrays["session_time_s"] <= got.lap.end_session_time_s)
    arrays = {k: v[inside] for k, v in arrays.items()}
    trace = trace_or_refuse(refusal=ConflictError, what=f"lap {lap_id}: its stored samples", arrays=arrays,
                            start_time_s=got.lap.start_session_time_s, end_time_s=got.lap.end_session_time_s,
                            length_m=got.session.track.length_m or got.lap.distance_m)
    return got.lap, trace, got.session.track


async def personal_best(*, storage: storage_pb2_grpc.StorageServiceStub | None, session: telemetry_pb2.Session,
                        metadata: Sequence[tuple[str, str]], timeout_s: float) -> tuple[analysis_pb2.LapAnalysis, LapTrace] | None:
    """The driver's best valid lap of this track, layout and car from earlier sessions, with its trace: a stream's
    first reference. None without storage or such a lap; a failure to read it is logged, never raised."""
    if storage is None or not session.track.name:
        return None
    try:
        found = await storage.GetReferenceLap(
            storage_pb2.GetReferenceLapRequest(session=session, reference=analysis_pb2.REFERENCE_KIND_PERSONAL_BEST),
            metadata=metadata, timeout=timeout_s,
        )
        if not found.found:
            return None
        lap, trace, _ = await stored_lap_trace(storage=storage, lap_id=found.lap.lap_id, metadata=metadata, timeout_s=timeout_s)
    except (grpc.aio.AioRpcError, ServiceError, ValueError) as exc:
        log.warning("personal best unavailable; the stream's own best lap is its reference", session_id=session.session_id,
                    reason=str(exc.details() if isinstance(exc, grpc.aio.AioRpcError) else exc))
        return None
    measure_corners(grid_m=trace.grid_m, channels=trace.channels, corners=lap.corners)
    return lap, trace


async def reference_lap_id(*, storage: storage_pb2_grpc.StorageServiceStub, request: analysis_pb2.CompareLapsRequest,
                           metadata: Sequence[tuple[str, str]], timeout_s: float) -> str:
    """The lap ``request`` compares with: the one it names, or the best of its kind (default: the personal best)."""
    if request.reference == analysis_pb2.REFERENCE_KIND_LAP:
        if not request.reference_lap_id:
            raise InvalidInputError("reference_lap_id is required with REFERENCE_KIND_LAP")
        return request.reference_lap_id
    kind = request.reference or analysis_pb2.REFERENCE_KIND_PERSONAL_BEST
    try:
        found = await storage.GetReferenceLap(storage_pb2.GetReferenceLapRequest(lap_id=request.lap_id, reference=kind),
                                              metadata=metadata, timeout=timeout_s)
    except grpc.aio.AioRpcError as exc:
        raise from_rpc_error(exc, service="storage") from exc
    if not found.found:
        raise NotFoundError("no valid reference lap of that kind exists yet")
    return found.lap.lap_id


async def compare_laps(*, request: analysis_pb2.CompareLapsRequest, storage: storage_pb2_grpc.StorageServiceStub | None,
                       catalogues: CatalogueStore, metadata: Sequence[tuple[str, str]], timeout_s: float,
                       ) -> analysis_pb2.CompareLapsResponse:
    """The stored lap against its reference: delta trace, losses per corner and phase; a reference of another track or
    layout is refused."""
    if storage is None:
        raise DependencyUnavailableError("analysis has no storage address configured")
    if not request.lap_id:
        raise InvalidInputError("lap_id is required")
    lap, trace, track = await stored_lap_trace(storage=storage, lap_id=request.lap_id, metadata=metadata, timeout_s=timeout_s)
    reference_id = await reference_lap_id(storage=storage, request=request, metadata=metadata, timeout_s=timeout_s)
    reference, reference_trace, reference_track = await stored_lap_trace(storage=storage, lap_id=reference_id,
                                                                         metadata=metadata, timeout_s=timeout_s)
    if (reference_track.name, reference_track.layout) != (track.name, track.layout):
        raise ConflictError(
            f"reference lap {reference_id} was driven on {layout_name(reference_track)}, lap {request.lap_id} on "
            f"{layout_name(track)}: choose a reference lap of the same track and layout"
        )
    catalogue = await catalogues.load(track_name=track.name, layout=track.layout, metadata=metadata)
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
