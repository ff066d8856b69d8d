"""Every RPC of every service, enumerated from the service descriptors, with a request aimed at a user's data.

``calls_for(seeded)`` gives, for each (service, method), the request messages to send and what
*another* user gets: a status code, or ``ADMITTED`` for calls that touch nothing of the owner
(they succeed, or fail for reasons other than authorization). A test that misses an RPC fails,
so a new RPC cannot be forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.batch import build_batch
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import make_arrays, make_session

SERVICES = {  # service full name → the mesh's name for the process serving it
    "racecoach.storage.v1.StorageService": "storage",
    "racecoach.analysis.v1.AnalysisService": "analysis",
    "racecoach.coaching.v1.CoachingService": "coaching",
    "racecoach.ingest.v1.IngestService": "ingest",
}
ADMITTED = "admitted"
AUTH_CODES = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


def every_method() -> list[tuple[str, object]]:
    """(service full name, MethodDescriptor) of every RPC the mesh serves."""
    files = (storage_pb2, analysis_pb2, coaching_pb2, ingest_pb2)
    return [(service.full_name, method) for module in files for service in module.DESCRIPTOR.services_by_name.values()
            for method in service.methods]


@dataclass
class Seeded:
    session: telemetry_pb2.Session
    lap_ids: list[str]
    batches: list[telemetry_pb2.TelemetryBatch]

    @property
    def session_id(self) -> str:
        return self.session.session_id


async def seed(channel: grpc.aio.Channel, token: str) -> Seeded:
    """A session of two short laps written through StorageService.Write with ``token``."""
    from racecoach.storage.v1 import storage_pb2_grpc

    session = make_session(track="Authz Ring")
    batches = [build_batch(session_id=session.session_id, seq=seq, arrays=make_arrays(start_index=(seq - 1) * 120, count=120,
                                                                                    lap_length_m=100.0))
               for seq in (1, 2, 3)]
    requests = [storage_pb2.WriteRequest(request_id=1, session=session)]
    requests += [storage_pb2.WriteRequest(request_id=1 + b.seq, batch=b) for b in batches]
    lap_ids = []
    for number in (1, 2):
        lap = analysis_pb2.LapAnalysis(session_id=session.session_id, lap_id=f"{session.session_id}-{number}", lap_number=number,
                                       start_session_time_s=10.0 + (number - 1) * 2, end_session_time_s=12.0 + (number - 1) * 2,
                                       valid=True, distance_m=100.0, sample_count=120)
        lap.lap_time.FromNanoseconds(2_000_000_000 + number)
        requests.append(storage_pb2.WriteRequest(request_id=10 + number, lap=lap))
        lap_ids.append(lap.lap_id)
    stub = storage_pb2_grpc.StorageServiceStub(channel)
    replies = [r async for r in stub.Write(iter(requests), metadata=[("authorization", f"Bearer {token}")])]
    assert len(replies) == len(requests) and not any(r.HasField("error") for r in replies), replies
    return Seeded(session=session, lap_ids=lap_ids, batches=batches)


def calls_for(seeded: Seeded) -> dict[tuple[str, str], tuple[list, object]]:
    """(service, method) → (request messages, what another user gets)."""
    lap, other = seeded.lap_ids
    session, sid = seeded.session, seeded.session_id
    report_lap = analysis_pb2.LapAnalysis(session_id=sid, lap_id=lap, lap_number=1)
    s, a, c, i = (f"racecoach.{n}.v1.{n.capitalize()}Service" for n in ("storage", "analysis", "coaching", "ingest"))
    nf = grpc.StatusCode.NOT_FOUND
    return {
        (s, "Write"): ([storage_pb2.WriteRequest(request_id=5, lap=report_lap)], ADMITTED),  # answered UNKNOWN_SESSION
        (s, "GetCommittedSeq"): ([storage_pb2.GetCommittedSeqRequest(session_id=sid)], ADMITTED),  # exists=False
        (s, "GetReferenceLap"): ([storage_pb2.GetReferenceLapRequest(lap_id=lap)], nf),
        (s, "GetTrackCorners"): ([storage_pb2.GetTrackCornersRequest(track_name="authz ring")], ADMITTED),
        (s, "PutTrackCorners"): ([storage_pb2.PutTrackCornersRequest(track_name="authz ring")], grpc.StatusCode.PERMISSION_DENIED),
        (s, "WhoAmI"): ([storage_pb2.WhoAmIRequest()], ADMITTED),
        (s, "ListSessions"): ([storage_pb2.ListSessionsRequest(track="authz")], ADMITTED),
        (s, "GetSession"): ([storage_pb2.GetSessionRequest(session_id=sid)], nf),
        (s, "GetLap"): ([storage_pb2.GetLapRequest(lap_id=lap)], nf),
        (s, "StreamLapTelemetry"): ([storage_pb2.StreamLapTelemetryRequest(lap_id=lap)], nf),
        (s, "GetLapComparison"): ([storage_pb2.GetLapComparisonRequest(lap_id=lap, reference_lap_id=other)], nf),
        (s, "ListChannels"): ([storage_pb2.ListChannelsRequest()], ADMITTED),
        (s, "ExportLap"): ([storage_pb2.ExportLapRequest(lap_id=lap)], nf),
        (s, "ExportSession"): ([storage_pb2.ExportSessionRequest(session_id=sid)], nf),
        (s, "StreamSessionTelemetry"): ([storage_pb2.StreamSessionTelemetryRequest(session_id=sid)], nf),
        (s, "ListUnfinishedSessions"): ([storage_pb2.ListUnfinishedSessionsRequest(session_id=sid)], nf),
        (a, "AnalyzeStream"): ([analysis_pb2.AnalyzeStreamRequest(session=session),
                                *(analysis_pb2.AnalyzeStreamRequest(batch=b) for b in seeded.batches)], ADMITTED),
        (a, "AnalyzeLap"): ([analysis_pb2.AnalyzeLapRequest(session=session, batches=seeded.batches)], ADMITTED),
        (a, "CompareLaps"): ([analysis_pb2.CompareLapsRequest(lap_id=other)], nf),
        (c, "ScoreLap"): ([coaching_pb2.ScoreLapRequest(lap=report_lap)], ADMITTED),
        (c, "LiveCues"): ([coaching_pb2.LiveCuesRequest(context=coaching_pb2.LiveContext(session=session))], ADMITTED),
        (i, "Stream"): ([ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)),
                         ingest_pb2.StreamRequest(end=ingest_pb2.SessionEnd(session_id=sid))], ADMITTED),
    }


async def status_of(channel: grpc.aio.Channel, service: str, method, requests: list, metadata, *, timeout_s: float = 20.0):
    """Call ``method`` with ``requests`` (messages, or raw bytes) and drain the answer; the final status code."""
    path = f"/{service}/{method.name}"
    serialize = None if isinstance(requests[0], bytes) else type(requests[0]).SerializeToString
    kind = (method.client_streaming, method.server_streaming)
    factory = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
               (True, False): channel.stream_unary, (True, True): channel.stream_stream}[kind]
    call = factory(path, request_serializer=serialize, response_deserializer=None)
    try:
        if method.client_streaming:
            result = call(iter(requests), metadata=metadata, timeout=timeout_s)
        else:
            result = call(requests[0], metadata=metadata, timeout=timeout_s)
        if method.server_streaming:
            async for _ in result:
                pass
        else:
            await result
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK
