"""StorageService: translates protobuf to the storage functions and back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc

from racecoach.services.common.channels import CHANNELS
from racecoach.services.common.auth import CALLER, bearer_token
from racecoach.services.common.errors import DependencyUnavailableError, UnauthenticatedError, translate_errors
from racecoach.services.common.logs import get_logger
from racecoach.services.common.server import Registration, registration
from racecoach.services.storage import catalogue, database, export, queries, readback, traces, unfinished, write_stream, writes
from racecoach.services.storage.database import DB_ERRORS
from racecoach.services.storage.identity import User, hash_token
from racecoach.services.storage.state import Storage
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from racecoach.telemetry.v1 import telemetry_pb2

log = get_logger(__name__)
SERVICE_NAME = "racecoach.storage.v1.StorageService"
_DB_ERRORS = DB_ERRORS


@asynccontextmanager
async def _translated(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """Service errors to their status; a lost database to UNAVAILABLE, which callers may retry."""
    async with translate_errors(context):
        try:
            yield
        except _DB_ERRORS as exc:
            raise DependencyUnavailableError(f"database unavailable: {exc}") from None


class StorageServicer(storage_pb2_grpc.StorageServiceServicer):
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.pool = storage.pool

    async def _user(self, context: grpc.aio.ServicerContext) -> User:
        """The caller the gate admitted (resolved again only when the servicer is called without it)."""
        return CALLER.get() or await self.storage.user_for(context.invocation_metadata())

    # --- writes -------------------------------------------------------------------------

    async def Write(self, request_iterator: AsyncIterator[storage_pb2.WriteRequestRawView], context: grpc.aio.ServicerContext
                    ) -> AsyncIterator[storage_pb2.WriteResponse]:
        async with _translated(context):
            user = await self._user(context)
            token = bearer_token(context.invocation_metadata())
        bound = log.bind(user_id=str(user.user_id))
        max_samples = max(self.storage.settings.max_batch_samples, 6000)
        async with translate_errors(context):
            try:
                async for response in write_stream.run_stream(request_iterator, pool=self.pool, user=user, max_samples=max_samples,
                                                              recheck=lambda: self.storage.resolve(token),
                                                              token_sha256=hash_token(token)):
                    yield response
            except _DB_ERRORS as exc:
                bound.warning("database unavailable during write", error=str(exc))
                raise DependencyUnavailableError(f"database unavailable, nothing after the last ack was stored: {exc}") from None
            except UnauthenticatedError as exc:
                bound.info("write stream ended: the token no longer holds", reason=str(exc))
                raise

    # --- queries ------------------------------------------------------------------------

    async def GetCommittedSeq(self, request: storage_pb2.GetCommittedSeqRequest, context: grpc.aio.ServicerContext
                              ) -> storage_pb2.GetCommittedSeqResponse:
        async with _translated(context):
            user = await self._user(context)
            state = await writes.session_state(self.pool, user=user, session_id=request.session_id)
            if state is None:
                return storage_pb2.GetCommittedSeqResponse(committed_seq=0, exists=False)
            return storage_pb2.GetCommittedSeqResponse(committed_seq=state.committed_seq, exists=True)

    async def GetReferenceLap(self, request: storage_pb2.GetReferenceLapRequest, context: grpc.aio.ServicerContext
                              ) -> storage_pb2.GetReferenceLapResponse:
        async with _translated(context):
            user = await self._user(context)
            lap = await queries.reference_lap(self.pool, user=user, lap_id=request.lap_id, kind=request.reference,
                                              session=request.session if request.HasField("session") else None)
            if lap is None:
                return storage_pb2.GetReferenceLapResponse(found=False)
            return storage_pb2.GetReferenceLapResponse(found=True, lap=lap)

    async def GetTrackCorners(self, request: storage_pb2.GetTrackCornersRequest, context: grpc.aio.ServicerContext
                              ) -> storage_pb2.GetTrackCornersResponse:
        async with _translated(context):
            await self._user(context)
            corners, version = await catalogue.get_track_corners(self.pool, track_name=request.track_name, layout=request.layout)
            return storage_pb2.GetTrackCornersResponse(corners=corners, version=version)

    async def PutTrackCorners(self, request: storage_pb2.PutTrackCornersRequest, context: grpc.aio.ServicerContext
                              ) -> storage_pb2.PutTrackCornersResponse:
        async with _translated(context):
            await self._user(context)
            async with database.connection(self.pool) as conn:
                stored, version = await catalogue.put_track_corners(conn, track_name=request.track_name, layout=request.layout,
                                                                    corners=list(request.corners), base_version=request.base_version)
            return storage_pb2.PutTrackCornersResponse(stored=stored, version=version)

    async def WhoAmI(self, request: storage_pb2.WhoAmIRequest, context: grpc.aio.ServicerContext) -> storage_pb2.WhoAmIResponse:
        async with _translated(context):
            user = await self._user(context)
            return storage_pb2.WhoAmIResponse(user_id=str(user.user_id), email=user.email)

    async def ListSessions(self, request: storage_pb2.ListSessionsRequest, context: grpc.aio.ServicerContext
                           ) -> storage_pb2.ListSessionsResponse:
        async with _translated(context):
            user = await self._user(context)
            return await queries.list_sessions(self.pool, user=user, request=request)

    async def GetSession(self, request: storage_pb2.GetSessionRequest, context: grpc.aio.ServicerContext) -> storage_pb2.GetSessionResponse:
        async with _translated(context):
            user = await self._user(context)
            return await queries.get_session(self.pool, user=user, session_id=request.session_id)

    async def GetLap(self, request: storage_pb2.GetLapRequest, context: grpc.aio.ServicerContext) -> storage_pb2.GetLapResponse:
        async with _translated(context):
            user = await self._user(context)
            return await queries.get_lap(self.pool, user=user, lap_id=request.lap_id)

    async def StreamLapTelemetry(self, request: storage_pb2.StreamLapTelemetryRequest, context: grpc.aio.ServicerContext
                                 ) -> AsyncIterator[storage_pb2.StreamLapTelemetryResponse]:
        async with _translated(context):
            user = await self._user(context)
            found, arrays = await queries.lap_samples(self.pool, user=user, lap_id=request.lap_id, channels=list(request.channels))
        arrays = traces.downsample(arrays=arrays, max_samples=request.max_samples)
        for chunk in readback.chunks(arrays=arrays, session_id=found.session.session_id, chunk_samples=request.chunk_samples):
            yield storage_pb2.StreamLapTelemetryResponse(chunk=chunk)

    async def StreamSessionTelemetry(self, request: storage_pb2.StreamSessionTelemetryRequest, context: grpc.aio.ServicerContext
                                     ) -> AsyncIterator[storage_pb2.StreamSessionTelemetryResponse]:
        async with _translated(context):
            user = await self._user(context)
            arrays = await queries.session_samples(
                self.pool, user=user, session_id=request.session_id,
                from_session_time_s=request.from_session_time_s, channels=list(request.channels),
            )
        for chunk in readback.chunks(arrays=arrays, session_id=request.session_id, chunk_samples=request.chunk_samples):
            yield storage_pb2.StreamSessionTelemetryResponse(chunk=chunk)

    async def GetLapComparison(self, request: storage_pb2.GetLapComparisonRequest, context: grpc.aio.ServicerContext
                               ) -> storage_pb2.GetLapComparisonResponse:
        async with _translated(context):
            user = await self._user(context)
            return await queries.lap_comparison(self.pool, user=user, lap_id=request.lap_id, reference_lap_id=request.reference_lap_id, step_m=request.step_m)

    async def ListChannels(self, request: storage_pb2.ListChannelsRequest, context: grpc.aio.ServicerContext
                           ) -> storage_pb2.ListChannelsResponse:
        async with _translated(context):
            await self._user(context)
            return storage_pb2.ListChannelsResponse(
                channels=[
                    telemetry_pb2.ChannelInfo(field_name=c.field, iracing_name=c.iracing, unit=c.unit, description=c.description)
                    for c in CHANNELS
                ]
            )

    async def ExportLap(self, request: storage_pb2.ExportLapRequest, context: grpc.aio.ServicerContext
                        ) -> AsyncIterator[storage_pb2.ExportLapResponse]:
        async with _translated(context):
            user = await self._user(context)
            pieces = export.export_lap(self.pool, user=user, lap_id=request.lap_id, fmt=request.format, channels=list(request.channels))
            async for piece in pieces:
                yield storage_pb2.ExportLapResponse(chunk=_file_chunk(piece))

    async def ExportSession(self, request: storage_pb2.ExportSessionRequest, context: grpc.aio.ServicerContext
                            ) -> AsyncIterator[storage_pb2.ExportSessionResponse]:
        async with _translated(context):
            user = await self._user(context)
            pieces = export.export_session(
                self.pool, user=user, session_id=request.session_id, fmt=request.format, channels=list(request.channels)
            )
            async for piece in pieces:
                yield storage_pb2.ExportSessionResponse(chunk=_file_chunk(piece))

    async def ListUnfinishedSessions(self, request: storage_pb2.ListUnfinishedSessionsRequest, context: grpc.aio.ServicerContext
                                     ) -> storage_pb2.ListUnfinishedSessionsResponse:
        async with _translated(context):
            user = await self._user(context)
            return await unfinished.list_unfinished(self.pool, user=user, request=request)


def _file_chunk(piece: export.ExportPiece) -> storage_pb2.ExportFileChunk:
    return storage_pb2.ExportFileChunk(data=piece.data, content_type=piece.content_type, filename=piece.filename)


def storage_registration(servicer: StorageServicer, *, service_token: str | None) -> Registration:
    """Every RPC behind the storage gate; Write requests parse through the zero-copy raw view and are
    checked one by one by the stream (a bad one is answered, the rest go on)."""
    return registration(
        service=storage_pb2.DESCRIPTOR.services_by_name["StorageService"], servicer=servicer,
        gate=servicer.storage.gate(service_token=service_token),
        request_types={"Write": storage_pb2.WriteRequestRawView}, checked_inside=("Write",),
    )
