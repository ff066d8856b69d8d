"""The OpenAPI document and the API docs pages at /schema, with Swagger UI served from the gateway.

Swagger UI (``dashboard/vendor/swagger-ui/``, copied unchanged from the npm package
``swagger-ui-dist``) is served from ``/static/vendor/swagger-ui/``: the docs pages load nothing
from elsewhere. ``/schema`` is Swagger UI, ``/schema/openapi.json`` the document; ``make gen``
writes the same document to ``gen/openapi.json`` (a test checks that they agree).
"""

from __future__ import annotations

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from racecoach import rest
from racecoach.services.gateway.login import COOKIE

TITLE = "Racing Coach REST API"
VERSION = "v1"
SWAGGER = "/static/vendor/swagger-ui"
SECURITY_SCHEMES = {
    "bearerToken": SecurityScheme(
        type="http", scheme="bearer",
        description="An API token: `racing-coach token create`, or the device token `racing-coach up` writes.",
    ),
    "sessionCookie": SecurityScheme(
        type="apiKey", security_scheme_in="cookie", name=COOKIE,
        description="The HttpOnly, SameSite=Strict session cookie that a one-time login link (`racing-coach open`) sets.",
    ),
}


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title=TITLE, version=VERSION, description=rest.__doc__ or "", path="/schema",
        components=Components(security_schemes=SECURITY_SCHEMES),
        security=[{"bearerToken": []}, {"sessionCookie": []}],
        render_plugins=[
            SwaggerRenderPlugin(
                path="/swagger", js_url=f"{SWAGGER}/swagger-ui-bundle.js", css_url=f"{SWAGGER}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{SWAGGER}/favicon-32x32.png'>",
            ),
            JsonRenderPlugin(),
        ],
    )
