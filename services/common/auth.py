"""Who may call: a user token on every RPC, and the mesh's service credential between services.

Every RPC of every service carries the user's ``authorization: Bearer <token>``; services calling
each other also send the service credential (``x-racing-coach-service``, a secret shared by the
mesh's processes through ``RACING_COACH_SERVICE_TOKEN``). A service credential that is sent must
be the right one; methods that only a service may call (writing shared data) demand it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import grpc

from racecoach.services.common.errors import (
    DependencyUnavailableError, PermissionDeniedError, ServiceError, UnauthenticatedError,
)

SERVICE_HEADER = "x-racing-coach-service"
TOKEN_TTL_S = 0.5  # a resolved token is trusted this long: revocation reaches every call within a second
REVOCATION_CHECK_S = 0.25  # how often an open stream re-checks its token

Metadata = Sequence[tuple[str, str]]
CALLER: ContextVar[Any] = ContextVar("racecoach_caller", default=None)  # who the RPC being served was admitted as


@dataclass(frozen=True)
class Caller:
    """The user a token belongs to."""

    user_id: str
    email: str


def new_service_token() -> str:
    """A fresh random service credential (``racing-coach up`` makes one per mesh)."""
    return secrets.token_urlsafe(32)


def bearer_token(metadata: Iterable[tuple[str, str]] | None) -> str:
    """The token of an ``authorization: Bearer <token>`` metadata entry, or UnauthenticatedError."""
    for key, value in metadata or ():
        if key.lower() == "authorization":
            scheme, _, token = str(value).partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise UnauthenticatedError("authorization must be 'Bearer <token>'")
            return token.strip()
    raise UnauthenticatedError("no token: send 'authorization: Bearer <token>' (create one with 'racing-coach token create')")


def from_service(metadata: Iterable[tuple[str, str]] | None, *, expected: str | None) -> bool:
    """True when the call carries the right service credential; UnauthenticatedError for a wrong one."""
    sent = next((str(v) for k, v in metadata or () if k.lower() == SERVICE_HEADER), None)
    if sent is None:
        return False
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise UnauthenticatedError("the service credential is not this mesh's")
    return True


def forwarded(metadata: Iterable[tuple[str, str]] | None, *, service_token: str | None) -> list[tuple[str, str]]:
    """What a service sends on when it calls another for its caller: the user's authorization and its own credential."""
    out = [(k, v) for k, v in metadata or () if k.lower() == "authorization"]
    return with_service(out, service_token=service_token)


def with_service(metadata: Iterable[tuple[str, str]], *, service_token: str | None) -> list[tuple[str, str]]:
    """``metadata`` with this service's credential in place of any other."""
    out = [(k, v) for k, v in metadata if k.lower() != SERVICE_HEADER]
    if service_token:
        out.append((SERVICE_HEADER, service_token))
    return out


@dataclass
class TokenCache:
    """Resolves tokens through ``resolve``, remembering each answer for ``ttl_s`` (failures are not kept)."""

    resolve: Callable[[str], Awaitable[Any]]
    ttl_s: float = TOKEN_TTL_S
    _known: dict[bytes, tuple[float, Any]] = field(default_factory=dict)

    async def caller(self, token: str) -> Any:
        key = hashlib.sha256(token.encode()).digest()
        now = time.monotonic()
        hit = self._known.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await self.resolve(token)
        if len(self._known) > 10_000:
            self._known = {k: v for k, v in self._known.items() if v[0] > now}
        self._known[key] = (now + self.ttl_s, found)
        return found


@dataclass
class Gate:
    """The check in front of every RPC of a server: a live user token, and the service credential where demanded."""

    tokens: TokenCache
    service_token: str | None = None
    service_only: Collection[str] = ()

    async def admit(self, *, method: str, metadata: Metadata | None) -> Any:
        by_service = from_service(metadata, expected=self.service_token)
        caller = await self.tokens.caller(bearer_token(metadata))
        if method in self.service_only and not by_service:
            raise PermissionDeniedError(f"{method} is for the mesh's own services; users may only read this data")
        return caller

    async def recheck(self, metadata: Metadata | None) -> Any:
        """The caller of ``metadata`` now, past the cache (open streams use it to notice revocation)."""
        return await self.tokens.resolve(bearer_token(metadata))


def whoami_resolver(stub, *, service_token: str | None, timeout_s: float) -> Callable[[str], Awaitable[Caller]]:
    """Resolve tokens through storage's WhoAmI (the services that hold no database)."""
    from racecoach.storage.v1 import storage_pb2

    async def resolve(token: str) -> Caller:
        metadata = with_service([("authorization", f"Bearer {token}")], service_token=service_token)
        try:
            who = await stub.WhoAmI(storage_pb2.WhoAmIRequest(), metadata=metadata, timeout=timeout_s)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                raise UnauthenticatedError(exc.details() or "unknown token") from exc
            raise DependencyUnavailableError(f"storage is unavailable ({exc.code().name}); retry shortly") from exc
        return Caller(user_id=who.user_id, email=who.email)

    return resolve


async def until_revoked(check: Callable[[], Awaitable[object]], *, every_s: float = REVOCATION_CHECK_S) -> UnauthenticatedError:
    """Run ``check`` every ``every_s`` until it says the token is no longer good; return that error.

    Other failures (storage briefly away) are not a revocation: the stream's own calls report them."""
    while True:
        await asyncio.sleep(every_s)
        try:
            await check()
        except UnauthenticatedError as exc:
            return exc
        except ServiceError:
            continue
