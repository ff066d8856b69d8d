"""Messages survive the wire: pb2 ↔ bytes ↔ betterproto SDK ↔ REST JSON, and the raw view reads the same bytes."""

from __future__ import annotations

import numpy as np
from google.protobuf import json_format

from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.common.batch import arrays_from_raw, arrays_from_typed, build_batch, decode_raw
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import make_arrays, make_session


def test_batch_round_trips_through_bytes_and_the_raw_view_reads_it_without_copying():
    arrays = make_arrays(start_index=0, count=60)
    batch = build_batch(session_id="s-1", seq=7, arrays=arrays)
    data = batch.SerializeToString()
    again = telemetry_pb2.TelemetryBatch.FromString(data)
    assert again == batch and again.seq == 7 and again.sample_count == 60
    view = telemetry_pb2.TelemetryBatchRawView.FromString(data)
    raw = arrays_from_raw(view)
    assert raw is not None
    for name, values in arrays.items():
        np.testing.assert_array_equal(raw[name], values.astype(raw[name].dtype))
    assert not raw["speed_mps"].flags.owndata  # a view over the message's buffer


def test_raw_view_falls_back_to_the_typed_parse_when_lengths_do_not_fit():
    batch = build_batch(session_id="s", seq=1, arrays=make_arrays(start_index=0, count=6))
    batch.sample_count = 5  # lies about its size
    view = telemetry_pb2.TelemetryBatchRawView.FromString(batch.SerializeToString())
    assert arrays_from_raw(view) is None
    decoded = decode_raw(view)
    assert len(decoded["speed_mps"]) == 6  # the typed parse; validation then refuses the mismatch


def test_typed_and_raw_decoding_agree():
    batch = build_batch(session_id="s", seq=3, arrays=make_arrays(start_index=100, count=30))
    typed = arrays_from_typed(batch)
    raw = decode_raw(telemetry_pb2.TelemetryBatchRawView.FromString(batch.SerializeToString()))
    assert typed.keys() == raw.keys()
    for name in typed:
        np.testing.assert_array_equal(typed[name], raw[name])


def test_sdk_reads_and_writes_the_same_bytes():
    from racecoach.sdk.telemetry.v1 import Session as SdkSession
    from racecoach.sdk.telemetry.v1 import TelemetryBatch as SdkBatch

    session = make_session()
    parsed = SdkSession.parse(session.SerializeToString())
    assert parsed.session_id == session.session_id and parsed.track.display_name == session.track.display_name
    assert telemetry_pb2.Session.FromString(bytes(parsed)) == session
    sdk_batch = SdkBatch(session_id="x", seq=2, sample_count=2, session_time_s=[1.0, 2.0], speed_mps=[10.0, 11.5])
    back = telemetry_pb2.TelemetryBatch.FromString(bytes(sdk_batch))
    assert list(back.speed_mps) == [10.0, 11.5] and back.seq == 2


def test_rest_json_uses_proto3_names_and_int64_strings():
    from racecoach.rest import models
    from racecoach.codegen.rest_runtime import to_struct

    lap = analysis_pb2.LapAnalysis(session_id="s", lap_id="s.2", lap_number=2, valid=True, distance_m=4318.5)
    lap.lap_time.FromNanoseconds(83_652_000_000)
    lap.corners.add(number=1, apex_m=447.0, direction=analysis_pb2.CORNER_DIRECTION_RIGHT)
    struct = to_struct(lap, models.AnalysisLapAnalysis)
    assert struct.lapId == "s.2" and struct.lapTime == "83.652s" and struct.corners[0].direction == "CORNER_DIRECTION_RIGHT"
    batch = build_batch(session_id="s", seq=12345678901, arrays=make_arrays(start_index=0, count=2))
    as_json = json_format.MessageToDict(batch)
    assert as_json["seq"] == "12345678901" and "sessionTimeS" in as_json
    assert to_struct(batch, models.TelemetryTelemetryBatch).seq == "12345678901"


def test_build_batch_writes_what_a_field_by_field_batch_holds():
    """The production build_batch (raw bytes per channel) against the tests' factory (typed fields, one by one)."""
    from telemetry_factories import make_batch

    arrays = make_arrays(start_index=1000, count=45)
    arrays["rpm"] = np.linspace(3000, 7500, 45, dtype=np.float32)
    built = build_batch(session_id="s-2", seq=9, arrays=arrays)
    by_hand = make_batch(session_id="s-2", seq=9, arrays=arrays)
    assert built == by_hand
    assert built.SerializeToString() == by_hand.SerializeToString()  # same wire bytes: packed fields are raw little-endian
    assert by_hand.first_session_time_s == arrays["session_time_s"][0] and by_hand.sample_count == 45
    assert list(by_hand.session_flags) == [0x80000004] * 45 and list(by_hand.gear) == [4.0] * 45
