"""Start a ``grpc.aio`` server with health checking and reflection; stop it gracefully."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from racecoach.services.common.auth import Gate
from racecoach.services.common.guard import guarded, parser
from racecoach.services.common.logs import get_logger
from racecoach.services.common.settings import Tls
from racecoach.services.common.tls import bind

log = get_logger(__name__)
# A health name that is SERVING from start to stop whatever the dependencies do: Kubernetes' liveness
# probe asks for it, so a pod is not restarted while PostgreSQL or storage is down (readiness follows them).
LIVENESS = "racecoach.liveness"
_FACTORIES = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


@dataclass(frozen=True)
class Registration:
    """One servicer: the generated ``add_..._to_server`` function and the full service name."""

    add: Callable[[Any, grpc.aio.Server], None]
    servicer: Any
    service_name: str


@dataclass
class RunningServer:
    """A started server and the port it bound."""

    server: grpc.aio.Server
    port: int
    health: Any
    names: tuple[str, ...]
    watchers: list[asyncio.Task] = field(default_factory=list)  # tasks that set health from a dependency's
    metrics: Any = None  # the service's /metrics endpoint (metrics.MetricsEndpoint), stopped with the server
    health_server: grpc.aio.Server | None = None  # plaintext gRPC health alone, for probes beside a TLS port
    health_port: int | None = None

    @property
    def metrics_port(self) -> int | None:
        return None if self.metrics is None else self.metrics.port

    async def stop(self, grace_s: float = 5.0) -> None:
        for task in self.watchers:
            task.cancel()
        for name in (*self.names, ""):
            await _set_status(self.health, name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(grace_s)
        if self.health_server is not None:
            await self.health_server.stop(0)
        if self.metrics is not None:
            self.metrics.stop()
            self.metrics = None


async def _set_status(servicer: Any, name: str, status: int) -> None:
    result = servicer.set(name, status)
    if asyncio.iscoroutine(result):
        await result


def channel_options(*, max_message_bytes: int) -> list[tuple[str, int]]:
    """A channel's message limits, the servers' own: without them a channel takes answers of 4 MiB at most, and an
    answer a server may send (up to ``max_message_bytes``) would fail at the caller."""
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]


def server_options(*, max_message_bytes: int) -> list[tuple[str, int]]:
    return [
        *channel_options(max_message_bytes=max_message_bytes),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.keepalive_permit_without_calls", 1),
    ]


async def start_server(
    *, registrations: Sequence[Registration], host: str, port: int, max_message_bytes: int = 8 * 1024 * 1024,
    tls: Tls | None = None, require_client_cert: bool = True, health_port: int | None = None,
) -> RunningServer:
    """Bind ``host:port`` (port 0 picks one), register servicers, health and reflection, start.

    With ``tls`` the port speaks TLS only, and with ``require_client_cert`` admits only peers whose certificate the
    mesh's CA signed (mutual TLS: the services; ingest takes collectors without one). ``health_port`` opens a second,
    plaintext port that serves gRPC health and nothing else (Kubernetes' gRPC probes speak no TLS)."""
    server = grpc.aio.server(options=server_options(max_message_bytes=max_message_bytes))
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = tuple(r.service_name for r in registrations)
    for registration in registrations:
        registration.add(registration.servicer, server)
    reflection.enable_server_reflection((*names, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    bound = bind(server, address=f"{host}:{port}", tls=tls, require_client_cert=require_client_cert)
    health_server, health_bound = None, None
    if health_port is not None:
        health_server = grpc.aio.server()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, health_server)
        health_bound = bind(health_server, address=f"{host}:{health_port}", tls=None)
        await health_server.start()
    await server.start()
    for name in (*names, "", LIVENESS):
        await _set_status(health_servicer, name, health_pb2.HealthCheckResponse.SERVING)
    log.info("grpc server started", services=list(names), host=host, port=bound, tls=tls is not None, health_port=health_bound)
    return RunningServer(server=server, port=bound, health=health_servicer, names=names, health_server=health_server,
                         health_port=health_bound)


def generic_handler(
    *, service: Any, servicer: Any, gate: Gate, request_types: dict[str, type] | None = None,
    checked_inside: Collection[str] = (),
) -> grpc.GenericRpcHandler:
    """Method handlers for every RPC of ``service`` (a ServiceDescriptor) on ``servicer``, each behind ``gate``.

    Before a servicer sees a call, the caller is admitted by ``gate`` (UNAUTHENTICATED,
    PERMISSION_DENIED), a request that does not parse ends the call with INVALID_ARGUMENT, and
    every request message is held to :mod:`racecoach.services.common.limits` (INVALID_ARGUMENT
    naming the field) except on the streaming methods in ``checked_inside``, whose servicer
    answers each request itself. A :class:`ServiceError` escaping a servicer gets its status.
    ``request_types`` swaps a method's request parser, e.g. for a zero-copy raw view that is
    wire-compatible with the declared request type.
    """
    from google.protobuf import message_factory

    overrides = request_types or {}
    handlers = {}
    for method in service.methods:
        request_type = overrides.get(method.name) or message_factory.GetMessageClass(method.input_type)
        response_type = message_factory.GetMessageClass(method.output_type)
        kind = (method.client_streaming, method.server_streaming)
        behavior = guarded(getattr(servicer, method.name), kind=kind, method=method.name, gate=gate,
                           check=method.name not in checked_inside)
        handlers[method.name] = _FACTORIES[kind](
            behavior,
            request_deserializer=parser(request_type),
            response_serializer=response_type.SerializeToString,
        )
    return grpc.method_handlers_generic_handler(service.full_name, handlers)


def registration(
    *, service: Any, servicer: Any, gate: Gate, request_types: dict[str, type] | None = None,
    checked_inside: Collection[str] = (),
) -> Registration:
    """A :class:`Registration` of ``servicer`` through :func:`generic_handler`."""
    handler = generic_handler(service=service, servicer=servicer, gate=gate, request_types=request_types,
                              checked_inside=checked_inside)
    return Registration(add=lambda _servicer, server: server.add_generic_rpc_handlers((handler,)),
                        servicer=servicer, service_name=service.full_name)
