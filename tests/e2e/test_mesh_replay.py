"""One real path through the whole mesh: .ibt → ingest → storage + analysis → coaching → REST."""

from __future__ import annotations

import json

import grpc
import httpx
import numpy as np
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, UploadError, split_batches
from racecoach.services.storage.identity import hash_token
from racecoach.coaching.v1 import coaching_pb2
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import DATA

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def replay(mesh, token, path, *, batch_samples=60):
    session, arrays = load_ibt(path)
    uploader = Uploader(address=mesh.address("ingest"), token=token, session=session)
    result = await uploader.run(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=batch_samples))
    return session, arrays, result


async def stored_samples(storage, session_id, token):
    """Samples stored for this token's user's session (session ids are per user)."""
    from racecoach.services.storage.identity import resolve_token

    user = await resolve_token(storage.pool, token=token)
    return await storage.pool.fetchval(
        "SELECT count(*) FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1 AND s.user_id = $2",
        session_id, user.user_id,
    )


async def test_simulated_session_gives_laps_reports_and_rest_views(mesh, storage, token_for, simulated_ibt):
    token = await token_for()
    path, simulated = simulated_ibt
    session, arrays, result = await replay(mesh, token, path)
    sent = len(arrays["session_time_s"])
    assert await stored_samples(storage, session.session_id, token) == sent
    assert result.committed_seq == -(-sent // 60)

    laps = {c.lap.lap_number: c for c in result.laps}
    assert sorted(laps) == [1, 2, 3]
    for number, truth in zip([1, 2, 3], simulated.lap_times_s):
        assert laps[number].lap.lap_time.ToNanoseconds() / 1e9 == pytest.approx(truth, abs=0.02)
    report = laps[2].report
    early = [f for f in report.feedback if f.type == coaching_pb2.FEEDBACK_TYPE_BRAKE_EARLY]
    assert early and early[0].corner_number == 3 and early[0].delta_value == pytest.approx(-20, abs=3)
    assert (early[0].corner_name or "Turn 3") in early[0].description and report.score < laps[3].report.score

    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=headers, timeout=10) as http:
        listing = (await http.get("/api/v1/sessions")).json()
        mine = [s for s in listing["sessions"] if s["session"]["sessionId"] == session.session_id]
        assert mine and mine[0]["lapCount"] == 3 and mine[0]["sampleCount"] == str(sent)
        detail = (await http.get(f"/api/v1/sessions/{session.session_id}")).json()
        assert [lap["lapNumber"] for lap in detail["laps"]] == [1, 2, 3]
        lap_id = detail["laps"][1]["lapId"]
        lap = (await http.get(f"/api/v1/laps/{lap_id}")).json()
        assert lap["report"]["feedback"][0]["cornerNumber"] == 3
        assert float(lap["lap"]["lapTime"].rstrip("s")) == pytest.approx(simulated.lap_times_s[1], abs=0.02)
        delta = (await http.get(f"/api/v1/laps/{lap_id}/delta", params={"reference": "REFERENCE_KIND_SESSION_BEST"})).json()
        losses = [d["timeLossS"] for d in delta["cornerDeltas"]]
        assert sum(losses) == pytest.approx(float(delta["lapDelta"].rstrip("s")), abs=1e-3)
        assert max(delta["cornerDeltas"], key=lambda d: d["timeLossS"])["cornerNumber"] == 3
        async with http.stream("GET", f"/api/v1/laps/{lap_id}/telemetry", params={"channels": ["speed_mps"]}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            chunks = [json.loads(line[5:]) async for line in stream.aiter_lines() if line.startswith("data:")]
        speeds = np.concatenate([c["chunk"]["speedMps"] for c in chunks])
        assert len(speeds) == int(lap["lap"]["sampleCount"]) and 10 < speeds.mean() < 90


async def test_real_sebring_recording_is_stored_whole(mesh, storage, token_for):
    token = await token_for()
    session, arrays, result = await replay(mesh, token, DATA / "sebring_amg-gt4_partial.ibt", batch_samples=6)
    assert session.track.name and "sebring" in session.track.name.lower()
    assert session.source == telemetry_pb2.SESSION_SOURCE_IBT_FILE
    assert result.laps == [] and result.errors == []
    stored = await storage.pool.fetch(
        "SELECT session_time_s FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1"
        " AND s.user_id = (SELECT user_id FROM api_tokens WHERE token_sha256 = $2) ORDER BY session_time_s",
        session.session_id, hash_token(token),
    )
    np.testing.assert_array_equal(np.array([r[0] for r in stored]), arrays["session_time_s"])
    again = await replay(mesh, token, DATA / "sebring_amg-gt4_partial.ibt", batch_samples=6)
    assert again[2].committed_seq == result.committed_seq
    assert await stored_samples(storage, session.session_id, token) == len(arrays["session_time_s"])  # nothing twice


async def test_reflection_lists_every_service(mesh):
    expected = {
        "ingest": "racecoach.ingest.v1.IngestService", "storage": "racecoach.storage.v1.StorageService",
        "analysis": "racecoach.analysis.v1.AnalysisService", "coaching": "racecoach.coaching.v1.CoachingService",
    }
    for name, service in expected.items():
        async with grpc.aio.insecure_channel(mesh.address(name)) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            call = stub.ServerReflectionInfo()
            await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
            reply = await call.read()
            await call.done_writing()
            names = {s.name for s in reply.list_services_response.service}
            assert {service, "grpc.health.v1.Health"} <= names


async def test_bad_token_is_refused_by_ingest_and_rest(mesh):
    session, arrays = load_ibt(DATA / "sebring_amg-gt4_partial.ibt")
    uploader = Uploader(address=mesh.address("ingest"), token="rc_wrong", session=session)
    with pytest.raises(UploadError, match="unknown token"):
        await uploader.run(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
    async with httpx.AsyncClient(base_url=mesh.gateway_url, timeout=10) as http:
        reply = await http.get("/api/v1/sessions", headers={"Authorization": "Bearer rc_wrong"})
        assert reply.status_code == 401 and reply.json() == {"status_code": 401, "detail": "unknown token"}
        missing = await http.get("/api/v1/laps/nothing-here", headers={"Authorization": "Bearer rc_wrong"})
        assert missing.status_code == 401
