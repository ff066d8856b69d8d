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
