"""What `racing-coach collect` shows: the live panel rendered from a collector state, plain lines with --plain
or off a terminal (a real process on a pseudo-terminal), and --version on every command."""

from __future__ import annotations

import argparse
import io
import os
import pty
import select
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from rich.console import Console
from racecoach.analysis.v1 import analysis_pb2 as pb
from racecoach.client.cli import build_parser, main
from racecoach.client.live.state import MESH_CONNECTED, MESH_UNREACHABLE, SIMULATOR_CONNECTED, CollectorState
from racecoach.client.live.view import plain_wanted, render
from racecoach.client.simulator import simulate_session, write_session


def _text(panel) -> str:
    console = Console(file=io.StringIO(), width=110, record=True, color_system=None)
    console.print(panel)
    return console.export_text()


def _drive(state: CollectorState, lap_times: list[float], *, then_pct: float, pit_laps: tuple[int, ...] = ()) -> None:
    """Feed ``state`` a run of 1 s to the line, laps of ``lap_times`` (laps 1, 2, ...), then ``then_pct`` of one
    more lap, at 60 Hz in the collector's 6-sample batches; laps in ``pit_laps`` are driven on pit road."""
    edges = np.concatenate([[101.0], 101.0 + np.cumsum(lap_times)])
    t = np.arange(100.0, edges[-1] + then_pct * 83.0, 1 / 60)
    k = np.searchsorted(edges, t, side="right")  # 0 before the line, then the lap number
    durations = np.concatenate([[10.0], lap_times, [83.0]])
    starts = np.concatenate([[91.0], edges])
    pct = np.mod((t - starts[k]) / durations[k], 1.0)
    arrays = {"session_time_s": t, "lap": k.astype(np.float32), "lap_dist_pct": pct.astype(np.float32),
              "speed_mps": np.full(len(t), 50.0, np.float32), "on_pit_road": np.isin(k, pit_laps).astype(np.float32)}
    for at in range(0, len(t), 6):
        state.feed({name: values[at:at + 6] for name, values in arrays.items()})


def _driven_state() -> CollectorState:
    """A state fed three laps (83.5 s, 83.2 s, then 83.45 s) and a quarter of the fourth."""
    state = CollectorState(source="iRacing", ingest="127.0.0.1:50051")
    state.simulator, state.mesh = SIMULATOR_CONNECTED, MESH_CONNECTED
    state.start_session(session_id="s-1", description="Red Bull Ring (Grand Prix), Mercedes AMG GT3, practice")
    _drive(state, [83.5, 83.2, 83.45], then_pct=0.25)
    state.cue("Turn 3: brake at the 100 board")
    state.last_cue_at = 1000.0
    return state


def test_the_panel_shows_what_a_driver_glances_at():
    state = _driven_state()
    assert [lap.lap_number for lap in state.laps.laps] == [1, 2, 3]
    text = _text(render(state, backlog=2, now=1004.2))
    assert "iRacing   connected (iRacing)" in text
    assert "mesh      connected (127.0.0.1:50051)" in text
    assert "Red Bull Ring (Grand Prix), Mercedes AMG GT3, practice" in text
    assert "lap       4  (25 %)" in text
    assert "lap 3  1:23.450  +0.250 s" in text  # 83.45 s against the best valid lap so far, 83.2 s
    assert "Turn 3: brake at the 100 board  (4 s ago)" in text
    assert "2 batches waiting" in text


def test_the_panel_before_the_simulator_and_with_the_mesh_down():
    state = CollectorState(source="iRacing", ingest="127.0.0.1:50051")
    state.mesh, state.mesh_detail = MESH_UNREACHABLE, "ingest at 127.0.0.1:50051 is unreachable (UNAVAILABLE)"
    text = _text(render(state, backlog=1))
    assert "waiting for iRacing…" in text and "mesh      ingest at 127.0.0.1:50051 is unreachable" in text
    assert "1 batch waiting" in text
    assert text.count("—") == 4  # session, lap, last lap, last cue: nothing yet


