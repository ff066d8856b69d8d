"""Reading a run's batches from their wire bytes (wire_batches.py) gives exactly what reading them field by field
gives, and declines every run it cannot read so (the Write stream then reads field by field)."""

from __future__ import annotations

import numpy as np
import pytest

from racecoach.services.storage import wire_batches, write_stream
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import make_arrays, make_batch


def views(seqs, *, count: int = 6, session_id: str = "wire-session", spoil=None) -> list:
    """The batches as the Write stream reads them (raw views parsed from the bytes), ``spoil(seq, arrays)`` applied."""
    out = []
    for n, seq in enumerate(seqs):
        arrays = make_arrays(start_index=n * count, count=count)
        if spoil is not None:
            spoil(seq, arrays)
        message = storage_pb2.WriteRequest(request_id=seq, batch=make_batch(session_id=session_id, seq=seq, arrays=arrays))
        out.append(storage_pb2.WriteRequestRawView.FromString(message.SerializeToString()).batch)
    return out


def same(wire, fields) -> None:
    assert wire[0] == fields[0] and wire[1].tolist() == fields[1].tolist()
    assert wire[2].keys() == fields[2].keys()
    for name in fields[2]:
        assert wire[2][name].dtype == fields[2][name].dtype and np.array_equal(wire[2][name], fields[2][name]), name


@pytest.mark.parametrize("seqs", [range(1, 40), range(100, 140), range(16_300, 16_400), range(120, 16_500, 97), [5]])
def test_a_run_of_one_layout_reads_as_its_fields_do(seqs):
    batches = views(list(seqs))
    read = wire_batches.read_run(batches)
    assert read is not None
    same(read, write_stream._read_fields(batches))


def test_seqs_of_three_varint_lengths_are_read_each_part_apart():
    batches = views([126, 127, 128, 129, 16_383, 16_384])
    read = wire_batches.read_run(batches)
    assert read is not None and read[0] == [126, 127, 128, 129, 16_383, 16_384]
    same(read, write_stream._read_fields(batches))


def test_batches_of_another_sample_count_are_read_as_a_part_of_their_own():
    batches = views([1, 2]) + views([3, 4], count=7) + views([5], count=600)
    read = wire_batches.read_run(batches)
    assert read is not None and read[1].tolist() == [6, 6, 7, 7, 600]
    same(read, write_stream._read_fields(batches))
    assert wire_batches.read_run(views([1]) + views([2], count=7) + views([3]) + views([4], count=7)) is None  # parts at most


def test_batches_of_another_layout_are_declined():
    def drop_brake(seq, arrays):
        if seq == 3:
            del arrays["brake"]

    assert wire_batches.read_run(views(range(1, 6), spoil=drop_brake)) is None
    assert wire_batches.read_run(views([1]) + views([2], session_id="wire-sessioN")) is None  # same length, other session


def test_an_unknown_or_repeated_field_is_declined():
    batch = make_batch(session_id="wire-session", seq=1, arrays=make_arrays(start_index=0, count=6))
    data = batch.SerializeToString()
    unknown = telemetry_pb2.TelemetryBatchRawView.FromString(data + b"\xf8\x3e\x01")  # field 999, a varint
    repeated = telemetry_pb2.TelemetryBatchRawView.FromString(data + b"\x10\x02")  # seq again
    assert wire_batches.layout_of(data) is not None
    assert wire_batches.read_run([unknown]) is None
    assert wire_batches.layout_of(data + b"\x10\x02") is None
    assert repeated.seq == 2  # (protobuf takes the last; field by field the stream reads it so)


def test_a_wire_read_run_encodes_and_validates_as_before(monkeypatch):
    read = []
    monkeypatch.setattr(wire_batches, "read_run", lambda views, real=wire_batches.read_run: read.append(len(views)) or real(views))
    requests = [storage_pb2.WriteRequestRawView.FromString(storage_pb2.WriteRequest(request_id=seq, batch=batch)
                .SerializeToString()) for seq, batch in enumerate(
                    (make_batch(session_id="wire-session", seq=seq, arrays=make_arrays(start_index=(seq - 1) * 6, count=6))
                     for seq in range(1, write_stream.WIRE_READ_MIN + 1)), start=1)]
    run = write_stream.prepare_run(requests, max_samples=600)
    count = write_stream.WIRE_READ_MIN
    assert read == [count]  # long enough a run to be read from its wire bytes
    assert run.bad == {} and [rows.seq for _, rows in run.good] == list(range(1, count + 1))
    assert np.array_equal(run.times[0], make_arrays(start_index=0, count=6 * count)["session_time_s"])
    spoiled = [storage_pb2.WriteRequestRawView.FromString(r.SerializeToString()) for r in requests]
    nan = make_arrays(start_index=24, count=6)
    nan["speed_mps"][2] = np.nan
    spoiled[4] = storage_pb2.WriteRequestRawView.FromString(storage_pb2.WriteRequest(
        request_id=5, batch=make_batch(session_id="wire-session", seq=5, arrays=nan)).SerializeToString())
    run = write_stream.prepare_run(spoiled, max_samples=600)
    assert list(run.bad) == [4] and len(run.good) == count - 1  # the wire read is checked like any other
