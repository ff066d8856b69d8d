"""Fault injection on real processes: services and collector are separate OS processes, killed with SIGKILL.

Every case ends with the rows of ``telemetry_samples`` for the session equal to the samples
the file holds, each exactly once: same count, distinct (seq, idx), same session times.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import numpy as np
import pytest
from racecoach.client.source import load_ibt
from racecoach.services.mesh import wait_serving

pytestmark = pytest.mark.slow
SERVICES = ("storage", "analysis", "coaching", "ingest")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """The mesh (without the gateway) as child processes of this test."""

    def __init__(self, *, tmp: Path, dsn: str) -> None:
        self.tmp = tmp
        self.env = {**os.environ, "DATABASE_URL": dsn, "RACING_COACH_DATA_DIR": str(tmp / "data"),
                    "RACING_COACH_LOG_LEVEL": "warning"}
        for name in SERVICES:
            self.env[f"RACING_COACH_{name.upper()}_PORT"] = str(_free_port())
        self.running: dict[str, subprocess.Popen] = {}

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.env[f'RACING_COACH_{name.upper()}_PORT']}"

    def start(self, name: str) -> None:
        with open(self.tmp / f"{name}.log", "ab") as log:
            self.running[name] = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "serve", name],
                                                  env=self.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            asyncio.run(wait_serving(self.address(name), timeout_s=30))
        except TimeoutError:
            raise AssertionError(f"{name} did not start:\n{(self.tmp / f'{name}.log').read_text()[-2000:]}") from None

    def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def cli(self, *args: str, **options) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", *args], env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **options)

    def stop(self) -> None:
        for process in self.running.values():
            process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def processes(tmp_path_factory, pg_dsn):
    procs = Processes(tmp=tmp_path_factory.mktemp("faults"), dsn=pg_dsn)
    try:
        for name in SERVICES:
            procs.start(name)
        made = procs.cli("token", "create", "--user", f"faults-{os.getpid()}@example.test")
        output, _ = made.communicate(timeout=60)
        assert made.returncode == 0, output
        procs.env["RACING_COACH_TOKEN"] = output.split()[0]
        yield procs
    finally:
        procs.stop()


@pytest.fixture(scope="module")
def one_lap_ibt(tmp_path_factory) -> Path:
    from racecoach.client.simulator import (
        DriverProfile,
        simulate_session,
        write_session,
    )

    session = simulate_session(track="Norisring", laps=1, profile=DriverProfile())
    path, _ = write_session(session, tmp_path_factory.mktemp("lap") / "norisring.ibt")
    return path


def _rows(dsn: str, session_id: str) -> list:
    async def fetch():
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetch(
                "SELECT t.seq, t.idx, t.session_time_s FROM telemetry_samples t JOIN sessions s USING (session_pk)"
                " WHERE s.session_id = $1 ORDER BY t.session_time_s", session_id)
        finally:
            await conn.close()

    return asyncio.run(fetch())


def _wait_rows(dsn: str, session_id: str, at_least: int, process: subprocess.Popen, timeout_s: float = 30) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        count = len(_rows(dsn, session_id))
        if count >= at_least:
            return count
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} rows stored after {timeout_s} s")


def _assert_exactly_once(dsn: str, path: Path) -> None:
    session, arrays = load_ibt(path)
    rows = _rows(dsn, session.session_id)
    sent = arrays["session_time_s"]
    assert len(rows) == len(sent), f"{len(rows)} rows for {len(sent)} samples"
    assert len({(r["seq"], r["idx"]) for r in rows}) == len(rows)
    np.testing.assert_array_equal(np.array([r["session_time_s"] for r in rows]), sent)


def test_ingest_killed_mid_stream_and_restarted(processes, one_lap_ibt, pg_dsn):
    session, arrays = load_ibt(one_lap_ibt)
    replay = processes.cli("replay", "--speed", "20", str(one_lap_ibt))
    before = _wait_rows(pg_dsn, session.session_id, 600, replay)
    assert before < len(arrays["session_time_s"]) // 2, "the kill lands mid-stream"
    processes.kill("ingest")
    time.sleep(0.5)  # the collector now retries with backoff against a closed port
    processes.start("ingest")
    output, _ = replay.communicate(timeout=60)
    assert replay.returncode == 0, output
    assert "batches committed" in output
    _assert_exactly_once(pg_dsn, one_lap_ibt)


def test_collector_killed_mid_stream_and_run_again(processes, one_lap_ibt, tmp_path, pg_dsn):
    copy = tmp_path / "again.ibt"
    copy.write_bytes(one_lap_ibt.read_bytes()[:-1] + b"\0")  # a different file, so a different session id
    session, arrays = load_ibt(copy)
    replay = processes.cli("replay", "--speed", "20", str(copy))
    stored = _wait_rows(pg_dsn, session.session_id, 900, replay)
    assert stored < len(arrays["session_time_s"]) // 2, "the kill lands mid-stream"
    replay.send_signal(signal.SIGKILL)
    replay.wait()
    spool = Path(processes.env["RACING_COACH_DATA_DIR"]) / "spool" / session.session_id
    assert (spool / "batches.log").is_file(), "the killed collector left its spool behind"

    again = processes.cli("replay", "--fast", str(copy))
    output, _ = again.communicate(timeout=60)
    assert again.returncode == 0, output
    assert "resuming after seq" in output
    assert not spool.exists(), "a finished replay removes its spool"
    _assert_exactly_once(pg_dsn, copy)


def test_live_collector_killed_then_upload_sends_the_spool(processes, one_lap_ibt, pg_dsn):
    spool_root = Path(processes.env["RACING_COACH_DATA_DIR"]) / "spool"
    collect = processes.cli("collect", "--from-ibt", str(one_lap_ibt), "--speed", "10", "--quiet", "--stale-s", "0.3")
    deadline = time.monotonic() + 30
    while not (spool_root.is_dir() and any(spool_root.iterdir())):
        assert time.monotonic() < deadline and collect.poll() is None
        time.sleep(0.05)
    [directory] = list(spool_root.iterdir())
    time.sleep(2.0)
    collect.send_signal(signal.SIGKILL)
    collect.wait()
    from racecoach.client.spool import Spool

    spool = Spool.load(directory)
    spooled = [seq for seq, _ in spool.records_after(0, limit=10**6)]
    last_seq = spool.last_seq
    spool.close()
    assert last_seq > 0

    upload = processes.cli("upload")
    output, _ = upload.communicate(timeout=60)
    assert upload.returncode == 0, output
    assert not directory.exists()
    rows = _rows(pg_dsn, directory.name)
    seqs = sorted({r["seq"] for r in rows})
    assert seqs == list(range(1, last_seq + 1)), "every spooled batch is stored"
    assert len({(r["seq"], r["idx"]) for r in rows}) == len(rows)
    times = np.array([r["session_time_s"] for r in rows])
    assert np.all(np.diff(times) > 0), "no sample twice"
    assert spooled == [] or spooled[-1] == last_seq
