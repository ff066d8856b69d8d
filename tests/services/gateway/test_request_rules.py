"""The request rules the contract states (buf.validate in proto/) and the one it cannot (channel names, a catalogue):
each refuses a request breaking it at the service gate over gRPC (INVALID_ARGUMENT naming the field and the rule) and
through the gateway (400 with the service's words), accepts what it allows, and is stated by the OpenAPI document."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import httpx
import pytest
from every_rpc import seed
from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2, coaching_pb2_grpc
from racecoach.common.channels import CHANNELS
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

pytestmark = pytest.mark.asyncio(loop_scope="session")
REPO = Path(__file__).parents[3]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _refused(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return refused.value


async def test_a_comparison_step_is_0_or_from_0_1_to_100_m_at_grpc_and_rest(mesh, token_for):
    token = await token_for()
    auth = [("authorization", f"Bearer {token}")]
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, token)
        lap, reference = seeded.lap_ids
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        for step in (0.09, 100.01, -1.0, float("nan")):
            error = await _refused(stub.GetLapComparison(storage_pb2.GetLapComparisonRequest(
                lap_id=lap, reference_lap_id=reference, step_m=step), metadata=auth))
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, (step, error)
            assert error.details() == ("step_m: must be 0 (meaning 5 m) or from 0.1 to 100 m"
                                       " (rule get_lap_comparison_request.step_m)"), error.details()
        for step, used in ((0.0, 5.0), (-0.0, 5.0), (0.1, 0.1), (100.0, 100.0)):
            reply = await stub.GetLapComparison(storage_pb2.GetLapComparisonRequest(
                lap_id=lap, reference_lap_id=reference, step_m=step), metadata=auth)
            assert reply.step_m == pytest.approx(used), step
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as client:
        path = f"/api/v1/laps/{lap}/compare/{reference}"
        for step in ("0.09", "100.01", "-1", "200"):
            reply = await client.get(path, params={"stepM": step})
            assert reply.status_code == 400, (step, reply.text)
            assert "step_m: must be 0 (meaning 5 m) or from 0.1 to 100 m" in reply.json()["detail"], reply.text
        for step, used in (("0", 5), ("-0", 5), ("0.1", 0.1), ("100", 100)):
            reply = await client.get(path, params={"stepM": step})
            assert reply.status_code == 200 and reply.json()["stepM"] == pytest.approx(used), (step, reply.text)


async def test_a_lap_to_score_is_required_and_names_its_session_at_grpc_and_rest(mesh, token_for):
    token = await token_for()
    auth = [("authorization", f"Bearer {token}")]
    unnamed = analysis_pb2.LapAnalysis(lap_id="some-lap", lap_number=1)
    async with grpc.aio.insecure_channel(mesh.address("coaching")) as channel:
        stub = coaching_pb2_grpc.CoachingServiceStub(channel)
        for request, words in (
            (coaching_pb2.ScoreLapRequest(), "lap is required (rule required)"),
            (coaching_pb2.ScoreLapRequest(lap=unnamed),
             "lap: must carry a session_id, the session the lap belongs to (rule score_lap_request.lap_session_id)"),
        ):
            error = await _refused(stub.ScoreLap(request, metadata=auth))
            assert (error.code(), error.details()) == (grpc.StatusCode.INVALID_ARGUMENT, words)
        named = analysis_pb2.LapAnalysis(session_id="some-session", lap_id="some-lap", lap_number=1)
        assert (await stub.ScoreLap(coaching_pb2.ScoreLapRequest(lap=named), metadata=auth)).report.lap_id == "some-lap"
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as client:
        for body, words in (({}, "lap is required"), ({"lap": None}, "lap is required"),
                            ({"lap": {"lapId": "some-lap"}}, "lap: must carry a session_id"),
                            ({"lap": {"sessionId": "", "lapId": "some-lap"}}, "lap: must carry a session_id")):
            reply = await client.post("/api/v1/coaching/score", json=body)
            assert reply.status_code == 400 and words in reply.json()["detail"], (body, reply.text)
        reply = await client.post("/api/v1/coaching/score", json={"lap": {"sessionId": "some-session", "lapId": "some-lap"}})
        assert reply.status_code == 201, reply.text


async def test_channel_names_are_the_catalogues_at_grpc_and_rest_and_in_the_document(mesh, token_for):
    """Channel names stay a rule of the service (services.gateway.docs says why): the catalogue decides."""
    token = await token_for()
    auth = [("authorization", f"Bearer {token}")]
    names = [channel.field for channel in CHANNELS]
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, token)
        lap = seeded.lap_ids[0]
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        served = [c.field_name for c in (await stub.ListChannels(storage_pb2.ListChannelsRequest(), metadata=auth)).channels]
        assert served == names
        call = stub.StreamLapTelemetry(storage_pb2.StreamLapTelemetryRequest(lap_id=lap, channels=["speed_mps", "warp_factor"]),
                                       metadata=auth)
        error = await _refused(call.read())
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and "unknown channels ['warp_factor']" in error.details()
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as client:
        for path, params in ((f"/api/v1/laps/{lap}/columns", {"channels": "speed_mps,warp_factor"}),
                             (f"/api/v1/laps/{lap}/telemetry", {"channels": ["speed_mps", "warp_factor"]})):
            reply = await client.get(path, params=params)
            assert reply.status_code == 400 and "unknown channels ['warp_factor']" in reply.json()["detail"], reply.text
        assert (await client.get(f"/api/v1/laps/{lap}/columns", params={"channels": ",".join(names)})).status_code == 200
    paths = json.loads((REPO / "gen" / "openapi.json").read_text())["paths"]
    listed = next(p for p in paths["/api/v1/laps/{lap_id}/telemetry"]["get"]["parameters"] if p["name"] == "channels")
    assert listed["schema"]["items"]["enum"] == names
    joined = next(p for p in paths["/api/v1/laps/{lap_id}/columns"]["get"]["parameters"] if p["name"] == "channels")
    assert joined["schema"]["pattern"] == "^(?:{names})?(?:,(?:{names})?)*$".format(names="|".join(names))
