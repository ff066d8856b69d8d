"""A storage stream that ended as INTERNAL (which can hide storage's own status) is looked at again:
a revoked token ends the collector's stream as UNAUTHENTICATED, anything else as UNAVAILABLE."""

from __future__ import annotations

import grpc
import pytest

from racecoach.services.common.errors import DependencyUnavailableError, UnauthenticatedError
from racecoach.services.ingest.pipeline import StorageLost
from racecoach.services.ingest.stream import revoked_or


class Gate:
    def __init__(self, error: Exception | None) -> None:
        self.error, self.calls = error, 0

    async def recheck(self, metadata):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return object()


@pytest.mark.asyncio(loop_scope="session")
async def test_an_unclear_end_of_the_storage_stream_is_checked_against_the_token():
    lost = StorageLost("storage unavailable (INTERNAL): Internal error from Core", unclear=True)
    revoked = await revoked_or(lost=lost, gate=Gate(UnauthenticatedError("this token was revoked")), metadata=[])
    assert (revoked.code, revoked.message) == (grpc.StatusCode.UNAUTHENTICATED, "this token was revoked")
    for error in (None, DependencyUnavailableError("storage is away")):
        assert await revoked_or(lost=lost, gate=Gate(error), metadata=[]) is lost
    gate = Gate(UnauthenticatedError("revoked"))
    clear = StorageLost("storage unavailable (UNAVAILABLE)")
    assert await revoked_or(lost=clear, gate=gate, metadata=[]) is clear and gate.calls == 0  # a clear status is taken as it is
