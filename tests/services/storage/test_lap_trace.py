"""Lap traces on the comparison grid: the gear is held from the sample before, never interpolated."""

from __future__ import annotations

import numpy as np
import pytest

from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.storage.queries import lap_trace
from racecoach.storage.v1 import storage_pb2

from seeding import HZ, LAP_M, LAP_SAMPLES, auth, lap_message
from telemetry_factories import make_arrays, make_batch, make_session

def _gear_at(dist_m: np.ndarray) -> np.ndarray:
    """Gear by distance, changing every 97 m (never on a 5 m grid point): 2, 3, 4, 5, 6, 2, ..."""
    return (2 + np.floor(np.asarray(dist_m, np.float64) / 97.0) % 5).astype(np.float32)


def _expected_gear(dist_m: np.ndarray, gear: np.ndarray, grid_m: np.ndarray) -> np.ndarray:
    """The gear of the last sample at or before each grid point, found by a boolean mask per point."""
    return np.array([gear[np.flatnonzero(dist_m <= g)[-1]] if (dist_m <= g).any() else gear[0] for g in grid_m])


def test_lap_trace_holds_the_gear_and_interpolates_the_rest():
    rng = np.random.default_rng(5)
    dist = np.cumsum(rng.uniform(0.2, 3.0, 400))
    dist = np.insert(dist, 50, dist[49])  # the car stood still for a sample: the repeat is dropped
    count = len(dist)
    arrays = {
        "session_time_s": 100.0 + np.arange(count) / HZ,
        "lap_dist_m": dist.astype(np.float32),
        "speed_mps": rng.uniform(20, 70, count).astype(np.float32),
        "throttle": rng.uniform(0, 1, count).astype(np.float32),
        "brake": rng.uniform(0, 1, count).astype(np.float32),
        "gear": _gear_at(dist),
    }
    lap = analysis_pb2.LapAnalysis(lap_id="x", start_session_time_s=100.0)
    trace = lap_trace(lap=lap, arrays=arrays, step_m=5.0, length_m=float(dist[-1]))

    stored = arrays["lap_dist_m"].astype(np.float64)
    keep = np.concatenate([[True], np.diff(stored) > 0])
    grid = np.arange(0.0, float(dist[-1]), 5.0)
    gear = np.array(trace.gear)
    assert len(gear) == len(grid) and np.all(gear == np.round(gear)) and set(gear) <= set(arrays["gear"])
    np.testing.assert_array_equal(gear, _expected_gear(stored[keep], arrays["gear"][keep], grid))
    assert not np.all(np.interp(grid, stored[keep], arrays["gear"][keep]) % 1 == 0)  # what linear would have given
    np.testing.assert_allclose(
        trace.speed_mps, np.interp(grid, stored[keep], arrays["speed_mps"][keep].astype(np.float64)), rtol=1e-6
    )
    np.testing.assert_allclose(trace.elapsed_s, np.interp(grid, stored[keep], arrays["session_time_s"][keep] - 100.0), atol=1e-4)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_compared_lap_has_whole_gears_from_the_stored_samples(storage_stub, token_for):
    token = await token_for("gears")
    session = make_session(track="gear box")
    batch_samples, total = 240, 2 * LAP_SAMPLES
    requests = [storage_pb2.WriteRequest(request_id=1, session=session)]
    sent = []
    for seq, start in enumerate(range(0, total, batch_samples), start=1):
        arrays = make_arrays(start_index=start, count=min(batch_samples, total - start), lap_length_m=LAP_M)
        arrays["gear"] = _gear_at(arrays["lap_dist_m"])
        sent.append(arrays)
        requests.append(storage_pb2.WriteRequest(request_id=100 + seq, batch=make_batch(session_id=session.session_id, seq=seq, arrays=arrays)))
    requests += [storage_pb2.WriteRequest(request_id=1000 + n, lap=lap_message(session.session_id, n)) for n in (1, 2)]
    responses = [r async for r in storage_stub.Write(iter(requests), metadata=auth(token))]
    assert not [r.error.message for r in responses if r.HasField("error")]

    reply = await storage_stub.GetLapComparison(
        storage_pb2.GetLapComparisonRequest(lap_id=f"{session.session_id}-lap-2", reference_lap_id=f"{session.session_id}-lap-1", step_m=0.5),
        metadata=auth(token),
    )
    dist = np.concatenate([a["lap_dist_m"] for a in sent]).astype(np.float64)
    gear = np.concatenate([a["gear"] for a in sent])
    grid = np.arange(0.0, LAP_M, 0.5)  # grid points between the samples (every 5/6 m) where the gear changes
    for trace, number in ((reply.lap, 2), (reply.reference, 1)):
        part = slice((number - 1) * LAP_SAMPLES, number * LAP_SAMPLES)
        got = np.array(trace.gear)
        assert len(got) == len(grid) and np.all(got == np.round(got))
        np.testing.assert_array_equal(got, _expected_gear(dist[part], gear[part], grid))
        assert {2.0, 3.0, 4.0, 5.0, 6.0} == set(got)
        assert not np.all(np.interp(grid, dist[part], gear[part]) % 1 == 0)  # linear would have given fractions
