"""Corner catalogues over real gRPC on a real PostgreSQL: versions, stale writes refused, names kept."""

from __future__ import annotations

import asyncio
import uuid

import grpc
import pytest

from racecoach.analysis.v1 import analysis_pb2
from racecoach.storage.v1 import storage_pb2

pytestmark = pytest.mark.asyncio(loop_scope="session")

RIGHT = analysis_pb2.CORNER_DIRECTION_RIGHT


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def corner(number: int, apex: float, name: str = "") -> storage_pb2.TrackCorner:
    return storage_pb2.TrackCorner(number=number, entry_m=apex - 30, apex_m=apex, exit_m=apex + 40, direction=RIGHT,
                                   laps_seen=2, name=name)


def layout() -> str:
    return f"catalogue-{uuid.uuid4().hex[:8]}"


async def test_versions_count_from_one_and_a_stale_base_is_aborted(storage_stub, token_for, service_credential):
    meta, track = auth(await token_for()) + service_credential, layout()
    empty = await storage_stub.GetTrackCorners(storage_pb2.GetTrackCornersRequest(track_name="spa", layout=track), metadata=meta)
    assert empty.version == 0 and not empty.corners

    first = await storage_stub.PutTrackCorners(storage_pb2.PutTrackCornersRequest(
        track_name="spa", layout=track, corners=[corner(1, 394.0, "La Source (T1)"), corner(2, 1135.0)], base_version=0),
        metadata=meta)
    assert (first.stored, first.version) == (2, 1)

    with pytest.raises(grpc.aio.AioRpcError) as err:  # built on nothing, but version 1 is stored
        await storage_stub.PutTrackCorners(storage_pb2.PutTrackCornersRequest(
            track_name="spa", layout=track, corners=[corner(1, 500.0)], base_version=0), metadata=meta)
    assert err.value.code() == grpc.StatusCode.ABORTED
    assert "version 1" in err.value.details()

    second = await storage_stub.PutTrackCorners(storage_pb2.PutTrackCornersRequest(
        track_name="spa", layout=track, corners=[corner(1, 396.0, "La Source (T1)"), corner(2, 1135.0), corner(3, 800.0)],
        base_version=1), metadata=meta)
    assert second.version == 2

    got = await storage_stub.GetTrackCorners(storage_pb2.GetTrackCornersRequest(track_name="spa", layout=track), metadata=meta)
    assert got.version == 2
    # apex order along the lap; the appended number 3 keeps its number
    assert [(c.number, c.apex_m, c.name) for c in got.corners] == [(1, 396.0, "La Source (T1)"), (3, 800.0, ""), (2, 1135.0, "")]


async def test_concurrent_writers_on_one_base_exactly_one_wins(storage_stub, token_for, service_credential):
    meta, track = auth(await token_for()) + service_credential, layout()
    writes = [
        storage_stub.PutTrackCorners(storage_pb2.PutTrackCornersRequest(
            track_name="monza", layout=track, corners=[corner(1, 100.0 + i)], base_version=0), metadata=meta)
        for i in range(4)
    ]
    results = await asyncio.gather(*writes, return_exceptions=True)
    won = [r for r in results if isinstance(r, storage_pb2.PutTrackCornersResponse)]
    lost = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(won) == 1 and won[0].version == 1
    assert len(lost) == 3 and all(r.code() == grpc.StatusCode.ABORTED for r in lost)


@pytest.mark.parametrize(
    ("corners", "words"),
    [
        ([corner(1, 100.0), corner(1, 200.0)], "unique"),
        ([corner(0, 100.0)], "at least 1"),
        ([corner(1, float("nan"))], "finite"),
        ([corner(1, 100.0, "x" * 101)], "name"),
    ],
)
async def test_untrustworthy_catalogues_are_refused(storage_stub, token_for, service_credential, corners, words):
    meta = auth(await token_for()) + service_credential
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await storage_stub.PutTrackCorners(storage_pb2.PutTrackCornersRequest(track_name="spa", layout=layout(), corners=corners),
                                           metadata=meta)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert words in err.value.details()
