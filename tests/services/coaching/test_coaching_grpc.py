"""CoachingService over a real grpc.aio server on port 0 and a real channel."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from racecoach.coaching.v1 import coaching_pb2, coaching_pb2_grpc
from racecoach.services.coaching.server import serve
from racecoach.services.common.batch import build_batch
from racecoach.services.common.settings import load_settings
from racecoach.telemetry.v1 import telemetry_pb2
from grpc_auth import authed_channel

from .factories import (
    SESSION_ID,
    TRACK_LENGTH_M,
    corner_deltas,
    drive,
    driver_lap,
    reference_lap,
)

FT = coaching_pb2.FeedbackType
CK = coaching_pb2.CueKind


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server(tmp_path_factory, pg_dsn):
    """Coaching with the storage it authenticates callers through, and a token of a user of theirs."""
    from racecoach.services.storage import server as storage_server
    from racecoach.services.storage.identity import create_token

    settings = load_settings(
        {"RACING_COACH_DATA_DIR": str(tmp_path_factory.mktemp("coaching")), "HOME": "/nonexistent", "DATABASE_URL": pg_dsn}
    )
    storage = await storage_server.serve(settings=settings, port=0)
    async with storage.storage.pool.acquire() as conn:
        issued = await create_token(conn, email="coach-grpc@example.test")
    running = await serve(settings=settings, port=0, storage_addr=f"127.0.0.1:{storage.port}")
    running.token = issued.token
    try:
        yield running
    finally:
        await running.stop(grace_s=0.5)
        await storage.stop(0.5)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def channel(server):
    async with authed_channel(f"127.0.0.1:{server.port}", server.token) as chan:
        yield chan


def context_request(*, with_reference: bool = True) -> coaching_pb2.LiveCuesRequest:
    ctx = coaching_pb2.LiveContext(
        session=telemetry_pb2.Session(
            session_id=SESSION_ID, track=telemetry_pb2.Track(name="t", length_m=TRACK_LENGTH_M)
        )
    )
    if with_reference:
        ctx.reference.CopyFrom(reference_lap())
        ctx.last_lap.CopyFrom(driver_lap(changes={1: {"brake": 411.0}}))
    return coaching_pb2.LiveCuesRequest(context=ctx)


def batch_requests(arrays, *, size: int = 6):
    n = len(arrays["lap_dist_m"])
    full = {**arrays, "lap_dist_pct": arrays["lap_dist_m"] / TRACK_LENGTH_M}
    for seq, start in enumerate(range(0, n, size), start=1):
        part = {k: v[start : start + size] for k, v in full.items()}
        yield coaching_pb2.LiveCuesRequest(batch=build_batch(session_id=SESSION_ID, seq=seq, arrays=part))


async def test_health_is_serving(server, channel):
    stub = health_pb2_grpc.HealthStub(channel)
    for name in ("", "racecoach.coaching.v1.CoachingService"):
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=name))
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_score_lap_round_trip(channel):
    stub = coaching_pb2_grpc.CoachingServiceStub(channel)
    lap = driver_lap(lap_time_s=90.84, changes={1: {"brake": 412.0}})
    request = coaching_pb2.ScoreLapRequest(
        lap=lap, reference=reference_lap(), corner_deltas=corner_deltas({0: 0.63, 1: 0.21})
    )
    report = (await stub.ScoreLap(request)).report
    assert report.lap_id == lap.lap_id and report.reference_lap_id == reference_lap().lap_id
    assert report.model_version == "lap_score_v3"
    assert 0.0 < report.score < 100.0
    (item,) = report.feedback
    assert (item.type, item.corner_number, item.delta_unit) == (FT.FEEDBACK_TYPE_BRAKE_EARLY, 1, "m")
    assert item.delta_value == pytest.approx(-14.0)
    assert report.summary.startswith("Lap 3 (1:30.840): 0.840 s slower")


async def test_score_lap_without_a_lap_is_invalid(channel):
    stub = coaching_pb2_grpc.CoachingServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ScoreLap(coaching_pb2.ScoreLapRequest(reference=reference_lap()))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "lap is required" in caught.value.details()


async def test_live_cues_need_a_context_first(channel):
    stub = coaching_pb2_grpc.CoachingServiceStub(channel)
    # One request only: grpc.aio clients that keep writing after the server ends the call may
    # see INTERNAL instead of the server's status (grpc/grpc#36066), whatever the server sends.
    first = next(batch_requests(drive(start_m=0.0, metres=20.0, lap=3)))
    call = stub.LiveCues()
    await call.write(first)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "first LiveCuesRequest must carry a context" in caught.value.details()


async def test_live_cues_stream_a_cue_ahead_of_the_corner(channel):
    stub = coaching_pb2_grpc.CoachingServiceStub(channel)
    arrays = drive(start_m=0.0, metres=1000.0, lap=3)
    requests = [context_request(), *batch_requests(arrays)]
    cues = [reply.cue async for reply in stub.LiveCues(iter(requests))]
    (cue,) = cues
    assert (cue.session_id, cue.kind, cue.corner_number, cue.text) == (
        SESSION_ID,
        CK.CUE_KIND_BRAKE_LATER,
        1,
        "Turn 1: brake 15 m later",
    )
    s = int(np.nonzero(arrays["session_time_s"] == cue.session_time_s)[0][0])
    assert cue.seq == s // 6 + 1
    assert cue.target_distance_m == 426.0
    assert cue.lead_distance_m == pytest.approx(float(arrays["speed_mps"][s]) * 2.5, abs=1.5)


async def test_live_cues_without_a_reference_stay_silent(channel):
    stub = coaching_pb2_grpc.CoachingServiceStub(channel)
    requests = [context_request(with_reference=False), *batch_requests(drive(start_m=0.0, metres=1000.0, lap=3))]
    assert [reply async for reply in stub.LiveCues(iter(requests))] == []


async def test_live_cues_reject_another_sessions_batch(channel):
    stub = coaching_pb2_grpc.CoachingServiceStub(channel)
    other = next(batch_requests(drive(start_m=0.0, metres=20.0, lap=3)))
    other.batch.session_id = "another-session"
    call = stub.LiveCues()
    await call.write(context_request())
    await call.write(other)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "another-session" in caught.value.details()


async def test_live_cues_refuse_a_batch_short_of_a_channel(channel):
    stub = coaching_pb2_grpc.CoachingServiceStub(channel)
    short = next(batch_requests(drive(start_m=0.0, metres=20.0, lap=3)))
    del short.batch.lap[:]
    call = stub.LiveCues()
    await call.write(context_request())
    await call.write(short)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "batch seq 1: channel lap has 0 values but sample_count is 6"
