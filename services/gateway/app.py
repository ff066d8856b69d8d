"""The gateway: the generated REST routes, auth passthrough, CORS, rate limits, error bodies, dashboard."""

from __future__ import annotations

from pathlib import Path

import grpc
from litestar import Litestar, Request, Response, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.response import File
from litestar.static_files import create_static_files_router

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from racecoach import rest
from racecoach.services.common.metrics import REGISTRIES
from racecoach.common.dial import dial
from racecoach.services.common.settings import Settings
from racecoach.services.gateway import columns, export, live, login
from racecoach.services.gateway.backend import GrpcBackend
from racecoach.services.gateway.docs import complete, openapi_config
from racecoach.services.gateway.errors import handle_http_exception, handle_unexpected

DASHBOARD = Path(__file__).parent / "dashboard"
# The most a request body may hold. A route's JSON is at most about 4 times as long in protobuf (a "0," per packed
# double), so every body the gateway takes fits the mesh's 8 MiB message limit; the largest real one, a lap to
# score, is a few KiB.
MAX_BODY_BYTES = 1024 * 1024
SERVICES = {
    "racecoach.storage.v1.StorageService": "storage",
    "racecoach.analysis.v1.AnalysisService": "analysis",
    "racecoach.coaching.v1.CoachingService": "coaching",
}


def backend_for(settings: Settings, *, addresses: dict[str, str] | None = None) -> GrpcBackend:
    addresses = addresses or {}
    channels: dict[str, grpc.aio.Channel] = {}
    for service, name in SERVICES.items():
        channels[service] = dial(addresses.get(name) or settings.address(name), max_message_bytes=settings.max_message_bytes,
                                 tls=settings.tls)
    return GrpcBackend(channels=channels, timeout_s=settings.rpc_timeout_s)


@get("/healthz", include_in_schema=False)
async def healthz(state: State) -> Response:
    """200 while storage answers SERVING (and with it PostgreSQL), 503 while it does not."""
    probe = state.get("storage_probe")
    if probe is not None and not await probe():
        return Response(content={"status": "unavailable", "dependency": "storage"}, status_code=503)
    return Response(content={"status": "ok"})


@get("/metrics", include_in_schema=False, sync_to_thread=False)
def metrics() -> Response:
    """Prometheus metrics of the gateway (its own registry; every service also serves its own on its metrics port)."""
    return Response(content=generate_latest(REGISTRIES["gateway"]), media_type=CONTENT_TYPE_LATEST)


@get("/", include_in_schema=False, sync_to_thread=False)
def dashboard_index() -> File:
    return File(DASHBOARD / "index.html", media_type="text/html", content_disposition_type="inline")


def _storage_probe(backend: GrpcBackend | None):
    """The /healthz probe: storage's health through the backend's storage channel (None without one)."""
    channel = getattr(backend, "channels", {}).get("racecoach.storage.v1.StorageService")
    if channel is None:
        return None
    from racecoach.services.common.dependency import grpc_probe

    return grpc_probe(channel=channel)


def refuse_large_bodies(request: Request) -> None:
    """413 for a body announced larger than the limit, also on routes that do not read their body (Litestar
    itself refuses a body as it reads it, chunked ones included)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge


def create_app(*, backend: GrpcBackend | None, requests_per_minute: int = 600, cors_origins: list[str] | None = None) -> Litestar:
    """The gateway app around ``backend`` (None: the app only for its OpenAPI document)."""
    app = Litestar(
        route_handlers=[
            *rest.route_handlers(), healthz, metrics, dashboard_index,
            *export.ROUTES, *columns.ROUTES, *live.ROUTES, *login.ROUTES,
            create_static_files_router(path="/static", directories=[DASHBOARD], include_in_schema=False),
        ],
        dependencies=rest.dependencies(backend=backend),
        exception_handlers={HTTPException: handle_http_exception, Exception: handle_unexpected},
        cors_config=CORSConfig(allow_origins=cors_origins or ["http://localhost", "http://127.0.0.1"], allow_headers=["authorization", "content-type"]),
        middleware=[RateLimitConfig(rate_limit=("minute", requests_per_minute), exclude=["/healthz", "/metrics"]).middleware],
        openapi_config=openapi_config(),
        state=State({"logins": login.LoginStore(), "storage_probe": _storage_probe(backend)}),
        on_shutdown=[backend.close] if backend else [],
        request_max_body_size=MAX_BODY_BYTES,
        before_request=refuse_large_bodies,
        debug=False,
    )
    complete(app.openapi_schema)  # built once, here: the errors any route may answer, the rules, the links
    return app
