"""The dashboard's files: everything it loads comes from the gateway itself, with the right media types."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

DASHBOARD = Path(__file__).parents[3] / "services" / "gateway" / "dashboard"
pytestmark = pytest.mark.asyncio(loop_scope="session")


def test_no_file_of_the_dashboard_loads_anything_from_elsewhere():
    files = [DASHBOARD / "index.html", DASHBOARD / "dashboard.css", *sorted((DASHBOARD / "js").glob("*.js"))]
    assert len(files) > 5
    for path in files:
        text = path.read_text()
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", text), path
        assert not re.search(r"\bimport\b[^;]*[\"'](https?:)?//", text), path
        assert not re.search(r"url\((https?:)?//", text), path
    # the vendored chart library with its licence, loaded by the page
    assert (DASHBOARD / "vendor" / "uPlot.LICENSE.txt").read_text().startswith("The MIT License")
    index = (DASHBOARD / "index.html").read_text()
    assert "/static/vendor/uPlot.iife.min.js" in index and "/static/vendor/uPlot.min.css" in index


def test_view_modules_stay_small():
    for path in (DASHBOARD / "js").glob("*.js"):
        assert len(path.read_text().splitlines()) < 250, f"{path.name}: split it by view"


async def test_gateway_serves_the_modules_and_the_vendored_library(mesh):
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        for path in ("/static/js/main.js", "/static/js/traces.js", "/static/vendor/uPlot.iife.min.js"):
            reply = await client.get(path)
            assert reply.status_code == 200, path
            assert "javascript" in reply.headers["content-type"], path  # module scripts need a JavaScript type
        css = await client.get("/static/vendor/uPlot.min.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert "uPlot" in (await client.get("/static/vendor/uPlot.iife.min.js")).text
