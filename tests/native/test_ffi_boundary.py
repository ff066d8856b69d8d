"""Where the cffi module is used: what native/kernels.py says of itself holds."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NATIVE = REPO / "native"


def test_only_kernels_and_lap_touch_the_cffi_module():
    """native/kernels.py and native/lap.py alone use ffi/lib, and kernels.py says so."""
    repo_python = [*REPO.joinpath("native").glob("*.py"), *REPO.joinpath("services").rglob("*.py"),
                   *REPO.joinpath("client").rglob("*.py"), *REPO.joinpath("codegen").rglob("*.py")]
    touching = sorted(str(p.relative_to(REPO)) for p in repo_python if "_kernels import" in p.read_text(encoding="utf-8")
                      or "import _kernels" in p.read_text(encoding="utf-8"))
    assert touching == ["native/kernels.py", "native/lap.py"]
    assert "native.lap" in (NATIVE / "kernels.py").read_text(encoding="utf-8").split('"""')[1]
