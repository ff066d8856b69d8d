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


@pytest.mark.asyncio(loop_scope="session")
async def test_storage_away_ends_the_stream_unavailable_with_storages_error_as_its_cause(tmp_path):
    """Storage's answer is mapped once (errors.from_rpc_error): what the collector is told, and why, kept."""
    import asyncio
    import socket

    from racecoach.common.settings import load_settings
    from racecoach.services.ingest.links import connect
    from racecoach.services.ingest.pipeline import SessionPipeline
    from telemetry_factories import make_session

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{sock.getsockname()[1]}"  # closed when the block ends: nothing listens there
    settings = load_settings({"RACING_COACH_DATA_DIR": str(tmp_path)}).with_overrides(rpc_timeout_s=5.0)
    links = connect(settings=settings, storage_addr=nowhere, analysis_addr=nowhere, coaching_addr=nowhere)
    out: asyncio.Queue = asyncio.Queue()
    pipeline = SessionPipeline(links=links, metadata=[("authorization", "Bearer rc_x")], session=make_session(), out=out)
    try:
        with pytest.raises(DependencyUnavailableError, match="storage unavailable"):
            await pipeline.open()
        lost = await asyncio.wait_for(out.get(), timeout=5)
        assert isinstance(lost, StorageLost) and lost.code == grpc.StatusCode.UNAVAILABLE
        assert "reconnect and resend after seq 0" in lost.message
        assert isinstance(lost.cause, DependencyUnavailableError) and isinstance(lost.cause.__cause__, grpc.aio.AioRpcError)
    finally:
        await pipeline.abort()
        await links.close()
