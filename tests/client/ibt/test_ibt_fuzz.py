"""Fuzzing the .ibt path (``read_ibt`` and ``load_ibt``, what ``replay`` runs): thousands of seeded
mutations of the real samples and of simulated files (byte flips, truncations, header and
variable-header fields, session-info YAML with wrong types, missing keys, huge numbers, non-UTF-8)
each load cleanly or raise an ``IbtError`` with a one-line message naming the file: never another
exception, never a hang (an alarm per case, and the whole run in a child process with a deadline)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 981_0
CASES_PER_BASE = 600  # four bases: two real samples, two simulated sessions


def test_mutated_files_load_or_raise_an_ibt_error(tmp_path):
    try:
        done = subprocess.run([sys.executable, str(HERE / "ibt_fuzz_run.py"), str(tmp_path), str(CASES_PER_BASE), str(SEED)],
                              capture_output=True, text=True, timeout=240, check=False)
    except subprocess.TimeoutExpired as exc:
        started = [line for line in (exc.stdout or b"").decode().splitlines() if line.startswith("case ")]
        raise AssertionError(f"the fuzz run hung; last case started: {started[-1:] or 'none'}") from None
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0 and lines, f"the fuzz run died ({done.returncode}) after {lines[-1:]}: {done.stderr[-2000:]}"
    summary = json.loads(lines[-1])
    print(f"{summary['cases']} mutated files in {summary['seconds']} s: {summary['loaded']} loaded, "
          f"{summary['refused']} refused, {len(summary['failures'])} failures")
    assert not summary["failures"], f"{len(summary['failures'])} of {summary['cases']} cases failed:\n" + "\n".join(summary["failures"][:25])
    assert summary["cases"] == 4 * CASES_PER_BASE
    assert summary["loaded"] > summary["cases"] // 10 and summary["refused"] > summary["cases"] // 10  # both sides reached
