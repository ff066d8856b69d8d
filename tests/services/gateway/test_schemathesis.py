"""Schemathesis against the gateway: requests generated from the gateway's own OpenAPI document (``/schema/openapi.json``),
sent to the real gateway over the real mesh with a real token, positive and negative data.

Every check Schemathesis has runs on every answer (declared status code, content type, headers and body schema, no
5xx, data outside the document refused and data inside it taken, authentication enforced, ...), and no error body may
carry a traceback, SQL or a file path. Path parameters are half the time the ids of a seeded session
and its laps, so the routes are exercised past "not found". Bounded in examples (under the gateway's rate limit of
600 requests a minute) and time, derandomized so that a run is the same on every machine.

Then the cases of Schemathesis' coverage phase, on a gateway of their own: values at and just past every bound the
document states, each parameter missing or of the wrong type, each method the document does not declare (405 with an
Allow header that lists exactly the declared ones).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter

import grpc
import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from every_rpc import seed
from schemathesis_checks import all_checks

pytestmark = pytest.mark.asyncio(loop_scope="session")

EXAMPLES = {GenerationMode.POSITIVE: 14, GenerationMode.NEGATIVE: 10}  # per operation; 17 operations
BUDGET_S = 40.0
COVERAGE_CASES = 30  # per operation
# Routes that stream for as long as the session is driven: only generated (unknown) ids are sent there.
STREAMING = {"/api/v1/sessions/{session_id}/live"}
LEAKS = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\b(?:SELECT|INSERT|UPDATE|DELETE)\b .*\b(?:FROM|INTO|SET)\b"
    r"|asyncpg|psycopg|/(?:home|work|usr|tmp|opt|var)/\S+|\.py\b|racecoach\.services|grpc\._|AioRpcError|StatusCode\.",
)


def sent_values(case) -> list[str]:
    """The strings the request carried (an error may rightly repeat them)."""
    values = []
    for part in (case.path_parameters, case.query):
        for value in (part or {}).values():
            values.extend(str(v) for v in (value if isinstance(value, list) else [value]))
    return sorted(values, key=len, reverse=True)


def leaked(body: str, sent: list[str] = ()) -> str | None:
    """The first piece of an error body that speaks of the implementation (a traceback, SQL, a path), if any;
    what the caller sent, repeated back, does not count."""
    for value in sent:
        if len(value) > 2:
            body = body.replace(value, "").replace(repr(value)[1:-1], "")
    found = LEAKS.search(body)
    return found.group(0) if found else None


def describe(exc: BaseException) -> str:
    """The titles of the checks that failed."""
    parts = exc.exceptions if isinstance(exc, BaseExceptionGroup) else (exc,)
    return "; ".join(getattr(p, "title", type(p).__name__) + ": " + " ".join(str(p).split())[:200] for p in parts)


def with_seeded_ids(case, ids: dict[str, str]):
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = ids[name]
    return case


def send_and_check(case, *, http, base_url: str, auth: dict[str, str], checks: list, failures: list[str], mode: str) -> None:
    """Send ``case`` with the token, run ``checks`` on the answer and look for leaks; each failure joins ``failures``."""
    case.headers = {**(case.headers or {}), **auth}
    try:
        response = case.call(session=http, base_url=base_url, timeout=15)
    except requests.RequestException as exc:
        failures.append(f"{case.method} {case.formatted_path}: no answer ({type(exc).__name__})")
        return
    text = response.content.decode("utf-8", "replace")
    label = f"{mode} {case.method} {response.request.url} -> {response.status_code}"
    try:
        case.validate_response(response, checks=checks, headers=auth)
    except (AssertionError, BaseExceptionGroup) as exc:  # one failed check, or several at once
        failures.append(f"{label}: {describe(exc)}\n    {text[:300]}")
    if response.status_code >= 400 and (piece := leaked(text, sent_values(case))):
        failures.append(f"{label}: the error body leaks {piece!r}: {text[:300]}")


def fuzz(base_url: str, token: str, document: dict, ids: dict[str, str]) -> tuple[list[str], int]:
    """Run every operation's examples; (the failures found, how many requests were sent)."""
    schema = schemathesis.openapi.from_dict(document)
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    sent = 0
    checks = all_checks()
    deadline = time.monotonic() + BUDGET_S
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode, examples in EXAMPLES.items():
                strategy = operation.as_strategy(generation_mode=mode, headers=auth)
                if operation.path not in STREAMING and mode is GenerationMode.POSITIVE:
                    strategy = st.one_of(strategy, strategy.map(lambda case: with_seeded_ids(case, ids)))

                @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                @given(case=strategy)
                def one(case):
                    nonlocal sent
                    if time.monotonic() > deadline:
                        return
                    sent += 1
                    send_and_check(case, http=http, base_url=base_url, auth=auth, checks=checks, failures=failures,
                                   mode=mode.value)

                try:
                    one()
                except Unsatisfiable:  # nothing of the operation can be made invalid (no parameter, no body)
                    assert mode is GenerationMode.NEGATIVE, operation.label
    return failures, sent


