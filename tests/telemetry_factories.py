"""Factories for telemetry arrays and messages used across the tests.

Batches are built here field by field from the arrays (typed repeated fields), independently of
the production ``racecoach.services.common.batch.build_batch`` (raw bytes per channel), so tests
that use them check that code rather than repeat it."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np

from racecoach.telemetry.v1 import telemetry_pb2

DATA = Path(__file__).parent / "data"


def make_session(*, session_id: str | None = None, track: str = "Red Bull Ring", car: str = "Mercedes-AMG GT4") -> telemetry_pb2.Session:
    session = telemetry_pb2.Session(
        session_id=session_id or str(uuid.uuid4()),
        track=telemetry_pb2.Track(track_id="1", name=track.lower(), display_name=track, layout="Grand Prix", length_m=4318.0),
        car=telemetry_pb2.Car(car_id="2", name=car, path="car"),
        session_type=telemetry_pb2.SESSION_TYPE_PRACTICE,
        driver_name="Test Driver",
        tick_rate_hz=60.0,
        source=telemetry_pb2.SESSION_SOURCE_SIMULATOR,
    )
    session.start_time.GetCurrentTime()
    return session


def make_arrays(*, start_index: int, count: int, lap_length_m: float = 4318.0, speed_mps: float = 50.0, hz: float = 60.0) -> dict[str, np.ndarray]:
    """Constant-speed laps: sample i is at i/hz seconds and speed·t metres along the lap."""
    index = np.arange(start_index, start_index + count)
    time = 10.0 + index / hz
    travelled = speed_mps * (index / hz)
    lap = np.floor(travelled / lap_length_m)
    dist = travelled - lap * lap_length_m
    return {
        "session_time_s": time,
        "lap": (lap + 1).astype(np.float32),
        "lap_dist_m": dist.astype(np.float32),
        "lap_dist_pct": (dist / lap_length_m).astype(np.float32),
        "speed_mps": np.full(count, speed_mps, dtype=np.float32),
        "throttle": np.full(count, 0.8, dtype=np.float32),
        "brake": np.zeros(count, dtype=np.float32),
        "gear": np.full(count, 4, dtype=np.float32),
        "session_flags": np.full(count, 0x80000004, dtype=np.uint32),
        "lat_deg": np.full(count, 47.2197, dtype=np.float64),
        "lon_deg": np.full(count, 14.7647, dtype=np.float64),
    }


def make_batch(*, session_id: str, seq: int, arrays: dict[str, np.ndarray]) -> telemetry_pb2.TelemetryBatch:
    """A typed TelemetryBatch holding ``arrays`` (channel name → values), one repeated field each."""
    times = np.asarray(arrays["session_time_s"])
    batch = telemetry_pb2.TelemetryBatch(
        session_id=session_id, seq=seq, sample_count=len(times), first_session_time_s=float(times[0]) if len(times) else 0.0
    )
    for name, values in arrays.items():
        getattr(batch, name).extend(np.asarray(values).tolist())  # unknown names raise AttributeError
    return batch


def make_batches(*, session_id: str, count: int, samples: int = 6, first_seq: int = 1) -> list[telemetry_pb2.TelemetryBatch]:
    return [
        make_batch(session_id=session_id, seq=first_seq + i, arrays=make_arrays(start_index=(first_seq - 1 + i) * samples, count=samples))
        for i in range(count)
    ]
