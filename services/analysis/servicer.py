"""AnalysisService: translates protobuf to the analysis functions and back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc

from racecoach.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from racecoach.services.analysis import requests
from racecoach.services.analysis.catalogue import CatalogueStore
from racecoach.services.analysis.stream import StreamAnalyzer
from racecoach.services.common.auth import forwarded
from racecoach.services.common.batch import BatchValidationError, arrays_from_typed, validate
from racecoach.services.common.errors import translate_errors
from racecoach.services.common.logs import get_logger
from racecoach.services.common.metrics import ANALYSIS_BATCHES, ANALYSIS_FEED_SECONDS, ANALYSIS_LAPS, ANALYSIS_SAMPLES
from racecoach.storage.v1 import storage_pb2_grpc

log = get_logger(__name__)
SERVICE_NAME = "racecoach.analysis.v1.AnalysisService"


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
                best = await requests.personal_best(storage=self.storage, session=request.session, metadata=metadata,
                                                    timeout_s=self.timeout_s)
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

    async def AnalyzeLap(self, request: analysis_pb2.AnalyzeLapRequest, context: grpc.aio.ServicerContext
                         ) -> analysis_pb2.AnalyzeLapResponse:
        async with translate_errors(context):
            lap = await requests.analyze_lap(request=request, catalogues=self.catalogues, metadata=self._forwarded(context))
            return analysis_pb2.AnalyzeLapResponse(lap=lap)

    async def CompareLaps(self, request: analysis_pb2.CompareLapsRequest, context: grpc.aio.ServicerContext
                          ) -> analysis_pb2.CompareLapsResponse:
        async with translate_errors(context):
            return await requests.compare_laps(request=request, storage=self.storage, catalogues=self.catalogues,
                                               metadata=self._forwarded(context), timeout_s=self.timeout_s)
