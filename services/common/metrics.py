"""Prometheus metrics of the services, one registry per service, and the HTTP endpoint that exposes them.

Each service registers its metrics in its own registry (:data:`REGISTRIES`), so a scrape of a
service's endpoint shows that service's counters and its process figures, even when several
services share one process (``start_mesh`` in tests). A service's ``serve()`` exposes
``/metrics`` on the port its settings give (:meth:`Settings.metrics_port_of`; off unless
configured); the gateway also answers ``GET /metrics`` on its own port with its registry.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CollectorRegistry, Counter, Gauge, Histogram, PlatformCollector, ProcessCollector, start_http_server,
)

SERVICES = ("ingest", "storage", "analysis", "coaching", "gateway")
REGISTRIES: dict[str, CollectorRegistry] = {}
for _name in SERVICES:
    REGISTRIES[_name] = CollectorRegistry()
    ProcessCollector(registry=REGISTRIES[_name])  # process_cpu_seconds_total, process_resident_memory_bytes, ...
    PlatformCollector(registry=REGISTRIES[_name])

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_INGEST, _STORAGE, _ANALYSIS = REGISTRIES["ingest"], REGISTRIES["storage"], REGISTRIES["analysis"]
_COACHING, _GATEWAY = REGISTRIES["coaching"], REGISTRIES["gateway"]

# ingest: what collectors send and when it is durable
INGEST_STREAMS = Gauge("racecoach_ingest_streams", "Collector streams open on this ingest process", registry=_INGEST)
INGEST_BATCHES = Counter("racecoach_ingest_batches_total", "Batches received by ingest, by outcome", ["outcome"], registry=_INGEST)
INGEST_SAMPLES = Counter("racecoach_ingest_samples_total", "Samples ingest accepted and forwarded", registry=_INGEST)
INGEST_ACKS = Counter("racecoach_ingest_acks_total", "Durable acks sent to collectors", registry=_INGEST)
INGEST_ACK_SECONDS = Histogram(
    "racecoach_ingest_ack_seconds", "Time from a batch's arrival at ingest to the durable ack that covers it",
    buckets=_LATENCY, registry=_INGEST,
)
# storage: commits
STORAGE_BATCHES = Counter("racecoach_storage_batches_committed_total", "Telemetry batches committed", registry=_STORAGE)
STORAGE_SAMPLES = Counter("racecoach_storage_samples_committed_total", "Telemetry samples committed", registry=_STORAGE)
STORAGE_COMMIT_SECONDS = Histogram(
    "racecoach_storage_commit_seconds", "Time to store one group of batches, transaction included",
    buckets=_LATENCY, registry=_STORAGE,
)
# analysis: batches read and laps cut from them
ANALYSIS_BATCHES = Counter("racecoach_analysis_batches_total", "Batches analysed on AnalyzeStream", registry=_ANALYSIS)
ANALYSIS_SAMPLES = Counter("racecoach_analysis_samples_total", "Samples analysed on AnalyzeStream", registry=_ANALYSIS)
ANALYSIS_FEED_SECONDS = Histogram(
    "racecoach_analysis_feed_seconds", "Time to analyse one batch (laps cut and analysed included)",
    buckets=_LATENCY, registry=_ANALYSIS,
)
ANALYSIS_LAPS = Counter("racecoach_analysis_laps_total", "Laps analysed", ["valid"], registry=_ANALYSIS)
# coaching
COACHING_REPORTS = Counter("racecoach_coaching_reports_total", "Lap reports made", registry=_COACHING)
COACHING_CUES = Counter("racecoach_coaching_cues_total", "Live cues issued", registry=_COACHING)
# gateway: HTTP
GATEWAY_REQUESTS = Counter("racecoach_gateway_requests_total", "HTTP requests answered, by method and status class",
                           ["method", "status"], registry=_GATEWAY)
GATEWAY_REQUEST_SECONDS = Histogram("racecoach_gateway_request_seconds", "Time to answer an HTTP request (to the first byte)",
                                    buckets=_LATENCY, registry=_GATEWAY)


def exported_names(service: str) -> set[str]:
    """The metric names a scrape of ``service`` shows (counters with ``_total``, histograms with their series)."""
    suffixes = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
                "summary": ("_count", "_sum", "_created"), "gauge": ("",)}
    names: set[str] = set()
    for family in REGISTRIES[service].collect():  # labelled metrics have no samples before their first use
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ("",))}
        names |= {sample.name for sample in family.samples}
    return names


class AckClock:
    """Per stream: when each batch arrived, so the ack that covers it can observe its latency."""

    __slots__ = ("_pending",)
    LIMIT = 4096  # arrivals kept per stream; a stream that never acks cannot grow without bound

    def __init__(self) -> None:
        self._pending: deque[tuple[int, float]] = deque(maxlen=self.LIMIT)

    def arrived(self, seq: int) -> None:
        self._pending.append((seq, time.monotonic()))

    def acked(self, committed_seq: int) -> None:
        """Every batch up to ``committed_seq`` is durable: one ack counted, each batch's wait observed."""
        INGEST_ACKS.inc()
        now = time.monotonic()
        pending = self._pending
        while pending and pending[0][0] <= committed_seq:
            INGEST_ACK_SECONDS.observe(now - pending.popleft()[1])


class GatewayMetrics:
    """ASGI middleware of the gateway: counts each HTTP response and times it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        method = scope.get("method", "GET")
        counted = False

        async def observed_send(message) -> None:
            nonlocal counted
            if message["type"] == "http.response.start" and not counted:
                counted = True
                GATEWAY_REQUESTS.labels(method=method, status=f"{message['status'] // 100}xx").inc()
                GATEWAY_REQUEST_SECONDS.observe(time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, observed_send)


@dataclass
class MetricsEndpoint:
    """A running ``/metrics`` HTTP server of one service; ``port`` is the bound port."""

    service: str
    server: Any
    thread: Any

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(*, service: str, port: int | None, host: str) -> MetricsEndpoint | None:
    """Expose ``service``'s registry over HTTP on ``host:port`` (None: off; 0: a free port)."""
    if port is None:
        return None
    server, thread = start_http_server(port, addr=host, registry=REGISTRIES[service])
    return MetricsEndpoint(service=service, server=server, thread=thread)
