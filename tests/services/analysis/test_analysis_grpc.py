"""AnalysisService over real gRPC: AnalyzeStream and AnalyzeLap on a server of its own (a new layout, no
catalogue saved), CompareLaps and the storage corner catalogue on the whole mesh after a replayed session."""

from __future__ import annotations

import uuid

import grpc
import httpx
import numpy as np
import pytest
from racecoach.analysis.v1 import analysis_pb2 as pb
from racecoach.analysis.v1 import analysis_pb2_grpc
from racecoach.client.simulator import DriverProfile, brake_early, simulate_session, write_session
from racecoach.client.source import canonical_arrays, load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.services.analysis import server as analysis_server
from racecoach.services.common.batch import build_batch
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc
from racecoach.telemetry.v1 import telemetry_pb2
from grpc_auth import authed_channel

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def spielberg():
    sim = simulate_session(track="Spielberg", laps=3, profile=DriverProfile(mistakes=(brake_early(corner=3, metres=20, laps=(2,)),)))
    arrays = canonical_arrays(sim.channels)
    track = f"spielberg-{uuid.uuid4().hex[:8]}"  # a layout of its own: no catalogue stored by another test numbers it
    session = telemetry_pb2.Session(session_id="grpc-sim", track=telemetry_pb2.Track(name=track, length_m=sim.track.length_m))
    return sim, session, arrays


def _batches(arrays, size=600):
    n = len(arrays["session_time_s"])
    return [build_batch(session_id="grpc-sim", seq=seq, arrays={k: v[lo : lo + size] for k, v in arrays.items()})
            for seq, lo in enumerate(range(0, n, size), start=1)]


@pytest.fixture
async def bare_analysis(settings, storage, token_for):
    """An analysis server on its own (the mesh's service credential unknown to it, so no catalogue is saved), with
    storage for its callers' tokens; the session's track is one no stored catalogue knows."""
    from racecoach.services.storage import server as storage_server

    stored = await storage_server.serve(settings=settings, port=0, storage=storage)
    running = await analysis_server.serve(settings=settings.with_overrides(service_token=None), port=0,
                                          storage_addr=f"127.0.0.1:{stored.port}")
    channel = authed_channel(f"127.0.0.1:{running.port}", await token_for("analyst"))
    try:
        yield analysis_pb2_grpc.AnalysisServiceStub(channel)
    finally:
        await channel.close()
        await running.stop()
        await stored.running.stop(0)


async def test_analyze_stream_of_a_new_layout_numbers_corners_per_stream(bare_analysis, spielberg):
    sim, session, arrays = spielberg

    async def requests():
        yield pb.AnalyzeStreamRequest(session=session)
        for batch in _batches(arrays):
            yield pb.AnalyzeStreamRequest(batch=batch)

    events = [e async for e in bare_analysis.AnalyzeStream(requests())]
    assert [e.lap.lap_number for e in events] == [1, 2, 3]
    for event, truth in zip(events, sim.truth["laps"]):
        assert event.lap.lap_time.ToNanoseconds() / 1e9 == pytest.approx(truth["lap_time_s"], abs=0.02)
    first = {c.number: c.apex_m for c in events[0].lap.corners}
    assert sorted(first) == list(range(1, len(first) + 1))
    for event in events[1:]:
        for c in event.lap.corners:
            assert abs(c.apex_m - first[c.number]) <= 10.0
    # lap 2 (early brake at Turn 3) is compared with lap 1, the stream's best so far
    assert events[1].reference.lap_number == 1
    assert events[1].comparison.lap_delta.ToNanoseconds() / 1e9 == pytest.approx(
        sim.lap_times_s[1] - sim.lap_times_s[0], abs=0.02)


async def test_analyze_stream_batch_before_session_is_invalid(bare_analysis, spielberg):
    _, _, arrays = spielberg

    async def requests():
        yield pb.AnalyzeStreamRequest(batch=_batches(arrays)[0])

    with pytest.raises(grpc.aio.AioRpcError) as err:
        _ = [e async for e in bare_analysis.AnalyzeStream(requests())]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "session before any batch" in err.value.details()


async def test_analyze_lap(bare_analysis, spielberg):
    sim, session, arrays = spielberg
    got = await bare_analysis.AnalyzeLap(pb.AnalyzeLapRequest(session=session, batches=_batches(arrays), lap_number=2))
    assert got.lap.lap_number == 2
    assert got.lap.lap_time.ToNanoseconds() / 1e9 == pytest.approx(sim.lap_times_s[1], abs=0.02)
    assert len(got.lap.corners) == len(sim.truth["laps"][1]["corners"])
    first = await bare_analysis.AnalyzeLap(pb.AnalyzeLapRequest(session=session, batches=_batches(arrays)))
    assert first.lap.lap_number == 1


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda r: r.session.ClearField("session_id"), grpc.StatusCode.INVALID_ARGUMENT, "session.session_id is required"),
        (lambda r: r.ClearField("batches"), grpc.StatusCode.INVALID_ARGUMENT, "at least one batch"),
        (lambda r: setattr(r, "lap_number", 9), grpc.StatusCode.NOT_FOUND, "no complete lap"),
        (lambda r: r.batches[0].speed_mps.__setitem__(3, float("nan")), grpc.StatusCode.INVALID_ARGUMENT, "batch seq 1"),
    ],
    ids=["no session id", "no batches", "lap not there", "NaN speed"],
)
async def test_analyze_lap_bad_input(bare_analysis, spielberg, change, code, words):
    _, session, arrays = spielberg
    request = pb.AnalyzeLapRequest(session=session, batches=_batches(arrays))
    change(request)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await bare_analysis.AnalyzeLap(request)
    assert err.value.code() == code
    assert words in err.value.details()


