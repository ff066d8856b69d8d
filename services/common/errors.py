"""The services' error hierarchy and its one mapping onto gRPC status codes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc


class ServiceError(Exception):
    """Base of every error a service reports to its caller; the message is for people."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL


class InvalidInputError(ServiceError):
    """The request broke a rule the caller can fix."""

    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFoundError(ServiceError):
    """The thing asked for does not exist for this caller."""

    code = grpc.StatusCode.NOT_FOUND


class UnauthenticatedError(ServiceError):
    """No token, or a token that is unknown or revoked."""

    code = grpc.StatusCode.UNAUTHENTICATED


class PermissionDeniedError(ServiceError):
    """The caller is known but may not touch this."""

    code = grpc.StatusCode.PERMISSION_DENIED


class ConflictError(ServiceError):
    """The request contradicts what is stored (e.g. a seq gap)."""

    code = grpc.StatusCode.FAILED_PRECONDITION


class StaleVersionError(ServiceError):
    """A write was built on a version that is no longer the stored one: reload, merge and retry."""

    code = grpc.StatusCode.ABORTED


class TooLargeError(ServiceError):
    """The request is bigger than allowed."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class DependencyUnavailableError(ServiceError):
    """A service or the database this one needs does not answer."""

    code = grpc.StatusCode.UNAVAILABLE


def status_for(error: BaseException) -> grpc.StatusCode:
    """The gRPC status of ``error``: its class's code, INTERNAL for anything unexpected."""
    if isinstance(error, ServiceError):
        return error.code
    return grpc.StatusCode.INTERNAL


@asynccontextmanager
async def translate_errors(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """Turn a :class:`ServiceError` raised inside a servicer into the matching status."""
    try:
        yield
    except ServiceError as exc:
        await context.abort(status_for(exc), str(exc))


# A refusal another service answered with, as this layer's error: the caller gets the same status and words.
_INBOUND: dict[grpc.StatusCode, type[ServiceError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidInputError, grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.UNAUTHENTICATED: UnauthenticatedError, grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.FAILED_PRECONDITION: ConflictError, grpc.StatusCode.ABORTED: StaleVersionError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: TooLargeError,
}


def from_rpc_error(exc: grpc.aio.AioRpcError, *, service: str) -> ServiceError:
    """The one mapping of an error coming back from ``service``: its refusals keep their status and message; anything
    else (unavailable, deadline, an internal failure there) is :class:`DependencyUnavailableError` naming it.
    ``exc`` is its cause already; ``raise from_rpc_error(exc, service=...) from exc`` says so where it is raised."""
    refusal = _INBOUND.get(exc.code())
    if refusal is not None:
        error: ServiceError = refusal(exc.details() or f"{service} refused the call ({exc.code().name})")
    else:
        error = DependencyUnavailableError(f"{service} unavailable ({exc.code().name}): {exc.details()}")
    error.__cause__ = exc
    return error
