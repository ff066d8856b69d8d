"""Prometheus metrics count what really happened, each service on its own endpoint.

The mesh runs on loopback with every gRPC port and every metrics port 0; a simulated session is
sent through ingest, REST calls go to the gateway, and each service's ``/metrics`` is scraped
over HTTP before and after: the counters moved by exactly what was sent.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest
import pytest_asyncio

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches
from racecoach.services.common.metrics import REGISTRIES, SERVICES, exported_names
from racecoach.services.common.settings import MetricsPorts, SettingsError, load_settings

_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.e+-]+|NaN|[+-]Inf)$", re.M)


def parse(text: str) -> dict[str, float]:
    """``name{labels}`` -> value of a Prometheus text exposition."""
    return {name + (labels or ""): float(number) for name, labels, number in _LINE.findall(text)}


async def scrape(http: httpx.AsyncClient, port: int) -> dict[str, float]:
    reply = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    return parse(reply.text)


@pytest_asyncio.fixture(loop_scope="session")
async def metered_mesh(settings, storage):
    """The whole mesh with every service's metrics endpoint on a free port."""
    from racecoach.services.mesh import start_mesh

    started = await start_mesh(settings=settings.with_overrides(metrics_ports=MetricsPorts(0, 0, 0, 0, 0)), storage=storage)
    try:
        yield started
    finally:
        await started.stop()


