"""Every check Schemathesis has, for the Schemathesis runs against the gateway, with the one exception by design."""

from __future__ import annotations

from schemathesis.checks import CHECKS, load_all_checks

load_all_checks()
_REGISTERED = CHECKS.get_all()
NAMES = sorted(check.__name__ for check in _REGISTERED)
_positive_data_acceptance = CHECKS.get_one("positive_data_acceptance")
_ignored_auth = CHECKS.get_one("ignored_auth")


# Requests that fit the document and are refused with 400 by design, because no OpenAPI document can tell them from
# valid ones: operationId -> which of its requests (by their query).
REFUSED_BY_DESIGN = {
    # A page token is opaque: only one a listing's nextPageToken gave is valid; no schema can say which strings those are.
    "StorageService_ListSessions": lambda query: bool(query.get("pageToken")),
    # A reference of kind LAP needs the lap it names: a rule between two query parameters, which OpenAPI cannot state
    # (each parameter has a schema of its own).
    "AnalysisService_CompareLaps": lambda query: query.get("reference") == "REFERENCE_KIND_LAP" and not query.get("referenceLapId"),
}


def positive_data_acceptance(ctx, response, case):
    """Schemathesis' check, except on the requests of :data:`REFUSED_BY_DESIGN` (every other check still runs on them)."""
    refused = REFUSED_BY_DESIGN.get(case.operation.definition.raw.get("operationId"))
    if refused is not None and refused(case.query or {}):
        return None
    return _positive_data_acceptance(ctx, response, case)


def all_checks() -> list:
    """Every registered check, for one run. ``ignored_auth`` sends the request again without credentials and with
    wrong ones (3 more requests) after each 2xx; as in Schemathesis' own runner, once an operation refused both it
    is confirmed for the run, so the probes do not run into the gateway's rate limit (600 a minute)."""
    confirmed: set[str] = set()

    def ignored_auth(ctx, response, case):
        if case.operation.label in confirmed:
            return None
        result = _ignored_auth(ctx, response, case)  # raises when the operation answered without valid credentials
        if 200 <= response.status_code < 300:
            confirmed.add(case.operation.label)
        return result

    wrapped = {"positive_data_acceptance": positive_data_acceptance, "ignored_auth": ignored_auth}
    return [wrapped.get(check.__name__, check) for check in _REGISTERED]
