"""What the Schemathesis run against the gateway found, each kept as a plain regression test."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")


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
