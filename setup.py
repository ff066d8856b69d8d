"""Package layout: the top-level source folders map onto the ``racecoach`` namespace.

``services/`` is ``racecoach.services``, ``client/`` is ``racecoach.client``, ``common/`` (what both
share, importing neither: channels, settings, ticks, batches, laps) is ``racecoach.common``, ``native/`` is
``racecoach.native``, ``codegen/`` is ``racecoach.codegen``, and everything under ``gen/`` keeps
the import path its generator gave it (``racecoach.<domain>.v1`` for pb2 code,
``racecoach.sdk`` for the betterproto SDK, ``racecoach.rest`` for the REST facade), and the pb2 code of the
third-party contracts those import (``buf.validate``, protovalidate's rules) is the top-level package its
generator gave it.
The C kernels are compiled by cffi as part of every install; only the mesh's analysis uses
them, so ``RACING_COACH_NO_KERNELS=1`` skips them for a collector built where no C compiler is
(a gaming PC installing from source).
"""

import os
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).parent
SOURCE_ROOTS = {
    "racecoach.services": "services",
    "racecoach.client": "client",
    "racecoach.common": "common",
    "racecoach.native": "native",
    "racecoach.codegen": "codegen",
}
GENERATED_ROOTS = ["gen/python", "gen/sdk", "gen/rest"]
VENDORED_ROOT = "gen/python"  # top-level packages there besides racecoach: third-party contracts' pb2 code


def _layout() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name, folder in SOURCE_ROOTS.items():
        package_dir[name] = folder
        packages.append(name)
        packages += [f"{name}.{sub}" for sub in find_namespace_packages(where=folder, exclude=["*__pycache__*"])]
    for root in GENERATED_ROOTS:
        base = HERE / root / "racecoach"
        if not base.is_dir():
            continue
        for child in sorted(p for p in base.iterdir() if p.is_dir() and p.name != "__pycache__"):
            name = f"racecoach.{child.name}"
            package_dir[name] = f"{root}/racecoach/{child.name}"
            packages.append(name)
            packages += [f"{name}.{sub}" for sub in find_namespace_packages(where=str(child), exclude=["*__pycache__*"])]
    vendored = HERE / VENDORED_ROOT
    for child in sorted(p for p in vendored.iterdir() if p.is_dir()) if vendored.is_dir() else ():
        if child.name in ("racecoach", "__pycache__"):
            continue
        package_dir[child.name] = f"{VENDORED_ROOT}/{child.name}"
        packages.append(child.name)
        packages += [f"{child.name}.{sub}" for sub in find_namespace_packages(where=str(child), exclude=["*__pycache__*"])]
    return packages, package_dir


_packages, _package_dir = _layout()

setup(
    packages=_packages,
    package_dir=_package_dir,
    include_package_data=True,
    cffi_modules=[] if os.environ.get("RACING_COACH_NO_KERNELS") == "1" else ["native/build_kernels.py:ffibuilder"],
)
