"""Typed settings, built once from the environment by :func:`load_settings`.

Nothing reads the environment at import time; services receive a :class:`Settings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable holds a value that cannot be used."""


def _default_data_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "share")
    return Path(base) / "racing-coach"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative, got {value}")
    return value


@dataclass(frozen=True)
class Ports:
    """TCP ports of the services; 0 picks a free port."""

    ingest: int = 50051
    storage: int = 50052
    analysis: int = 50053
    coaching: int = 50054
    gateway: int = 8080


def _optional_port(env: Mapping[str, str], name: str) -> int | None:
    """A port that is off unless set (0 picks a free one)."""
    if env.get(name) in (None, ""):
        return None
    value = _int(env, name, 0)
    if value > 65535:
        raise SettingsError(f"{name} must be a TCP port (0-65535), got {value}")
    return value


@dataclass(frozen=True)
class MetricsPorts:
    """Ports of each service's Prometheus ``/metrics`` endpoint; None is off, 0 picks a free port."""

    ingest: int | None = None
    storage: int | None = None
    analysis: int | None = None
    coaching: int | None = None
    gateway: int | None = None


@dataclass(frozen=True)
class Tls:
    """The mesh's TLS, as PEM bytes: the CA every peer's certificate is checked against, and this process's own
    certificate and key (a service's, which it serves and shows its peers; a collector needs none). ``server_name``
    is the name the servers' certificates are checked for when the addresses dialled are not that name."""

    ca: bytes
    cert: bytes | None = field(default=None, repr=False)
    key: bytes | None = field(default=None, repr=False)
    server_name: str | None = None


def _pem(env: Mapping[str, str], name: str) -> bytes | None:
    path = env.get(name)
    if not path:
        return None
    try:
        data = Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read {path}: {exc.strerror or exc}") from exc
    if b"-----BEGIN " not in data:
        raise SettingsError(f"{name}: {path} is not a PEM file")
    return data


def _tls(env: Mapping[str, str], *, ca: str, cert: str, key: str, server_name: str) -> Tls | None:
    """The PEM files the variables ``ca``, ``cert`` and ``key`` name, and ``server_name``; None when no CA is named."""
    ca_pem, cert_pem, key_pem = _pem(env, ca), _pem(env, cert), _pem(env, key)
    if (cert_pem is None) != (key_pem is None):
        raise SettingsError(f"{cert} and {key} go together: set both or neither")
    if ca_pem is None:
        if cert_pem is not None:
            raise SettingsError(f"{cert} needs {ca}, the CA its peers are checked against")
        return None
    return Tls(ca=ca_pem, cert=cert_pem, key=key_pem, server_name=env.get(server_name) or None)


@dataclass(frozen=True)
class Settings:
    """Everything a service or the CLI needs to know about its environment."""

    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    ports: Ports = field(default_factory=Ports)
    storage_addr: str | None = None
    analysis_addr: str | None = None
    coaching_addr: str | None = None
    ingest_addr: str | None = None
    db_pool_min: int = 1
    db_pool_max: int = 8
    max_batch_samples: int = 600
    max_message_bytes: int = 8 * 1024 * 1024
    log_level: str = "info"
    token: str | None = None
    service_token: str | None = field(default=None, repr=False)  # the mesh's own credential between its services
    rpc_timeout_s: float = 10.0
    metrics_port: int | None = None  # the metrics port of a process that serves one service (racing-coach serve)
    metrics_ports: MetricsPorts = field(default_factory=MetricsPorts)
    tls: Tls | None = None  # the mesh speaks TLS (mutual between services) when set
    health_port: int | None = None  # a plaintext port serving only gRPC health, for probes that speak no TLS

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    def address(self, service: str) -> str:
        """Where ``service`` listens (explicit ``*_ADDR`` or this host and its port)."""
        explicit = getattr(self, f"{service}_addr", None)
        if explicit:
            return str(explicit)
        return f"{self.host}:{getattr(self.ports, service)}"

    def metrics_port_of(self, service: str) -> int | None:
        """Where ``service`` exposes ``/metrics``: its own ``*_METRICS_PORT``, else ``METRICS_PORT``, else off."""
        own = getattr(self.metrics_ports, service)
        return own if own is not None else self.metrics_port

    @property
    def token_file(self) -> Path:
        return self.data_dir / "device-token"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    data_dir = Path(env.get("RACING_COACH_DATA_DIR") or _default_data_dir(env)).expanduser()
    ports = Ports(
        ingest=_int(env, "RACING_COACH_INGEST_PORT", Ports.ingest),
        storage=_int(env, "RACING_COACH_STORAGE_PORT", Ports.storage),
        analysis=_int(env, "RACING_COACH_ANALYSIS_PORT", Ports.analysis),
        coaching=_int(env, "RACING_COACH_COACHING_PORT", Ports.coaching),
        gateway=_int(env, "RACING_COACH_GATEWAY_PORT", Ports.gateway),
    )
    pool_min = _int(env, "RACING_COACH_DB_POOL_MIN", 1)
    pool_max = _int(env, "RACING_COACH_DB_POOL_MAX", 8)
    if pool_max < 1 or pool_min > pool_max:
        raise SettingsError(f"RACING_COACH_DB_POOL_MIN ({pool_min}) must be <= RACING_COACH_DB_POOL_MAX ({pool_max}) and max >= 1")
    level = env.get("RACING_COACH_LOG_LEVEL", "info").lower()
    if level not in ("debug", "info", "warning", "error"):
        raise SettingsError(f"RACING_COACH_LOG_LEVEL must be debug, info, warning or error, got {level!r}")
    service_token = env.get("RACING_COACH_SERVICE_TOKEN") or None
    if service_token is not None and len(service_token) < 16:
        raise SettingsError("RACING_COACH_SERVICE_TOKEN must be a random secret of at least 16 characters")
    return Settings(
        data_dir=data_dir,
        database_url=env.get("DATABASE_URL") or None,
        host=env.get("RACING_COACH_HOST", "127.0.0.1"),
        ports=ports,
        storage_addr=env.get("RACING_COACH_STORAGE_ADDR") or None,
        analysis_addr=env.get("RACING_COACH_ANALYSIS_ADDR") or None,
        coaching_addr=env.get("RACING_COACH_COACHING_ADDR") or None,
        ingest_addr=env.get("RACING_COACH_INGEST_ADDR") or None,
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        max_batch_samples=_int(env, "RACING_COACH_MAX_BATCH_SAMPLES", 600) or 600,
        log_level=level,
        token=env.get("RACING_COACH_TOKEN") or None,
        service_token=service_token,
        metrics_port=_optional_port(env, "RACING_COACH_METRICS_PORT"),
        metrics_ports=MetricsPorts(
            ingest=_optional_port(env, "RACING_COACH_INGEST_METRICS_PORT"),
            storage=_optional_port(env, "RACING_COACH_STORAGE_METRICS_PORT"),
            analysis=_optional_port(env, "RACING_COACH_ANALYSIS_METRICS_PORT"),
            coaching=_optional_port(env, "RACING_COACH_COACHING_METRICS_PORT"),
            gateway=_optional_port(env, "RACING_COACH_GATEWAY_METRICS_PORT"),
        ),
        tls=_tls(env, ca="RACING_COACH_TLS_CA", cert="RACING_COACH_TLS_CERT", key="RACING_COACH_TLS_KEY",
                 server_name="RACING_COACH_TLS_SERVER_NAME"),
        health_port=_optional_port(env, "RACING_COACH_HEALTH_PORT"),
    )
