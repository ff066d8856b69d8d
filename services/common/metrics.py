"""Prometheus metrics of the services, and the HTTP endpoint that exposes them.

Each service process serves ``/metrics`` on ``RACING_COACH_METRICS_PORT`` (off when unset);
the gateway also answers ``GET /metrics`` on its own port.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram, start_http_server

INGEST_BATCHES = Counter("racecoach_ingest_batches_total", "Batches received by ingest, by outcome", ["outcome"])
INGEST_SAMPLES = Counter("racecoach_ingest_samples_total", "Samples ingest accepted and forwarded")
STORAGE_BATCHES = Counter("racecoach_storage_batches_committed_total", "Telemetry batches committed")
STORAGE_SAMPLES = Counter("racecoach_storage_samples_committed_total", "Telemetry samples committed")
STORAGE_COMMIT_SECONDS = Histogram(
    "racecoach_storage_commit_seconds", "Time to store one group of batches, transaction included",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
ANALYSIS_LAPS = Counter("racecoach_analysis_laps_total", "Laps analysed", ["valid"])
COACHING_REPORTS = Counter("racecoach_coaching_reports_total", "Lap reports made")
COACHING_CUES = Counter("racecoach_coaching_cues_total", "Live cues issued")


def serve_metrics(*, port: int, host: str) -> None:
    """Expose this process's metrics over HTTP on ``host:port`` (0 does nothing)."""
    if port:
        start_http_server(port, addr=host)
