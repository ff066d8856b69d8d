"""AnalyzeLap's and CompareLaps' work as plain functions, and storage's errors mapped once on the way back."""

from __future__ import annotations

import grpc
import pytest

from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.analysis import requests
from racecoach.services.common import errors
from racecoach.telemetry.v1 import telemetry_pb2

pytestmark = pytest.mark.asyncio(loop_scope="session")


class _Refusing:
    """A storage stub whose every call fails with ``code``."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        self.code, self.details = code, details

    def _fail(self, *args, **kwargs):
        raise grpc.aio.AioRpcError(self.code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=self.details)

    async def GetReferenceLap(self, *args, **kwargs):
        self._fail()

    async def GetLap(self, *args, **kwargs):
        self._fail()


def test_every_refusal_another_service_answers_keeps_its_status_and_words():
    for code in grpc.StatusCode:
        if code == grpc.StatusCode.OK:
            continue
        exc = grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="why")
        mapped = errors.from_rpc_error(exc, service="storage")
        if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAUTHENTICATED,
                    grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED,
                    grpc.StatusCode.RESOURCE_EXHAUSTED):
            assert errors.status_for(mapped) == code and str(mapped) == "why"
        else:  # unavailable, deadline, an internal failure there: this layer's dependency is down
            assert isinstance(mapped, errors.DependencyUnavailableError)
            assert str(mapped) == f"storage unavailable ({code.name}): why"


async def test_compare_laps_names_what_is_missing_before_calling_storage():
    with pytest.raises(errors.DependencyUnavailableError, match="no storage address"):
        await requests.compare_laps(request=analysis_pb2.CompareLapsRequest(lap_id="x"), storage=None, catalogues=None,
                                    metadata=[], timeout_s=1.0)
    with pytest.raises(errors.InvalidInputError, match="lap_id is required"):
        await requests.compare_laps(request=analysis_pb2.CompareLapsRequest(), storage=_Refusing(grpc.StatusCode.OK, ""),
                                    catalogues=None, metadata=[], timeout_s=1.0)
    with pytest.raises(errors.InvalidInputError, match="reference_lap_id is required"):
        await requests.reference_lap_id(storage=None, metadata=[], timeout_s=1.0, request=analysis_pb2.CompareLapsRequest(
            lap_id="x", reference=analysis_pb2.REFERENCE_KIND_LAP))


async def test_storage_refusals_come_back_as_this_layers_errors_with_their_cause():
    storage = _Refusing(grpc.StatusCode.NOT_FOUND, "no lap x for this user")
    with pytest.raises(errors.NotFoundError, match="no lap x for this user") as err:
        await requests.stored_lap_trace(storage=storage, lap_id="x", metadata=[], timeout_s=1.0)
    assert isinstance(err.value.__cause__, grpc.aio.AioRpcError)
    down = _Refusing(grpc.StatusCode.UNAVAILABLE, "connection refused")
    with pytest.raises(errors.DependencyUnavailableError, match=r"storage unavailable \(UNAVAILABLE\): connection refused"):
        await requests.reference_lap_id(storage=down, metadata=[], timeout_s=1.0,
                                        request=analysis_pb2.CompareLapsRequest(lap_id="x"))
    # the stream's personal best never fails the stream: without a track or with storage down, it has none
    assert await requests.personal_best(storage=down, session=telemetry_pb2.Session(session_id="s"), metadata=[],
                                        timeout_s=1.0) is None
    assert await requests.personal_best(storage=down, metadata=[], timeout_s=1.0, session=telemetry_pb2.Session(
        session_id="s", track=telemetry_pb2.Track(name="Spa"))) is None
