"""StorageService.ListUnfinishedSessions over real gRPC on PostgreSQL: which stored laps lack an analysis or a report,
and from where the samples must be analysed again.

The samples are constant-speed laps of 100 m at 50 m/s: a start/finish crossing every 2 s, at session times
12, 14, 16, 18 and 20 s (so four whole laps, numbered 2 to 5 by iRacing's Lap at their middle).
"""

from __future__ import annotations

import grpc
import pytest

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.storage.unfinished import resume_from_s
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import make_arrays, make_batch, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
LAPS = {2: (12.0, 14.0), 3: (14.0, 16.0), 4: (16.0, 18.0), 5: (18.0, 20.0)}


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


async def stored_session(stub, token, *, laps: dict[int, bool], samples: int = 630) -> str:
    """A session of ``samples`` samples with the laps ``laps`` (lap number → reported) stored."""
    session = make_session()
    sid = session.session_id
    requests = [storage_pb2.WriteRequest(session=session)]
    for seq, start in enumerate(range(0, samples, 90), start=1):
        arrays = make_arrays(start_index=start, count=min(90, samples - start), lap_length_m=100.0)
        requests.append(storage_pb2.WriteRequest(request_id=seq, batch=make_batch(session_id=sid, seq=seq, arrays=arrays)))
    for number, reported in laps.items():
        start, end = LAPS[number]
        lap = analysis_pb2.LapAnalysis(session_id=sid, lap_id=f"{sid}-{number}", lap_number=number, valid=True,
                                       start_session_time_s=start, end_session_time_s=end, distance_m=100.0, sample_count=120)
        lap.lap_time.FromNanoseconds(round((end - start) * 1e9))
        requests.append(storage_pb2.WriteRequest(request_id=100 + number, lap=lap))
        if reported:
            requests.append(storage_pb2.WriteRequest(request_id=200 + number, report=coaching_pb2.LapReport(
                lap_id=lap.lap_id, score=90.0, summary="fine")))
    replies = [r async for r in stub.Write(iter(requests), metadata=auth(token))]
    assert not any(r.HasField("error") for r in replies), replies
    return sid


async def unfinished(stub, token, sid) -> storage_pb2.UnfinishedSession | None:
    reply = await stub.ListUnfinishedSessions(storage_pb2.ListUnfinishedSessionsRequest(session_id=sid), metadata=auth(token))
    assert len(reply.sessions) <= 1 and not reply.next_page_token
    return reply.sessions[0] if reply.sessions else None


@pytest.mark.parametrize(
    ("laps", "resume_from", "crossings"),
    [
        ({}, 0.0, 5),  # nothing analysed: every lap, from the first sample
        ({2: True, 3: True, 4: True}, 18.0, 1),  # the lap in progress at a crash, closed by the crossing at 20 s
        ({2: True, 3: False, 4: True, 5: True}, 14.0, 0),  # analysed, never scored
        ({2: True, 4: True, 5: True}, 14.0, 0),  # a lap left out between two stored ones
        ({3: True, 4: True, 5: True}, 0.0, 0),  # the first lap left out: a crossing before the first stored lap
    ],
)
async def test_work_left_and_where_it_starts(storage_stub, token_for, laps, resume_from, crossings):
    token = await token_for()
    sid = await stored_session(storage_stub, token, laps=laps)
    found = await unfinished(storage_stub, token, sid)
    assert found is not None and found.session.session_id == sid
    assert found.resume_from_s == pytest.approx(resume_from)
    assert found.unanalysed_crossings == crossings
    assert list(found.stored_lap_numbers) == sorted(laps)
    assert list(found.unreported_lap_numbers) == [n for n, reported in sorted(laps.items()) if not reported]


async def test_finished_sessions_and_laps_in_progress_are_not_listed(storage_stub, token_for):
    token = await token_for()
    done = await stored_session(storage_stub, token, laps={n: True for n in LAPS})
    assert await unfinished(storage_stub, token, done) is None
    # One crossing and no lap stored: the lap after it is still being driven, nothing to analyse.
    driving = await stored_session(storage_stub, token, laps={}, samples=180)
    assert await unfinished(storage_stub, token, driving) is None


async def test_listing_pages_through_the_callers_sessions_only(storage_stub, token_for):
    token, other = await token_for(), await token_for("other")
    open_ids = {await stored_session(storage_stub, token, laps={2: True}) for _ in range(3)}
    await stored_session(storage_stub, token, laps={n: True for n in LAPS})
    await stored_session(storage_stub, other, laps={})
    seen, page_token, pages = [], "", 0
    while True:
        reply = await storage_stub.ListUnfinishedSessions(
            storage_pb2.ListUnfinishedSessionsRequest(page_size=2, page_token=page_token), metadata=auth(token))
        seen += [s.session.session_id for s in reply.sessions]
        pages += 1
        page_token = reply.next_page_token
        if not page_token:
            break
    assert set(seen) == open_ids and len(seen) == 3 and pages == 2  # four sessions looked at, two a page

    with pytest.raises(grpc.aio.AioRpcError) as err:
        await unfinished(storage_stub, other, next(iter(open_ids)))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await storage_stub.ListUnfinishedSessions(storage_pb2.ListUnfinishedSessionsRequest(page_token="forged"), metadata=auth(token))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_resume_point_by_hand():
    lap = lambda start, end, reported=True: {"start_s": start, "end_s": end, "reported": reported}  # noqa: E731
    assert resume_from_s([]) == 0.0
    assert resume_from_s([lap(10, 20), lap(20, 30)]) == 30
    assert resume_from_s([lap(10, 20, False), lap(20, 30)]) == 10
    assert resume_from_s([lap(10, 20), lap(20.5, 30), lap(33, 40)]) == 30  # 0.5 s apart is one crossing; 3 s is a lap left out
