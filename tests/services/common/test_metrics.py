"""Prometheus metrics count what really happened: samples in, batches committed, laps, reports."""

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

from racecoach.client.source import load_ibt
from racecoach.client.uploader import Uploader, split_batches

pytestmark = pytest.mark.asyncio(loop_scope="session")


def value(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_gateway_metrics_count_a_replayed_session(mesh, token_for, simulated_ibt):
    async with httpx.AsyncClient(base_url=mesh.gateway_url, timeout=10) as http:
        before = (await http.get("/metrics")).text
        token = await token_for()
        session, arrays = load_ibt(simulated_ibt[0])
        result = await Uploader(address=mesh.address("ingest"), token=token, session=session).run(
            split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))
        reply = await http.get("/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    after = reply.text
    sent = len(arrays["session_time_s"])

    def grew(name: str, labels: str = "") -> float:
        return value(after, name, labels) - value(before, name, labels)

    assert grew("racecoach_ingest_samples_total") == sent
    assert grew("racecoach_ingest_batches_total", '{outcome="accepted"}') == result.committed_seq
    assert grew("racecoach_storage_samples_committed_total") == sent
    assert grew("racecoach_storage_batches_committed_total") == result.committed_seq
    assert grew("racecoach_analysis_laps_total", '{valid="true"}') == 3
    assert grew("racecoach_coaching_reports_total") == 3
    assert grew("racecoach_storage_commit_seconds_count") >= 1


def test_a_service_process_serves_metrics_on_its_metrics_port(tmp_path):
    ports = []
    for _ in range(2):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    env = dict(os.environ, RACING_COACH_DATA_DIR=str(tmp_path), RACING_COACH_COACHING_PORT=str(ports[0]),
               RACING_COACH_METRICS_PORT=str(ports[1]))
    process = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "serve", "coaching"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{ports[1]}/metrics", timeout=2) as reply:
                    assert b"racecoach_coaching_reports_total" in reply.read()
                    break
            except OSError:
                assert time.monotonic() < deadline, "no metrics endpoint"
                time.sleep(0.2)
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
