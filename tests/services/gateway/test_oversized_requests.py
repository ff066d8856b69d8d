"""The gateway against oversized requests, on the whole mesh: a body over 1 MiB (announced or chunked) gets 413
naming the limit, a body of the limit is taken; a path or query value too long for its field gets 400 naming the
field; a request line or headers beyond the 16 KiB the HTTP server reads get 414 or 431 (not a connection reset).
Every refusal is a JSON error body with no traceback, SQL or file path, and the gateway goes on serving.

The other way round, an answer of a backing service between gRPC's default 4 MiB and the mesh's 8 MiB (a session
of 130 Nordschleife laps, 170 corners each) is served; one over 8 MiB is 502 naming both sizes, not 429 (which tells
a client to slow down and try again)."""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

import grpc
import httpx
import pytest

from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.common.batch import build_batch
from racecoach.services.gateway.app import MAX_BODY_BYTES
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_arrays, make_session

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(120)]

LEAK = re.compile(r"Traceback|File \"|\.py\b|/(?:home|work|usr|tmp)/|asyncpg|SELECT|INSERT|Exception")
SCORE = "/api/v1/coaching/score"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_refusal(status: int, content_type: str, body: bytes, *, expected: int, words: str) -> dict:
    """A JSON error of status ``expected`` whose detail holds ``words`` and leaks nothing."""
    assert status == expected, (status, body[:300])
    assert content_type.startswith("application/json"), content_type
    error = json.loads(body)
    assert error["status_code"] == expected and words in error["detail"], error
    assert not LEAK.search(error["detail"]), error
    return error


def lap_body(session_id: str = "oversized-s", lap_id: str = "oversized-l") -> bytes:
    return json.dumps({"lap": {"sessionId": session_id, "lapId": lap_id, "lapNumber": 1}}).encode()


async def raw_exchange(url: str, pieces: list[bytes]) -> tuple[int, str, bytes]:
    """Send ``pieces`` on one connection (each flushed on its own) while reading; (status, content type, body)."""
    address = urlsplit(url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)

    async def send() -> None:
        try:
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
        except ConnectionError:
            pass  # the server stopped reading: its answer is already on the way

    sending = asyncio.create_task(send())
    try:
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        await sending
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers.get("content-type", ""), body


async def test_a_body_over_the_limit_gets_413_naming_it_on_every_route_that_takes_one(mesh, token_for):
    token = await token_for("bodies")
    over = lap_body() + b" " * (MAX_BODY_BYTES + 1 - len(lap_body()))
    async with httpx.AsyncClient(base_url=mesh.gateway_url, timeout=30) as http:
        for method, path, headers in (("POST", SCORE, bearer(token)), ("POST", "/api/v1/login-codes", bearer(token)),
                                      ("POST", SCORE, {}), ("GET", "/api/v1/me", bearer(token))):
            reply = await http.request(method, path, content=over, headers={**headers, "content-type": "application/json"})
            assert_refusal(reply.status_code, reply.headers["content-type"], reply.content, expected=413,
                           words=f"larger than {MAX_BODY_BYTES} bytes (1 MiB)")

        async def chunked():  # no content-length: refused as it is read
            yield lap_body()
            for _ in range(MAX_BODY_BYTES // 65536 + 1):
                yield b" " * 65536

        reply = await http.post(SCORE, content=chunked(), headers={**bearer(token), "content-type": "application/json"})
        assert "content-length" not in reply.request.headers
        assert_refusal(reply.status_code, reply.headers["content-type"], reply.content, expected=413,
                       words=f"larger than {MAX_BODY_BYTES} bytes")
        assert (await http.get("/healthz")).status_code == 200


async def test_a_body_of_the_limit_is_scored_as_it_is_without_the_padding(mesh, token_for):
    token = await token_for("bodies")
    headers = {**bearer(token), "content-type": "application/json"}
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=headers, timeout=30) as http:
        plain = await http.post(SCORE, content=lap_body())
        at_limit = await http.post(SCORE, content=lap_body() + b" " * (MAX_BODY_BYTES - len(lap_body())))
    assert int(at_limit.request.headers["content-length"]) == MAX_BODY_BYTES
    assert plain.status_code == at_limit.status_code == 201, (plain.text, at_limit.text)
    assert at_limit.json() == plain.json()


async def test_path_and_query_values_too_long_for_their_field_get_400_naming_it(mesh, token_for):
    token = await token_for("bodies")
    long = "x" * 12_000  # under the 16 KiB the HTTP server reads, so the gateway itself answers
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=30) as http:
        for path, params, words in ((f"/api/v1/laps/{long}", None, "lap_id is 12000 characters long; at most 128"),
                                    (f"/api/v1/sessions/{long}", None, "session_id is 12000 characters long"),
                                    (f"/api/v1/laps/{long}/compare/{long[:100]}", None, "lap_id is 12000 characters"),
                                    ("/api/v1/sessions", {"track": long}, "track is 12000 characters long; at most 256")):
            reply = await http.get(path, params=params)
            assert_refusal(reply.status_code, reply.headers["content-type"], reply.content, expected=400, words=words)


