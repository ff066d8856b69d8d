"""deploy/k8s against the Kubernetes OpenAPI schema and against what the services really do.

Every object under deploy/k8s is validated, strictly (an unknown field fails), against the schema
of the oldest Kubernetes release the manifests target and of the newest one kubernetes-validate
bundles. The rest ties the manifests to the code: the metrics ports the settings give, the metric
names the services export (the HPAs scale on them through the Prometheus adapter), the Secrets
every pod needs, the headless Services the gRPC clients resolve, TLS at the Ingress, the
TimescaleDB policies storage applies, and requests sized from the measured CPU per car.
"""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from racecoach.client.commands.mesh_cmds import SERVICES
from racecoach.services.common.metrics import exported_names
from racecoach.services.common.settings import load_settings
from racecoach.services.storage import timescale
from tests.deploy.mounted_tls import mounted_tls

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
VERSIONS = ("1.33.0", kubernetes_validate.latest_version())  # the oldest release targeted, the newest bundled
NOT_OBJECTS = {"kustomization.yaml", "timescaledb/kustomization.yaml", "monitoring/prometheus-adapter-values.yaml"}
GRPC = tuple(name for name in SERVICES if name != "gateway")
# The capacity run on 2 cores (issue 14): at 75 cars, 60 Hz, the share of a core each service used.
CORES_AT_75_CARS = {"storage": 0.65, "ingest": 0.40, "analysis": 0.28, "coaching": 0.10}
CARS_PER_POD = 50  # each pod is sized for the load the whole 2-core mesh held in real time
HZ = 60


def _files() -> list[str]:
    return sorted(str(p.relative_to(K8S)) for p in K8S.rglob("*.yaml"))


def _documents() -> list[tuple[str, int, dict]]:
    docs = []
    for name in _files():
        if name in NOT_OBJECTS:
            continue
        for index, doc in enumerate(yaml.safe_load_all((K8S / name).read_text())):
            if doc is not None:
                docs.append((name, index, doc))
    return docs


@pytest.fixture(scope="module")
def objects() -> dict[tuple[str, str], dict]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for _, _, doc in _documents()}


def _container(objects, name: str) -> dict:
    return objects[("Deployment", name)]["spec"]["template"]["spec"]["containers"][0]


def _env(objects, name: str) -> dict[str, str]:
    """The environment a service's pod gets: its ConfigMaps and, from the templates, its Secrets."""
    container = _container(objects, name)
    env: dict[str, str] = {}
    for source in container["envFrom"]:
        env.update({k: str(v) for k, v in objects[("ConfigMap", source["configMapRef"]["name"])]["data"].items()})
    for item in container.get("env", []):
        ref = item["valueFrom"]["secretKeyRef"]
        env[item["name"]] = objects[("Secret", ref["name"])]["stringData"][ref["key"]]
    secrets = {key[1]: doc for key, doc in objects.items() if key[0] == "Secret"}
    return mounted_tls(env, pod_spec=objects[("Deployment", name)]["spec"]["template"]["spec"], container=container, secrets=secrets)


def _cpu_millicores(quantity: str) -> float:
    return float(quantity[:-1]) if quantity.endswith("m") else float(quantity) * 1000


