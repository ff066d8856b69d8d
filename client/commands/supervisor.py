"""Keep each service of ``racing-coach up`` running: a service that exits is started again after a backoff.

The backoff doubles with each exit that came soon after its start and is capped; a service that ran
long enough before exiting starts again at the base delay. A service that keeps dying within seconds
of starting is reported on stderr with its log's last lines, and is still retried at the capped delay.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from racecoach.services.common.logs import get_logger

log = get_logger("racecoach.up")
BASE_DELAY_S = 0.5
MAX_DELAY_S = 30.0
QUICK_EXIT_S = 10.0  # an exit this soon after a start counts towards the backoff and the crash-loop report
CRASH_LOOP_EXITS = 3  # this many quick exits in a row is a crash loop


@dataclass
class Child:
    """One supervised service: how to start it, its process, and its recent exits."""

    name: str
    start: Callable[[], subprocess.Popen]
    log_path: Path
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    quick_exits: int = 0
    restarts: int = 0
    restart_at: float | None = None
    history: list[int] = field(default_factory=list)  # exit statuses, newest last


def backoff_s(*, quick_exits: int, base_s: float = BASE_DELAY_S, cap_s: float = MAX_DELAY_S) -> float:
    """The delay before the next start after ``quick_exits`` quick exits in a row (the first exit waits ``base_s``)."""
    return min(cap_s, base_s * (2 ** max(0, quick_exits - 1)))


def log_tail(*, path: Path, lines: int = 5) -> str:
    try:
        return "\n  ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def launch(*, child: Child, now: float) -> None:
    child.process = child.start()
    child.started_at = now
    child.restart_at = None


def note_exit(*, child: Child, now: float, quick_s: float = QUICK_EXIT_S, base_s: float = BASE_DELAY_S,
              cap_s: float = MAX_DELAY_S, crash_loop_exits: int = CRASH_LOOP_EXITS, report=None) -> float:
    """Record that ``child`` exited and schedule its restart; returns the delay chosen."""
    status = child.process.returncode if child.process is not None else None
    child.history = [*child.history[-9:], status]
    ran_s = now - child.started_at
    child.quick_exits = child.quick_exits + 1 if ran_s < quick_s else 1
    delay = backoff_s(quick_exits=child.quick_exits, base_s=base_s, cap_s=cap_s)
    child.restart_at = now + delay
    child.process = None
    bound = log.bind(service=child.name, status=status, ran_s=round(ran_s, 2), restart_in_s=delay,
                     quick_exits=child.quick_exits)
    if child.quick_exits >= crash_loop_exits:
        bound.error("service keeps dying within seconds of starting", log=str(child.log_path))
        (report or _report)(
            f"{child.name} keeps dying: {child.quick_exits} exits in a row within {quick_s:g} s of starting"
            f" (last status {status}); next try in {delay:g} s. Its log ({child.log_path}):\n  "
            + log_tail(path=child.log_path)
        )
    else:
        bound.warning("service exited; restarting after backoff")
    return delay


def _report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def tend(*, children: list[Child], now: float, **options) -> list[str]:
    """One supervision pass: note exits, start those whose delay has passed. Returns the names restarted."""
    restarted = []
    for child in children:
        if child.process is not None and child.process.poll() is not None:
            note_exit(child=child, now=now, **options)
        if child.process is None and child.restart_at is not None and now >= child.restart_at:
            launch(child=child, now=now)
            child.restarts += 1
            log.bind(service=child.name, restarts=child.restarts).info("service restarted")
            restarted.append(child.name)
    return restarted
