"""Bad files given to ``racing-coach replay`` (run as a real process): non-zero exit, one clear line."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from racecoach.client.ibt import write_ibt

DATA = Path(__file__).resolve().parents[1] / "data"


def _replay(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "RACING_COACH_DATA_DIR": str(tmp_path / "data"), "RACING_COACH_INGEST_PORT": "1"}
    return subprocess.run(
        [sys.executable, "-m", "racecoach.client.cli", "replay", "--fast", "--token", "rc_unused", str(path)],
        capture_output=True, text=True, env=env, timeout=30, check=False,
    )


def _truncated(tmp_path: Path) -> Path:
    data = (DATA / "sebring_amg-gt4_partial.ibt").read_bytes()
    path = tmp_path / "cut.ibt"
    path.write_bytes(data[: len(data) // 3])
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.ibt"
    path.write_bytes(b"")
    return path


def _foreign(tmp_path: Path) -> Path:
    path = tmp_path / "photo.ibt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    return path


def _records_past_the_end(tmp_path: Path) -> Path:
    data = bytearray((DATA / "redbullring_w13_parked.ibt").read_bytes())
    struct.pack_into("<i", data, 13 * 4, len(data) + 4096)  # varBuf[0].bufOffset
    struct.pack_into("<i", data, 112 + 28, 0)  # record count 0: nothing says how many records
    path = tmp_path / "offset.ibt"
    path.write_bytes(bytes(data))
    return path


def _session_info_of_wrong_types(tmp_path: Path) -> Path:
    count = 120
    return write_ibt(tmp_path / "odd_info.ibt", channels={
        "SessionTime": np.arange(count) / 60.0, "Lap": np.ones(count, np.int32), "LapDist": np.arange(count, dtype=np.float32),
        "LapDistPct": np.linspace(0, 0.1, count, dtype=np.float32), "Speed": np.full(count, 30, np.float32),
    }, session_info="---\nWeekendInfo: just text\nDriverInfo:\n Drivers: 7\n DriverCarIdx: [1]\nSessionInfo:\n Sessions:\n - 3\n"
                    "CarSetup: [1, [2, {a: b}]]\n")


def _lacking_channels(tmp_path: Path) -> Path:
    count = 120
    return write_ibt(tmp_path / "no_lapdist.ibt", channels={
        "SessionTime": np.arange(count) / 60.0, "Lap": np.ones(count, np.int32), "Speed": np.full(count, 30, np.float32),
    }, session_info={"WeekendInfo": {"TrackName": "nowhere"}})


@pytest.mark.parametrize(("make", "expected"), [
    (_truncated, "truncated"),
    (_empty, "empty"),
    (_foreign, "not an iRacing .ibt file"),
    (lambda tmp: DATA / "invalid_truncated.ibt", "not an iRacing .ibt file"),
    (_lacking_channels, "lacks the channels LapDist, LapDistPct"),
    (_records_past_the_end, "records start at byte"),
], ids=["truncated", "empty", "foreign", "invalid-sample", "missing-channels", "records-past-the-end"])
def test_bad_file_exits_non_zero_with_one_clear_line(make, expected, tmp_path):
    path = make(tmp_path)
    result = _replay(path, tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0] and path.name in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_missing_file_is_named(tmp_path):
    result = _replay(tmp_path / "nope.ibt", tmp_path)
    assert result.returncode != 0 and result.stderr.strip() == f"error: {tmp_path / 'nope.ibt'}: no such file or directory"


def test_session_info_of_wrong_types_is_no_traceback(tmp_path):
    """Hand-written session info with a string for a section, numbers for lists."""
    path = _session_info_of_wrong_types(tmp_path)
    result = _replay(path, tmp_path)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
