"""Schemathesis, stateful, against the gateway on the real mesh: sequences of calls that follow the OpenAPI links the
gateway serves in its own document (derived from the answers' ids, see ``docs.derive_links``) from one answer to the
next call, e.g. list sessions → get a session → get its laps → compare two of them, on a seeded session of the
token's user.

Every check Schemathesis has runs on every answer (declared status code, content type, headers and body schema, no
5xx, invalid data refused and valid data taken, authentication enforced, ...), and every operation that a link leads
to is reached with the seeded ids (it answers 200). Only the served links are followed (Schemathesis' own inference
of links is off), derandomized and bounded in scenarios and steps.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import grpc
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.checks import CHECKS

from every_rpc import seed
from schemathesis_checks import NAMES, all_checks

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(180)]

SCENARIOS = 40
STEPS = 8
BUDGET_S = 60.0
# The live session stream goes on for as long as the session may be driven (it never ends on its own): a state
# machine step waits for its answer's end. It is called in tests/services/gateway/test_gateway_routes.py.
ENDLESS = {"LiveSession"}
# Operations a link leads to from the answers of the seeded session, lap and track (each must be reached with a 200).
LINKED = {"StorageService_GetSession", "StorageService_GetLap", "StorageService_GetLapComparison", "StorageService_GetTrackCorners",
          "AnalysisService_CompareLaps", "LapColumns", "ExportLap", "ExportSession", "StorageService_StreamLapTelemetry"}


def explore(base_url: str, token: str, document: dict, *, steps: int = STEPS) -> tuple[list[str], Counter]:
    """Run the state machine; (the failures, how many answers of each "operationId status")."""
    schema = schemathesis.openapi.from_dict(document).exclude(operation_id=list(ENDLESS))
    schema.config.phases.stateful.inference.algorithms = []  # the served links only
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    answers: Counter = Counter()
    http = requests.Session()
    checks = all_checks()

    class Gateway(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"base_url": base_url, "session": http, "timeout": 15}

        def call(self, case, **kwargs):
            case.headers = {**(case.headers or {}), **auth}
            return case.call(**kwargs)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            answers[f"{case.operation.definition.raw['operationId']} {response.status_code}"] += 1
            try:
                case.validate_response(response, checks=checks, headers=auth, transport_kwargs=kwargs,
                                       recorder=self.recorder)
            except (AssertionError, BaseExceptionGroup) as exc:
                parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
                titles = "; ".join(f"{getattr(p, 'title', type(p).__name__)}: {' '.join(str(p).split())[:200]}" for p in parts)
                failures.append(f"{case.method} {response.request.url} -> {response.status_code}: {titles}\n"
                                f"    {response.text[:300]}")

    try:
        Gateway.run(settings=settings(max_examples=SCENARIOS, stateful_step_count=steps, derandomize=True, database=None,
                                      deadline=None, phases=[Phase.explicit, Phase.generate],
                                      suppress_health_check=list(HealthCheck)))
    except Flaky:
        # Schemathesis picks the next transition by what the earlier ones answered (it favours links that gave
        # values), so a scenario Hypothesis replays may draw another way; Schemathesis' own runner takes that as the
        # end of a run, as here. What was found before stands (failures are collected, never raised).
        answers["(ended by a replay that drew differently)"] += 1
    finally:
        http.close()
    return failures, answers


def test_every_check_schemathesis_has_is_run():
    assert [check.__name__ for check in all_checks()] == [check.__name__ for check in CHECKS.get_all()]
    assert len(NAMES) >= 14 and {"negative_data_rejection", "positive_data_acceptance", "ignored_auth",
                                                     "use_after_free", "ensure_resource_availability", "unsupported_method",
                                                     "missing_required_header", "response_headers_conformance"} <= set(NAMES)


def test_the_served_document_links_answers_to_the_operations_their_ids_lead_to():
    from racecoach.services.gateway.app import create_app

    paths = create_app(backend=None).openapi_schema.to_schema()["paths"]
    links = {(op["operationId"], name): link["parameters"] for item in paths.values() for op in item.values()
             for name, link in op["responses"].get("200", {}).get("links", {}).items()}
    assert links[("StorageService_ListSessions", "StorageService_GetSession")] == {
        "session_id": "$response.body#/sessions/0/session/sessionId"}
    assert links[("StorageService_ListSessions", "StorageService_GetTrackCorners")] == {
        "track_name": "$response.body#/sessions/0/session/track/name"}
    assert links[("StorageService_GetSession", "StorageService_GetLapComparison")] == {
        "lap_id": "$response.body#/laps/0/lapId", "reference_lap_id": "$response.body#/laps/1/lapId"}
    assert links[("StorageService_GetLap", "StorageService_GetSession")] == {"session_id": "$response.body#/session/sessionId"}
    assert links[("AnalysisService_CompareLaps", "StorageService_GetLapComparison")] == {
        "lap_id": "$response.body#/lapId", "reference_lap_id": "$response.body#/referenceLapId"}
    assert ("StorageService_GetLap", "StorageService_GetLap") not in links  # never to itself
    assert not any(source in ("CoachingService_ScoreLap", "CreateLoginCode") for source, _ in links)  # 201s: none
    targets = {target for _, target in links}
    assert LINKED | ENDLESS <= targets


async def test_linked_calls_from_the_session_list_to_a_lap_comparison_pass_every_check(mesh, token_for):
    token = await token_for("stateful")
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        await seed(channel, token)
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        document = (await client.get("/schema/openapi.json")).json()
    started = time.monotonic()
    failures: list[str] = []
    answers: Counter = Counter()
    for steps in (STEPS, STEPS + 1, STEPS + 2):
        # a run a replay ended early (see explore) may not have reached every linked operation yet: run again, drawn
        # another way (one step more), until each has answered 200; every failure of every run counts
        found, counted = await asyncio.to_thread(explore, mesh.gateway_url, token, document, steps=steps)
        failures += found
        answers += counted
        if all(answers[f"{operation_id} 200"] for operation_id in LINKED):
            break
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(dict.fromkeys(failures))
    reached = {operation_id for operation_id in LINKED if answers[f"{operation_id} 200"]}
    assert reached == LINKED, answers
    assert time.monotonic() - started < BUDGET_S, answers
