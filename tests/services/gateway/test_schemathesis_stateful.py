"""Schemathesis, stateful, against the gateway on the real mesh: sequences of calls that follow OpenAPI links from
one answer to the next call, list sessions → get a session → get its laps → compare two of them, on a seeded
session of the token's user.

The links are added to the gateway's own document here, not served by it: ``gen/openapi.json`` (the committed copy
of the served document) would have to change with them. Every answer must be declared in the document (status code,
content type, body schema) and none may be a 5xx; every operation is reached through a link at least once with the
seeded ids (it answers 200). Derandomized and bounded in scenarios and steps.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter

import grpc
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks as st_checks

from every_rpc import seed

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(180)]

SCENARIOS = 25
STEPS = 6
BUDGET_S = 60.0
CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.content_type_conformance,
          st_checks.response_schema_conformance]
OPERATIONS = {  # (method, path) → operationId
    ("get", "/api/v1/sessions"): "StorageService_ListSessions",
    ("get", "/api/v1/sessions/{session_id}"): "StorageService_GetSession",
    ("get", "/api/v1/laps/{lap_id}"): "StorageService_GetLap",
    ("get", "/api/v1/laps/{lap_id}/compare/{reference_lap_id}"): "StorageService_GetLapComparison",
}
LINKS = {  # operationId → {link name: (target operationId, parameters)}
    "StorageService_ListSessions": {
        "GetFirstSession": ("StorageService_GetSession", {"session_id": "$response.body#/sessions/0/session/sessionId"}),
    },
    "StorageService_GetSession": {
        "GetFirstLap": ("StorageService_GetLap", {"lap_id": "$response.body#/laps/0/lapId"}),
        "GetSecondLap": ("StorageService_GetLap", {"lap_id": "$response.body#/laps/1/lapId"}),
        "CompareSecondWithFirst": ("StorageService_GetLapComparison", {
            "lap_id": "$response.body#/laps/1/lapId", "reference_lap_id": "$response.body#/laps/0/lapId"}),
    },
    "StorageService_GetLap": {
        "GetItsSession": ("StorageService_GetSession", {"session_id": "$response.body#/session/sessionId"}),
        "CompareWithItself": ("StorageService_GetLapComparison", {
            "lap_id": "$response.body#/lap/lapId", "reference_lap_id": "$request.path.lap_id"}),
    },
}


def with_links(document: dict) -> dict:
    """``document`` with only the four operations, and the links between them on their 200 answers."""
    linked = copy.deepcopy(document)
    linked["paths"] = {path: {method: item[method]} for (method, path) in OPERATIONS
                       for item in [document["paths"][path]]}
    for (method, path), operation_id in OPERATIONS.items():
        operation = linked["paths"][path][method]
        assert operation["operationId"] == operation_id
        links = LINKS.get(operation_id)
        if links:
            operation["responses"]["200"]["links"] = {
                name: {"operationId": target, "parameters": parameters} for name, (target, parameters) in links.items()}
    return linked


def explore(base_url: str, token: str, document: dict) -> tuple[list[str], Counter]:
    """Run the state machine; (the failures, how many answers of each "operationId status")."""
    schema = schemathesis.openapi.from_dict(with_links(document))
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    answers: Counter = Counter()
    http = requests.Session()

    class Gateway(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": base_url, "session": http, "timeout": 15}

        def call(self, case, **kwargs):
            case.headers = {**(case.headers or {}), **auth}
            return case.call(**kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answers[f"{case.operation.definition.raw['operationId']} {response.status_code}"] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except (AssertionError, BaseExceptionGroup) as exc:
                parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
                titles = "; ".join(getattr(p, "title", type(p).__name__) for p in parts)
                failures.append(f"{case.method} {response.request.url} -> {response.status_code}: {titles}\n"
                                f"    {response.text[:300]}")

    try:
        Gateway.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=STEPS, derandomize=True, database=None,
                                      deadline=None, phases=[Phase.explicit, Phase.generate],
                                      suppress_health_check=list(HealthCheck)))
    finally:
        http.close()
    return failures, answers


async def test_linked_calls_from_the_session_list_to_a_lap_comparison_get_declared_answers_and_no_5xx(mesh, token_for):
    token = await token_for("stateful")
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        await seed(channel, token)
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        document = (await client.get("/schema/openapi.json")).json()
    started = time.monotonic()
    failures, answers = await asyncio.to_thread(explore, mesh.gateway_url, token, document)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(dict.fromkeys(failures))
    reached = {operation_id for operation_id in OPERATIONS.values() if answers[f"{operation_id} 200"]}
    assert reached == set(OPERATIONS.values()), answers
    assert time.monotonic() - started < BUDGET_S, answers