async def test_every_service_counts_a_replayed_session_on_its_own_endpoint(metered_mesh, token_for, simulated_ibt):
    mesh = metered_mesh
    assert set(mesh.metrics_ports) == set(SERVICES)
    assert len(set(mesh.metrics_ports.values())) == len(SERVICES), "each service has its own endpoint"
    async with httpx.AsyncClient(timeout=10) as http:
        before = {name: await scrape(http, port) for name, port in mesh.metrics_ports.items()}
        token = await token_for()
        session, arrays = load_ibt(simulated_ibt[0])
        result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
            split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
        for _ in range(3):
            assert (await http.get(f"{mesh.gateway_url}/api/v1/sessions",
                                   headers={"Authorization": f"Bearer {token}"})).status_code == 200
        assert (await http.get(f"{mesh.gateway_url}/api/v1/sessions")).status_code == 401
        after = {name: await scrape(http, port) for name, port in mesh.metrics_ports.items()}

    def grew(service: str, series: str) -> float:
        return after[service].get(series, 0.0) - before[service].get(series, 0.0)

    sent = len(arrays["session_time_s"])
    batches = result.committed_seq
    assert batches == -(-sent // 60) and not result.errors
    # ingest: every batch accepted, every sample forwarded, every batch's wait for its ack observed once
    assert grew("ingest", "racecoach_ingest_samples_total") == sent
    assert grew("ingest", 'racecoach_ingest_batches_total{outcome="accepted"}') == batches
    assert grew("ingest", "racecoach_ingest_ack_seconds_count") == batches
    assert 1 <= grew("ingest", "racecoach_ingest_acks_total") <= batches
    assert grew("ingest", "racecoach_ingest_ack_seconds_sum") > 0
    assert after["ingest"]["racecoach_ingest_streams"] == before["ingest"].get("racecoach_ingest_streams", 0.0)
    # storage: every batch and sample committed, each commit timed
    assert grew("storage", "racecoach_storage_samples_committed_total") == sent
    assert grew("storage", "racecoach_storage_batches_committed_total") == batches
    assert 1 <= grew("storage", "racecoach_storage_commit_seconds_count") <= batches
    # analysis: every sample read once (batches that queued up in ingest come joined), three valid laps
    analysed = grew("analysis", "racecoach_analysis_batches_total")
    assert 1 <= analysed <= batches
    assert grew("analysis", "racecoach_analysis_samples_total") == sent
    assert grew("analysis", "racecoach_analysis_feed_seconds_count") == analysed
    assert grew("analysis", 'racecoach_analysis_laps_total{valid="true"}') == len(result.laps) == 3
    # coaching: a report per lap, the cues the collector got
    assert grew("coaching", "racecoach_coaching_reports_total") == 3
    assert grew("coaching", "racecoach_coaching_cues_total") == len(result.cues)
    # gateway: the REST calls by status class, each timed
    assert grew("gateway", 'racecoach_gateway_requests_total{method="GET",status="2xx"}') == 3
    assert grew("gateway", 'racecoach_gateway_requests_total{method="GET",status="4xx"}') == 1
    assert grew("gateway", "racecoach_gateway_request_seconds_count") == 4
    # a service's endpoint shows its own counters, not another's
    assert not any(series.startswith("racecoach_storage") for series in after["ingest"])
    assert not any(series.startswith("racecoach_ingest") for series in after["gateway"])
    for name in SERVICES:
        assert after[name]["process_cpu_seconds_total"] > 0


async def test_the_gateway_port_answers_metrics_with_the_gateway_registry(metered_mesh):
    async with httpx.AsyncClient(base_url=metered_mesh.gateway_url, timeout=10) as http:
        reply = await http.get("/metrics")
    assert reply.status_code == 200
    assert "racecoach_gateway_requests_total" in reply.text and "racecoach_ingest_samples_total" not in reply.text


async def test_endpoints_close_with_the_mesh(settings, storage):
    from racecoach.services.mesh import start_mesh

    mesh = await start_mesh(settings=settings.with_overrides(metrics_ports=MetricsPorts(ingest=0, storage=0)), storage=storage)
    ports = dict(mesh.metrics_ports)
    assert set(ports) == {"ingest", "storage"}, "only the configured endpoints are on"
    await mesh.stop()
    for port in ports.values():
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_registries_name_the_metrics_each_service_exports():
    assert set(REGISTRIES) == {"ingest", "storage", "analysis", "coaching", "gateway"}
    assert {"racecoach_ingest_streams", "racecoach_ingest_samples_total", "racecoach_ingest_ack_seconds_bucket"} <= exported_names("ingest")
    assert "racecoach_storage_commit_seconds_bucket" in exported_names("storage")
    assert "racecoach_coaching_cues_total" in exported_names("coaching")
    assert "racecoach_analysis_samples_total" not in exported_names("storage")


def test_metrics_ports_come_from_the_settings(tmp_path):
    base = {"RACING_COACH_DATA_DIR": str(tmp_path)}
    off = load_settings(base)
    assert all(off.metrics_port_of(name) is None for name in SERVICES), "off unless configured"
    own = load_settings({**base, "RACING_COACH_INGEST_METRICS_PORT": "9101", "RACING_COACH_METRICS_PORT": "9100"})
    assert own.metrics_port_of("ingest") == 9101 and own.metrics_port_of("storage") == 9100
    for bad in ("-1", "x", "70000"):
        with pytest.raises(SettingsError, match="RACING_COACH_STORAGE_METRICS_PORT"):
            load_settings({**base, "RACING_COACH_STORAGE_METRICS_PORT": bad})


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.parametrize("variable", ["RACING_COACH_COACHING_METRICS_PORT", "RACING_COACH_METRICS_PORT"])
def test_a_service_process_serves_metrics_on_its_metrics_port(tmp_path, variable):
    grpc_port, metrics_port = _free_ports(2)
    env = dict(os.environ, RACING_COACH_DATA_DIR=str(tmp_path), RACING_COACH_COACHING_PORT=str(grpc_port),
               **{variable: str(metrics_port)})
    process = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "serve", "coaching"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2) as reply:
                    text = reply.read().decode()
                    assert "racecoach_coaching_reports_total 0.0" in text and "process_cpu_seconds_total" in text
                    break
            except OSError:
                assert process.poll() is None, "serve exited"
                assert time.monotonic() < deadline, "no metrics endpoint"
                time.sleep(0.2)
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
