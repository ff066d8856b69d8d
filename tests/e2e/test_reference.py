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


async def test_a_lap_imported_as_a_reference_is_compared_on_request_and_never_the_personal_best(mesh, token_for, tmp_path):
    import io

    from racecoach.client.commands.replay_cmd import as_reference, replay_file
    from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
    from racecoach.telemetry.v1 import telemetry_pb2

    token = await token_for()
    metadata = [("authorization", f"Bearer {token}")]
    braked_first = next(c.number for c in simulate_session(track="Spielberg", laps=1).corners if c.ideal.brake_point_m is not None)
    slow = DriverProfile(mistakes=(brake_early(corner=braked_first, metres=40),))
    own = write_session(simulate_session(track="Spielberg", laps=1, seed=71, profile=slow), tmp_path / "own.ibt")[0]
    _, own_laps = await _replay(mesh, token, own)
    coach_file = write_session(simulate_session(track="Spielberg", laps=2, seed=72), tmp_path / "coach.ibt")[0]
    imported, result = await replay_file(path=coach_file, address=mesh.address("ingest"), token=token, speed=None,
                                         batch_ms=1000, out=io.StringIO(), reference=True)
    assert imported.source == telemetry_pb2.SESSION_SOURCE_REFERENCE_IBT
    assert imported.session_id == as_reference(load_ibt(coach_file)[0]).session_id != load_ibt(coach_file)[0].session_id
    coach_best = min((c.lap for c in result.laps if c.lap.valid), key=lambda lap: lap.lap_time.ToNanoseconds())
    assert coach_best.lap_time.ToNanoseconds() < own_laps[1].lap.lap_time.ToNanoseconds()

    # the next lap of the driver's own is coached against the driver's own best, not the faster imported lap
    again = write_session(simulate_session(track="Spielberg", laps=1, seed=73, profile=slow), tmp_path / "again.ibt")[0]
    _, again_laps = await _replay(mesh, token, again)
    assert again_laps[1].report.reference_lap_id == own_laps[1].lap.lap_id
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        stored = await storage_pb2_grpc.StorageServiceStub(channel).GetSession(
            storage_pb2.GetSessionRequest(session_id=imported.session_id), metadata=metadata)
    assert stored.summary.session.source == telemetry_pb2.SESSION_SOURCE_REFERENCE_IBT
    # asked for by its lap id, the imported lap is the reference, and the 40 m early braking shows against it
    async with grpc.aio.insecure_channel(mesh.address("analysis")) as channel:
        got = await analysis_pb2_grpc.AnalysisServiceStub(channel).CompareLaps(analysis_pb2.CompareLapsRequest(
            lap_id=again_laps[1].lap.lap_id, reference=analysis_pb2.REFERENCE_KIND_LAP,
            reference_lap_id=coach_best.lap_id), metadata=metadata)
    assert got.reference_lap_id == coach_best.lap_id
    expected = (again_laps[1].lap.lap_time.ToNanoseconds() - coach_best.lap_time.ToNanoseconds()) / 1e9
    assert got.lap_delta.ToNanoseconds() / 1e9 == pytest.approx(expected, abs=1e-3)
    assert expected > 0.1
