"""What ``racing-coach collect`` shows while it runs.

On a terminal: one panel, redrawn four times a second with ``rich`` (its ``Live`` display) —
iRacing connected or waiting, the mesh, the session, the lap being driven and how far round,
the last lap's time and its delta to the session's best valid lap, the last cue and the spool's
backlog; the collector's messages (lap reports, cues, reconnects) scroll above it. Elsewhere (``--plain``, or stdout not a terminal: a log
file, a pipe, a service manager): the same events as plain lines, one per event.

:func:`render` is a pure function of a :class:`~racecoach.client.live.state.CollectorState`.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import TextIO

from rich.console import Console
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from racecoach.client.live.state import (
    MESH_CONNECTED,
    MESH_REACHABLE,
    MESH_UNREACHABLE,
    SIMULATOR_CONNECTED,
    CollectorState,
)
from racecoach.client.report import lap_time_text
from racecoach.common.laps import flag_names


def _delta_text(delta_s: float | None) -> Text:
    if delta_s is None:
        return Text("")
    style = "green" if delta_s <= 0 else "red"
    return Text(f"{delta_s:+.3f} s", style=style)


def render(state: CollectorState, *, backlog: int | None = None, now: float | None = None) -> Panel:
    """The panel for ``state`` (``backlog``: batches not yet committed, default ``state.spool_backlog``)."""
    now = time.monotonic() if now is None else now
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    if state.simulator == SIMULATOR_CONNECTED:
        grid.add_row("iRacing", Text(f"connected ({state.source})", style="green"))
    else:
        grid.add_row("iRacing", Text(f"waiting for {state.source}…", style="yellow"))
    mesh_style = {MESH_CONNECTED: "green", MESH_REACHABLE: "green", MESH_UNREACHABLE: "red"}.get(state.mesh, "yellow")
    mesh = state.mesh_detail or (f"{state.mesh} ({state.ingest})" if state.ingest else state.mesh)
    grid.add_row("mesh", Text(mesh, style=mesh_style))
    grid.add_row("session", state.session or "—")
    progress = state.laps.progress if state.laps is not None else None
    if progress is None:
        grid.add_row("lap", "—")
    else:
        grid.add_row("lap", f"{progress.lap_number}  ({100 * progress.lap_dist_pct:.0f} %)")
    last = state.last_lap
    if last is None:
        grid.add_row("last lap", "—")
    else:
        line = Text(f"lap {last.lap_number}  {lap_time_text(last.lap_time_s)}  ")
        line.append_text(_delta_text(state.last_delta_s))
        if not last.valid:
            line.append(f"  invalid: {', '.join(flag_names(last.flags))}", style="yellow")
        grid.add_row("last lap", line)
    if state.last_cue:
        ago = f"  ({now - state.last_cue_at:.0f} s ago)" if state.last_cue_at is not None else ""
        grid.add_row("last cue", Text(state.last_cue + ago, style="cyan"))
    else:
        grid.add_row("last cue", "—")
    waiting = state.spool_backlog if backlog is None else backlog
    grid.add_row("spool", Text(f"{waiting} batch{'es' if waiting != 1 else ''} waiting",
                               style="green" if waiting < 10 else "yellow"))
    return Panel(grid, title="racing-coach collect", subtitle="Ctrl-C stops", expand=False)


def plain_wanted(*, plain: bool, stream: TextIO | None = None) -> bool:
    """Plain lines when asked for, or when ``stream`` (stdout) is not a terminal."""
    stream = stream or sys.stdout
    return plain or not bool(getattr(stream, "isatty", lambda: False)())


class LiveView:
    """Redraws :func:`render` of the collector's state until stopped (only on a terminal)."""

    def __init__(self, *, collector, console: Console | None = None, refresh_s: float = 0.25) -> None:
        self.collector = collector
        self.console = console or Console()
        self.refresh_s = refresh_s
        self._task: asyncio.Task | None = None
        self._live: Live | None = None

    def _panel(self) -> Panel:
        state = self.collector.state
        state.spool_backlog = self.collector.spool_backlog()
        return render(state)

    def start(self) -> LiveView:
        self._live = Live(self._panel(), console=self.console, auto_refresh=False, transient=False)
        self._live.start()
        self._task = asyncio.get_running_loop().create_task(self._loop())
        return self

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            self._live.update(self._panel(), refresh=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._live is not None:
            self._live.update(self._panel(), refresh=True)
            self._live.stop()
