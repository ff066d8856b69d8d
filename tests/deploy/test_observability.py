"""docker compose runs one image with the service credential, Prometheus scrapes every service's
metrics port, and the Grafana dashboard only charts metrics the services really export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from racecoach.client.commands.mesh_cmds import SERVICES
from racecoach.services.common.metrics import exported_names
from racecoach.services.common.settings import load_settings

from test_manifests import COMPOSE_ENV, _compose_envs, _interpolate

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GRAFANA = DEPLOY / "grafana"
_PROMQL_WORDS = {"sum", "by", "rate", "histogram_quantile", "le", "pod", "outcome", "valid", "status"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return _interpolate(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


@pytest.fixture(scope="module")
def prometheus() -> dict:
    return yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads((GRAFANA / "racing-coach.json").read_text())


def _exported() -> set[str]:
    names: set[str] = set()
    for service in SERVICES:
        names |= exported_names(service)
    return names


# --- compose -------------------------------------------------------------------------------

def test_every_service_and_the_token_tool_run_the_one_image(compose):
    images = {compose["services"][name]["image"] for name in (*SERVICES, "token")}
    assert images == {"racing-coach:0.1.0"}
    assert {compose["services"][name]["build"]["dockerfile"] for name in SERVICES} == {"deploy/Dockerfile"}


@pytest.mark.parametrize("name", (*SERVICES, "token"))
def test_every_service_has_the_service_token(compose, name):
    settings = load_settings(_compose_envs(compose)[name])
    assert settings.service_token == COMPOSE_ENV["RACING_COACH_SERVICE_TOKEN"]


def test_compose_refuses_to_start_without_a_service_token():
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    with pytest.raises(KeyError, match="RACING_COACH_SERVICE_TOKEN"):
        _interpolate(raw, env={})


def _targets(prometheus) -> dict[str, tuple[str, int, dict]]:
    """job -> (host, port, labels) of each static target."""
    out = {}
    for job in prometheus["scrape_configs"]:
        (static,) = job["static_configs"]
        (target,) = static["targets"]
        host, port = target.rsplit(":", 1)
        out[job["job_name"]] = (host, int(port), static.get("labels", {}))
        assert job.get("metrics_path", "/metrics") == "/metrics"
    return out


def test_prometheus_scrapes_every_service_on_the_metrics_port_its_settings_give(compose, prometheus):
    targets = _targets(prometheus)
    assert set(targets) == set(SERVICES)
    envs = _compose_envs(compose)
    for name in SERVICES:
        host, port, labels = targets[name]
        assert host == name and host in compose["services"]
        settings = load_settings(envs[name])
        assert port == settings.metrics_port_of(name), name
        assert settings.host == "0.0.0.0", "the endpoint must be reachable from the prometheus container"
        assert labels == {"app_kubernetes_io_component": name}
    assert len({port for _, port, _ in targets.values()}) == len(SERVICES)


def test_compose_runs_prometheus_and_grafana_on_the_files_under_deploy(compose):
    prometheus = compose["services"]["prometheus"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in prometheus["volumes"]}
    assert (ROOT / mounts["/etc/prometheus/prometheus.yml"]).resolve() == DEPLOY / "prometheus" / "prometheus.yml"
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]
    assert set(SERVICES) <= set(prometheus["depends_on"])
    grafana = compose["services"]["grafana"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in grafana["volumes"]}
    assert (ROOT / mounts["/etc/grafana/provisioning"]).resolve() == GRAFANA / "provisioning"
    dashboard_dir = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "racing-coach.yaml").read_text())
    path = dashboard_dir["providers"][0]["options"]["path"]
    assert mounts[f"{path}/racing-coach.json"] == "./deploy/grafana/racing-coach.json"
    for name in ("prometheus", "grafana"):
        for mapping in compose["services"][name]["ports"]:
            assert mapping.startswith("127.0.0.1:"), f"{name} is published on loopback only"


# --- Grafana -------------------------------------------------------------------------------

def _series_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (words that are neither functions, labels nor strings)."""
    without_strings = re.sub(r'"[^"]*"', "", expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    without_ranges = re.sub(r"\[[^\]]*\]", "", without_labels)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_ranges))
    return {w for w in words if w not in _PROMQL_WORDS and not w.startswith("app_kubernetes_io")}


def test_every_panel_charts_metrics_a_service_exports(dashboard):
    exported = _exported()
    assert dashboard["panels"], "the dashboard has panels"
    charted = set()
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = _series_names(target["expr"])
            assert names, (panel["title"], target["expr"])
            unknown = names - exported
            assert not unknown, f"{panel['title']}: {sorted(unknown)} is exported by no service"
            charted |= names
    # the figures the issue asks to see: ingest and storage move, acks and their latency, laps, cues, CPU
    for wanted in ("racecoach_ingest_samples_total", "racecoach_storage_samples_committed_total",
                   "racecoach_ingest_ack_seconds_bucket", "racecoach_storage_commit_seconds_bucket",
                   "racecoach_analysis_laps_total", "racecoach_coaching_cues_total", "process_cpu_seconds_total"):
        assert wanted in charted, wanted


def test_the_checker_catches_a_name_no_service_exports():
    assert _series_names('sum(rate(racecoach_ingest_samplez_total{job="x"}[1m]))') == {"racecoach_ingest_samplez_total"}
    assert "racecoach_ingest_samplez_total" not in _exported()


def test_panels_use_the_provisioned_datasource_and_do_not_overlap(dashboard):
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "prometheus.yaml").read_text())
    (source,) = datasources["datasources"]
    assert source["url"] == "http://prometheus:9090"
    cells = set()
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}
        assert all(t["datasource"]["uid"] == source["uid"] for t in panel["targets"])
        grid = panel["gridPos"]
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"]) for y in range(grid["y"], grid["y"] + grid["h"])}
        assert not area & cells, panel["title"]
        cells |= area
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    assert dashboard["uid"] == "racing-coach"


def test_the_deploy_readme_lists_exactly_the_metrics_the_services_export():
    readme = (DEPLOY / "README.md").read_text()
    readme = readme[readme.index("Each endpoint shows"):readme.index("## Image")]  # the table of series
    listed = set(re.findall(r"`(racecoach_[a-z_]+)(?:\{[a-z,]+\})?`", readme))
    primary = set()  # counters by their _total series, gauges by name, histograms by name (not _bucket, _count, _sum)
    for name in _exported():
        if not name.startswith("racecoach_") or name.endswith(("_created", "_count", "_sum")):
            continue
        primary.add(name.removesuffix("_bucket"))
    assert listed == primary