# --- the schema ----------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("path", "index", "doc"), _documents(), ids=lambda v: v if isinstance(v, str) else None)
def test_every_object_is_valid_against_the_kubernetes_schema(path, index, doc, version):
    kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_refuses_what_a_cluster_would():
    deployment = next(doc for _, _, doc in _documents() if doc["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["grpc"]["port"] = "grpc"  # must be a number
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["replica"] = 2  # a typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_every_file_is_applied_by_a_kustomization_or_is_a_template():
    applied = set()
    for kustomization in ("kustomization.yaml", "timescaledb/kustomization.yaml"):
        base = Path(kustomization).parent
        applied |= {str(base / r) for r in yaml.safe_load((K8S / kustomization).read_text())["resources"]}
    assert set(_files()) == applied | NOT_OBJECTS | {"secret.example.yaml"}


# --- services, probes, secrets ------------------------------------------------------------

@pytest.mark.parametrize("name", SERVICES)
def test_grpc_services_are_headless_for_dns_round_robin(objects, name):
    spec = objects[("Service", name)]["spec"]
    if name == "gateway":
        assert spec["type"] == "ClusterIP" and "clusterIP" not in spec
    else:
        assert spec["clusterIP"] == "None", "DNS must answer each pod's address"
        assert spec.get("publishNotReadyAddresses", False) is False, "only ready pods get traffic"
        container = _container(objects, name)
        assert {"readinessProbe", "livenessProbe", "startupProbe"} <= set(container)
        assert all("grpc" in container[probe] for probe in ("readinessProbe", "livenessProbe", "startupProbe"))


@pytest.mark.parametrize("name", SERVICES)
def test_every_pod_gets_the_service_token_from_its_secret(objects, name):
    (token,) = [item for item in _container(objects, name)["env"] if item["name"] == "RACING_COACH_SERVICE_TOKEN"]
    assert token["valueFrom"]["secretKeyRef"] == {"name": "racing-coach-service-token", "key": "RACING_COACH_SERVICE_TOKEN"}
    assert load_settings(_env(objects, name)).service_token, "the template's placeholder is a usable credential"


def test_the_ingress_terminates_tls_with_the_referenced_secret(objects):
    tls_secret = objects[("Secret", "racing-coach-tls")]
    assert tls_secret["type"] == "kubernetes.io/tls" and set(tls_secret["stringData"]) == {"tls.crt", "tls.key"}
    for name, port_name in (("ingest", "grpc"), ("gateway", "http")):
        ingress = objects[("Ingress", name)]
        (tls,) = ingress["spec"]["tls"]
        assert tls["secretName"] == "racing-coach-tls"
        (rule,) = ingress["spec"]["rules"]
        assert rule["host"] in tls["hosts"]
        backend = rule["http"]["paths"][0]["backend"]["service"]
        assert backend == {"name": name, "port": {"name": port_name}}
        assert port_name in {p["name"] for p in objects[("Service", name)]["spec"]["ports"]}
    assert objects[("Ingress", "ingest")]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPCS"


@pytest.mark.parametrize("name", SERVICES)
def test_every_pod_speaks_the_mesh_tls_and_is_probed_on_its_plaintext_health_port(objects, name):
    """The services' TLS files come from the mounted racing-coach-mesh-tls Secret (checked by _env); the gRPC probes,
    which speak no TLS, ask the health port that serves health alone."""
    settings = load_settings(_env(objects, name))
    assert settings.tls is not None and settings.tls.cert and settings.tls.key, "every pod shows the mesh's certificate"
    mesh_tls = objects[("Secret", "racing-coach-mesh-tls")]
    assert set(mesh_tls["stringData"]) == {"ca.crt", "tls.crt", "tls.key"}
    container = _container(objects, name)
    if name == "gateway":
        return  # HTTP probes on /healthz; the gateway's own calls to the services use the certificate
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["health"] == settings.health_port
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["grpc"]["port"] == settings.health_port, probe


# --- metrics and autoscaling ---------------------------------------------------------------

@pytest.mark.parametrize("name", SERVICES)
def test_prometheus_finds_each_pod_on_the_metrics_port_its_settings_give(objects, name):
    port = load_settings(_env(objects, name)).metrics_port_of(name)
    assert port is not None, f"{name} must expose /metrics"
    container_ports = {p["name"]: p["containerPort"] for p in _container(objects, name)["ports"]}
    assert container_ports["metrics"] == port
    annotations = objects[("Deployment", name)]["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": str(port), "prometheus.io/path": "/metrics"}
    service_ports = {p["name"]: p for p in objects[("Service", name)]["spec"]["ports"]}
    assert service_ports["metrics"]["port"] == port and service_ports["metrics"]["targetPort"] == "metrics"


def _adapter_rules() -> dict[str, tuple[str, str]]:
    """The adapter's metric name -> (the series it is computed from, its query)."""
    values = yaml.safe_load((K8S / "monitoring" / "prometheus-adapter-values.yaml").read_text())
    rules = {}
    for rule in values["rules"]["custom"]:
        series = re.match(r"^([a-z_:]+)\{", rule["seriesQuery"]).group(1)
        assert re.fullmatch(rule["name"]["matches"], series), rule
        assert rule["resources"]["overrides"]["pod"] == {"resource": "pod"}, "per-pod metrics for the HPA"
        rules[rule["name"]["as"]] = (series, rule["metricsQuery"])
    return rules


@pytest.mark.parametrize("name", SERVICES)
def test_hpas_scale_on_load_metrics_the_services_export(objects, name):
    hpa = objects[("HorizontalPodAutoscaler", name)]
    rules = _adapter_rules()
    custom = [m["pods"] for m in hpa["spec"]["metrics"] if m["type"] == "Pods"]
    if name in ("ingest", "storage", "analysis"):
        (pods,) = custom
        series, query = rules[pods["metric"]["name"]]
        assert series.startswith(f"racecoach_{name}_") and series in exported_names(name)
        assert series.endswith("_total") and "rate(" in query, "a per-second rate of a counter"
        assert int(pods["target"]["averageValue"]) == CARS_PER_POD * HZ, "samples/s of the cars a pod is sized for"
    else:
        assert custom == []
    assert rules["racecoach_ingest_streams"][0] in exported_names("ingest")


@pytest.mark.parametrize("name", sorted(CORES_AT_75_CARS))
def test_cpu_requests_cover_the_measured_cpu_of_the_cars_a_pod_is_sized_for(objects, name):
    resources = _container(objects, name)["resources"]
    needed = CORES_AT_75_CARS[name] / 75 * CARS_PER_POD * 1000
    requested = _cpu_millicores(resources["requests"]["cpu"])
    # the cars a pod is sized for use about 70 % of its request, where the CPU backstop of its HPA sits
    assert 0.6 <= needed / requested <= 0.8, f"{name}: {requested}m requested for {needed:.0f}m measured"
    hpa = objects[("HorizontalPodAutoscaler", name)]
    assert hpa["spec"]["metrics"][-1]["resource"]["target"]["averageUtilization"] == 70
    assert _cpu_millicores(resources["limits"]["cpu"]) == 1000, "one event loop uses at most one core"


# --- TimescaleDB ---------------------------------------------------------------------------

def test_the_policy_migration_applies_the_intervals_storage_uses(objects):
    sql = objects[("ConfigMap", "timescaledb-policies")]["data"]["policies.sql"]
    assert f"add_compression_policy('telemetry_samples', INTERVAL '{timescale.COMPRESS_AFTER}')" in sql
    assert f"add_retention_policy('telemetry_samples', INTERVAL '{timescale.RETAIN_FOR}')" in sql
    assert "compress_segmentby = 'session_pk'" in timescale.HYPERTABLE_SQL, "the hypertable storage makes is compressed"
    assert "RAISE EXCEPTION" in sql and "\\set ON_ERROR_STOP on" in sql, "plain PostgreSQL: fails, changes nothing"
    job = objects[("Job", "timescaledb-policies")]["spec"]["template"]["spec"]
    (env,) = job["containers"][0]["env"]
    storage_url = [e for e in _container(objects, "storage")["env"] if e["name"] == "DATABASE_URL"][0]
    assert env == storage_url, "the migration runs on storage's database"
    assert job["volumes"][0]["configMap"]["name"] == "timescaledb-policies"


def test_in_cluster_timescaledb_loads_the_extension_and_keeps_its_data(objects):
    init = objects[("ConfigMap", "timescaledb-init")]["data"]
    assert any("CREATE EXTENSION IF NOT EXISTS timescaledb" in sql for sql in init.values())
    statefulset = objects[("StatefulSet", "timescaledb")]["spec"]
    container = statefulset["template"]["spec"]["containers"][0]
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert container["image"] == compose["services"]["timescaledb"]["image"], "one database version everywhere"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["init"] == "/docker-entrypoint-initdb.d"
    assert statefulset["volumeClaimTemplates"][0]["metadata"]["name"] == "data" and mounts["data"] == "/var/lib/postgresql/data"
    assert objects[("Service", "timescaledb")]["spec"]["clusterIP"] == "None"
    assert statefulset["serviceName"] == "timescaledb"


# --- the probes against a real server ------------------------------------------------------

async def test_liveness_stays_serving_while_readiness_follows_a_dependency_that_is_down(settings, objects):
    """Coaching with no storage behind it: not ready (its own name and the overall health turn NOT_SERVING),
    but alive, so Kubernetes takes it out of the Service and does not restart it."""
    import asyncio
    import socket

    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from racecoach.services.coaching import server as coaching_server

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nowhere = f"127.0.0.1:{sock.getsockname()[1]}"  # closed when the block ends: nothing listens there
    container = _container(objects, "coaching")
    running = await coaching_server.serve(settings=settings, port=0, storage_addr=nowhere)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)

            async def status(name: str) -> int:
                return (await stub.Check(health_pb2.HealthCheckRequest(service=name), timeout=2)).status

            ready = container["readinessProbe"]["grpc"]["service"]
            for _ in range(100):
                if await status(ready) == health_pb2.HealthCheckResponse.NOT_SERVING:
                    break
                await asyncio.sleep(0.1)
            assert await status(ready) == health_pb2.HealthCheckResponse.NOT_SERVING
            assert await status("") == health_pb2.HealthCheckResponse.NOT_SERVING
            for probe in ("livenessProbe", "startupProbe"):
                assert await status(container[probe]["grpc"]["service"]) == health_pb2.HealthCheckResponse.SERVING, probe
    finally:
        await running.stop()
