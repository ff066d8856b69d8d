"""Bad values over gRPC get INVALID_ARGUMENT (or the stream's own refusal) naming the field: oversized names,
NaN in a lap written through storage, session time going backwards from one batch to the next."""

from __future__ import annotations

import grpc
import httpx
import numpy as np
import pytest

from racecoach.analysis.v1 import analysis_pb2
from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.services.common.batch import build_batch
from racecoach.services.common.errors import InvalidInputError
from racecoach.services.common.limits import MAX_ID_CHARS, MAX_NAME_CHARS, check_message
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from telemetry_factories import make_arrays, make_batches, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def test_check_message_names_the_first_field_out_of_bounds():
    session = make_session()
    check_message(session)
    session.driver_name = "d" * (MAX_NAME_CHARS + 1)
    with pytest.raises(InvalidInputError, match=r"^driver_name is 257 characters long; at most 256"):
        check_message(session)
    lap = analysis_pb2.LapAnalysis(session_id="s" * MAX_ID_CHARS, lap_id="l")
    lap.corners.add(apex_m=float("nan"))
    with pytest.raises(InvalidInputError, match=r"^lap\.corners\[0\]\.apex_m is nan; it must be a finite number"):
        check_message(lap, prefix="lap.")
    with pytest.raises(InvalidInputError, match="NUL"):
        check_message(storage_pb2.ExportLapRequest(lap_id="x", channels=["speed_mps", "a\x00"]))


async def test_a_megabyte_driver_name_is_refused_by_ingest_and_by_storage(mesh, token_for):
    token = await token_for()
    session = make_session()
    session.driver_name = "d" * 1_000_000
    async with grpc.aio.insecure_channel(mesh.address("ingest")) as channel:
        call = ingest_pb2_grpc.IngestServiceStub(channel).Stream(metadata=auth(token))
        await call.write(ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)))
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await call.read()
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "start.session.driver_name is 1000000 characters long" in err.value.details()
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        replies = [r async for r in stub.Write(iter([storage_pb2.WriteRequest(request_id=1, session=session)]), metadata=auth(token))]
        assert "session.driver_name is 1000000 characters long" in replies[0].error.message
        listed = await stub.ListSessions(storage_pb2.ListSessionsRequest(), metadata=auth(token))
        assert not listed.sessions


async def test_a_lap_holding_nan_is_refused_and_the_session_stays_readable(mesh, token_for):
    token = await token_for()
    session = make_session()
    batch = make_batches(session_id=session.session_id, count=1)[0]
    lap = analysis_pb2.LapAnalysis(session_id=session.session_id, lap_id=f"{session.session_id}-1", lap_number=1,
                                   start_session_time_s=10.0, end_session_time_s=float("nan"), valid=True)
    backwards = analysis_pb2.LapAnalysis(session_id=session.session_id, lap_id=f"{session.session_id}-2", lap_number=2,
                                         start_session_time_s=12.0, end_session_time_s=11.25)
    requests = [storage_pb2.WriteRequest(request_id=1, session=session), storage_pb2.WriteRequest(request_id=2, batch=batch),
                storage_pb2.WriteRequest(request_id=3, lap=lap), storage_pb2.WriteRequest(request_id=4, lap=backwards)]
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        replies = [r async for r in stub.Write(iter(requests), metadata=auth(token))]
    assert [r.HasField("error") for r in replies] == [False, False, True, True]
    assert "lap.end_session_time_s is nan" in replies[2].error.message
    assert "end_session_time_s must not be before" in replies[3].error.message
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers={"authorization": f"Bearer {token}"}) as http:
        got = await http.get(f"/api/v1/sessions/{session.session_id}")
    assert got.status_code == 200 and not got.json().get("laps")


async def test_session_time_going_backwards_from_one_batch_to_the_next_is_refused(mesh, token_for):
    token = await token_for()
    session = make_session()
    first = build_batch(session_id=session.session_id, seq=1, arrays=make_arrays(start_index=60, count=60))
    back = build_batch(session_id=session.session_id, seq=2, arrays=make_arrays(start_index=15, count=60))  # 0.75 s back
    async with grpc.aio.insecure_channel(mesh.address("ingest")) as channel:
        call = ingest_pb2_grpc.IngestServiceStub(channel).Stream(metadata=auth(token))
        await call.write(ingest_pb2.StreamRequest(start=ingest_pb2.SessionStart(session=session)))
        for batch in (first, back):
            await call.write(ingest_pb2.StreamRequest(batch=batch))
        await call.write(ingest_pb2.StreamRequest(end=ingest_pb2.SessionEnd(session_id=session.session_id, last_seq=1)))
        await call.done_writing()
        replies = [r async for r in call]
    errors = [r.error for r in replies if r.HasField("error")]
    assert [(e.seq, ingest_pb2.BatchErrorReason.Name(e.reason)) for e in errors] == [(2, "BATCH_ERROR_REASON_TIME_NOT_MONOTONIC")]
    assert "session_time_s" in errors[0].message
    closed = [r.closed for r in replies if r.HasField("closed")]
    assert closed and closed[0].committed_seq == 1


def test_the_gate_holds_a_typed_batch_to_its_header_rules_and_leaves_its_arrays_to_the_batch_check():
    from racecoach.services.common.batch import BatchValidationError, validate

    arrays = make_arrays(start_index=0, count=6)
    arrays["brake"] = np.zeros(6, dtype=np.float32)
    arrays["brake"][2] = 3.0  # outside the contract's 0..1 (with its margin): km/h in a pedal channel, say
    batch = build_batch(session_id="8a1c6a0e-5a3f-4a1e-9d59-3c2b8f0c1d2e", seq=1, arrays=arrays)
    check_message(analysis_pb2.AnalyzeStreamRequest(batch=batch))  # item rules are not evaluated one by one here
    with pytest.raises(BatchValidationError, match="channel brake holds 3 , outside -0.01..1.01 ; check the units"):
        validate(arrays=arrays, sample_count=6, max_samples=600)  # but where the batch enters the mesh
    batch.seq = 0
    with pytest.raises(InvalidInputError, match=r"batch.seq is 0; it must be at least 1"):
        check_message(analysis_pb2.AnalyzeStreamRequest(batch=batch))
    several = analysis_pb2.AnalyzeLapRequest(batches=[batch])
    with pytest.raises(InvalidInputError, match=r"batches\[0\].seq is 0"):
        check_message(several)
