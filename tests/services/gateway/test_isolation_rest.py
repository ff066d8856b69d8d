"""User isolation through the REST gateway over real HTTP, and file export downloads.

Data is seeded through the storage Write stream; every request then goes through the
gateway (Litestar on uvicorn) → gRPC → PostgreSQL, as a dashboard would.
"""

from __future__ import annotations

import io

import grpc
import httpx
import numpy as np
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.common.batch import build_batch, concat
from racecoach.services.storage.identity import revoke_token
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from telemetry_factories import make_arrays, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
LAP_SAMPLES, HZ, LAP_M = 720, 60.0, 600.0  # 600 m at 50 m/s: 12 s


async def seed(mesh, token: str, *, track: str = "Rest Ring") -> tuple[str, list[str], dict[str, np.ndarray]]:
    """A session with two laps written through StorageService.Write; returns (session id, lap ids, arrays)."""
    session = make_session(track=track)
    parts = [make_arrays(start_index=i, count=240, lap_length_m=LAP_M) for i in range(0, 2 * LAP_SAMPLES, 240)]
    requests = [storage_pb2.WriteRequest(session=session)]
    requests += [storage_pb2.WriteRequest(batch=build_batch(session_id=session.session_id, seq=s, arrays=p))
                 for s, p in enumerate(parts, start=1)]
    lap_ids = []
    for number in (1, 2):
        start = 10.0 + (number - 1) * LAP_SAMPLES / HZ
        lap = analysis_pb2.LapAnalysis(session_id=session.session_id, lap_id=f"{session.session_id}-{number}", lap_number=number,
                                       start_session_time_s=start, end_session_time_s=start + LAP_SAMPLES / HZ, valid=True,
                                       distance_m=LAP_M, sample_count=LAP_SAMPLES)
        lap.lap_time.FromNanoseconds(12_000_000_000 + number)
        requests.append(storage_pb2.WriteRequest(lap=lap))
        lap_ids.append(lap.lap_id)
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        replies = [r async for r in stub.Write(iter(requests), metadata=[("authorization", f"Bearer {token}")])]
    assert len(replies) == len(requests) and not any(r.HasField("error") for r in replies)
    return session.session_id, lap_ids, concat(parts)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def urls(session_id: str, lap_ids: list[str], *, own_lap: str) -> list[str]:
    lap, other = lap_ids
    return [
        f"/api/v1/sessions/{session_id}",
        f"/api/v1/laps/{lap}",
        f"/api/v1/laps/{lap}/telemetry",
        f"/api/v1/laps/{lap}/compare/{other}",
        f"/api/v1/laps/{own_lap}/compare/{lap}",
        f"/api/v1/laps/{other}/delta",
        f"/api/v1/laps/{own_lap}/delta?reference=REFERENCE_KIND_LAP&referenceLapId={lap}",
        f"/api/v1/laps/{lap}/export?format=csv",
        f"/api/v1/laps/{lap}/export?format=parquet",
        f"/api/v1/sessions/{session_id}/export?format=parquet",
    ]


async def test_rest_user_b_gets_404_for_everything_of_user_a(mesh, token_for):
    alice, bob = await token_for("alice"), await token_for("bob")
    theirs, their_laps, _ = await seed(mesh, alice)
    mine, my_laps, _ = await seed(mesh, bob)
    async with httpx.AsyncClient(base_url=mesh.gateway_url, timeout=30) as http:
        for url in urls(theirs, their_laps, own_lap=my_laps[0]):
            refused = await http.get(url, headers=bearer(bob))
            assert refused.status_code == 404, (url, refused.status_code, refused.text)
            assert refused.json()["status_code"] == 404
            if f"/{my_laps[0]}/" not in url:  # the owner gets the same thing
                owner = await http.get(url, headers=bearer(alice))
                assert owner.status_code == 200, (url, owner.text)
        listed = (await http.get("/api/v1/sessions", params={"track": "rest ring"}, headers=bearer(bob))).json()
        assert [s["session"]["sessionId"] for s in listed["sessions"]] == [mine]


async def test_rest_missing_and_revoked_tokens_get_401(mesh, storage, token_for):
    alice = await token_for("alice")
    session_id, lap_ids, _ = await seed(mesh, alice)
    stale = await token_for("stale")
    async with storage.pool.acquire() as conn:
        await revoke_token(conn, token=stale)
    async with httpx.AsyncClient(base_url=mesh.gateway_url, timeout=30) as http:
        for url in ["/api/v1/me", "/api/v1/sessions", *urls(session_id, lap_ids, own_lap=lap_ids[0])]:
            for headers in ({}, bearer(stale), {"authorization": "Basic Zm9vOmJhcg=="}):
                refused = await http.get(url, headers=headers)
                assert refused.status_code == 401, (url, headers, refused.status_code)
                assert refused.headers["www-authenticate"] == "Bearer"
                assert "Traceback" not in refused.text


async def test_rest_export_downloads_read_back_to_what_was_written(mesh, token_for):
    token = await token_for()
    session_id, lap_ids, arrays = await seed(mesh, token)
    lap2 = {name: values[LAP_SAMPLES:] for name, values in arrays.items()}
    async with httpx.AsyncClient(base_url=mesh.gateway_url, timeout=30) as http:
        csv = await http.get(f"/api/v1/laps/{lap_ids[1]}/export", params={"format": "csv"}, headers=bearer(token))
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert csv.headers["content-disposition"] == f'attachment; filename="{session_id}-lap-2.csv"'
        table = pa_csv.read_csv(io.BytesIO(csv.content))
        for name, values in lap2.items():
            np.testing.assert_array_equal(table.column(name).to_numpy().astype(values.dtype), values, err_msg=name)

        async with http.stream("GET", f"/api/v1/sessions/{session_id}/export", params={"format": "parquet", "channels": "speed_mps,lap_dist_m"},
                               headers=bearer(token)) as streamed:
            assert streamed.status_code == 200
            assert streamed.headers["content-type"] == "application/vnd.apache.parquet"
            assert streamed.headers["content-disposition"].endswith('.parquet"')
            body = b"".join([part async for part in streamed.aiter_bytes()])
        table = pq.read_table(io.BytesIO(body))
        assert table.column_names == ["session_time_s", "speed_mps", "lap_dist_m"]
        for name in table.column_names:
            np.testing.assert_array_equal(table.column(name).to_numpy(), arrays[name], err_msg=name)

        bad = await http.get(f"/api/v1/laps/{lap_ids[0]}/export", params={"format": "xlsx"}, headers=bearer(token))
        assert bad.status_code == 400
        unknown = await http.get(f"/api/v1/laps/{lap_ids[0]}/export", params={"channels": "warp_factor"}, headers=bearer(token))
        assert unknown.status_code == 400 and "warp_factor" in unknown.json()["detail"]
