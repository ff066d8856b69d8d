"""Seed a user's session through the real StorageService Write stream: telemetry and laps."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
import numpy as np

from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.common.batch import concat
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from racecoach.telemetry.v1 import telemetry_pb2
from telemetry_factories import make_arrays, make_batch, make_session

LAP_M = 600.0
HZ = 60.0
SPEED_MPS = 50.0
LAP_SAMPLES = int(LAP_M / SPEED_MPS * HZ)  # 720


@dataclass
class Seeded:
    session: telemetry_pb2.Session
    arrays: dict[str, np.ndarray]
    lap_ids: list[str]

    @property
    def session_id(self) -> str:
        return self.session.session_id

    def lap_arrays(self, number: int) -> dict[str, np.ndarray]:
        part = slice((number - 1) * LAP_SAMPLES, number * LAP_SAMPLES)
        return {name: values[part] for name, values in self.arrays.items()}


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def lap_message(session_id: str, number: int) -> analysis_pb2.LapAnalysis:
    start = 10.0 + (number - 1) * LAP_SAMPLES / HZ
    lap = analysis_pb2.LapAnalysis(
        session_id=session_id, lap_id=f"{session_id}-lap-{number}", lap_number=number, start_session_time_s=start,
        end_session_time_s=start + LAP_SAMPLES / HZ, valid=True, distance_m=LAP_M, max_speed_mps=SPEED_MPS,
        sample_count=LAP_SAMPLES,
    )
    lap.lap_time.FromNanoseconds(round(LAP_SAMPLES / HZ * 1e9) + number * 1_000_000)  # lap 1 is the fastest
    return lap


def _arrays(start: int, count: int) -> dict[str, np.ndarray]:
    arrays = make_arrays(start_index=start, count=count, lap_length_m=LAP_M, speed_mps=SPEED_MPS)
    phase = 2 * np.pi * arrays["lap_dist_m"].astype(np.float64) / LAP_M
    arrays["steering_rad"] = (0.3 * np.sin(phase)).astype(np.float32)
    arrays["yaw_rate_rps"] = (0.2 * np.sin(phase)).astype(np.float32)
    arrays["lat_accel_mps2"] = (9.0 * np.sin(phase)).astype(np.float32)
    return arrays


def requests_for(*, session: telemetry_pb2.Session, laps: int, batch_samples: int) -> tuple[list, dict[str, np.ndarray]]:
    total = laps * LAP_SAMPLES
    parts = [_arrays(start, min(batch_samples, total - start)) for start in range(0, total, batch_samples)]
    requests = [storage_pb2.WriteRequest(request_id=1, session=session)]
    requests += [
        storage_pb2.WriteRequest(request_id=100 + seq, batch=make_batch(session_id=session.session_id, seq=seq, arrays=part))
        for seq, part in enumerate(parts, start=1)
    ]
    requests += [storage_pb2.WriteRequest(request_id=1000 + n, lap=lap_message(session.session_id, n)) for n in range(1, laps + 1)]
    return requests, concat(parts)


async def seed_session(
    stub: storage_pb2_grpc.StorageServiceStub, token: str, *, laps: int = 2, batch_samples: int = 240, track: str = "Red Bull Ring"
) -> Seeded:
    """Write a session with ``laps`` constant-speed laps through the Write stream; every request must be acked."""
    session = make_session(track=track)
    requests, arrays = requests_for(session=session, laps=laps, batch_samples=batch_samples)
    responses = [r async for r in stub.Write(iter(requests), metadata=auth(token))]
    errors = [r.error.message for r in responses if r.HasField("error")]
    assert not errors and len(responses) == len(requests), errors
    return Seeded(session=session, arrays=arrays, lap_ids=[f"{session.session_id}-lap-{n}" for n in range(1, laps + 1)])


async def rpc_error(awaitable) -> grpc.StatusCode:
    """The status an awaited call (or a drained stream) fails with; AssertionError if it succeeds."""
    try:
        result = awaitable
        if hasattr(result, "__aiter__"):
            async for _ in result:
                pass
        else:
            await result
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    raise AssertionError("the call succeeded")
