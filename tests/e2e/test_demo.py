"""`make demo`'s job runs from start to stop: mesh up, a simulated session replayed, laps and REST shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_prints_laps_and_the_rest_view_then_stops(tmp_path, pg_dsn):
    env = dict(os.environ, RACING_COACH_DATA_DIR=str(tmp_path / "demo"), DATABASE_URL=pg_dsn)
    result = subprocess.run([sys.executable, "-m", "racecoach.client.demo"], env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "3 complete laps" in out
    # lap 2 carries a 20 m early brake at the simulator's corner 3, Schlossgold (officially T4); laps vary a little
    assert re.search(r"Lap\s+2\s+1:2[45]\.\d{3}", out), out
    assert re.search(r"Schlossgold \(T4\): you braked (1[6-9]|2[0-4]) m earlier", out), out
    assert '"lapCount": 3' in out and "/api/v1/sessions" in out
