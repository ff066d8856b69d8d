"""The command line refuses bad arguments with one argparse-style line (exit 2), knows its version,
and says within about 2 s when ingest is unreachable (real processes, no mesh running)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from racecoach.client.simulator import simulate_session, write_session
from racecoach.client.source import load_ibt
from racecoach.client.spool import Spool, spool_root
from racecoach.client.uploader import split_batches

CLI = [sys.executable, "-m", "racecoach.client.cli"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "RACING_COACH_DATA_DIR": str(tmp_path / "data"), "RACING_COACH_INGEST_PORT": str(_closed_port())}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory) -> Path:
    ibt, _ = write_session(simulate_session(track="Spielberg", laps=1, seed=4), tmp_path_factory.mktemp("sim") / "s.ibt")
    return ibt


def _run(*args: str, env: dict, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False)


def _one_error_line(result: subprocess.CompletedProcess, *expected: str) -> str:
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(("args", "expected"), [
    (["simulate", "-o", "{tmp}/missing/s.ibt"], ("argument -o/--output", "does not exist")),
    (["simulate", "-o", "{tmp}"], ("argument -o/--output", "is a folder")),
    (["simulate", "--laps", "0", "-o", "{tmp}/s.ibt"], ("argument --laps", "at least 1")),
    (["replay", "--speed", "0", "x.ibt"], ("argument --speed", "greater than 0")),
    (["replay", "--speed", "-1", "x.ibt"], ("argument --speed", "greater than 0")),
    (["replay", "--speed", "nan", "x.ibt"], ("argument --speed",)),
    (["replay", "--batch-ms", "0", "x.ibt"], ("argument --batch-ms", "at least 1")),
    (["replay", "--token", "", "x.ibt"], ("argument --token", "is empty")),
    (["upload", "--token", "  "], ("argument --token", "is empty")),
    (["collect", "--token", ""], ("argument --token", "is empty")),
    (["collect", "--poll-hz", "0"], ("argument --poll-hz", "greater than 0")),
    (["collect", "--batch-ms", "-5"], ("argument --batch-ms", "greater than 0")),
], ids=lambda value: " ".join(value) if isinstance(value, list) else None)
def test_bad_arguments_get_one_argparse_line_and_exit_2(args, expected, env, tmp_path):
    result = _run(*(a.replace("{tmp}", str(tmp_path)) for a in args), env=env)
    assert result.returncode == 2
    line = _one_error_line(result, *expected)
    assert line.startswith(f"racing-coach {args[0]}: error: ")
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("args", [["--version"], ["replay", "--version"], ["token", "create", "--version"]])
def test_version_on_the_command_and_every_subcommand(args, env):
    result = _run(*args, env=env)
    assert result.returncode == 0 and result.stdout.startswith("racing-coach ") and result.stdout.split()[1][0].isdigit()


def test_replay_with_the_mesh_down_says_so_at_once(simulated, env):
    started = time.monotonic()
    result = _run("replay", "--fast", "--token", "rc_unused", str(simulated), env=env)
    elapsed = time.monotonic() - started
    assert result.returncode == 3
    _one_error_line(result, f"ingest at 127.0.0.1:{env['RACING_COACH_INGEST_PORT']} is unreachable", "racing-coach up")
    assert elapsed < 8, elapsed  # the interpreter's start and the file's load, not the uploader's 11 s of retries
    assert not Spool.pending(spool_root(Path(env["RACING_COACH_DATA_DIR"])))  # refused before anything was spooled


def _first_line_with(process: subprocess.Popen, text: str, *, within_s: float) -> tuple[str, float]:
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        line = process.stdout.readline()
        if not line:
            break
        if text in line:
            return line, time.monotonic() - started
    raise AssertionError(f"no line with {text!r} within {within_s} s")


def test_upload_with_the_mesh_down_says_what_it_waits_for(simulated, env):
    session, arrays = load_ibt(simulated)
    spool = Spool.create(root=spool_root(Path(env["RACING_COACH_DATA_DIR"])), session=session)
    for seq, payload in list(split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=60))[:3]:
        spool.append(seq=seq, payload=payload)
    spool.close()
    upload = subprocess.Popen([*CLI, "upload", "--token", "rc_unused"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        address = f"127.0.0.1:{env['RACING_COACH_INGEST_PORT']}"
        line, _ = _first_line_with(upload, f"ingest at {address} is unreachable", within_s=8)
        assert "retrying" in line
        assert upload.wait(timeout=60) == 3  # given up after its retries: the session stays in the spool
        assert Spool.pending(spool_root(Path(env["RACING_COACH_DATA_DIR"])))
    finally:
        if upload.poll() is None:
            upload.kill()


def test_collect_with_the_mesh_down_says_it_spools(simulated, env):
    pytest.importorskip("irsdk")
    collect = subprocess.Popen([*CLI, "collect", "--quiet", "--token", "rc_unused", "--from-ibt", str(simulated)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line, _ = _first_line_with(collect, "is unreachable", within_s=8)
        assert f"127.0.0.1:{env['RACING_COACH_INGEST_PORT']}" in line and "spool" in line
    finally:
        collect.send_signal(signal.SIGINT)
        try:
            collect.wait(timeout=20)
        except subprocess.TimeoutExpired:
            collect.kill()
