"""The Makefile rebuilds the C kernels when any of their real sources changes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NATIVE = REPO / "native"
SOURCES = sorted([*NATIVE.glob("src/*.c"), *NATIVE.glob("src/*.h"), *NATIVE.glob("include/*.h"), NATIVE / "build_kernels.py"])

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed")


def _dry_run(*extra: str) -> str:
    """What `make native` would run, the install stamp taken as done (-o) and nothing executed (-n)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", *extra, "native"],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    return result.stdout


def test_the_sources_are_where_the_makefile_looks():
    assert len([p for p in SOURCES if p.suffix == ".c"]) >= 6
    assert (NATIVE / "include" / "corners.h") in SOURCES and (NATIVE / "src" / "rc_internal.h") in SOURCES


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: str(p.relative_to(NATIVE)))
def test_editing_a_kernel_source_rebuilds_the_kernels(source):
    # -W pretends the file was just modified, without touching it
    assert "native/build_kernels.py" in _dry_run("-W", str(source.relative_to(REPO)))


def test_an_unrelated_file_does_not_rebuild_them():
    if "native/build_kernels.py" in _dry_run():
        pytest.skip("the kernels are out of date in this checkout already")
    assert "native/build_kernels.py" not in _dry_run("-W", "README.md")
