"""gRPC ``CoachingService``: translates protobuf ↔ the coaching modules, nothing more."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import numpy as np
from racecoach.coaching.v1 import coaching_pb2, coaching_pb2_grpc
from racecoach.services.coaching.live import CHANNELS, LiveCoach, LiveInputError
from racecoach.services.coaching.model.cause_runtime import CauseModel, load_cause_model
from racecoach.services.coaching.model.runtime import ScoringModel, load_model
from racecoach.services.coaching.scoring import score_lap
from racecoach.services.common.batch import BatchValidationError, arrays_from_typed, check_lengths
from racecoach.services.common.errors import InvalidInputError, translate_errors
from racecoach.services.common.logs import get_logger
from racecoach.services.common.metrics import COACHING_CUES, COACHING_REPORTS
from racecoach.telemetry.v1 import telemetry_pb2

log = get_logger(__name__)

SERVICE_NAME = coaching_pb2.DESCRIPTOR.services_by_name["CoachingService"].full_name


def batch_arrays(batch: telemetry_pb2.TelemetryBatch) -> dict[str, np.ndarray]:
    """The channels live coaching reads, as numpy arrays; raises when a length is off."""
    arrays = arrays_from_typed(batch, names=CHANNELS)
    try:
        check_lengths(arrays, sample_count=batch.sample_count)
    except BatchValidationError as exc:
        raise InvalidInputError(f"batch seq {batch.seq}: {exc}") from exc
    return arrays


class CoachingServicer(coaching_pb2_grpc.CoachingServiceServicer):
    """Scores laps and streams live cues."""

    def __init__(self, *, model: ScoringModel | None = None, causes: CauseModel | None = None,
                 lead_time_s: float = 2.5) -> None:
        self.model = model if model is not None else load_model()
        self.causes = causes if causes is not None else load_cause_model()
        self.lead_time_s = lead_time_s

    async def ScoreLap(
        self, request: coaching_pb2.ScoreLapRequest, context: grpc.aio.ServicerContext
    ) -> coaching_pb2.ScoreLapResponse:
        async with translate_errors(context):
            # the lap is there and names its session: the contract's rules, held at the gate (services.common.limits)
            reference = request.reference if request.HasField("reference") else None
            call_log = log.bind(
                session_id=request.lap.session_id,
                lap_id=request.lap.lap_id,
                reference_lap_id=reference.lap_id if reference is not None else "",
            )
            report = score_lap(
                lap=request.lap, reference=reference, corner_deltas=request.corner_deltas, model=self.model,
                phase_deltas=request.phase_deltas, causes=self.causes,
            )
            call_log.info(
                "lap scored",
                score=round(report.score, 2),
                feedback=len(report.feedback),
                model_version=report.model_version,
            )
            COACHING_REPORTS.inc()
            return coaching_pb2.ScoreLapResponse(report=report)

    async def LiveCues(
        self, request_iterator: AsyncIterator[coaching_pb2.LiveCuesRequest], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[coaching_pb2.LiveCuesResponse]:
        coach = LiveCoach(lead_time_s=self.lead_time_s)
        call_log = log
        first = True
        async with translate_errors(context):
            async for request in request_iterator:
                kind = request.WhichOneof("kind")
                if first and kind != "context":
                    raise InvalidInputError(
                        "the first LiveCuesRequest must carry a context (LiveContext with the session), "
                        f"got {kind or 'an empty message'}"
                    )
                first = False
                if kind == "context":
                    ctx = request.context
                    if not ctx.session.session_id:
                        raise InvalidInputError("LiveContext.session.session_id is required")
                    if coach.session_id and ctx.session.session_id != coach.session_id:
                        raise InvalidInputError(
                            f"a LiveCues stream serves one session: {coach.session_id}, not {ctx.session.session_id}"
                        )
                    coach.set_context(
                        session_id=ctx.session.session_id,
                        reference=ctx.reference if ctx.HasField("reference") else None,
                        last_lap=ctx.last_lap if ctx.HasField("last_lap") else None,
                        track_length_m=ctx.session.track.length_m,
                    )
                    call_log = log.bind(session_id=coach.session_id)
                    call_log.info(
                        "live context set",
                        planned_cues=len(coach.plan),
                        reference_lap_id=ctx.reference.lap_id,
                        last_lap_id=ctx.last_lap.lap_id,
                    )
                elif kind == "batch":
                    batch = request.batch
                    if batch.session_id and batch.session_id != coach.session_id:
                        raise InvalidInputError(
                            f"batch seq {batch.seq} belongs to session {batch.session_id}, this stream to {coach.session_id}"
                        )
                    try:
                        cues = coach.feed(seq=batch.seq, arrays=batch_arrays(batch))
                    except LiveInputError as exc:
                        raise InvalidInputError(f"batch seq {batch.seq}: {exc}") from exc
                    for cue in cues:
                        call_log.debug("cue issued", seq=cue.seq, corner_number=cue.corner_number, kind=cue.kind)
                        COACHING_CUES.inc()
                        yield coaching_pb2.LiveCuesResponse(cue=_cue_message(cue))
                else:
                    raise InvalidInputError("a LiveCuesRequest must carry a context or a batch")


def _cue_message(cue) -> coaching_pb2.LiveCue:
    return coaching_pb2.LiveCue(
        session_id=cue.session_id,
        seq=cue.seq,
        session_time_s=cue.session_time_s,
        kind=cue.kind,
        corner_number=cue.corner_number,
        target_distance_m=cue.target_distance_m,
        lead_distance_m=cue.lead_distance_m,
        text=cue.text,
    )
