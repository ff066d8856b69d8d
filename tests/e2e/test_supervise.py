"""`racing-coach up` supervises its services: one that exits is started again after a capped, growing backoff."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from racecoach.client.commands.supervisor import Child, backoff_s, launch, tend

from tests.e2e.test_up import free_port, listening


def test_backoff_doubles_and_is_capped():
    assert [backoff_s(quick_exits=n, base_s=0.5, cap_s=4.0) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]


def _child(tmp_path, code: str) -> Child:
    return Child(name="svc", log_path=tmp_path / "svc.log",
                 start=lambda: subprocess.Popen([sys.executable, "-c", code]))


def test_a_dead_child_is_restarted_after_its_backoff(tmp_path):
    child = _child(tmp_path, "import sys; sys.exit(3)")
    launch(child=child, now=0.0)
    child.process.wait()
    assert tend(children=[child], now=1.0, base_s=2.0) == []
    assert child.history == [3] and child.restart_at == 3.0
    assert tend(children=[child], now=2.9) == []
    assert tend(children=[child], now=3.0) == ["svc"]
    assert child.restarts == 1 and child.process is not None
    child.process.wait()


def test_a_crash_loop_is_reported_with_the_log(tmp_path):
    (tmp_path / "svc.log").write_text("boom: the port is taken\n")
    child = _child(tmp_path, "import sys; sys.exit(1)")
    reports = []
    now = 0.0
    launch(child=child, now=now)
    for _ in range(3):
        child.process.wait()
        now += 0.1
        tend(children=[child], now=now, report=reports.append)
        now = child.restart_at
        tend(children=[child], now=now, report=reports.append)
    child.process.wait()
    assert len(reports) == 1 and "svc keeps dying" in reports[0] and "boom: the port is taken" in reports[0]


def test_a_long_run_resets_the_backoff(tmp_path):
    child = _child(tmp_path, "pass")
    child.quick_exits = 5
    launch(child=child, now=0.0)
    child.process.wait()
    tend(children=[child], now=100.0, base_s=0.5)
    assert child.quick_exits == 1 and child.restart_at == 100.5




@pytest.mark.slow
def test_up_restarts_a_killed_service_and_it_serves_again(tmp_path, pg_dsn):
    ports = {name: free_port() for name in ("INGEST", "STORAGE", "ANALYSIS", "COACHING", "GATEWAY")}
    env = dict(os.environ, RACING_COACH_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=pg_dsn,
               **{f"RACING_COACH_{name}_PORT": str(port) for name, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "up"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line or line.startswith("Ctrl-C"):
                break
        children = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(up.pid)], check=False, capture_output=True,
                                                       text=True).stdout.split()]
        assert len(children) == 5
        by_port = {}
        for pid in children:
            args = [arg for arg in Path(f"/proc/{pid}/cmdline").read_text().split("\0") if arg]
            by_port[args[-1]] = pid
        token = (tmp_path / "data" / "device-token").read_text().strip()
        for victim in ("storage", "analysis"):
            os.kill(by_port[victim], signal.SIGKILL)
            time.sleep(0.5)
            line = ""
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "started again" not in line:
                line = up.stdout.readline()
            assert f"{victim} exited and was started again" in line
            deadline = time.monotonic() + 30
            while not listening(ports[victim.upper()]):
                assert time.monotonic() < deadline, f"{victim} did not listen again"
                time.sleep(0.2)
        request = urllib.request.Request(f"http://127.0.0.1:{ports['GATEWAY']}/api/v1/me",
                                         headers={"Authorization": f"Bearer {token}"})
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(request, timeout=5) as reply:
                    assert b"driver@localhost" in reply.read()
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=40) == 0
        assert not any(listening(port) for port in ports.values())
    finally:
        if up.poll() is None:
            up.kill()
