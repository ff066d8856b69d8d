"""The OpenAPI document of the generated REST facade, as Litestar renders it."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

TITLE = "Racing Coach REST API"
VERSION = "v1"


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
    """Build a Litestar app around the generated routes and return its OpenAPI schema."""
    from litestar import Litestar
    from litestar.openapi import OpenAPIConfig

    rest = load_rest_package(rest_package_dir=rest_package_dir)
    routes = importlib.import_module("racecoach.rest.routes")
    app = Litestar(
        route_handlers=routes.route_handlers(),
        dependencies=routes.dependencies(backend=None),
        openapi_config=OpenAPIConfig(title=TITLE, version=VERSION, description=rest.__doc__ or ""),
    )
    return app.openapi_schema.to_schema()
