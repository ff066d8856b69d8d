"""Laps a crash left undone are completed from the stored samples, on the real mesh: a resumed stream reads the
lap in progress at the failure again, a stream that opens completes its user's other unfinished sessions, and
``racing-coach reanalyze`` completes a history nobody streams to.

The laps expected come from the lap definition run over the samples sent (racecoach.common.laps), independently
of the mesh."""

from __future__ import annotations

import asyncio
import os
import sys

import numpy as np
import pytest

from racecoach.common.laps import detect_laps
from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.batch import concat
from racecoach.services.ingest import completion
from racecoach.storage.v1 import storage_pb2
from tests.services.ingest.test_pipeline import LAP_SAMPLES, PER_BATCH, batch_arrays, drained, links, pipeline, send, session_of  # noqa: F401
from telemetry_factories import make_batch

pytestmark = pytest.mark.asyncio(loop_scope="session")


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def expected_laps(last_seq: int) -> dict[int, float]:
    """Lap number → lap time of the laps the definition finds in batches 1..last_seq."""
    arrays = concat([batch_arrays(seq) for seq in range(1, last_seq + 1)])
    return {lap.lap_number: lap.lap_time_s for lap in detect_laps(arrays)}


async def stored_laps(storage, session_id: str) -> dict[int, tuple[float, int, bool]]:
    """Lap number → (lap time, samples, has a report)."""
    rows = await storage.pool.fetch(
        "SELECT l.lap_number, l.lap_time_s, l.sample_count, r.lap_pk IS NOT NULL AS reported FROM laps l"
        " JOIN sessions s USING (session_pk) LEFT JOIN lap_reports r USING (lap_pk) WHERE s.session_id = $1", session_id)
    return {r["lap_number"]: (r["lap_time_s"], r["sample_count"], r["reported"]) for r in rows}


async def write_samples(mesh, token: str, session, seqs) -> None:
    """Samples stored as a collector's stream stores them, with no analysis: what a crash of ingest leaves."""
    from racecoach.services.ingest.links import connect

    opened = connect(settings=mesh.settings, storage_addr=mesh.address("storage"), analysis_addr=mesh.address("analysis"),
                     coaching_addr=mesh.address("coaching"))
    try:
        requests = [storage_pb2.WriteRequest(session=session)]
        requests += [storage_pb2.WriteRequest(request_id=seq, batch=make_batch(session_id=session.session_id, seq=seq,
                                                                                 arrays=batch_arrays(seq))) for seq in seqs]
        replies = [r async for r in opened.storage.Write(iter(requests), metadata=auth(token))]
        assert not any(r.HasField("error") for r in replies), replies
    finally:
        await opened.close()


async def until(predicate, *, timeout_s: float = 20.0, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)


async def test_a_resumed_stream_analyses_the_lap_in_progress_when_the_last_one_failed(mesh, storage, links, token_for):
    token = await token_for()
    session = session_of("completion resume ring")
    crash_at = 2 * LAP_SAMPLES // PER_BATCH + 3  # half through the second whole lap
    first = pipeline(links, mesh, token, session)
    await first.open()
    for seq in range(1, crash_at + 1):
        await send(first, seq, batch_arrays(seq))
    await until(lambda: asyncio.sleep(0, first.committed_seq == crash_at), what="the first stream's batches committed")
    await until(lambda: _has_laps(storage, session.session_id, 1), what="the first whole lap analysed")
    await first.abort()  # ingest dies: the lap in progress is stored, never analysed

    last = crash_at + 2 * LAP_SAMPLES // PER_BATCH
    second = pipeline(links, mesh, token, session)
    assert await second.open() == crash_at
    for seq in range(crash_at + 1, last + 1):
        await send(second, seq, batch_arrays(seq))
    await second.close()
    # A lap coaching could not score at once (busy past its deadline) is scored when the stream ends, in the background
    await completion.wait_completions(links)

    want = expected_laps(last)
    laps = await stored_laps(storage, session.session_id)
    assert set(laps) == set(want) and len(want) == 3
    for number, lap_time in want.items():
        assert laps[number][0] == pytest.approx(lap_time, abs=1e-6)
        assert laps[number][1] >= LAP_SAMPLES - 1 and laps[number][2], (number, laps[number])  # whole, and reported
    told = [item.lap_completed.lap.lap_number for item in drained(second.out)
            if isinstance(item, ingest_pb2.StreamResponse) and item.HasField("lap_completed")]
    assert told == sorted(want)[1:]  # the lap that spanned the failure is told to the resumed stream


