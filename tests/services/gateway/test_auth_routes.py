"""Every REST route (enumerated from the app) with no token, a bad token, a revoked token and another user's
token: 401 with a Bearer challenge, or 404 for another user's session or lap; then the bad values of a request
(NUL bytes, oversized ids, a forged page token) get 400 naming the field, never 5xx or 429."""

from __future__ import annotations

import asyncio
import base64
import json
import re

import grpc
import httpx
import pytest

from every_rpc import seed
from racecoach.services.gateway.app import create_app
from racecoach.services.storage.identity import revoke_token

pytestmark = pytest.mark.asyncio(loop_scope="session")
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


class _NoBackend:
    channels: dict = {}

    async def close(self) -> None:
        return None


def api_routes() -> list[tuple[str, str]]:
    """(HTTP method, path template) of every REST route of the gateway."""
    app = create_app(backend=_NoBackend())
    routes = {(method, route.path) for route in app.routes if route.path.startswith("/api/")
              for handler in getattr(route, "route_handlers", ()) for method in handler.http_methods
              if method not in ("OPTIONS", "HEAD")}
    return sorted(routes)


def fill(path: str, values: dict[str, str]) -> str:
    return PARAM.sub(lambda m: values[m.group(1)], path)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def send(http: httpx.AsyncClient, method: str, url: str, headers: dict, body: dict) -> httpx.Response:
    return await http.request(method, url, headers=headers, json=body if method != "GET" else None, timeout=30)


async def test_every_route_refuses_missing_bad_and_revoked_tokens_and_hides_other_users_data(mesh, storage, token_for):
    alice, bob, stale = await token_for("alice"), await token_for("bob"), await token_for("stale")
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, alice)
    values = {"session_id": seeded.session_id, "lap_id": seeded.lap_ids[1], "reference_lap_id": seeded.lap_ids[0],
              "track_name": "authz ring"}
    body = {"lap": {"sessionId": seeded.session_id, "lapId": seeded.lap_ids[0]}}
    routes = api_routes()
    assert ("POST", "/api/v1/coaching/score") in routes and len(routes) >= 12
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as http:
        for method, path in routes:  # the stale token works until it is revoked
            assert (await send(http, method, fill(path, values), bearer(stale), body)).status_code != 401, path
        async with storage.pool.acquire() as conn:
            await revoke_token(conn, token=stale)
        await asyncio.sleep(1.0)
        for method, path in routes:
            url = fill(path, values)
            for label, headers in (("no token", {}), ("not bearer", {"authorization": "Basic Zm9vOmJhcg=="}),
                                   ("unknown token", bearer("rc_made-up")), ("revoked token", bearer(stale))):
                refused = await send(http, method, url, headers, body)
                assert refused.status_code == 401, (method, path, label, refused.status_code, refused.text[:200])
                assert refused.headers["www-authenticate"] == "Bearer"
            other = await send(http, method, url, bearer(bob), body)
            if "{session_id" in path or "{lap_id" in path:
                assert other.status_code == 404, (method, path, other.status_code, other.text[:200])
            else:
                assert other.status_code < 500 and other.status_code not in (401, 403), (method, path, other.status_code)


async def test_bad_values_get_400_naming_the_field(mesh, token_for):
    token = await token_for()
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, token)
    nul = "a%00b"
    forged = base64.urlsafe_b64encode(json.dumps(["2024-01-01T00:00:00+00:00", 2**70]).encode()).decode().rstrip("=")
    cases = [
        *((fill(path, {"session_id": nul, "lap_id": nul, "reference_lap_id": nul, "track_name": nul}),
           {"session_id": "session_id", "lap_id": "lap_id", "reference_lap_id": "lap_id", "track_name": "track_name"}[
               PARAM.search(path).group(1)])
          for method, path in api_routes() if method == "GET" and PARAM.search(path)),
        (f"/api/v1/sessions?track={nul}", "track"),
        (f"/api/v1/sessions?car={nul}", "car"),
        (f"/api/v1/sessions?pageToken={forged}", "page_token"),
        (f"/api/v1/laps/{'x' * 20_000}", "lap_id"),
        (f"/api/v1/sessions/{'x' * 20_000}", "session_id"),
        (f"/api/v1/laps/{seeded.lap_ids[0]}/compare/{'x' * 5000}", "reference_lap_id"),
        (f"/api/v1/laps/{seeded.lap_ids[0]}/telemetry?channels={nul}", "channels"),
    ]
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as http:
        for url, field in cases:
            reply = await http.get(url)
            assert reply.status_code == 400, (url[:120], reply.status_code, reply.text[:300])
            assert field in reply.json()["detail"], (url[:120], reply.json())
        scored = await http.post("/api/v1/coaching/score", json={"lap": {"sessionId": "s\u0000", "lapId": "l"}})
        assert scored.status_code == 400 and "lap.session_id" in scored.json()["detail"], scored.text
