"""Analysis and coaching killed mid-replay under `racing-coach up`: ingest opens the analysis stream again
once analysis is back, reading the lap in progress from storage first, and scores again while coaching
restarts, so every lap of the file is analysed and has its report."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from racecoach.client.source import load_ibt
from racecoach.common.laps import detect_laps
from tests.e2e.test_up import free_port

pytestmark = pytest.mark.slow
LAPS = 4


def _service_pid(up_pid: int, name: str) -> int | None:
    for child in subprocess.run(["pgrep", "-P", str(up_pid)], check=False, capture_output=True, text=True).stdout.split():
        args = [a for a in Path(f"/proc/{child}/cmdline").read_text().split("\0") if a]
        if args[-2:] == ["serve", name]:
            return int(child)
    return None


def _laps(dsn: str, session_id: str) -> dict[int, bool]:
    """Lap number -> whether it has a report."""
    async def fetch():
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetch(
                "SELECT l.lap_number, r.lap_pk IS NOT NULL AS reported FROM laps l JOIN sessions s USING (session_pk)"
                " LEFT JOIN lap_reports r USING (lap_pk) WHERE s.session_id = $1", session_id)
        finally:
            await conn.close()

    return {row["lap_number"]: row["reported"] for row in asyncio.run(fetch())}


def _wait_laps(dsn: str, session_id: str, count: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while len(_laps(dsn, session_id)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} laps analysed"
        time.sleep(0.1)


def test_analysis_and_coaching_killed_mid_replay_lose_no_lap(tmp_path, pg_dsn):
    from racecoach.client.simulator import DriverProfile, simulate_session, write_session

    path, _ = write_session(simulate_session(track="Norisring", laps=LAPS, profile=DriverProfile(), seed=5), tmp_path / "s.ibt")
    session, arrays = load_ibt(path)
    want = {lap.lap_number for lap in detect_laps(arrays)}  # the lap definition over the file, apart from the mesh
    ports = {name: free_port() for name in ("INGEST", "STORAGE", "ANALYSIS", "COACHING", "GATEWAY")}
    env = dict(os.environ, RACING_COACH_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=pg_dsn, RACING_COACH_LOG_LEVEL="warning",
               **{f"RACING_COACH_{name}_PORT": str(port) for name, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "up"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, start_new_session=True)
    replay = None
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line or line.startswith("Ctrl-C"):
                break
        if not line.startswith("Ctrl-C"):
            up.kill()
            raise AssertionError(f"up did not start: {line!r} {up.communicate()} {up.returncode}")
        env["RACING_COACH_TOKEN"] = (tmp_path / "data" / "device-token").read_text().strip()
        replay = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "replay", "--speed", "8", str(path)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _wait_laps(pg_dsn, session.session_id, 1)
        time.sleep(1.0)
        os.kill(_service_pid(up.pid, "analysis"), signal.SIGKILL)  # lap 2 is in progress
        _wait_laps(pg_dsn, session.session_id, 2)
        time.sleep(3.0)
        os.kill(_service_pid(up.pid, "coaching"), signal.SIGKILL)  # shortly before the next lap completes
        output, _ = replay.communicate(timeout=120)
        assert replay.returncode == 0, output
        deadline = time.monotonic() + 30
        while set(laps := _laps(pg_dsn, session.session_id)) != want or not all(laps.values()):
            assert time.monotonic() < deadline, f"laps and whether reported: {laps}, laps in the file: {want}"
            time.sleep(0.2)
        assert len(want) >= LAPS - 1, want
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=60) == 0
    finally:
        for process in (replay, up):
            if process is not None and process.poll() is None:
                process.kill()
