"""Run the gateway (Litestar on uvicorn) in the current event loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import uvicorn

from racecoach.services.common.metrics import GatewayMetrics, MetricsEndpoint, serve_metrics
from racecoach.services.common.settings import Settings
from racecoach.services.gateway.app import backend_for, create_app


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
                            log_level="warning", lifespan="on", access_log=False)
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