async def _has_laps(storage, session_id: str, count: int) -> bool:
    return len(await stored_laps(storage, session_id)) >= count


async def test_a_stream_that_opens_completes_its_users_other_sessions(mesh, storage, links, token_for):
    token, other = await token_for(), await token_for("other")
    left = session_of("completion left ring")
    last = 3 * LAP_SAMPLES // PER_BATCH + 2
    await write_samples(mesh, token, left, range(1, last + 1))
    others = session_of("completion others ring")
    await write_samples(mesh, other, others, range(1, last + 1))

    opened = pipeline(links, mesh, token, session_of("completion new ring"))
    await opened.open()
    await completion.wait_completions(links)
    await opened.close()

    want = expected_laps(last)
    laps = await stored_laps(storage, left.session_id)
    assert set(laps) == set(want) and len(want) == 2 and all(reported for _, _, reported in laps.values())
    assert all(laps[n][0] == pytest.approx(t, abs=1e-6) for n, t in want.items())
    assert await stored_laps(storage, others.session_id) == {}  # another user's sessions wait for that user


async def test_reanalyze_completes_history_once(mesh, storage, token_for, tmp_path):
    token = await token_for()
    session = session_of("completion history ring")
    last = 4 * LAP_SAMPLES // PER_BATCH + 1
    await write_samples(mesh, token, session, range(1, last + 1))
    want = expected_laps(last)

    async def reanalyze(*args: str) -> str:
        env = dict(os.environ, RACING_COACH_TOKEN=token, RACING_COACH_DATA_DIR=str(tmp_path),
                   RACING_COACH_STORAGE_ADDR=mesh.address("storage"), RACING_COACH_ANALYSIS_ADDR=mesh.address("analysis"),
                   RACING_COACH_COACHING_ADDR=mesh.address("coaching"), DATABASE_URL=mesh.settings.database_url or "")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "racecoach.client.cli", "reanalyze", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, output.decode()
        return output.decode()

    said = await reanalyze("--session", session.session_id)
    numbers = ", ".join(str(n) for n in sorted(want))
    assert f"laps analysed {numbers}, reports made {numbers}" in said, said
    laps = await stored_laps(storage, session.session_id)
    assert set(laps) == set(want) and all(reported for _, _, reported in laps.values())
    assert np.allclose([laps[n][0] for n in sorted(want)], [want[n] for n in sorted(want)])

    await storage.pool.execute(
        "DELETE FROM lap_reports WHERE lap_pk = (SELECT l.lap_pk FROM laps l JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 AND l.lap_number = $2)", session.session_id, min(want))
    said = await reanalyze("--session", session.session_id)
    assert f"laps analysed none, reports made {min(want)}" in said, said  # the lap kept, its report made again
    assert all(reported for _, _, reported in (await stored_laps(storage, session.session_id)).values())
    said = await reanalyze()
    assert "0 lap(s) analysed, 0 report(s) made" in said, said


async def test_a_resumed_stream_scores_its_laps_left_without_a_report(mesh, storage, links, token_for):
    token = await token_for()
    session = session_of("completion unscored ring")
    last = 3 * LAP_SAMPLES // PER_BATCH + 2
    await write_samples(mesh, token, session, range(1, last + 1))
    metadata = pipeline(links, mesh, token, session).metadata
    done = await completion.complete_sessions(links=links, metadata=metadata, session_id=session.session_id)
    unscored = min(done[0].laps)
    await storage.pool.execute(  # as if ingest died after storing the lap, before its report
        "DELETE FROM lap_reports WHERE lap_pk = (SELECT l.lap_pk FROM laps l JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 AND l.lap_number = $2)", session.session_id, unscored)
    assert not (await stored_laps(storage, session.session_id))[unscored][2]

    resumed = pipeline(links, mesh, token, session)
    assert await resumed.open() == last
    await completion.wait_completions(links)
    laps = await stored_laps(storage, session.session_id)
    assert set(laps) == set(expected_laps(last)) and all(reported for _, _, reported in laps.values()), laps
    await resumed.close()
    await completion.wait_completions(links)
    told = [item for item in drained(resumed.out) if isinstance(item, ingest_pb2.StreamResponse) and item.HasField("lap_completed")]
    assert told == []  # the laps were analysed before: the resumed stream tells none again
