"""Run the gateway (Litestar on uvicorn) in the current event loop."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from http import HTTPStatus

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE, H11Protocol

from racecoach.services.common.metrics import GatewayMetrics, MetricsEndpoint, serve_metrics
from racecoach.services.common.settings import Settings
from racecoach.services.gateway.app import backend_for, create_app
from racecoach.services.gateway.errors import error_body

LINGER_S = 2.0  # how long a refused connection reads and drops what the client still sends, so it gets the answer


class GatewayH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1, except for a request it cannot read (a request line or headers beyond h11's 16 KiB
    buffer, or bytes that are not HTTP): uvicorn answers a plain 400 and closes at once, with the rest of the
    request unread, so the client mostly gets a connection reset instead of the answer. Here the answer is 414 for
    an address too long, 431 for headers too large, 400 otherwise, with the gateway's JSON error body; then the
    connection stops sending and drops what still comes for a while before it closes."""

    _lingering = False

    def data_received(self, data: bytes) -> None:
        if not self._lingering:
            super().data_received(data)

    def send_400_response(self, msg: str) -> None:
        pending, _ = self.conn.trailing_data
        most = self.config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        if len(pending) > most and b"\r\n" not in pending[:most]:
            status, detail = 414, f"the request line (method, path and query) is longer than {most} bytes, the most the gateway reads"
        elif len(pending) > most:
            status, detail = 431, f"the request's headers are larger than {most} bytes, the most the gateway reads"
        else:
            status, detail = 400, "the request is not valid HTTP/1.1"
        body = json.dumps(error_body(status, detail)).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        self.transport.write(self.conn.send(h11.Response(status_code=status, headers=headers, reason=HTTPStatus(status).phrase)))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))
        self._lingering = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)  # the client's own close ends it sooner (eof_received)


@dataclass
class GatewayServer:
    server: uvicorn.Server
    task: asyncio.Task
    port: int
    metrics: MetricsEndpoint | None = None

    @property
    def metrics_port(self) -> int | None:
        return None if self.metrics is None else self.metrics.port

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait({self.task}, timeout=10)
        if self.metrics is not None:
            self.metrics.stop()
            self.metrics = None


async def serve(*, settings: Settings, port: int | None = None, addresses: dict[str, str] | None = None) -> GatewayServer:
    """Start the gateway; ``addresses`` overrides where storage, analysis and coaching listen."""
    app = create_app(backend=backend_for(settings, addresses=addresses))
    config = uvicorn.Config(GatewayMetrics(app), host=settings.host, port=settings.ports.gateway if port is None else port,
                            log_level="warning", lifespan="on", access_log=False, http=GatewayH11Protocol)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise OSError(f"the gateway could not listen on {settings.host}:{config.port}")
        await asyncio.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    metrics = serve_metrics(service="gateway", port=settings.metrics_port_of("gateway"), host=settings.host)
    return GatewayServer(server=server, task=task, port=bound, metrics=metrics)
