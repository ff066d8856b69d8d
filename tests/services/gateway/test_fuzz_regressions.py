"""What the Schemathesis run against the gateway found, each kept as a plain regression test."""

from __future__ import annotations

import grpc
import httpx
import pytest

from every_rpc import seed

pytestmark = pytest.mark.asyncio(loop_scope="session")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_max_samples_past_uint32_is_a_400_naming_the_parameter_not_a_500(mesh, token_for):
    token = await token_for()
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, token)
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as client:
        for value in (331809834309741, 2**32, -1255):
            reply = await client.get(f"/api/v1/laps/{seeded.lap_ids[0]}/columns", params={"maxSamples": value})
            assert reply.status_code == 400, (value, reply.text)
            assert reply.json()["status_code"] == 400 and "maxSamples (query)" in reply.json()["detail"], reply.text
        assert (await client.get(f"/api/v1/laps/{seeded.lap_ids[0]}/columns", params={"maxSamples": 2**32 - 1})).status_code == 200


async def test_a_parameter_refused_by_validation_is_named_and_the_url_is_not_echoed(mesh, token_for):
    token = await token_for()
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as client:
        reply = await client.get("/api/v1/laps/some-lap/columns", params={"maxSamples": "many"})
    assert reply.status_code == 400
    detail = reply.json()["detail"]
    assert detail.startswith("invalid request: maxSamples (query): ") and "/api/v1" not in detail, detail


async def test_streams_files_and_the_login_page_are_documented_in_the_media_types_they_are_sent_in(mesh):
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        paths = (await client.get("/schema/openapi.json")).json()["paths"]
    content = {path: set(paths[path]["get"]["responses"][status]["content"]) for path, status in (
        ("/api/v1/laps/{lap_id}/telemetry", "200"), ("/api/v1/laps/{lap_id}/export", "200"),
        ("/api/v1/sessions/{session_id}/export", "200"), ("/login", "401"))}
    assert content == {
        "/api/v1/laps/{lap_id}/telemetry": {"text/event-stream"},
        "/api/v1/laps/{lap_id}/export": {"text/csv", "application/vnd.apache.parquet"},
        "/api/v1/sessions/{session_id}/export": {"text/csv", "application/vnd.apache.parquet"},
        "/login": {"text/html"},
    }


async def test_the_live_session_stream_is_documented_as_server_sent_events(mesh):
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert set(paths["/api/v1/sessions/{session_id}/live"]["get"]["responses"]["200"]["content"]) == {"text/event-stream"}


async def test_options_of_login_lists_both_of_its_methods_as_its_405_does(mesh):
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        options = await client.options("/login")
        refused = await client.put("/login")
    assert options.status_code == 204 and options.headers["allow"] == "GET, OPTIONS, POST", options.headers
    assert refused.status_code == 405 and set(refused.headers["allow"].split(", ")) == {"GET", "OPTIONS", "POST"}