async def test_a_request_line_or_headers_beyond_what_the_server_reads_get_414_or_431_not_a_reset(mesh):
    url = mesh.gateway_url
    huge = b"t" * (1 << 20)
    for pieces, expected, words in (
            ([b"GET /api/v1/sessions?track=", huge, b" HTTP/1.1\r\nhost: gateway\r\n\r\n"], 414, "longer than 16384 bytes"),
            ([b"GET /api/v1/laps/", huge, b" HTTP/1.1\r\nhost: gateway\r\n\r\n"], 414, "request line"),
            ([b"GET /api/v1/me HTTP/1.1\r\nhost: gateway\r\nx-padding: ", huge, b"\r\n\r\n"], 431,
             "headers are larger than 16384 bytes"),
            ([b"NOT HTTP AT ALL\r\n\r\n"], 400, "not valid HTTP")):
        status, content_type, body = await raw_exchange(url, pieces)
        assert_refusal(status, content_type, body, expected=expected, words=words)
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        assert (await http.get("/healthz")).status_code == 200


def nordschleife_lap(session_id: str, number: int) -> analysis_pb2.LapAnalysis:
    """A lap with 170 corners and 100 braking zones, every number set: about 40 KB."""
    lap = analysis_pb2.LapAnalysis(session_id=session_id, lap_id=f"{session_id}-{number}", lap_number=number,
                                   start_session_time_s=10.0 + number, end_session_time_s=10.5 + number, valid=True,
                                   distance_m=20_800.0, sample_count=30)
    lap.lap_time.FromNanoseconds(480_000_000_000 + number)
    for kind, count, key in ((lap.corners, 170, "number"), (lap.braking_zones, 100, "index")):
        for n in range(1, count + 1):
            item = kind.add()
            for field in item.DESCRIPTOR.fields:
                if field.type == field.TYPE_DOUBLE:
                    setattr(item, field.name, 0.5 + n * 0.000123456789)
            setattr(item, key, n)
    return lap


async def write_laps(channel: grpc.aio.Channel, token: str, requests: list) -> None:
    write = channel.stream_stream("/racecoach.storage.v1.StorageService/Write",
                                  request_serializer=storage_pb2.WriteRequest.SerializeToString,
                                  response_deserializer=storage_pb2.WriteResponse.FromString)
    replies = [r async for r in write(iter(requests), metadata=[("authorization", f"Bearer {token}")], timeout=60)]
    assert len(replies) == len(requests) and not any(r.HasField("error") for r in replies)


async def test_an_answer_over_4_mib_is_served_and_one_over_the_mesh_limit_is_502_naming_both_sizes(mesh, token_for):
    token = await token_for("answers")
    limit = mesh.settings.max_message_bytes
    session = make_session(track="Nurburgring Nordschleife")
    sid = session.session_id
    first = [storage_pb2.WriteRequest(request_id=1, session=session),
             storage_pb2.WriteRequest(request_id=2, batch=build_batch(session_id=sid, seq=1,
                                                                      arrays=make_arrays(start_index=0, count=60)))]
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel, \
            httpx.AsyncClient(base_url=mesh.gateway_url, headers=bearer(token), timeout=60) as http:
        await write_laps(channel, token, first + [storage_pb2.WriteRequest(request_id=10 + n, lap=nordschleife_lap(sid, n))
                                                  for n in range(1, 131)])
        reply = await http.get(f"/api/v1/sessions/{sid}")
        assert reply.status_code == 200, reply.text[:300]
        assert len(reply.json()["laps"]) == 130 and 130 * nordschleife_lap(sid, 1).ByteSize() > 4 * 1024 * 1024

        await write_laps(channel, token, [storage_pb2.WriteRequest(request_id=200 + n, lap=nordschleife_lap(sid, n))
                                          for n in range(131, 221)])
        reply = await http.get(f"/api/v1/sessions/{sid}")
        error = assert_refusal(reply.status_code, reply.headers["content-type"], reply.content, expected=502,
                               words=f"bytes, more than the {limit} bytes (8 MiB) a message of the mesh may hold")
        assert int(error["detail"].split()[3]) > limit
        assert (await http.get(f"/api/v1/sessions?track=nurburgring")).status_code == 200


@pytest.mark.parametrize(("details", "status", "words"), [
    ("SERVER: Received message larger than max (8388609 vs. 8388608)", 413, "the request is 8388609 bytes as a message"),
    ("CLIENT: Sent message larger than max (9000000 vs. 8388608)", 413, "more than the 8388608 bytes (8 MiB)"),
    ("SERVER: Sent message larger than max (11933532 vs. 8388608)", 502, "the answer is 11933532 bytes"),
    ("Stream removed (CLIENT: Received message larger than max (5171124 vs. 4194304))", 502, "(4 MiB)"),
    ("batch holds 7 samples; at most 6 are allowed per batch", 429, "batch holds 7 samples"),
])
async def test_grpcs_own_size_refusals_are_413_or_502_and_other_resource_exhausted_stays_429(details, status, words):
    from racecoach.services.gateway.errors import http_error_for

    error = http_error_for(grpc.aio.AioRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.aio.Metadata(),
                                                grpc.aio.Metadata(), details=details))
    assert error.status_code == status and words in error.detail, (error.status_code, error.detail)
