"""The gateway's own routes: binary lap columns, login links and the session cookie, the live stream, the OpenAPI document."""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path
from types import SimpleNamespace

import grpc
import httpx
import numpy as np
import pytest
from litestar.exceptions import HTTPException

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.services.gateway import columns, export
from racecoach.services.gateway.login import COOKIE
from racecoach.storage.v1 import storage_pb2

pytestmark = pytest.mark.asyncio(loop_scope="session")
REPO = Path(__file__).parents[3]


async def upload(mesh, token, ibt):
    session, arrays = load_ibt(ibt)
    session.session_id = str(uuid.uuid4())
    result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
        split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=600)
    )
    return session.session_id, {c.lap.lap_number: c.lap.lap_id for c in result.laps}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_columns_carry_the_same_samples_as_the_json_route(mesh, token_for, simulated_ibt):
    token = await token_for()
    _, laps = await upload(mesh, token, simulated_ibt[0])
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=60) as client:
        reply = await client.get(f"/api/v1/laps/{laps[2]}/columns")
        assert reply.status_code == 200 and reply.headers["content-type"] == columns.MEDIA_TYPE
        count, arrays = columns.decode(reply.content)
        assert count > 4000 and arrays["speed_mps"].dtype == np.float32 and arrays["session_time_s"].dtype == np.float64
        sse = await client.get(f"/api/v1/laps/{laps[2]}/telemetry", params={"channels": ["speed_mps", "lat_deg"]})
        chunks = [json.loads(line[5:])["chunk"] for line in sse.text.splitlines() if line.startswith("data:")]
        speed = [v for chunk in chunks for v in chunk["speedMps"]]
        lat = [v for chunk in chunks for v in chunk["latDeg"]]
        assert np.array_equal(arrays["speed_mps"], np.array(speed, dtype=np.float32))
        assert np.array_equal(arrays["lat_deg"], np.array(lat))

        some = await client.get(f"/api/v1/laps/{laps[2]}/columns", params={"channels": "lap_dist_m,speed_mps", "maxSamples": 500})
        count, arrays = columns.decode(some.content)
        assert count <= 500 and {"lap_dist_m", "speed_mps"} <= set(arrays) and "lat_deg" not in arrays
        missing = await client.get("/api/v1/laps/no-such-lap/columns")
        assert missing.status_code == 404 and missing.json()["status_code"] == 404
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        assert (await client.get(f"/api/v1/laps/{laps[2]}/columns")).status_code == 401


async def test_a_login_link_sets_an_httponly_samesite_cookie_that_works_like_the_token(mesh, token_for, simulated_ibt):
    token, other = await token_for("owner"), await token_for("other")
    session_id, _ = await upload(mesh, token, simulated_ibt[0])
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        assert (await client.post("/api/v1/login-codes")).status_code == 401
        assert (await client.post("/api/v1/login-codes", headers=bearer("rc_not-a-token"))).status_code == 401
        made = await client.post("/api/v1/login-codes", headers=bearer(token))
        assert made.status_code == 201
        link = made.json()
        assert link["loginPath"] == f"/login?code={link['code']}" and link["expiresInS"] <= 300

        login = await client.get(link["loginPath"])
        assert login.status_code == 303 and login.headers["location"] == "/"
        cookie = login.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/" in cookie
        assert token not in cookie  # an opaque session id, not the token
        # the cookie alone is the owner: their session, and the same isolation as the bearer
        listed = await client.get("/api/v1/sessions")
        assert listed.status_code == 200
        assert session_id in [s["session"]["sessionId"] for s in listed.json()["sessions"]]
        assert (await client.get(f"/api/v1/sessions/{session_id}/export")).status_code == 200

        async with httpx.AsyncClient(base_url=mesh.gateway_url) as fresh:
            again = await fresh.get(link["loginPath"])
        assert again.status_code == 401 and "racing-coach open" in again.text  # single use

        assert (await client.post("/logout")).status_code == 200
        assert (await client.get("/api/v1/sessions")).status_code == 401
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        assert (await client.post("/login", headers=bearer(other))).status_code == 200
        assert (await client.get(f"/api/v1/sessions/{session_id}")).status_code in (403, 404)


