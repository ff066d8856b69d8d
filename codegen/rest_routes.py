"""Litestar route handlers for every RPC with a ``google.api.http`` rule."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from google.api import annotations_pb2
from google.protobuf import descriptor_pb2

from racecoach.codegen.rest_models import WELL_KNOWN, field_type, json_rules

if TYPE_CHECKING:
    from racecoach.codegen.rest_plugin import Index

F = descriptor_pb2.FieldDescriptorProto
VERBS = ("get", "post", "put", "delete", "patch")
_VARIABLE = re.compile(r"\{([a-z_][a-z0-9_]*)(=[^}]*)?\}")


def _error(text: str) -> Exception:
    from racecoach.codegen.rest_plugin import PluginError

    return PluginError(text)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _pb2_module(file_name: str) -> tuple[str, str]:
    """``racecoach/storage/v1/storage.proto`` → (import path, alias)."""
    module = file_name[: -len(".proto")].replace("/", ".") + "_pb2"
    parts = file_name.split("/")
    alias = f"{parts[1]}_{parts[2]}_{parts[-1][: -len('.proto')]}_pb2" if len(parts) >= 4 else module.replace(".", "_")
    return module, alias


def _rule(method: descriptor_pb2.MethodDescriptorProto) -> annotations_pb2.http_pb2.HttpRule | None:
    if not method.options.HasExtension(annotations_pb2.http):
        return None
    return method.options.Extensions[annotations_pb2.http]


def _schema_extra(fld: descriptor_pb2.FieldDescriptorProto) -> str:
    """The ``schema_extra`` argument of a path or query parameter: the values its request field may hold."""
    rules = json_rules(fld)
    return f", schema_extra={rules!r}" if rules else ""


def _query_annotation(*, index: Index, fld: descriptor_pb2.FieldDescriptorProto) -> str:
    if fld.type == F.TYPE_MESSAGE and fld.type_name not in WELL_KNOWN:
        raise _error(f"query parameter {fld.name} is a message; bind it in the body instead")
    annotation, _ = field_type(index=index, fld=fld)
    return annotation


def render_routes(
    *, index: Index, files: list[descriptor_pb2.FileDescriptorProto], struct_names: dict[str, str]
) -> str:
    imports: set[str] = set()
    handlers: list[str] = []
    names: list[str] = []
    for file in files:
        for service in file.service:
            service_full = f"{file.package}.{service.name}"
            for method in service.method:
                rule = _rule(method)
                if rule is None:
                    continue
                if method.client_streaming:
                    raise _error(f"{service_full}.{method.name}: client streaming cannot be a REST route")
                verb = rule.WhichOneof("pattern")
                if verb not in VERBS:
                    raise _error(f"{service_full}.{method.name}: http pattern {verb} is not supported")
                template = getattr(rule, verb)
                request_full = method.input_type
                request = index.messages[request_full]
                request_file = index.message_files[request_full]
                module, alias = _pb2_module(request_file.name)
                imports.add(f"from {module.rsplit('.', 1)[0]} import {module.rsplit('.', 1)[1]} as {alias}")
                fields = {f.name: f for f in request.field}
                path_vars = [m.group(1) for m in _VARIABLE.finditer(template)]
                for var in path_vars:
                    if var not in fields:
                        raise _error(f"{service_full}.{method.name}: path variable {var} is not a request field")
                litestar_path = _VARIABLE.sub(lambda m: "{" + m.group(1) + ":str}", template)
                handler = f"{_snake(service.name)}_{_snake(method.name)}"
                names.append(handler)
                params: list[str] = [
                    f"{var}: Annotated[str, PathParameter(description={index.comment(request_full, var)!r}"
                    f"{_schema_extra(fields[var])})]" for var in path_vars
                ] + ["request: Request", "backend: NamedDependency[RestBackend]"]
                assigns: list[str] = [f'    payload["{fields[var].json_name}"] = {var}' for var in path_vars]
                body = rule.body
                if body and verb in ("get", "delete"):
                    raise _error(f"{service_full}.{method.name}: {verb} cannot carry a body")
                if body == "*":
                    params.append(f"data: JSONBody[{struct_names[request_full]}]")
                    assigns.insert(0, "    payload.update(body_payload(data))")
                elif body:
                    if body not in fields or fields[body].type != F.TYPE_MESSAGE:
                        raise _error(f"{service_full}.{method.name}: body field {body} must be a message field")
                    params.append(f"data: JSONBody[{struct_names[fields[body].type_name]}]")
                    assigns.insert(0, f'    payload["{fields[body].json_name}"] = body_payload(data)')
                if body != "*":
                    for fld in request.field:
                        if fld.name in path_vars or fld.name == body:
                            continue
                        if fld.type == F.TYPE_MESSAGE and fld.type_name not in WELL_KNOWN:
                            continue
                        annotation = _query_annotation(index=index, fld=fld)
                        description = index.comment(request_full, fld.name)
                        params.append(
                            f"{fld.name}: Annotated[{annotation} | None, QueryParameter(name={fld.json_name!r}, "
                            f"required=False, description={description!r}{_schema_extra(fld)})] = None"
                        )
                        assigns.append(f"    if {fld.name} is not None:")
                        assigns.append(f'        payload["{fld.json_name}"] = {fld.name}')
                doc = index.comment(f".{service_full}", method.name) or method.name
                call = (
                    f'service="{service_full}", method="{method.name}", request=message, http_request=request'
                )
                if method.server_streaming:
                    returns = "ServerSentEvent"
                    tail = [f"    return await sse(backend.server_stream({call}))"]
                else:
                    returns = struct_names[method.output_type]
                    tail = [
                        f"    reply = await backend.unary({call})",
                        f"    return to_struct(reply, {returns})",
                    ]
                handlers.append(
                    "\n".join(
                        [
                            "",
                            "",
                            f"@{verb}(",
                            f"    {litestar_path!r},",
                            f'    operation_id="{service.name}_{method.name}",',
                            f'    summary="{method.name}",',
                            f"    description={doc!r},",
                            f'    tags=["{service.name}"],',
                            "    responses=ERROR_RESPONSES,",
                            *(['    media_type="text/event-stream",'] if method.server_streaming else []),
                            ")",
                            f"async def {handler}(",
                            *(f"    {p}," for p in params),
                            f") -> {returns}:",
                            f'    """{doc}"""',
                            "    payload: dict[str, Any] = {}",
                            *assigns,
                            f"    message = parse_request({alias}.{request.name}, payload)",
                            *tail,
                        ]
                    )
                )
    header = [
        '"""Litestar handlers of the REST API, one per RPC with a google.api.http rule."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Annotated, Any, Literal",
        "",
        "from litestar import Request, delete, get, patch, post, put",
        "from litestar.handlers import HTTPRouteHandler",
        "from litestar.di import NamedDependency",
        "from litestar.params import JSONBody, PathParameter, QueryParameter",
        "from litestar.response import ServerSentEvent",
        "",
        *sorted(imports),
        "",
        "from .models import *  # noqa: F403",
        "from racecoach.codegen.rest_runtime import (",
        "    ERROR_RESPONSES, RestBackend, body_payload, parse_request, provide_backend, sse, to_struct,",
        ")",
        "",
        "_ = (Literal, delete, get, patch, post, put)",
    ]
    footer = [
        "",
        "",
        "def route_handlers() -> list[HTTPRouteHandler]:",
        '    """Every generated handler, to mount on a Litestar app."""',
        "    return [",
        *(f"        {name}," for name in names),
        "    ]",
        "",
        "",
        "def dependencies(*, backend: RestBackend | None) -> dict[str, Any]:",
        '    """The dependencies the handlers need: ``backend`` answers every call."""',
        '    return {"backend": provide_backend(backend)}',
    ]
    return "\n".join(header + handlers + footer) + "\n"
