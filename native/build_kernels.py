"""cffi build script for the C analysis kernels (API / out-of-line mode).

Used by the package build (``setup.py`` declares
``cffi_modules=["native/build_kernels.py:ffibuilder"]``) and runnable directly::

    python native/build_kernels.py

which compiles ``racecoach.native._kernels`` and copies the extension next to
this file.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent
INCLUDE_DIR = HERE / "include"
SOURCE_DIR = HERE / "src"
MODULE_NAME = "racecoach.native._kernels"

# Header order matters: every family header includes rc_common.h.
HEADERS = ["rc_common.h", "resample.h", "zones.h", "corners.h", "delta.h", "trackmap.h", "analyze.h"]
SOURCES = ["resample.c", "zones.c", "corners.c", "delta.c", "trackmap.c", "analyze.c"]
COMPILE_ARGS = ["-O3", "-std=c99", "-Wall", "-Wextra"]


def _portable(path: Path) -> str:
    """Relative to the working directory when possible (setuptools prefers it)."""
    try:
        return os.path.relpath(path, os.getcwd()) if path.is_relative_to(Path.cwd()) else str(path)
    except ValueError:  # different drive on Windows
        return str(path)


def _cdef_text() -> str:
    """The headers without preprocessor lines: what cffi's parser understands."""
    chunks = []
    for name in HEADERS:
        text = (INCLUDE_DIR / name).read_text(encoding="utf-8")
        chunks.append("\n".join(line for line in text.splitlines() if not re.match(r"\s*#", line)))
    return "\n".join(chunks)


def make_builder(*, absolute_paths: bool = False) -> cffi.FFI:
    """An FFI builder for the kernels; paths relative to the working directory
    unless ``absolute_paths`` (``FFI.compile`` changes directory)."""
    where = (lambda p: str(p)) if absolute_paths else _portable
    builder = cffi.FFI()
    builder.cdef(_cdef_text())
    builder.set_source(
        MODULE_NAME,
        "\n".join(f'#include "{name}"' for name in HEADERS),
        sources=[where(SOURCE_DIR / name) for name in SOURCES],
        include_dirs=[where(INCLUDE_DIR), where(SOURCE_DIR)],
        depends=[where(INCLUDE_DIR / n) for n in HEADERS] + [where(SOURCE_DIR / "rc_internal.h")],
        extra_compile_args=COMPILE_ARGS if sys.platform != "win32" else [],
        libraries=[] if sys.platform == "win32" else ["m"],
    )
    return builder


ffibuilder = make_builder()


def main() -> int:
    """Compile in a scratch folder and copy the extension into ``native/``."""
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(make_builder(absolute_paths=True).compile(tmpdir=tmp, verbose=False))
        # Same file name as the package build gives it (cffi modules use the stable
        # ABI unless Python is a debug build), so neither build shadows the other.
        abi3 = sys.platform != "win32" and not hasattr(sys, "gettotalrefcount")
        target = HERE / ("_kernels.abi3.so" if abi3 else built.name)
        for stale in HERE.glob("_kernels.*"):  # an older build would shadow this one
            if stale.suffix in (".so", ".pyd") and stale != target:
                stale.unlink()
        shutil.copy2(built, target)
    print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