async def test_generated_requests_get_declared_answers_and_never_a_5xx_or_a_leak(mesh, token_for):
    token = await token_for("fuzz")
    async with grpc.aio.insecure_channel(mesh.address("storage")) as channel:
        seeded = await seed(channel, token)
    ids = {"session_id": seeded.session_id, "lap_id": seeded.lap_ids[1], "reference_lap_id": seeded.lap_ids[0],
           "track_name": seeded.session.track.name}
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        document = (await client.get("/schema/openapi.json")).json()
    assert len(document["paths"]) >= 15
    started = time.monotonic()
    failures, sent = await asyncio.to_thread(fuzz, mesh.gateway_url, token, document, ids)
    distinct = {re.sub(r"https?://[^/]+|\?\S*", "", f.split(": ", 1)[0]) + f.split(": ", 1)[1][:60]: f for f in failures}
    assert not failures, f"{len(failures)} of {sent} requests, {len(distinct)} distinct:\n" + "\n".join(distinct.values())
    assert sent >= 200 and time.monotonic() - started < BUDGET_S + 15
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        assert (await client.get("/healthz")).status_code == 200


def coverage(base_url: str, token: str, document: dict) -> tuple[list[str], Counter]:
    """Schemathesis' coverage cases of every operation (values at and past each bound the document states, each
    missing or mistyped parameter, each undeclared method), at most COVERAGE_CASES an operation, the scenarios
    Schemathesis ranks first; (the failures, how many cases of each scenario were sent)."""
    from schemathesis.generation.drivers import CoverageGenerator  # the cases of Schemathesis' coverage phase
    from schemathesis.generation.feedback import NO_FEEDBACK
    from schemathesis.generation.overrides import Override

    schema = schemathesis.openapi.from_dict(document)
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    scenarios: Counter = Counter()
    checks = all_checks()
    with requests.Session() as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            cases = list(CoverageGenerator(operation=operation, generation_modes=list(GenerationMode), auth_storage=None,
                                           generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
                                           override=Override(), feedback=NO_FEEDBACK))
            # Every scenario of the operation before a second case of any (the body of a lap to score alone has
            # about 950 cases, most of them one field of the wrong type).
            seen: Counter = Counter()
            ranked = sorted(cases, key=lambda case: (seen.update([scenario_of(case)]) or seen[scenario_of(case)]))
            for case in ranked[:COVERAGE_CASES]:
                scenarios[scenario_of(case)] += 1
                send_and_check(case, http=http, base_url=base_url, auth=auth, checks=checks, failures=failures,
                               mode=f"coverage {scenario_of(case)}")
    return failures, scenarios


def scenario_of(case) -> str:
    return str(getattr(case.meta.phase.data, "scenario", "") if case.meta else "")


async def test_coverage_cases_at_every_bound_and_undeclared_method_pass_every_check(mesh, token_for):
    token = await token_for("coverage")
    async with httpx.AsyncClient(base_url=mesh.gateway_url) as client:
        document = (await client.get("/schema/openapi.json")).json()
    started = time.monotonic()
    failures, scenarios = await asyncio.to_thread(coverage, mesh.gateway_url, token, document)
    distinct = {re.sub(r"https?://[^/]+|\?\S*", "", f.split(": ", 1)[0]) + f.split(": ", 1)[1][:60]: f for f in failures}
    assert not failures, f"{len(failures)} of {sum(scenarios.values())} cases, {len(distinct)} distinct:\n" + "\n".join(distinct.values())
    assert scenarios["unspecified_http_method"] >= 18 and sum(scenarios.values()) < 550, scenarios  # the rate limit: 600 a minute
    assert time.monotonic() - started < BUDGET_S, scenarios
