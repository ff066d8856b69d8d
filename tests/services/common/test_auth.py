"""Every RPC of every service authenticates: no token, a bad token, a revoked token and another user's token,
each RPC enumerated from the service descriptors; the service credential guards shared data."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from every_rpc import ADMITTED, AUTH_CODES, SERVICES, calls_for, every_method, seed, status_of
from racecoach.services.common.auth import SERVICE_HEADER, Gate, TokenCache, bearer_token, from_service, whoami_resolver
from racecoach.services.common.errors import DependencyUnavailableError, PermissionDeniedError, UnauthenticatedError
from racecoach.services.storage.identity import revoke_token

pytestmark = pytest.mark.asyncio(loop_scope="session")
UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


async def test_the_table_names_every_rpc_of_every_service(mesh, token_for):
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, await token_for("owner"))
    assert set(calls_for(seeded)) == {(service, method.name) for service, method in every_method()}
    assert {service for service, _ in every_method()} == set(SERVICES)


async def test_every_rpc_refuses_no_bad_and_revoked_tokens_and_keeps_users_apart(mesh, storage, token_for):
    alice, bob, stale = await token_for("alice"), await token_for("bob"), await token_for("stale")
    channels = {name: grpc.aio.insecure_channel(mesh.address(name)) for name in set(SERVICES.values())}
    try:
        seeded = await seed(channels["storage"], alice)
        calls = calls_for(seeded)

        async def status(service, method, metadata, *, whole: bool = True):
            requests, _ = calls[(service, method.name)]
            # A refused stream gets one message: a grpc.aio client still writing when the server ends a call may see
            # INTERNAL instead of the server's status (grpc/grpc#36066).
            return await status_of(channels[SERVICES[service]], service, method, requests if whole else requests[:1], metadata)

        for service, method in every_method():  # the stale token works (and is cached) until it is revoked
            assert await status(service, method, auth(stale)) not in (UNAUTHENTICATED,), (service, method.name)
        async with storage.pool.acquire() as conn:
            await revoke_token(conn, token=stale)
        await asyncio.sleep(1.0)  # revocation reaches every service within a second

        for service, method in every_method():
            name = f"{service}/{method.name}"
            for label, metadata in (("no token", []), ("not bearer", [("authorization", "Basic Zm9vOmJhcg==")]),
                                    ("unknown token", auth("rc_made-up")), ("revoked token", auth(stale)),
                                    ("wrong service credential", auth(alice) + [(SERVICE_HEADER, "not-the-mesh-secret")])):
                assert await status(service, method, metadata, whole=False) == UNAUTHENTICATED, (name, label)
            expected = calls[(service, method.name)][1]
            got = await status(service, method, auth(bob))
            if expected == ADMITTED:
                assert got not in AUTH_CODES, (name, got)
            else:
                assert got == expected, (name, got)
    finally:
        for channel in channels.values():
            await channel.close()


async def test_only_the_mesh_services_write_the_shared_corner_catalogue(mesh, token_for, service_credential):
    from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

    token = await token_for()
    request = storage_pb2.PutTrackCornersRequest(track_name="authz shared", layout=f"l-{token[-8:]}", corners=[
        storage_pb2.TrackCorner(number=1, entry_m=10, apex_m=20, exit_m=30, laps_seen=2)])
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.PutTrackCorners(request, metadata=auth(token))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "PutTrackCorners" in refused.value.details()
        stored = await stub.PutTrackCorners(request, metadata=auth(token) + service_credential)
        assert stored.version == 1
        read = await stub.GetTrackCorners(storage_pb2.GetTrackCornersRequest(track_name="authz shared", layout=request.layout),
                                          metadata=auth(await token_for("reader")))
        assert [c.apex_m for c in read.corners] == [20]


def test_the_service_credential_is_compared_in_constant_time_and_must_match():
    assert from_service([], expected="s" * 32) is False
    assert from_service([(SERVICE_HEADER, "s" * 32)], expected="s" * 32) is True
    for sent, expected in (("t" * 32, "s" * 32), ("s" * 32, None)):
        with pytest.raises(UnauthenticatedError):
            from_service([(SERVICE_HEADER, sent)], expected=expected)
    with pytest.raises(UnauthenticatedError, match="Bearer"):
        bearer_token([("authorization", "Token x")])


async def test_the_gate_caches_a_token_briefly_and_checks_the_token_before_the_service_credential():
    seen: list[str] = []

    async def resolve(token: str) -> str:
        seen.append(token)
        if token != "good":
            raise UnauthenticatedError("unknown token")
        return "alice"

    gate = Gate(tokens=TokenCache(resolve=resolve, ttl_s=0.2), service_token="s" * 32, service_only=("Put",))
    assert await gate.admit(method="Get", metadata=auth("good")) == "alice"
    assert await gate.admit(method="Get", metadata=auth("good")) == "alice"
    assert seen == ["good"]
    await asyncio.sleep(0.25)
    await gate.admit(method="Get", metadata=auth("good"))
    assert seen == ["good", "good"]
    with pytest.raises(UnauthenticatedError):
        await gate.admit(method="Put", metadata=auth("bad"))
    with pytest.raises(PermissionDeniedError):
        await gate.admit(method="Put", metadata=auth("good"))
    assert await gate.admit(method="Put", metadata=auth("good") + [(SERVICE_HEADER, "s" * 32)]) == "alice"


class _WhoAmIAnswering:
    def __init__(self, code: grpc.StatusCode) -> None:
        self.code = code

    async def WhoAmI(self, *args, **kwargs):
        raise grpc.aio.AioRpcError(self.code, grpc.aio.Metadata(), grpc.aio.Metadata(), details="token revoked")


@pytest.mark.parametrize(("code", "error"), [(UNAUTHENTICATED, UnauthenticatedError),
                                             (grpc.StatusCode.UNAVAILABLE, DependencyUnavailableError)])
async def test_whoami_refusals_keep_storages_error_as_their_cause(code, error):
    resolve = whoami_resolver(_WhoAmIAnswering(code), service_token=None, timeout_s=1.0)
    with pytest.raises(error) as raised:
        await resolve("rc_x")
    assert isinstance(raised.value.__cause__, grpc.aio.AioRpcError) and raised.value.__cause__.code() == code
