"""The ingest pipeline directly, on the real mesh: storage first, analysis and coaching beside it."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import pytest_asyncio

from racecoach.ingest.v1 import ingest_pb2
from racecoach.services.common.auth import forwarded
from racecoach.services.common.batch import BatchValidationError
from racecoach.services.ingest.coalesce import joined
from racecoach.services.ingest.links import connect
from racecoach.services.ingest.pipeline import SessionPipeline
from racecoach.services.storage.identity import resolve_token
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import make_arrays, make_batch, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")

LAP_M, HZ, SPEED = 600.0, 60.0, 50.0
PER_BATCH = 120
LAP_SAMPLES = int(LAP_M / SPEED * HZ)  # 720


@pytest_asyncio.fixture(loop_scope="session")
async def links(mesh):
    opened = connect(settings=mesh.settings, storage_addr=mesh.address("storage"), analysis_addr=mesh.address("analysis"),
                     coaching_addr=mesh.address("coaching"))
    try:
        yield opened
    finally:
        await opened.close()


def session_of(name: str) -> telemetry_pb2.Session:
    session = make_session(track=name)
    session.track.length_m = LAP_M
    return session


def pipeline(links, mesh, token: str, session: telemetry_pb2.Session) -> SessionPipeline:
    metadata = forwarded([("authorization", f"Bearer {token}")], service_token=mesh.settings.service_token)
    return SessionPipeline(links=links, metadata=metadata, session=session, out=asyncio.Queue())


def batch_arrays(seq: int, *, count: int = PER_BATCH, shift: int = 0) -> dict[str, np.ndarray]:
    arrays = make_arrays(start_index=(seq - 1) * PER_BATCH + shift, count=count, lap_length_m=LAP_M, speed_mps=SPEED, hz=HZ)
    phase = 2 * np.pi * arrays["lap_dist_m"].astype(np.float64) / LAP_M
    arrays["lat_accel_mps2"] = (9.0 * np.sin(phase)).astype(np.float32)
    arrays["yaw_rate_rps"] = (0.2 * np.sin(phase)).astype(np.float32)
    return arrays


async def send(p: SessionPipeline, seq: int, arrays: dict[str, np.ndarray]) -> None:
    p.check_follows(seq=seq, times=arrays["session_time_s"])
    batch = make_batch(session_id=p.session.session_id, seq=seq, arrays=arrays)
    await p.forward(seq=seq, batch_bytes=batch.SerializeToString(), arrays=arrays)


def drained(queue: asyncio.Queue) -> list:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def stored(storage, token: str, session_id: str) -> tuple[list[int], int]:
    user = await resolve_token(storage.pool, token=token)
    samples = await storage.pool.fetchval(
        "SELECT count(*) FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1 AND s.user_id = $2",
        session_id, user.user_id)
    laps = await storage.pool.fetch(
        "SELECT l.lap_number FROM laps l JOIN sessions s USING (session_pk) WHERE s.session_id = $1 ORDER BY 1", session_id)
    return [r["lap_number"] for r in laps], samples


async def test_batches_are_stored_acked_in_order_and_laps_come_back(mesh, storage, links, token_for):
    token = await token_for("pipeline")
    session = session_of("pipeline ring")
    p = pipeline(links, mesh, token, session)
    assert await p.open() == 0 and p.expects() == 1
    count = 21  # three and a half laps from the line: laps 2 and 3 run from crossing to crossing
    for seq in range(1, count + 1):
        await send(p, seq, batch_arrays(seq))
    closed = await p.close()
    out = drained(p.out)
    acks = [r.ack.committed_seq for r in out if isinstance(r, ingest_pb2.StreamResponse) and r.HasField("ack")]
    assert acks == sorted(set(acks)) and acks[-1] == count  # acks only rise, up to the last batch
    assert not [r for r in out if isinstance(r, ingest_pb2.StreamResponse) and r.HasField("error")]
    laps = [r.lap_completed for r in out if isinstance(r, ingest_pb2.StreamResponse) and r.HasField("lap_completed")]
    assert [lap.lap.lap_number for lap in laps] == [2, 3]
    for completed in laps:
        assert completed.lap.lap_time.ToNanoseconds() / 1e9 == pytest.approx(LAP_SAMPLES / HZ, abs=2 / HZ)
        assert completed.report.lap_id == completed.lap.lap_id
    assert (closed.session_id, closed.committed_seq, closed.lap_count) == (session.session_id, count, 2)
    assert await stored(storage, token, session.session_id) == ([2, 3], count * PER_BATCH)


async def test_a_resumed_stream_stores_and_analyses_only_what_is_new(mesh, storage, links, token_for):
    token = await token_for("resume")
    session = session_of("resume ring")
    first = pipeline(links, mesh, token, session)
    await first.open()
    for seq in range(1, 5):
        await send(first, seq, batch_arrays(seq))
    await first.close()

    again = pipeline(links, mesh, token, session)
    assert await again.open() == 4
    last_time = batch_arrays(4)["session_time_s"][-1]
    assert again.committed_tick == int(np.floor(last_time * HZ + 0.5))
    # a resend (lower seq) of stored samples: committed as it is, not analysed again
    resend = batch_arrays(3)
    assert again._unanalysed(seq=3, batch_bytes=b"unused", arrays=resend) is None
    # a new batch that starts 30 samples before the stored end: analysis gets only the 90 new samples
    overlap = batch_arrays(5, shift=-30)
    cut = again._unanalysed(seq=5, batch_bytes=b"unused", arrays=overlap)
    part = telemetry_pb2.TelemetryBatch.FromString(joined(session.session_id, [cut]))
    assert part.sample_count == PER_BATCH - 30 and part.seq == 5
    np.testing.assert_array_equal(part.session_time_s, overlap["session_time_s"][30:])
    np.testing.assert_array_equal(part.speed_mps, overlap["speed_mps"][30:])
    assert again._unanalysed(seq=5, batch_bytes=b"unused", arrays=overlap) is None  # sent once

    await send(again, 3, resend)
    await send(again, 5, batch_arrays(5))
    closed = await again.close()
    acks = [r.ack.committed_seq for r in drained(again.out) if isinstance(r, ingest_pb2.StreamResponse) and r.HasField("ack")]
    # the resend is acked on its own ([3, 5]) or with the new batch when storage commits both together ([5])
    assert acks in ([3, 5], [5]) and closed.committed_seq == 5
    assert (await stored(storage, token, session.session_id))[1] == 5 * PER_BATCH


async def test_a_new_batch_must_start_after_the_last_and_storage_refusals_come_back(mesh, links, token_for):
    token = await token_for("follows")
    session = session_of("follows ring")
    p = pipeline(links, mesh, token, session)
    await p.open()
    await send(p, 1, batch_arrays(1))
    early = batch_arrays(2, shift=-1)  # starts on batch 1's last sample
    with pytest.raises(BatchValidationError, match="not after .* where batch seq 1 ended") as err:
        p.check_follows(seq=2, times=early["session_time_s"])
    assert err.value.reason == "TIME_NOT_MONOTONIC"
    p.check_follows(seq=1, times=batch_arrays(1)["session_time_s"])  # a resend may overlap
    await send(p, 3, batch_arrays(3))  # storage refuses the gap
    await p.close()
    errors = [r.error for r in drained(p.out) if isinstance(r, ingest_pb2.StreamResponse) and r.HasField("error")]
    assert [(e.seq, e.reason) for e in errors] == [(3, ingest_pb2.BATCH_ERROR_REASON_SEQ_GAP)]
    assert "resend from 2" in errors[0].message


def test_every_storage_error_code_has_its_ingest_reason():
    from racecoach.services.ingest.pipeline import STORAGE_REASONS
    from racecoach.storage.v1 import storage_pb2

    codes = {v.number for v in storage_pb2.WriteErrorCode.DESCRIPTOR.values if v.number}
    assert set(STORAGE_REASONS) == codes
    reasons = {storage_pb2.WriteErrorCode.Name(c): ingest_pb2.BatchErrorReason.Name(r) for c, r in STORAGE_REASONS.items()}
    assert reasons == {
        "WRITE_ERROR_CODE_INVALID_BATCH": "BATCH_ERROR_REASON_REFUSED_BY_STORAGE",
        "WRITE_ERROR_CODE_UNKNOWN_SESSION": "BATCH_ERROR_REASON_UNKNOWN_SESSION",
        "WRITE_ERROR_CODE_PERMISSION_DENIED": "BATCH_ERROR_REASON_PERMISSION_DENIED",
        "WRITE_ERROR_CODE_INVALID_LAP": "BATCH_ERROR_REASON_REFUSED_BY_STORAGE",
        "WRITE_ERROR_CODE_SEQ_GAP": "BATCH_ERROR_REASON_SEQ_GAP",
    }


async def test_a_batch_storage_refuses_comes_back_as_refused_by_storage(mesh, links, token_for):
    token = await token_for("refused")
    p = pipeline(links, mesh, token, session_of("refused ring"))
    await p.open()
    bad = batch_arrays(1)
    bad["speed_mps"][7] = np.nan  # ingest's servicer would have refused it; storage does so on its own
    await send(p, 1, bad)
    await p.close()
    errors = [r.error for r in drained(p.out) if isinstance(r, ingest_pb2.StreamResponse) and r.HasField("error")]
    assert [(e.seq, e.reason) for e in errors] == [(1, ingest_pb2.BATCH_ERROR_REASON_REFUSED_BY_STORAGE)]
    assert errors[0].message == "batch seq 1: channel speed_mps holds nan at sample 7; values must be finite"
