"""`racing-coach up` leaves nothing behind: the embedded PostgreSQL it started stops with it (after
Ctrl-C, after a service was SIGKILLed, and on the next start after the whole mesh was SIGKILLed),
and a second `up` on ports in use refuses with one line naming the port (real processes)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

SERVICE_PORTS = ("INGEST", "STORAGE", "ANALYSIS", "COACHING", "GATEWAY")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data_dir: Path, **ports: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RACING_COACH_TOKEN")}
    env["RACING_COACH_DATA_DIR"] = str(data_dir)
    env["RACING_COACH_HOST"] = "127.0.0.1"
    for name in SERVICE_PORTS:
        env[f"RACING_COACH_{name}_PORT"] = str(ports.get(name, free_port()))
    return env


def _postgres_of(pgdata: Path) -> list[int]:
    """pids of processes whose command line names the data directory (what ``pgrep -f`` finds)."""
    found = subprocess.run(["pgrep", "-f", str(pgdata)], capture_output=True, text=True, check=False).stdout.split()
    return [int(pid) for pid in found if int(pid) != os.getpid()]


def _gone(pgdata: Path, *, within_s: float = 15.0) -> bool:
    deadline = time.monotonic() + within_s
    while _postgres_of(pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not _postgres_of(pgdata)


def _start_up(env: dict[str, str]) -> subprocess.Popen:
    up = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "up"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = up.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ctrl-C"):
            return up
    up.kill()
    raise AssertionError("up did not start:\n" + "".join(lines))


def _service(up: subprocess.Popen, name: str) -> psutil.Process:
    for child in psutil.Process(up.pid).children():
        if child.cmdline()[-2:] == ["serve", name]:
            return child
    raise AssertionError(f"no {name} process under up")


@pytest.fixture
def data_dir():
    # short: the embedded server's socket path must fit in 107 bytes
    with tempfile.TemporaryDirectory(prefix="rc-up-") as tmp:
        yield Path(tmp) / "data"
        for pid in _postgres_of(Path(tmp)):  # a failed test must not leave its server running
            os.kill(pid, signal.SIGKILL)


@pytest.mark.slow
def test_ctrl_c_of_up_stops_its_embedded_postgres(data_dir):
    up = _start_up(_env(data_dir))
    try:
        assert _postgres_of(data_dir / "postgres")
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
        assert _gone(data_dir / "postgres"), "the embedded PostgreSQL outlived up"
    finally:
        if up.poll() is None:
            up.kill()


@pytest.mark.slow
def test_postgres_stops_after_a_storage_sigkill_and_after_a_killed_mesh(data_dir):
    env = _env(data_dir)
    pgdata = data_dir / "postgres"
    up = _start_up(env)
    try:
        storage = _service(up, "storage")
        storage.kill()  # its handle stays in .handle_pids.json
        storage.wait(timeout=10)
        time.sleep(3)
        up.send_signal(signal.SIGTERM)
        up.wait(timeout=60)
        assert _gone(pgdata), "the embedded PostgreSQL outlived up after a storage SIGKILL"

        up = _start_up(env)  # the whole mesh SIGKILLed: the server and its stale handles stay behind
        children = psutil.Process(up.pid).children()
        up.send_signal(signal.SIGSTOP)  # no restarts, and the services get no word of up's end before they die
        for child in children:
            child.kill()
        up.kill()
        up.wait(timeout=10)
        psutil.wait_procs(children, timeout=10)  # reaped once up is gone
        assert _postgres_of(pgdata)
        stale = json.loads((pgdata / ".handle_pids.json").read_text())
        assert stale and not any(psutil.pid_exists(pid) for pid in stale)

        up = _start_up(env)  # the next start cleans up the stale pids, and its stop stops the server
        assert set(json.loads((pgdata / ".handle_pids.json").read_text())) <= {c.pid for c in psutil.Process(up.pid).children()}
        up.send_signal(signal.SIGINT)
        assert up.wait(timeout=60) == 0
        assert _gone(pgdata), "the embedded PostgreSQL outlived the next up"
    finally:
        if up.poll() is None:
            up.kill()


def test_up_on_a_port_in_use_refuses_with_one_line(data_dir):
    import grpc
    from concurrent import futures

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))  # gRPC listens with SO_REUSEPORT
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "racecoach.client.cli", "up"], env=_env(data_dir, INGEST=port),
                                capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 1 and time.monotonic() - started < 20
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert lines[0].startswith("error: port ") and f"{port} (ingest)" in lines[0] and "already in use" in lines[0]
        assert "Racing Coach is up" not in result.stdout
        assert not _postgres_of(data_dir)  # refused before anything started
    finally:
        server.stop(0)


def test_serve_on_a_port_in_use_refuses(data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "racecoach.client.cli", "serve", "coaching"],
                                env=_env(data_dir, COACHING=port), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and result.stderr.strip() == result.stderr.strip().splitlines()[0]
    assert f"port {port} (coaching)" in result.stderr


@pytest.mark.slow
def test_demo_stops_the_embedded_postgres_it_started(data_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "RACING_COACH_TOKEN")}
    env["RACING_COACH_DATA_DIR"] = str(data_dir)
    result = subprocess.run([sys.executable, "-m", "racecoach.client.demo"], env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (data_dir / "postgres" / "PG_VERSION").is_file()  # it ran on the embedded server
    assert _gone(data_dir / "postgres"), "the embedded PostgreSQL outlived the demo"


@pytest.mark.slow
def test_no_service_outlives_a_killed_up(data_dir):
    up = _start_up(_env(data_dir))
    children = psutil.Process(up.pid).children()
    try:
        assert {c.cmdline()[-1] for c in children} >= {"storage", "analysis", "coaching", "ingest", "gateway"}
        up.kill()  # SIGKILL: up stops nothing itself
        up.wait(timeout=10)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"services outlived up: {[c.cmdline()[-1] for c in alive]}"
    finally:
        for child in children:
            if child.is_running():
                child.kill()