async def test_live_stream_sends_the_session_state_as_server_sent_events(mesh, token_for, simulated_ibt):
    token = await token_for()
    session_id, laps = await upload(mesh, token, simulated_ibt[0])
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as client:
        assert (await client.get("/api/v1/sessions/no-such-session/live")).status_code == 404
        async with client.stream("GET", f"/api/v1/sessions/{session_id}/live") as reply:
            assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/event-stream")
            event = None
            async for line in reply.aiter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    break
    assert event["sessionId"] == session_id and event["sampleCount"] > 10000 and event["lapCount"] >= 3
    last = event["lastLap"]
    assert last["lapId"] == laps[3] and last["lapTimeS"] > 80 and last["referenceLapId"]
    assert len(last["deltaS"]) > 500 and last["stepM"] == 5


async def test_openapi_served_is_the_committed_one_with_security_schemes_and_error_statuses(mesh):
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        served = (await client.get("/schema/openapi.json")).json()
        page = await client.get("/schema")
    committed = json.loads((REPO / "gen" / "openapi.json").read_text())
    assert served == committed, "gen/openapi.json differs from what the gateway serves: run make gen"
    assert {"/api/v1/laps/{lap_id}/export", "/api/v1/sessions/{session_id}/export", "/api/v1/laps/{lap_id}/columns"} <= set(served["paths"])
    schemes = served["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "type": "apiKey", "in": "cookie", "name": COOKIE}
    assert served["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    for path, item in served["paths"].items():
        if path.startswith("/api/"):
            for operation in item.values():
                assert {"400", "401", "404", "429", "500", "503"} <= set(operation["responses"]), path
    assert page.status_code == 200 and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page.text
    assert "cdn." not in page.text and "unpkg" not in page.text and "fonts.googleapis" not in page.text


def test_read_benchmark_runs_on_a_tiny_lap():
    spec = importlib.util.spec_from_file_location("bench_rest_read", REPO / "benchmarks" / "bench_rest_read.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.main(["--samples", "300", "--runs", "1", "--no-rest"])
    assert result["samples"] == 300 and result["ratio"] > 0



class _ExportCall:
    def __init__(self, first) -> None:
        self.first = first

    async def read(self):
        if isinstance(self.first, Exception):
            raise self.first
        return self.first


class _ExportBackend:
    """A backend whose storage answers an export's first read with ``first`` (EOF, or an error raised)."""

    timeout_s = 1.0

    def __init__(self, first) -> None:
        channel = SimpleNamespace(unary_stream=lambda *args, **kwargs: lambda request, **kw: _ExportCall(first))
        self.channels = {export.STORAGE: channel}


async def _export_error(first) -> HTTPException:
    http_request = SimpleNamespace(headers={"authorization": "Bearer t"}, cookies={}, url=SimpleNamespace(path="/x"))
    with pytest.raises(HTTPException) as raised:
        await export._download(_ExportBackend(first), method="ExportLap", request=storage_pb2.ExportLapRequest(lap_id="x"),
                               response_type=storage_pb2.ExportLapResponse, http_request=http_request)
    return raised.value


async def test_an_export_storage_refuses_or_ends_empty_is_an_http_error_keeping_its_cause():
    refused = grpc.aio.AioRpcError(grpc.StatusCode.NOT_FOUND, grpc.aio.Metadata(), grpc.aio.Metadata(), details="no lap x")
    error = await _export_error(refused)
    assert (error.status_code, error.detail, error.__cause__) == (404, "no lap x", refused)
    empty = await _export_error(grpc.aio.EOF)
    assert (empty.status_code, empty.detail) == (500, "internal error")
    assert "ExportLap sent no piece of the file" in str(empty.__cause__)
