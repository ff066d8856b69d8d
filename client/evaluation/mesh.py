"""A throw-away mesh for ``racing-coach eval --start-mesh``: ``racing-coach up`` in a temporary
data directory (embedded PostgreSQL) on free loopback ports, stopped — database included — at the end."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from racecoach.services.common.logs import get_logger

__all__ = ["MeshStartError", "TemporaryMesh", "temporary_mesh"]

PORT_VARS = ("INGEST", "STORAGE", "ANALYSIS", "COACHING", "GATEWAY")
# settings of the caller's own mesh that must not leak into the temporary one
_DROPPED = ("DATABASE_URL", "RACING_COACH_TOKEN", "RACING_COACH_STORAGE_ADDR", "RACING_COACH_ANALYSIS_ADDR",
            "RACING_COACH_COACHING_ADDR", "RACING_COACH_INGEST_ADDR", "RACING_COACH_METRICS_PORT",
            *(f"RACING_COACH_{name}_METRICS_PORT" for name in PORT_VARS))
log = get_logger(__name__)


class MeshStartError(Exception):
    """The temporary mesh did not come up."""


@dataclass(frozen=True)
class TemporaryMesh:
    """Where the temporary mesh listens and the device token it wrote."""

    data_dir: Path
    ingest: str
    token: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mesh_environment(*, data_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the temporary mesh: its own data dir and free ports, none of the caller's mesh settings."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _DROPPED}
    env["RACING_COACH_DATA_DIR"] = str(data_dir)
    env["RACING_COACH_HOST"] = "127.0.0.1"
    for name in PORT_VARS:
        env[f"RACING_COACH_{name}_PORT"] = str(_free_port())
    return env


def _stop_database(data_dir: Path) -> None:
    """Stop the embedded PostgreSQL if it outlived the mesh (normally the storage process stops it)."""
    if not (data_dir / "postgres" / "postmaster.pid").exists():
        return
    from racecoach.services.storage.database import start_embedded

    try:
        start_embedded(data_dir=data_dir, cleanup_mode="stop").stop()  # finds it running; the last handle stops it
    except Exception as exc:  # noqa: BLE001 best effort at the end of a run
        log.warning("embedded PostgreSQL of the evaluation mesh may still run", data_dir=str(data_dir), error=str(exc))


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def temporary_mesh(*, timeout_s: float = 120.0) -> Iterator[TemporaryMesh]:
    """Start ``racing-coach up`` in a fresh data directory; stop it and remove the directory on exit."""
    data_dir = Path(tempfile.mkdtemp(prefix="racecoach-eval-mesh-"))
    data_dir.chmod(0o755)  # the embedded server may run as its own system user
    env = mesh_environment(data_dir=data_dir)
    process = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "up", "--timeout", str(timeout_s)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               text=True)
    try:
        banner: list[str] = []
        for line in process.stdout:  # type: ignore[union-attr]
            banner.append(line.rstrip())
            if line.startswith("Ctrl-C"):
                break
        if process.poll() is not None or not banner or not banner[-1].startswith("Ctrl-C"):
            detail = "; ".join(line for line in banner[-4:] if line.strip())
            raise MeshStartError(f"the evaluation mesh did not start: {detail or 'racing-coach up exited'}")
        token = (data_dir / "device-token").read_text().strip()
        yield TemporaryMesh(data_dir=data_dir, ingest=f"127.0.0.1:{env['RACING_COACH_INGEST_PORT']}", token=token)
    finally:
        _stop(process)
        if process.stdout is not None:
            process.stdout.close()
        _stop_database(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
