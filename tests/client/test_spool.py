"""The on-disk spool: append before send, torn tails, acked trimming, resume points."""

from __future__ import annotations

import os

import numpy as np
import pytest
from racecoach.client.spool import RECORD, Spool, SpoolError
from racecoach.client.uploader import split_batches
from racecoach.telemetry.v1 import telemetry_pb2


def _session(session_id: str = "spool-test") -> telemetry_pb2.Session:
    return telemetry_pb2.Session(session_id=session_id, tick_rate_hz=60.0)


def _arrays(count: int = 60) -> dict[str, np.ndarray]:
    time = 10.0 + np.arange(count) / 60.0
    return {
        "session_time_s": time, "lap": np.ones(count, np.float32), "lap_dist_m": np.arange(count, dtype=np.float32),
        "lap_dist_pct": np.linspace(0, 0.1, count, dtype=np.float32), "speed_mps": np.full(count, 30, np.float32),
    }


def _batches(count: int = 60, per: int = 6):
    return list(split_batches(session_id="spool-test", arrays=_arrays(count), samples_per_batch=per))


def test_append_then_reopen_gives_the_same_batches_and_resume_point(tmp_path):
    spool = Spool.create(root=tmp_path, session=_session())
    batches = _batches()
    for seq, payload in batches:
        assert spool.append(seq=seq, payload=payload)
    assert not spool.append(seq=3, payload=batches[2][1]), "an already spooled seq is not appended twice"
    spool.close()

    again = Spool.load(tmp_path / "spool-test")
    assert again.session.session_id == "spool-test"
    assert again.records_after(0, limit=100) == batches
    assert again.last_seq == 10
    assert again.last_time_s == pytest.approx(10.0 + 59 / 60)
    assert Spool.pending(tmp_path) == [tmp_path / "spool-test"]


def test_torn_tail_from_a_crash_mid_write_is_cut_off(tmp_path):
    spool = Spool.create(root=tmp_path, session=_session())
    batches = _batches()
    for seq, payload in batches[:4]:
        spool.append(seq=seq, payload=payload)
    spool.close()
    log = tmp_path / "spool-test" / "batches.log"
    with open(log, "ab") as handle:  # half of the fifth record, as a SIGKILL mid-write leaves it
        record = RECORD.pack(len(batches[4][1]), 0, 5, 0.0) + batches[4][1]
        handle.write(record[: len(record) // 2])
    again = Spool.load(tmp_path / "spool-test")
    assert [seq for seq, _ in again.records_after(0, limit=100)] == [1, 2, 3, 4]
    assert again.append(seq=5, payload=batches[4][1])
    assert [seq for seq, _ in again.records_after(3, limit=100)] == [4, 5]


def test_corrupt_record_stops_the_scan_there(tmp_path):
    spool = Spool.create(root=tmp_path, session=_session())
    for seq, payload in _batches()[:3]:
        spool.append(seq=seq, payload=payload)
    spool.close()
    log = tmp_path / "spool-test" / "batches.log"
    data = bytearray(log.read_bytes())
    data[-5] ^= 0xFF  # flip a byte of the last payload: its CRC no longer matches
    log.write_bytes(bytes(data))
    assert [seq for seq, _ in Spool.load(tmp_path / "spool-test").records_after(0, limit=10)] == [1, 2]


def test_acked_prefix_is_compacted_and_survives_reopen(tmp_path):
    spool = Spool.create(root=tmp_path, session=_session(), compact_bytes=1)
    batches = _batches()
    for seq, payload in batches:
        spool.append(seq=seq, payload=payload)
    size_before = os.path.getsize(spool.directory / "batches.log")
    spool.acked(7)
    assert os.path.getsize(spool.directory / "batches.log") < size_before / 2
    assert [seq for seq, _ in spool.records_after(0, limit=100)] == [8, 9, 10]
    assert spool.unacked_count == 3
    spool.acked(10)
    assert os.path.getsize(spool.directory / "batches.log") == 0
    assert spool.last_seq == 10 and spool.last_time_s == pytest.approx(10.0 + 59 / 60)
    spool.close()
    again = Spool.load(spool.directory)
    assert again.committed_seq == 10 and again.last_seq == 10
    assert again.last_time_s == pytest.approx(10.0 + 59 / 60), "the resume point outlives compaction"
    assert not again.append(seq=10, payload=batches[-1][1])


def test_remove_and_bad_session_ids(tmp_path):
    spool = Spool.create(root=tmp_path, session=_session())
    spool.mark_ended()
    assert spool.ended
    spool.remove()
    assert Spool.pending(tmp_path) == []
    with pytest.raises(SpoolError, match="cannot name a spool directory"):
        Spool.create(root=tmp_path, session=_session("../escape"))
    with pytest.raises(SpoolError, match="session.pb"):
        (tmp_path / "empty").mkdir()
        Spool.load(tmp_path / "empty")


def test_without_pread_as_on_windows_the_spool_reads_interleaved_with_appends(tmp_path, monkeypatch):
    """Windows has no os.pread: reads seek and read under the lock while appends still go to the end."""
    monkeypatch.delattr(os, "pread")
    spool = Spool.create(root=tmp_path, session=_session(), compact_bytes=1)
    batches = _batches()
    for seq, payload in batches[:5]:
        spool.append(seq=seq, payload=payload)
    assert spool.records_after(2, limit=2) == batches[2:4]
    for seq, payload in batches[5:]:  # appended after a read moved the position: still at the end
        spool.append(seq=seq, payload=payload)
    assert spool.records_after(0, limit=100) == batches
    spool.acked(7)  # compaction: the log is closed, replaced and opened again
    assert spool.records_after(0, limit=100) == batches[7:]
    spool.close()
    again = Spool.load(spool.directory)
    assert again.records_after(0, limit=100) == batches[7:] and again.committed_seq == 7
