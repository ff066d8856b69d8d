"""The default reference is the driver's best valid lap of the same track, layout and car across sessions."""

from __future__ import annotations

import grpc
import pytest
from racecoach.analysis.v1 import analysis_pb2, analysis_pb2_grpc
from racecoach.client.simulator import DriverProfile, Variability, brake_early, simulate_session, write_session
from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _replay(mesh, token, path):
    session, arrays = load_ibt(path)
    result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
        split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=600))
    return session, {c.lap.lap_number: c for c in result.laps}


async def test_a_later_session_is_coached_against_the_personal_best(mesh, token_for, tmp_path):
    token = await token_for()
    clean = simulate_session(track="Norisring", laps=2, seed=61, profile=DriverProfile(variability=Variability.typical()))
    first, first_laps = await _replay(mesh, token, write_session(clean, tmp_path / "clean.ibt")[0])
    best = min(first_laps.values(), key=lambda c: c.lap.lap_time.ToNanoseconds()).lap

    braked = [c.number for c in clean.corners if c.ideal.brake_point_m is not None]
    later = simulate_session(track="Norisring", laps=1, seed=62, profile=DriverProfile(
        variability=Variability.typical(), mistakes=(brake_early(corner=braked[0], metres=30),)))
    second, second_laps = await _replay(mesh, token, write_session(later, tmp_path / "later.ibt")[0])
    assert second.session_id != first.session_id
    report = second_laps[1].report
    assert report.reference_lap_id == best.lap_id  # a lap of the earlier session, not "no reference yet"
    assert report.feedback and report.feedback[0].type != 0
    async with grpc.aio.insecure_channel(mesh.address("analysis")) as channel:  # CompareLaps defaults to it too
        stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
        got = await stub.CompareLaps(analysis_pb2.CompareLapsRequest(lap_id=second_laps[1].lap.lap_id),
                                     metadata=[("authorization", f"Bearer {token}")])
    assert got.reference_lap_id == best.lap_id
    assert sum(p.time_loss_s for p in got.phase_deltas) == pytest.approx(got.lap_delta.ToNanoseconds() / 1e9, abs=1e-3)

    other_car = simulate_session(track="Norisring", laps=1, seed=63, car="gt4")
    _, car_laps = await _replay(mesh, token, write_session(other_car, tmp_path / "gt4.ibt")[0])
    assert car_laps[1].report.reference_lap_id == ""  # another car's laps are no reference
