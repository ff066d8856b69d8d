"""Uploader with a spool against the real mesh: offline driving uploads later, a crash resends."""

from __future__ import annotations

import socket

import numpy as np
import pytest
from racecoach.client.source import load_ibt
from racecoach.client.spool import Spool
from racecoach.client.uploader import Uploader, UploadError, split_batches

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def stored(storage, session_id: str) -> tuple[int, int, np.ndarray]:
    rows = await storage.pool.fetch(
        "SELECT t.seq, t.idx, t.session_time_s FROM telemetry_samples t JOIN sessions s USING (session_pk)"
        " WHERE s.session_id = $1 ORDER BY t.session_time_s", session_id)
    return len(rows), len({(r["seq"], r["idx"]) for r in rows}), np.array([r["session_time_s"] for r in rows])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_offline_session_is_spooled_then_uploaded_exactly_once(mesh, storage, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    session, arrays = load_ibt(simulated_ibt[0])
    session.session_id = "offline-" + session.session_id[:20]
    batches = list(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=6))

    offline = Uploader(address=f"127.0.0.1:{_free_port()}", token=token, session=session, max_attempts=2,
                       spool=Spool.create(root=tmp_path, session=session))
    with pytest.raises(UploadError, match="stay in the spool"):
        await offline.run(batches)
    offline.spool.close()
    [directory] = Spool.pending(tmp_path)
    spool = Spool.load(directory)
    assert spool.last_seq == len(batches) and spool.ended

    result = await Uploader(address=mesh.address("ingest"), token=token, session=spool.session, spool=spool).run()
    assert result.committed_seq == len(batches)
    assert Spool.pending(tmp_path) == [], "a fully committed session leaves no spool behind"
    count, distinct, times = await stored(storage, session.session_id)
    assert count == distinct == len(arrays["session_time_s"])
    np.testing.assert_array_equal(times, arrays["session_time_s"])


async def test_crash_after_partial_ack_resends_only_from_the_spool(mesh, storage, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    session, arrays = load_ibt(simulated_ibt[0])
    session.session_id = "crash-" + session.session_id[:20]
    batches = list(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=6))
    half = len(batches) // 2

    first = Uploader(address=mesh.address("ingest"), token=token, session=session,
                     spool=Spool.create(root=tmp_path, session=session))
    await first.run(batches[:half])  # ends the stream: everything so far committed, spool removed
    # a second run of the same session that "crashed" after spooling the rest without sending any of it
    crashed = Spool.create(root=tmp_path, session=session)
    for seq, payload in batches[half:]:
        crashed.append(seq=seq, payload=payload)
    crashed.close()

    spool = Spool.load(crashed.directory)
    result = await Uploader(address=mesh.address("ingest"), token=token, session=session, spool=spool).run()
    assert result.committed_seq == len(batches)
    count, distinct, times = await stored(storage, session.session_id)
    assert count == distinct == len(arrays["session_time_s"])
    np.testing.assert_array_equal(times, arrays["session_time_s"])
