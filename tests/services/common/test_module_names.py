"""No module of the services, the native layer or the code generator takes a standard-library name."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_no_module_shadows_the_standard_library():
    shadowing = [
        str(path.relative_to(REPO))
        for root in ("services", "native", "codegen")
        for path in sorted((REPO / root).rglob("*"))
        if "__pycache__" not in path.parts
        and ((path.suffix == ".py" and path.stem in sys.stdlib_module_names) or (path.is_dir() and path.name in sys.stdlib_module_names))
    ]
    assert shadowing == []
