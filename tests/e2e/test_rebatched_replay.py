"""The same file through the whole mesh again and again, in other batchings: every sample is stored once,
the laps keep their reports, and an upload cut short then sent whole in bigger batches loses nothing."""

from __future__ import annotations

import io

import numpy as np
import pyarrow.csv as pa_csv
import pytest

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.services.storage import export
from racecoach.services.storage.identity import resolve_token
from racecoach.storage.v1 import storage_pb2
from telemetry_factories import DATA

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def upload(mesh, token, session, arrays, *, batch_samples):
    uploader = Uploader(address=mesh.address("ingest"), token=token, session=session)
    return await uploader.run(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=batch_samples))


async def stored(storage, token, session_id):
    user = await resolve_token(storage.pool, token=token)
    times = await storage.pool.fetch(
        "SELECT t.session_time_s FROM telemetry_samples t JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 AND s.user_id = $2 ORDER BY t.session_time_s", session_id, user.user_id)
    reports = await storage.pool.fetch(
        "SELECT l.lap_number, r.report, r.created_at FROM lap_reports r JOIN laps l USING (lap_pk)"
        " JOIN sessions s USING (session_pk) WHERE s.session_id = $1 AND s.user_id = $2 ORDER BY l.lap_number",
        session_id, user.user_id)
    pieces = [p.data async for p in export.export_session(storage.pool, user=user, session_id=session_id,
                                                          fmt=storage_pb2.EXPORT_FORMAT_CSV, channels=["speed_mps"])]
    exported = pa_csv.read_csv(io.BytesIO(b"".join(pieces))).column("session_time_s").to_numpy()
    return np.array([r[0] for r in times]), [tuple(r) for r in reports], exported


async def test_replays_in_other_batchings_store_nothing_twice_and_keep_the_reports(mesh, storage, token_for, simulated_ibt):
    token = await token_for()
    path, _ = simulated_ibt
    session, arrays = load_ibt(path)
    first = await upload(mesh, token, session, arrays, batch_samples=60)
    assert sorted(c.lap.lap_number for c in first.laps) == [1, 2, 3]
    times, reports, _ = await stored(storage, token, session.session_id)
    np.testing.assert_array_equal(times, arrays["session_time_s"])
    assert [r[0] for r in reports] == [1, 2, 3]

    rng = np.random.default_rng(5)
    for batch_samples in [int(rng.integers(2, 20)), int(rng.integers(100, 400)), int(rng.integers(20, 100))]:
        again = await upload(mesh, token, session, arrays, batch_samples=batch_samples)
        assert again.errors == [] and again.laps == []  # nothing new to analyse: no lap is reported again
        assert again.committed_seq >= first.committed_seq
        times_now, reports_now, exported = await stored(storage, token, session.session_id)
        np.testing.assert_array_equal(times_now, arrays["session_time_s"])  # every sample once
        assert reports_now == reports  # the same reports, not rewritten
        assert len(exported) == len(arrays["session_time_s"]) and len(np.unique(exported)) == len(exported)


async def test_an_upload_cut_short_then_sent_whole_in_bigger_batches_loses_nothing(mesh, storage, token_for):
    token = await token_for()
    session, arrays = load_ibt(DATA / "sebring_amg-gt4_partial.ibt")
    count = len(arrays["session_time_s"])
    cut = {name: values[: count * 2 // 5] for name, values in arrays.items()}
    short = await upload(mesh, token, session, cut, batch_samples=6)
    assert short.errors == []
    whole = await upload(mesh, token, session, arrays, batch_samples=50)  # its seqs up to the cut's hold later samples
    assert whole.errors == []
    times, _, exported = await stored(storage, token, session.session_id)
    np.testing.assert_array_equal(times, arrays["session_time_s"])
    assert len(np.unique(exported)) == count
    again = await upload(mesh, token, session, arrays, batch_samples=17)
    assert again.errors == [] and len((await stored(storage, token, session.session_id))[0]) == count
