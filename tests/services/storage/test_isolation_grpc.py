"""User isolation over gRPC: nothing of user A is visible to user B, and bad tokens get nothing at all."""

from __future__ import annotations

import grpc
import pytest

from racecoach.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from racecoach.services.storage.identity import revoke_token
from racecoach.storage.v1 import storage_pb2
from seeding import auth, lap_message, rpc_error, seed_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOT_FOUND = grpc.StatusCode.NOT_FOUND


def reads_of(seeded, *, own_lap: str | None = None) -> dict[str, tuple[str, object]]:
    """Every read RPC pointed at ``seeded``'s session and laps: name → (method, request)."""
    lap, other = seeded.lap_ids
    return {
        "GetSession": ("GetSession", storage_pb2.GetSessionRequest(session_id=seeded.session_id)),
        "GetLap": ("GetLap", storage_pb2.GetLapRequest(lap_id=lap)),
        "StreamLapTelemetry": ("StreamLapTelemetry", storage_pb2.StreamLapTelemetryRequest(lap_id=lap)),
        "GetLapComparison": ("GetLapComparison", storage_pb2.GetLapComparisonRequest(lap_id=lap, reference_lap_id=other)),
        "GetLapComparison own vs theirs": (
            "GetLapComparison", storage_pb2.GetLapComparisonRequest(lap_id=own_lap or lap, reference_lap_id=lap)),
        "GetReferenceLap": ("GetReferenceLap", storage_pb2.GetReferenceLapRequest(lap_id=lap)),
        "ExportLap": ("ExportLap", storage_pb2.ExportLapRequest(lap_id=lap, format=storage_pb2.EXPORT_FORMAT_PARQUET)),
        "ExportSession": ("ExportSession", storage_pb2.ExportSessionRequest(session_id=seeded.session_id)),
    }


def call(stub, method: str, request, token: str | None):
    return getattr(stub, method)(request, metadata=auth(token) if token else None)


async def test_user_b_sees_nothing_of_user_a(mesh, storage_stub, token_for):
    alice, bob = await token_for("alice"), await token_for("bob")
    theirs = await seed_session(storage_stub, alice, laps=2, track="Isolation Ring")
    mine = await seed_session(storage_stub, bob, laps=2, track="Isolation Ring")

    for name, (method, request) in reads_of(theirs, own_lap=mine.lap_ids[0]).items():
        assert await rpc_error(call(storage_stub, method, request, bob)) == NOT_FOUND, name
        if name != "GetLapComparison own vs theirs":  # the owner gets an answer to the same request
            reply = call(storage_stub, method, request, alice)
            if hasattr(reply, "__aiter__"):
                assert [r async for r in reply], name
            else:
                await reply

    listed = await storage_stub.ListSessions(storage_pb2.ListSessionsRequest(track="isolation"), metadata=auth(bob))
    assert [s.session.session_id for s in listed.sessions] == [mine.session_id]
    seq = await storage_stub.GetCommittedSeq(storage_pb2.GetCommittedSeqRequest(session_id=theirs.session_id), metadata=auth(bob))
    assert not seq.exists and seq.committed_seq == 0  # indistinguishable from a session that does not exist

    # Alice's lap 1 is faster on the same track and car, yet Bob's personal best is his own.
    best = await storage_stub.GetReferenceLap(
        storage_pb2.GetReferenceLapRequest(lap_id=mine.lap_ids[1], reference=analysis_pb2.REFERENCE_KIND_PERSONAL_BEST),
        metadata=auth(bob))
    assert best.found and best.lap.lap_id == mine.lap_ids[0]

    # Bob cannot write into Alice's session (he has no session of that id), and her data stays as it was.
    lap = lap_message(theirs.session_id, 1)
    lap.valid = False
    refused = [r async for r in storage_stub.Write(iter([storage_pb2.WriteRequest(request_id=5, lap=lap)]), metadata=auth(bob))]
    assert refused[0].error.code == storage_pb2.WRITE_ERROR_CODE_UNKNOWN_SESSION
    kept = await storage_stub.GetLap(storage_pb2.GetLapRequest(lap_id=theirs.lap_ids[0]), metadata=auth(alice))
    assert kept.lap.valid

    # The delta through the analysis service reads storage with the caller's token, so the same holds there.
    async with grpc.aio.insecure_channel(mesh.address("analysis")) as channel:
        analysis = analysis_pb2_grpc.AnalysisServiceStub(channel)
        for request in (
            analysis_pb2.CompareLapsRequest(lap_id=theirs.lap_ids[1]),
            analysis_pb2.CompareLapsRequest(lap_id=mine.lap_ids[1], reference=analysis_pb2.REFERENCE_KIND_LAP,
                                            reference_lap_id=theirs.lap_ids[0]),
        ):
            assert await rpc_error(analysis.CompareLaps(request, metadata=auth(bob))) == NOT_FOUND
        delta = await analysis.CompareLaps(analysis_pb2.CompareLapsRequest(lap_id=theirs.lap_ids[1]), metadata=auth(alice))
        assert delta.reference_lap_id == theirs.lap_ids[0]


async def test_missing_and_revoked_tokens_are_refused_everywhere(storage_stub, storage, token_for):
    alice = await token_for("alice")
    seeded = await seed_session(storage_stub, alice, laps=2)
    stale = await token_for("stale")
    async with storage.pool.acquire() as conn:
        await revoke_token(conn, token=stale)
    everything = {
        **reads_of(seeded),
        "ListSessions": ("ListSessions", storage_pb2.ListSessionsRequest()),
        "WhoAmI": ("WhoAmI", storage_pb2.WhoAmIRequest()),
        "GetCommittedSeq": ("GetCommittedSeq", storage_pb2.GetCommittedSeqRequest(session_id=seeded.session_id)),
        "ListChannels": ("ListChannels", storage_pb2.ListChannelsRequest()),
        "GetTrackCorners": ("GetTrackCorners", storage_pb2.GetTrackCornersRequest(track_name="spa")),
    }
    for name, (method, request) in everything.items():
        for token in (None, stale, "rc_made-up"):
            assert await rpc_error(call(storage_stub, method, request, token)) == grpc.StatusCode.UNAUTHENTICATED, (name, token)
    write = storage_stub.Write(iter([storage_pb2.WriteRequest(session=seeded.session)]), metadata=auth(stale))
    assert await rpc_error(write) == grpc.StatusCode.UNAUTHENTICATED
