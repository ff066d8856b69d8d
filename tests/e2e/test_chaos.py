"""Chaos under `racing-coach up`: during replays of several cars, every service and the embedded PostgreSQL are
killed with SIGKILL at least ``KILLS_EACH`` times each, in random order; `up` restarts the services (storage
starts PostgreSQL again), every replay finishes, every sample of every file is stored exactly once, and every lap
of every file is analysed and has its report: the mesh read again what the crashes left undone.

A process is killed only once it has run ``QUICK_EXIT_S`` (`up` backs off a service that keeps dying at once,
which is right for a crash loop and would turn this into a test of the backoff). The results are read through
the mesh's own API, as a user would. ``RACING_COACH_CHAOS_SEED`` picks another order."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import grpc
import numpy as np
import pytest

from racecoach.client.commands.supervisor import QUICK_EXIT_S
from racecoach.client.source import load_ibt
from racecoach.common.laps import detect_laps
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

from tests.e2e.test_up import free_port, listening

pytestmark = pytest.mark.slow
SERVICES = ("storage", "analysis", "coaching", "ingest", "gateway")
VICTIMS = (*SERVICES, "postgresql")
KILLS_EACH = 10
UPTIME_S = QUICK_EXIT_S + 0.5
CARS = (("Norisring", 42), ("Spielberg", 24), ("BrandsHatch", 26))  # about 200 s each at SPEED
SPEED = "10"


def _processes(up_pid: int, pgdata: Path) -> dict[str, int]:
    """Victim name → pid, of what runs now."""
    found = {}
    for child in subprocess.run(["pgrep", "-P", str(up_pid)], check=False, capture_output=True, text=True).stdout.split():
        try:
            args = [a for a in Path(f"/proc/{child}/cmdline").read_text().split("\0") if a]
        except OSError:
            continue
        if "serve" in args:
            found[args[-1]] = int(child)
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        os.kill(pid, 0)
        found["postgresql"] = pid
    except (OSError, ValueError):
        pass
    return found


@pytest.fixture(scope="module")
def cars(tmp_path_factory):
    from racecoach.client.simulator import DriverProfile, simulate_session, write_session

    folder = tmp_path_factory.mktemp("chaos")
    return [write_session(simulate_session(track=track, laps=laps, profile=DriverProfile(), seed=100 + n), folder / f"car{n}.ibt")[0]
            for n, (track, laps) in enumerate(CARS)]


def _read_back(address: str, token: str, session_id: str) -> tuple[np.ndarray, dict[int, bool]]:
    """The session's stored sample times, and lap number → whether it has a report, through StorageService."""
    metadata = [("authorization", f"Bearer {token}")]
    with grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 64 << 20)]) as channel:
        stub = storage_pb2_grpc.StorageServiceStub(channel)
        chunks = stub.StreamSessionTelemetry(storage_pb2.StreamSessionTelemetryRequest(
            session_id=session_id, channels=["session_time_s"], chunk_samples=20_000), metadata=metadata, timeout=60)
        times = np.concatenate([np.asarray(c.chunk.session_time_s) for c in chunks] or [np.empty(0)])
        laps = stub.GetSession(storage_pb2.GetSessionRequest(session_id=session_id), metadata=metadata, timeout=30).laps
        reported = {lap.lap_number: stub.GetLap(storage_pb2.GetLapRequest(lap_id=lap.lap_id), metadata=metadata,
                                                timeout=30).HasField("report") for lap in laps}
    return times, reported


def test_every_service_and_postgresql_killed_again_and_again_during_replays(tmp_path, cars):
    rng = random.Random(int(os.environ.get("RACING_COACH_CHAOS_SEED", "7")))
    ports = {name: free_port() for name in ("INGEST", "STORAGE", "ANALYSIS", "COACHING", "GATEWAY")}
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # the mesh's own embedded PostgreSQL, to kill
    env.update(RACING_COACH_DATA_DIR=str(data), RACING_COACH_LOG_LEVEL="warning",
               **{f"RACING_COACH_{name}_PORT": str(port) for name, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "up"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True)
    replays = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line or line.startswith("Ctrl-C"):
                break
        assert up.poll() is None, "up did not start"
        token = (data / "device-token").read_text().strip()
        env["RACING_COACH_TOKEN"] = token
        replays = [subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "replay", "--speed", SPEED, str(path)],
                                    env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for path in cars]

        kills = {victim: 0 for victim in VICTIMS}
        seen: dict[str, tuple[int, float]] = {}  # victim → (pid, when first seen running)
        deadline = time.monotonic() + 600
        while min(kills.values()) < KILLS_EACH and any(r.poll() is None for r in replays):
            assert time.monotonic() < deadline, f"kills so far: {kills}"
            now = time.monotonic()
            for victim, pid in _processes(up.pid, data / "postgres").items():
                if seen.get(victim, (None,))[0] != pid:
                    seen[victim] = (pid, now)
            ready = [v for v, (pid, since) in seen.items() if kills[v] < KILLS_EACH and now - since >= UPTIME_S]
            if not ready:
                time.sleep(0.2)
                continue
            victim = rng.choice(ready)
            try:
                os.kill(seen[victim][0], signal.SIGKILL)
            except ProcessLookupError:
                continue
            kills[victim] += 1
            time.sleep(rng.uniform(0.2, 1.5))
        if min(kills.values()) < KILLS_EACH:
            said = [r.communicate(timeout=300)[0][-2000:] for r in replays]
            raise AssertionError(f"the replays ended before every victim was killed enough: {kills}; they said {said}")

        for replay in replays:
            output, _ = replay.communicate(timeout=300)
            assert replay.returncode == 0, output
        assert up.poll() is None, "up stopped instead of restarting"
        deadline = time.monotonic() + 60
        while not all(listening(port) for port in ports.values()):
            assert time.monotonic() < deadline, "not every service listens again"
            time.sleep(0.2)

        storage = f"127.0.0.1:{ports['STORAGE']}"
        for path in cars:
            session, arrays = load_ibt(path)
            want = {lap.lap_number for lap in detect_laps(arrays)}  # the lap definition over the file, apart from the mesh
            deadline = time.monotonic() + 90  # completions run in the background once the streams end
            while True:
                times, laps = _read_back(storage, token, session.session_id)
                if set(laps) == want and all(laps.values()):
                    break
                missing = sorted(want - set(laps))
                unreported = sorted(n for n, done in laps.items() if not done)
                assert time.monotonic() < deadline, f"{path.name}: laps missing {missing}, without a report {unreported}"
                time.sleep(0.5)
            np.testing.assert_array_equal(times, arrays["session_time_s"])  # every sample once, in order
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0
    finally:
        for process in (*replays, up):
            if process.poll() is None:
                process.kill()
