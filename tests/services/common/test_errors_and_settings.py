"""Every domain error has its gRPC status and HTTP status; settings come from the environment only."""

from __future__ import annotations

import grpc
import pytest

from racecoach.services.common import errors
from racecoach.services.common.settings import SettingsError, load_settings
from racecoach.services.gateway.errors import HTTP_FOR_GRPC


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_service_error_maps_to_a_specific_grpc_and_http_status():
    classes = list(_subclasses(errors.ServiceError))
    assert len(classes) >= 7
    for cls in classes:
        code = errors.status_for(cls("x"))
        assert code != grpc.StatusCode.INTERNAL, f"{cls.__name__} is not mapped"
        assert code in HTTP_FOR_GRPC, f"{cls.__name__}: {code} has no HTTP status"
        assert 400 <= HTTP_FOR_GRPC[code] < 600
    assert errors.status_for(ValueError("unexpected")) == grpc.StatusCode.INTERNAL


# What an error another service answers with becomes here: its refusals keep their class, the rest means it is down.
INBOUND = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.InvalidInputError, grpc.StatusCode.NOT_FOUND: errors.NotFoundError,
    grpc.StatusCode.UNAUTHENTICATED: errors.UnauthenticatedError, grpc.StatusCode.PERMISSION_DENIED: errors.PermissionDeniedError,
    grpc.StatusCode.FAILED_PRECONDITION: errors.ConflictError, grpc.StatusCode.ABORTED: errors.StaleVersionError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: errors.TooLargeError,
    **dict.fromkeys([grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
                     grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNIMPLEMENTED,
                     grpc.StatusCode.DATA_LOSS, grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.ALREADY_EXISTS],
                    errors.DependencyUnavailableError),
}


def _rpc_error(code: grpc.StatusCode, details: str = "why") -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=details)


def test_every_status_another_service_answers_maps_to_its_class_keeping_the_cause():
    assert set(INBOUND) == set(grpc.StatusCode) - {grpc.StatusCode.OK}
    for code, cls in INBOUND.items():
        exc = _rpc_error(code)
        mapped = errors.from_rpc_error(exc, service="storage")
        assert type(mapped) is cls, f"{code.name} came back as {type(mapped).__name__}, not {cls.__name__}"
        assert mapped.__cause__ is exc
        if cls is errors.DependencyUnavailableError:
            assert str(mapped) == f"storage unavailable ({code.name}): why"
        else:
            assert errors.status_for(mapped) == code and str(mapped) == "why"
    assert str(errors.from_rpc_error(_rpc_error(grpc.StatusCode.NOT_FOUND, ""), service="analysis")) == "analysis refused the call (NOT_FOUND)"
    try:
        try:
            raise _rpc_error(grpc.StatusCode.PERMISSION_DENIED)
        except grpc.aio.AioRpcError as exc:
            raise errors.from_rpc_error(exc, service="storage")  # the cause is kept even without "from exc"
    except errors.PermissionDeniedError as raised:
        assert isinstance(raised.__cause__, grpc.aio.AioRpcError) and raised.__suppress_context__


def test_every_domain_error_comes_back_as_itself_through_another_service():
    """A ServiceError one service aborts with reaches its caller's layer as that class (or the one it refines): a new
    class with a status of its own needs that status in from_rpc_error's mapping."""
    for cls in _subclasses(errors.ServiceError):
        mapped = errors.from_rpc_error(_rpc_error(errors.status_for(cls("x")), "x"), service="storage")
        assert issubclass(cls, type(mapped)), f"{cls.__name__} comes back as {type(mapped).__name__}: no inbound mapping"


def test_every_grpc_status_has_an_http_status():
    assert set(grpc.StatusCode) == set(HTTP_FOR_GRPC)


def test_settings_defaults_and_overrides(tmp_path):
    settings = load_settings({"RACING_COACH_DATA_DIR": str(tmp_path), "RACING_COACH_INGEST_PORT": "6000",
                              "DATABASE_URL": "postgresql://u@h/db", "RACING_COACH_STORAGE_ADDR": "db-host:9000"})
    assert settings.data_dir == tmp_path and settings.ports.ingest == 6000 and settings.ports.storage == 50052
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.address("storage") == "db-host:9000" and settings.address("ingest") == "127.0.0.1:6000"
    assert load_settings({"HOME": str(tmp_path)}).data_dir == tmp_path / ".local" / "share" / "racing-coach"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RACING_COACH_INGEST_PORT": "fifty"}, "RACING_COACH_INGEST_PORT must be a whole number"),
        ({"RACING_COACH_DB_POOL_MIN": "9", "RACING_COACH_DB_POOL_MAX": "2"}, "RACING_COACH_DB_POOL_MIN (9)"),
        ({"RACING_COACH_LOG_LEVEL": "loud"}, "RACING_COACH_LOG_LEVEL must be"),
    ],
)
def test_bad_settings_say_which_variable_is_wrong(env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_settings(env)
