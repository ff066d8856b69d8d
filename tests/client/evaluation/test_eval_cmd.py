"""``racing-coach eval`` from the command line: arguments, an unreachable mesh, a run on its own mesh."""

from __future__ import annotations

import json
import subprocess

import pytest
from racecoach.client.cli import main


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RACING_COACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("RACING_COACH_TOKEN", raising=False)
    return tmp_path / "data"


def test_bad_arguments_exit_2_with_one_line(data_dir, capsys):
    assert main(["eval", "--tracks", "Nowhere", "--token", "t"]) == 2
    assert main(["eval", "--seeds", "one", "--token", "t"]) == 2
    assert main(["eval", "--laps", "2", "--token", "t"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(e.startswith("error: ") for e in errors)
    assert "Nowhere" in errors[0] and "Spielberg" in errors[0]


def test_an_unreachable_mesh_exits_3_with_one_line(data_dir, capsys):
    assert main(["eval", "--ingest", "127.0.0.1:1", "--token", "t", "--tracks", "Norisring", "--seeds", "1"]) == 3
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert errors == ["error: ingest at 127.0.0.1:1 is unreachable (no answer within 5 s)"]


def _postgres_under(path) -> list[str]:
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in listing.splitlines() if "postgres" in line and str(path) in line]


def test_start_mesh_runs_on_a_mesh_of_its_own_and_stops_it(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the temporary mesh's data directory lands here
    out = tmp_path / "metrics.json"
    assert main(["eval", "--start-mesh", "--tracks", "Norisring", "--seeds", "1", "--laps", "3", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "brake-early" in printed and "top advice" in printed and "harmful remarks" in printed
    metrics = json.loads(out.read_text())
    assert metrics["sessions"] == 1 and metrics["timed_laps"] == 3
    assert not list(tmp_path.glob("racecoach-eval-mesh-*")), "the mesh's data directory is left behind"
    assert _postgres_under(tmp_path) == []
