"""The OpenAPI document and the API docs pages at /schema, with Swagger UI served from the gateway.

Swagger UI (``dashboard/vendor/swagger-ui/``, copied unchanged from the npm package
``swagger-ui-dist``) is served from ``/static/vendor/swagger-ui/``: the docs pages load nothing
from elsewhere. ``/schema`` is Swagger UI, ``/schema/openapi.json`` the document; ``make gen``
writes the same document to ``gen/openapi.json`` (a test checks that they agree).

:func:`complete` adds to the document Litestar builds what Litestar cannot know: the errors any request may get
before its route runs (413, 414, 429, 431), the values each field of a request may hold and the fields it must
carry by the contract (from ``racecoach.rest.models.JSON_SCHEMA_RULES`` and ``JSON_SCHEMA_REQUIRED``, which
``make gen`` writes from the protos' types and ``buf.validate`` rules), the channel names a ``channels`` parameter
may hold (the one rule the contract does not state: :data:`CHANNEL_NAMES`), and OpenAPI links from each answer to
the operations its ids lead to (:func:`derive_links`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components, Link, OpenAPI, OpenAPIMediaType, OpenAPIResponse, Parameter, Reference, Schema, SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from racecoach import rest
from racecoach.common.channels import CHANNELS
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


# Answers any request may get before its route runs, whatever the route: the HTTP server's own refusals of a request
# line or headers it cannot read (server.GatewayH11Protocol), the body limit (app.refuse_large_bodies and Litestar's
# request_max_body_size) and the rate limit (app's RateLimitConfig). Each is a JSON ErrorBody.
ANY_ROUTE_ERRORS = {
    "413": "the request body is larger than 1 MiB, or the request as a message larger than the mesh's gRPC limit",
    "414": "the request line (method, path and query) is longer than the 16 KiB the gateway reads",
    "429": "too many requests: slow down",
    "431": "the request's headers are larger than the 16 KiB the gateway reads",
}
# The one rule of a request the contract does not state: the names a ``channels`` parameter may hold (each item of a
# list, or comma-separated in one value) are the channel catalogue's, TelemetryBatch's channel fields as
# racecoach.common.channels lists them, ListChannels serves them and storage's readback refuses any other name
# (INVALID_ARGUMENT). It stays here, read from that catalogue, and not in proto/ as a buf.validate ``in`` list: such a
# list would be a second copy of the catalogue on each of the four requests that name channels (StreamLapTelemetry,
# StreamSessionTelemetry, ExportLap, ExportSession), edited by hand with every channel added, and a client validating
# with an older copy of the contract would refuse a channel the service serves and ListChannels lists.
CHANNEL_NAMES = [channel.field for channel in CHANNELS]
CHANNELS_PATTERN = "^(?:{names})?(?:,(?:{names})?)*$".format(names="|".join(CHANNEL_NAMES))
_ATTRIBUTES = {"minimum": "minimum", "maximum": "maximum", "exclusiveMinimum": "exclusive_minimum",
               "exclusiveMaximum": "exclusive_maximum", "maxLength": "max_length", "minLength": "min_length",
               "pattern": "pattern", "format": "format", "items": "items", "maxItems": "max_items",
               "minItems": "min_items", "enum": "enum", "const": "const", "anyOf": "any_of", "type": "type",
               "required": "required", "properties": "properties"}
ERROR_BODY = Reference(ref="#/components/schemas/ErrorBody")
_JSON = "application/json"


def _camel(parts: list[str] | tuple[str, ...]) -> str:
    """``["session", "id"]`` and ``["session", "Id"]`` → ``sessionId``; ``["track", "name"]`` → ``trackName``."""
    return parts[0] + "".join(part[:1].upper() + part[1:] for part in parts[1:])


def _resolved(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _leaves(schema: dict[str, Any], components: dict[str, Any], pointer: tuple[str, ...] = (),
            names: tuple[str, ...] = (), seen: frozenset[str] = frozenset()) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(property names, JSON pointer) of every string property of ``schema``, through nested messages and the first
    item of repeated fields (a message met again on the way is not entered twice)."""
    ref = schema.get("$ref")
    if ref in seen:
        return
    schema = _resolved(schema, components)
    seen = seen | {ref} if ref else seen
    for alternative in [*schema.get("oneOf", ()), *schema.get("anyOf", ())]:
        yield from _leaves(alternative, components, pointer, names, seen)
    types = schema.get("type")
    types = set(types) if isinstance(types, list) else {types}
    if "string" in types and names:
        yield names, pointer
    if "array" in types and "items" in schema:
        yield from _leaves(schema["items"], components, (*pointer, "0"), names, seen)
    for name, child in (schema.get("properties") or {}).items():
        yield from _leaves(child, components, (*pointer, name), (*names, name), seen)


