"""The one mapping from gRPC status to HTTP status, and error bodies that leak nothing."""

from __future__ import annotations

import re

import grpc
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from racecoach.codegen.rest_runtime import ERROR_RESPONSES
from racecoach.services.common.logs import get_logger

__all__ = ["ERROR_RESPONSES", "HTTP_FOR_GRPC", "error_body", "http_error_for"]

log = get_logger(__name__)

HTTP_FOR_GRPC: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.DATA_LOSS: 500,
}
# Messages of these statuses are written for the caller; others are replaced by a generic text.
_USER_FACING = {400, 401, 403, 404, 409, 429}


# gRPC's own refusal of a message over a limit, e.g. "SERVER: Sent message larger than max (11933532 vs. 8388608)":
# not a rate limit (429) but a request (413) or an answer (502: a backing service's answer the mesh cannot carry).
_OVER_LIMIT = re.compile(r"(CLIENT|SERVER): (Sent|Received) message larger than max \((\d+) vs\. (\d+)\)")


def _over_limit(details: str) -> HTTPException | None:
    found = _OVER_LIMIT.search(details)
    if found is None:
        return None
    side, verb, size, limit = found[1], found[2], int(found[3]), int(found[4])
    if (side, verb) in (("SERVER", "Received"), ("CLIENT", "Sent")):
        return HTTPException(status_code=413, detail=f"the request is {size} bytes as a message, more than the {limit}"
                                                     f" bytes ({limit / 1048576:g} MiB) a message may hold")
    return HTTPException(status_code=502, detail=f"the answer is {size} bytes, more than the {limit} bytes"
                                                 f" ({limit / 1048576:g} MiB) a message of the mesh may hold")


def http_error_for(exc: grpc.aio.AioRpcError) -> HTTPException:
    if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and (too_large := _over_limit(exc.details() or "")):
        return too_large
    status = HTTP_FOR_GRPC.get(exc.code(), 500)
    if status in _USER_FACING:
        detail = exc.details() or exc.code().name.lower()
    elif status in (503, 504):
        detail = "a backing service is unavailable; retry shortly"
    else:
        detail = "internal error"
    error = HTTPException(status_code=status, detail=detail)
    if status == 401:
        error.headers = {"WWW-Authenticate": "Bearer"}
    return error


def error_body(status: int, detail: str) -> dict[str, object]:
    return {"status_code": status, "detail": detail}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def validation_detail(exc: ValidationException) -> str:
    """Litestar's refusal of a parameter or body, naming each field as the caller sends it and what it must be."""
    problems = []
    for entry in exc.extra if isinstance(exc.extra, list) else ():
        if not isinstance(entry, dict) or not entry.get("key"):
            continue
        source = str(getattr(entry.get("source"), "value", entry.get("source") or "")).lower()
        key = _camel(entry["key"]) if source == "query" else entry["key"]
        problems.append(f"{key}{f' ({source})' if source else ''}: {entry.get('message') or 'invalid value'}")
    return "invalid request: " + "; ".join(problems) if problems else "invalid request"


def too_large_detail(request: Request) -> str:
    """What a caller whose body was refused as too large needs: the limit, in bytes and MiB."""
    handler = request.scope.get("route_handler")
    limit = handler.resolve_request_max_body_size() if handler is not None else None
    if not limit:
        return "the request body is too large"
    return f"the request body is larger than {limit} bytes ({limit / 1048576:g} MiB), the most the gateway takes"


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, ValidationException) and str(exc.detail).startswith("Validation failed for "):
        exc.detail = validation_detail(exc)  # Litestar's own text only repeats the URL
    if exc.status_code == 413:
        exc.detail = too_large_detail(request)
    if exc.status_code >= 500:
        cause = exc.__cause__
        log.error("request failed", path=request.url.path, status=exc.status_code,
                  error_type=type(cause).__name__ if cause else type(exc).__name__, error=str(cause or exc.detail))
    detail = exc.detail if exc.status_code < 500 else ("internal error" if exc.status_code == 500 else exc.detail)
    return Response(content=error_body(exc.status_code, str(detail)), status_code=exc.status_code, headers=exc.headers or None)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", path=request.url.path, error_type=type(exc).__name__)
    return Response(content=error_body(500, "internal error"), status_code=500)