@pytest.fixture(scope="module")
def own_ibt(tmp_path_factory):
    """A session file of this module's own (the shared one belongs to whichever test uploads it first)."""
    sim = simulate_session(track="Spielberg", laps=3, seed=404,
                           profile=DriverProfile(mistakes=(brake_early(corner=3, metres=20, laps=(2,)),)))
    ibt, _ = write_session(sim, tmp_path_factory.mktemp("analysis-grpc") / "spielberg.ibt")
    return ibt, sim


async def test_compare_laps_and_the_stored_catalogue(mesh, token_for, own_ibt):
    token = await token_for()
    auth = [("authorization", f"Bearer {token}")]
    ibt, sim = own_ibt
    session, arrays = load_ibt(ibt)
    # Corner catalogues are per track layout and shared by every user; a layout name of this
    # test's own keeps other tests' laps of the same circuit out of the catalogue it checks.
    session.track.layout = f"catalogue-test-{uuid.uuid4().hex[:8]}"
    result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
        split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
    ids = {c.lap.lap_number: c.lap.lap_id for c in result.laps}
    assert {1, 2, 3} <= set(ids)
    times = dict(enumerate(sim.lap_times_s, start=1))
    best = min((1, 3), key=times.get)

    async with grpc.aio.insecure_channel(mesh.address("analysis")) as channel:
        stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
        for kind in (pb.REFERENCE_KIND_SESSION_BEST, pb.REFERENCE_KIND_PERSONAL_BEST, pb.REFERENCE_KIND_UNSPECIFIED):
            got = await stub.CompareLaps(pb.CompareLapsRequest(lap_id=ids[2], reference=kind), metadata=auth)
            assert got.reference_lap_id == ids[best]
            delta = got.lap_delta.ToNanoseconds() / 1e9
            assert delta == pytest.approx(times[2] - times[best], abs=0.02)
            losses = [c.time_loss_s for c in got.corner_deltas]
            assert sum(losses) == pytest.approx(delta, abs=1e-3)
            assert got.corner_deltas[int(np.argmax(losses))].corner_number == 3  # the early brake
        by_id = await stub.CompareLaps(pb.CompareLapsRequest(lap_id=ids[2], reference=pb.REFERENCE_KIND_LAP,
                                                             reference_lap_id=ids[3], step_m=10), metadata=auth)
        assert by_id.reference_lap_id == ids[3]
        assert by_id.lap_delta.ToNanoseconds() / 1e9 == pytest.approx(times[2] - times[3], abs=0.02)
        assert by_id.step_m == 10.0 and len(by_id.delta_s) == pytest.approx(sim.track.length_m / 10, abs=2)

        bad = [
            (pb.CompareLapsRequest(), grpc.StatusCode.INVALID_ARGUMENT, "lap_id is required"),
            (pb.CompareLapsRequest(lap_id=ids[2], reference=pb.REFERENCE_KIND_LAP), grpc.StatusCode.INVALID_ARGUMENT,
             "reference_lap_id is required"),
            (pb.CompareLapsRequest(lap_id="no-such-session.4"), grpc.StatusCode.NOT_FOUND, ""),
            (pb.CompareLapsRequest(lap_id=ids[2], reference=pb.REFERENCE_KIND_LAP, reference_lap_id="nope.1"),
             grpc.StatusCode.NOT_FOUND, ""),
        ]
        for request, code, words in bad:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.CompareLaps(request, metadata=auth)
            assert err.value.code() == code, (request, err.value.details())
            assert words in err.value.details()
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CompareLaps(pb.CompareLapsRequest(lap_id=ids[2]))  # no token
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED

    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        storage = storage_pb2_grpc.StorageServiceStub(channel)
        catalogue = await storage.GetTrackCorners(
            storage_pb2.GetTrackCornersRequest(track_name=session.track.name, layout=session.track.layout), metadata=auth)
    truth_apexes = [c["apex_m"] for c in sim.truth["track"]["corners"]]
    assert [c.number for c in catalogue.corners] == list(range(1, len(truth_apexes) + 1))
    assert [c.apex_m for c in catalogue.corners] == pytest.approx(truth_apexes, abs=10.0)
    assert all(c.laps_seen == 3 for c in catalogue.corners)  # learned from lap 1, refined by laps 2 and 3


async def test_a_reference_of_another_track_is_refused(mesh, token_for, own_ibt, tmp_path):
    token = await token_for()
    auth = [("authorization", f"Bearer {token}")]
    other = simulate_session(track="Norisring", laps=1, seed=405)
    other_ibt, _ = write_session(other, tmp_path / "norisring.ibt")
    ids = []
    for path in (own_ibt[0], other_ibt):
        session, arrays = load_ibt(path)
        result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
            split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=600))
        ids.append(result.laps[0].lap.lap_id)
        other_name = session.track.display_name or session.track.name
    async with grpc.aio.insecure_channel(mesh.address("analysis")) as channel:
        stub = analysis_pb2_grpc.AnalysisServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.CompareLaps(pb.CompareLapsRequest(lap_id=ids[0], reference=pb.REFERENCE_KIND_LAP,
                                                         reference_lap_id=ids[1]), metadata=auth)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "same track and layout" in err.value.details() and other_name in err.value.details()
    async with httpx.AsyncClient(base_url=mesh.gateway_url, headers={"Authorization": f"Bearer {token}"}) as http:
        reply = await http.get(f"/api/v1/laps/{ids[0]}/delta",
                               params={"reference": "REFERENCE_KIND_LAP", "referenceLapId": ids[1]})
    assert reply.status_code == 409 and "same track and layout" in reply.json()["detail"]
