"""Replicas on loopback: 3 ingest, 2 analysis and 2 coaching processes (`racing-coach serve`) behind one storage,
every client balancing over them by gRPC's round robin (targets naming several addresses, as a Kubernetes headless
Service's DNS answer does). Several cars replay at once; one replica of each kind is SIGKILLed mid-replay and not
started again. The collectors resume on the ingest replicas left, ingest opens its analysis and live streams again
on the replicas left, and the run ends with every sample stored once and every lap analysed and reported."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from racecoach.client.source import load_ibt
from racecoach.common.laps import detect_laps

from tests.e2e.test_chaos import _read_back
from tests.e2e.test_up import free_port, listening

pytestmark = pytest.mark.slow
REPLICAS = {"ingest": 3, "analysis": 2, "coaching": 2}
CARS = (("Norisring", 8), ("Zandvoort", 5), ("Spielberg", 5), ("Suzuka", 4))
SPEED = "10"


def _target(ports: list[int]) -> str:
    return "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)


@pytest.fixture(scope="module")
def cars(tmp_path_factory):
    from racecoach.client.simulator import DriverProfile, simulate_session, write_session

    folder = tmp_path_factory.mktemp("replicas")
    return [write_session(simulate_session(track=track, laps=laps, profile=DriverProfile(), seed=300 + n), folder / f"car{n}.ibt")[0]
            for n, (track, laps) in enumerate(CARS)]


def _opened(log: Path) -> int:
    """Collector streams a replica's log says it opened."""
    return log.read_text(errors="replace").count("session opened") if log.exists() else 0


def test_replicas_balance_and_a_killed_replica_of_each_loses_nothing(tmp_path, pg_dsn, cars):
    storage_port = free_port()
    ports = {name: [free_port() for _ in range(count)] for name, count in REPLICAS.items()}
    base = dict(os.environ, DATABASE_URL=pg_dsn, RACING_COACH_DATA_DIR=str(tmp_path / "data"), RACING_COACH_LOG_LEVEL="info",
                RACING_COACH_SERVICE_TOKEN=secrets.token_urlsafe(24), RACING_COACH_STORAGE_PORT=str(storage_port),
                RACING_COACH_STORAGE_ADDR=f"127.0.0.1:{storage_port}",
                **{f"RACING_COACH_{name.upper()}_ADDR": _target(p) for name, p in ports.items()})
    processes: dict[str, subprocess.Popen] = {}
    logs: dict[str, Path] = {}
    replays = []

    def start(name: str, service: str, port: int) -> None:
        logs[name] = tmp_path / f"{name}.log"
        env = dict(base, **{f"RACING_COACH_{service.upper()}_PORT": str(port)})
        processes[name] = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "serve", service], env=env,
                                           stdout=logs[name].open("w"), stderr=subprocess.STDOUT, start_new_session=True)

    try:
        start("storage", "storage", storage_port)
        for service, service_ports in ports.items():
            for index, port in enumerate(service_ports):
                start(f"{service}{index}", service, port)
        deadline = time.monotonic() + 120
        while not all(listening(port) for port in [storage_port, *sum(ports.values(), [])]):
            crashed = [name for name, process in processes.items() if process.poll() is not None]
            assert not crashed and time.monotonic() < deadline, f"not listening; exited: {crashed}"
            time.sleep(0.2)
        made = subprocess.run([sys.executable, "-m", "racecoach.client.cli", "token", "create", "--user", "replicas@example.com"],
                              env=base, capture_output=True, text=True, check=True)
        token = made.stdout.split()[0]
        env = dict(base, RACING_COACH_TOKEN=token)
        # Each collector is one process with one channel, whose first stream goes to the first replica that answers: as
        # a headless Service's DNS rotates its answer between clients, each car gets the ingest list rotated by one.
        ingest = ports["ingest"]
        replays = [subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "replay", "--speed", SPEED, str(path)],
                                    env=dict(env, RACING_COACH_INGEST_ADDR=_target(ingest[n % len(ingest):] + ingest[:n % len(ingest)])),
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                   for n, path in enumerate(cars)]

        time.sleep(8.0)  # a few laps in: every car streams, and laps have been analysed and scored
        streams = {f"ingest{i}": _opened(logs[f"ingest{i}"]) for i in range(REPLICAS["ingest"])}
        assert sum(count > 0 for count in streams.values()) >= 2, f"the collectors' streams were not spread: {streams}"
        victims = [max(streams, key=streams.get), "analysis0", "coaching0"]
        for victim in victims:
            processes[victim].send_signal(signal.SIGKILL)

        for replay in replays:
            output, _ = replay.communicate(timeout=240)
            assert replay.returncode == 0, output
        assert all(processes[v].wait(timeout=10) == -signal.SIGKILL for v in victims)
        assert all(process.poll() is None for name, process in processes.items() if name not in victims), "a replica left died"

        for path in cars:
            session, arrays = load_ibt(path)
            want = {lap.lap_number for lap in detect_laps(arrays)}
            deadline = time.monotonic() + 60
            while True:
                times, laps = _read_back(f"127.0.0.1:{storage_port}", token, session.session_id)
                if set(laps) == want and all(laps.values()):
                    break
                assert time.monotonic() < deadline, (
                    f"{path.name}: laps missing {sorted(want - set(laps))}, without a report {sorted(n for n, r in laps.items() if not r)}")
                time.sleep(0.5)
            np.testing.assert_array_equal(times, arrays["session_time_s"])  # every sample once
        survivors = {name: _opened(logs[name]) for name in logs if name.startswith("ingest") and name not in victims}
        assert sum(survivors.values()) > sum(streams[name] for name in survivors), f"no stream resumed elsewhere: {survivors}"
    finally:
        for process in (*replays, *processes.values()):
            if process.poll() is None:
                process.kill()
