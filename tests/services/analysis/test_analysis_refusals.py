"""Samples the kernels cannot resample are refused with a status and a message, not left to UNKNOWN."""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from racecoach.analysis.v1 import analysis_pb2 as pb
from racecoach.analysis.v1 import analysis_pb2_grpc
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from grpc_auth import authed_channel
from telemetry_factories import make_arrays, make_batch, make_session

pytestmark = pytest.mark.asyncio(loop_scope="session")

LAP_M, HZ, SPEED = 600.0, 60.0, 50.0
LAP_SAMPLES = int(LAP_M / SPEED * HZ)
HUGE_M = 1e12  # a lap length no grid of 1 m steps can cover: the kernels refuse it


def _arrays(start: int, count: int) -> dict[str, np.ndarray]:
    arrays = make_arrays(start_index=start, count=count, lap_length_m=LAP_M, speed_mps=SPEED, hz=HZ)
    phase = 2 * np.pi * arrays["lap_dist_m"].astype(np.float64) / LAP_M
    arrays["lat_accel_mps2"] = (9.0 * np.sin(phase)).astype(np.float32)
    return arrays


def _three_laps(session) -> list:
    """Three laps of samples for ``session`` as 600-sample batches."""
    arrays = _arrays(0, 3 * LAP_SAMPLES)
    return [make_batch(session_id=session.session_id, seq=1 + i // 600, arrays={k: v[i : i + 600] for k, v in arrays.items()})
            for i in range(0, 3 * LAP_SAMPLES, 600)]


def _session(length_m: float):
    session = make_session(track="refusal ring")
    session.track.length_m = length_m
    return session


async def test_analyze_lap_refuses_a_lap_the_kernels_cannot_resample(mesh, token_for):
    session = _session(HUGE_M)
    batches = _three_laps(session)
    async with authed_channel(mesh.address("analysis"), await token_for("refused")) as channel:
        stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.AnalyzeLap(pb.AnalyzeLapRequest(session=session, batches=batches, lap_number=2))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.value.details().startswith("lap 2 cannot be analysed: ")
    assert "step_m" in err.value.details()


async def test_analyze_lap_refuses_a_track_length_that_cannot_be_metres(mesh, token_for):
    session = _session(LAP_M / 1000.0)  # 0.6: the lap length given in kilometres
    batches = _three_laps(session)
    async with authed_channel(mesh.address("analysis"), await token_for("kilometres")) as channel:
        stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.AnalyzeLap(pb.AnalyzeLapRequest(session=session, batches=batches, lap_number=2))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "lap 2 cannot be analysed: the lap is 0.600 m long" in err.value.details()
    assert "Track.length_m in metres" in err.value.details()


async def test_compare_laps_refuses_stored_laps_the_kernels_cannot_resample(mesh, token_for):
    token = await token_for("compared")
    session = _session(HUGE_M)
    requests = [storage_pb2.WriteRequest(request_id=1, session=session)]
    for seq, start in enumerate(range(0, 3 * LAP_SAMPLES, 240), start=1):
        requests.append(storage_pb2.WriteRequest(request_id=100 + seq, batch=make_batch(
            session_id=session.session_id, seq=seq, arrays=_arrays(start, 240))))
    for number in (1, 2):
        start = 10.0 + number * LAP_SAMPLES / HZ
        lap = pb.LapAnalysis(session_id=session.session_id, lap_id=f"{session.session_id}.{number + 1}", lap_number=number + 1,
                             start_session_time_s=start, end_session_time_s=start + LAP_SAMPLES / HZ, valid=True,
                             distance_m=LAP_M, sample_count=LAP_SAMPLES)
        lap.lap_time.FromNanoseconds(round(LAP_SAMPLES / HZ * 1e9) + number)
        requests.append(storage_pb2.WriteRequest(request_id=1000 + number, lap=lap))
    async with authed_channel(mesh.address("storage"), token) as channel:
        responses = [r async for r in storage_pb2_grpc.StorageServiceStub(channel).Write(iter(requests))]
    assert not [r.error.message for r in responses if r.HasField("error")]
    async with authed_channel(mesh.address("analysis"), token) as channel:
        stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CompareLaps(pb.CompareLapsRequest(lap_id=f"{session.session_id}.3", reference=pb.REFERENCE_KIND_LAP,
                                                         reference_lap_id=f"{session.session_id}.2"))
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert err.value.details().startswith(f"lap {session.session_id}.3: its stored samples cannot be analysed: ")
