"""The OpenAPI document of the generated REST facade, as Litestar renders it."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any



def load_rest_package(*, rest_package_dir: Path | None = None) -> ModuleType:
    """Import ``racecoach.rest`` (from ``rest_package_dir`` when given, else the installed one)."""
    if rest_package_dir is None:
        return importlib.import_module("racecoach.rest")
    for name in [m for m in sys.modules if m == "racecoach.rest" or m.startswith("racecoach.rest.")]:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        "racecoach.rest", rest_package_dir / "__init__.py", submodule_search_locations=[str(rest_package_dir)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["racecoach.rest"] = module
    spec.loader.exec_module(module)
    return module


def openapi_document(*, rest_package_dir: Path | None = None) -> dict[str, Any]:
    """The OpenAPI schema the gateway serves at /schema/openapi.json, around the generated routes.

    The gateway's app (its hand-written routes, security schemes and error statuses included)
    is built without a backend on ``racecoach.rest`` from ``rest_package_dir`` when given.
    """
    load_rest_package(rest_package_dir=rest_package_dir)
    for name in [m for m in sys.modules if m.startswith("racecoach.services.gateway")]:
        del sys.modules[name]  # rebuilt on the REST package just loaded
    gateway = importlib.import_module("racecoach.services.gateway.app")
    return gateway.create_app(backend=None).openapi_schema.to_schema()