def _value_for(parameter: str, leaves: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> tuple[str, ...] | None:
    """Where an answer holds the value of a path parameter: the string property that spells its name in camelCase
    (``session_id``: ``sessionId``), alone or with the properties that hold it (``track_name``: ``track`` → ``name``).
    The nearest one wins, then one inside a property named after the parameter's first word (``session`` →
    ``sessionId`` rather than ``lap`` → ``sessionId``)."""
    words = parameter.split("_")
    found = []
    for order, (names, pointer) in enumerate(leaves):
        for count in range(1, len(names) + 1):
            if _camel(names[-count:]) == _camel(words):
                named = len(names) > count and names[-count - 1] == words[0]
                found.append((len(pointer), not named, order, pointer))
                break
    return min(found)[3] if found else None


def _second(pointer: tuple[str, ...]) -> tuple[str, ...] | None:
    """The same value in the second item of the repeated field the pointer passes through, if it passes one."""
    if "0" not in pointer:
        return None
    at = len(pointer) - 1 - pointer[::-1].index("0")
    return (*pointer[:at], "1", *pointer[at + 1:])


def derive_links(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """OpenAPI links of every operation's 200 JSON answer, derived from the document alone: an answer links to every
    other operation whose path parameters it holds, each from the property that spells the parameter's name
    (:func:`_value_for`). A parameter named as another with a qualifier in front (``reference_lap_id``), that the
    answer does not hold itself, is the qualified one's value in the second item of the same repeated field (the
    session's second lap, compared with its first). 201 answers (a lap scored, a login code) carry no links: what
    they name is not a stored resource to read back.

    Returns {(path, method): {link name (the target's operationId): Link fields}}."""
    components = document.get("components", {}).get("schemas", {})
    operations = [(path, method, operation) for path, item in document["paths"].items()
                  for method, operation in item.items() if isinstance(operation, dict) and "operationId" in operation]
    targets = [(operation["operationId"], [p["name"] for p in operation.get("parameters", ()) if p["in"] == "path"])
               for _, _, operation in operations]
    links: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for path, method, operation in operations:
        schema = ((operation["responses"].get("200") or {}).get("content") or {}).get(_JSON, {}).get("schema")
        if not schema:
            continue
        leaves = list(_leaves(schema, components))
        for target, parameters in targets:
            if not parameters or target == operation["operationId"]:
                continue
            values = {name: _value_for(name, leaves) for name in parameters}
            for name in parameters:
                plain = next((other for other in parameters if name.endswith("_" + other)), None)
                if values[name] is None and plain and values[plain]:
                    values[name] = _second(values[plain])
            if all(values.values()):
                links.setdefault((path, method), {})[target] = {
                    "operation_id": target,
                    "parameters": {name: "$response.body#/" + "/".join(values[name]) for name in parameters}}
    return links


def _constrain(schema: Schema, rules: dict[str, Any]) -> Schema:
    """Add JSON Schema keywords to a Litestar schema (beside its ``oneOf`` with null: they hold for the value, if any;
    after its ``allOf``, as one more schema the value must match)."""
    if schema.all_of:
        schema.all_of = [*schema.all_of, _constrain(Schema(), rules)]
        return schema
    for keyword, value in rules.items():
        if keyword == "items":
            value = _constrain(Schema(), value)
        elif keyword == "anyOf":
            value = [_constrain(Schema(), one) for one in value]
        elif keyword == "properties":
            value = {name: _constrain(Schema(), one) for name, one in value.items()}
        elif keyword == "format":
            value = OpenAPIFormat(value)
        elif keyword == "type":
            value = OpenAPIType(value)
        setattr(schema, _ATTRIBUTES[keyword], value)
    return schema


def _not_null(schema: Schema) -> Schema:
    """A property a request must carry (the contract's ``required``): Litestar's ``oneOf`` of the value or null, less
    the null (proto3 JSON reads null as unset)."""
    values = [one for one in schema.one_of or () if not (isinstance(one, Schema) and one.type == OpenAPIType.NULL)]
    if len(values) != 1:
        return schema
    (value,) = values
    schema.one_of = None
    if isinstance(value, Reference):
        schema.all_of = [value]
    else:
        schema.type = value.type
    return schema


def complete(openapi: OpenAPI) -> OpenAPI:
    """The gateway's document as Litestar builds it, with what Litestar cannot know: the errors any request may get
    before its route runs (:data:`ANY_ROUTE_ERRORS`), the values each struct's properties may hold by the contract
    (``racecoach.rest.models.JSON_SCHEMA_RULES``; Litestar renders no constraint of a struct's field), the properties
    it requires (``racecoach.rest.models.JSON_SCHEMA_REQUIRED``), the one rule a service holds that the contract does
    not state (:data:`CHANNELS_PATTERN`) and the links between operations (:func:`derive_links`). Called once, by
    ``create_app``."""
    for item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
            operation = getattr(item, method, None)
            if operation is None:
                continue
            responses = operation.responses if operation.responses is not None else {}
            for status, description in ANY_ROUTE_ERRORS.items():
                responses.setdefault(status, OpenAPIResponse(
                    description=description, content={_JSON: OpenAPIMediaType(schema=ERROR_BODY)}))
            operation.responses = dict(sorted(responses.items()))
            for parameter in operation.parameters or ():
                if not isinstance(parameter, Parameter) or not isinstance(parameter.schema, Schema):
                    continue
                if parameter.name == "channels":
                    listed = any(isinstance(one, Schema) and one.type == OpenAPIType.ARRAY
                                 for one in parameter.schema.one_of or ())
                    _constrain(parameter.schema,
                               {"items": {"enum": CHANNEL_NAMES}} if listed else {"pattern": CHANNELS_PATTERN})
    schemas = openapi.components.schemas or {}
    for struct, names in rest.models.JSON_SCHEMA_REQUIRED.items():
        if struct not in schemas or not schemas[struct].properties:
            continue
        schemas[struct].required = sorted({*(schemas[struct].required or ()), *names})
        for name in names:
            if isinstance(schemas[struct].properties.get(name), Schema):
                _not_null(schemas[struct].properties[name])
    for struct, fields in rest.models.JSON_SCHEMA_RULES.items():
        properties = schemas[struct].properties if struct in schemas else None
        for name, rules in fields.items():
            if properties and isinstance(properties.get(name), Schema):
                _constrain(properties[name], rules)
    for (path, method), found in derive_links(openapi.to_schema()).items():
        answer = getattr(openapi.paths[path], method).responses["200"]
        answer.links = {name: Link(**fields) for name, fields in sorted(found.items())}
    return openapi