def test_an_invalid_last_lap_says_why_and_has_no_delta():
    state = CollectorState()
    state.start_session(session_id="s", description="x")
    _drive(state, [80.0, 60.0], then_pct=0.1, pit_laps=(2,))
    assert [lap.valid for lap in state.laps.laps] == [True, False]
    assert set(state.last_lap.flags) == {pb.LAP_FLAG_OUT_LAP, pb.LAP_FLAG_IN_LAP, pb.LAP_FLAG_PIT}
    text = _text(render(state, backlog=0))
    assert "lap 2  1:00.000" in text and "invalid: out lap, in lap, pit" in text and "+" not in text
    assert state.last_delta_s is None


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_when_asked_or_off_a_terminal():
    assert plain_wanted(plain=True, stream=_Tty())
    assert plain_wanted(plain=False, stream=io.StringIO())
    assert not plain_wanted(plain=False, stream=_Tty())


def _collect_on_a_terminal(tmp_path, *extra: str, until: tuple[str, ...], within_s: float = 30.0) -> str:
    """Run `collect --from-ibt` with its stdout on a pseudo-terminal (the mesh down); what it wrote by the time
    every string of ``until`` appeared (or ``within_s`` passed), a second more, then it is killed."""
    pytest.importorskip("irsdk")
    ibt, _ = write_session(simulate_session(track="Spielberg", laps=1, seed=4), tmp_path / "s.ibt")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "RACING_COACH_DATA_DIR": str(tmp_path / "data"), "RACING_COACH_INGEST_PORT": str(port),
           "COLUMNS": "100", "TERM": "xterm"}
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "collect", "--quiet", "--token", "rc_unused",
                                "--from-ibt", str(ibt), *extra], env=env, stdout=follower, stderr=follower,
                               stdin=subprocess.DEVNULL)
    os.close(follower)
    out = bytearray()
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:  # with the mesh down it keeps spooling: read what it shows meanwhile
            if select.select([leader], [], [], 0.2)[0]:
                try:
                    out += os.read(leader, 65536)
                except OSError:
                    break
            text = out.decode("utf-8", "replace")
            if all(word in text for word in until):
                deadline = min(deadline, time.monotonic() + 1.0)
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(leader)
    return out.decode("utf-8", "replace")


def test_collect_on_a_terminal_draws_the_panel(tmp_path):
    expected = ("racing-coach collect", "╭", "connected (irsdk.mem)", "unreachable", "batches waiting")
    out = _collect_on_a_terminal(tmp_path, until=expected)
    assert all(word in out for word in expected), out[-3000:]  # the panel's title and frame, its rows


def test_collect_plain_prints_lines_only(tmp_path):
    expected = ("collecting to ingest at 127.0.0.1:", "receiving telemetry from irsdk.mem")
    out = _collect_on_a_terminal(tmp_path, "--plain", until=expected)
    assert all(word in out for word in expected), out[-3000:]
    assert "╭" not in out and "racing-coach collect" not in out and "\x1b[" not in out


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    yield prefix
    for action in parser._actions:  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, child in action.choices.items():
                yield from _command_paths(child, (*prefix, name))


def test_every_command_answers_version(capsys):
    """Each command with its real parser: a mesh command's is built only when it is the command given."""
    names = [path[0] for path in _command_paths(build_parser([])) if len(path) == 1]
    paths = {()} | {path for name in names for path in _command_paths(build_parser([name])) if path[:1] == (name,)}
    assert {("collect",), ("up",), ("serve",), ("token", "create"), ("token", "revoke"), ("eval",)} <= paths and len(paths) >= 13
    for path in sorted(paths):
        with pytest.raises(SystemExit) as exited:
            main([*path, "--version"])
        assert exited.value.code == 0, path
        out = capsys.readouterr().out
        assert out.startswith("racing-coach ") and out.split()[1][0].isdigit(), (path, out)


def test_lap_times_round_to_the_millisecond_before_the_minutes():
    from racecoach.client.report import lap_time_text

    assert [lap_time_text(x) for x in (59.99999, 83.4504, 0.0, 125.0)] == ["1:00.000", "1:23.450", "0:00.000", "2:05.000"]
