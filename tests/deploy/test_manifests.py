"""The deployment files agree with the code: ports, settings names, commands, the console script.

No Docker engine or cluster is needed: the files are parsed with PyYAML and checked against
``settings.Ports``, the variable names ``load_settings`` reads, the ``racing-coach`` argument
parser and ``pyproject.toml``.
"""

from __future__ import annotations

import ast
import http.server
import importlib.util
import inspect
import json
import re
import shlex
import threading
import tomllib
from concurrent import futures
from dataclasses import fields
from pathlib import Path

import grpc
import pytest
import yaml
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from racecoach.client.cli import build_parser
from racecoach.client.commands.mesh_cmds import SERVICES
from racecoach.services.common import settings as settings_module
from racecoach.services.common.server import RunningServer
from racecoach.client.commands.certs_cmd import FILES as CERT_FILES
from tests.deploy.mounted_tls import compose_tls, mounted_tls
from racecoach.services.common.settings import Ports, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
GRPC_SERVICES = tuple(name for name in SERVICES if name != "gateway")
PRE_STOP_S = 5
ENV_NAME = re.compile(r"^(RACING_COACH_[A-Z0-9_]+|DATABASE_URL)$")


# --- loading -------------------------------------------------------------------------------

COMPOSE_ENV = {"RACING_COACH_SERVICE_TOKEN": "a-service-token-for-the-compose-tests"}  # what .env holds
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}")


def _interpolate(value, env=COMPOSE_ENV):
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?error}`` with ``env`` as the environment."""
    if isinstance(value, str):
        def substitute(match):
            name, operator, word = match.groups()
            if env.get(name):
                return env[name]
            if operator == "?":
                raise KeyError(f"compose requires {name}: {word}")
            return word or ""
        return _VARIABLE.sub(substitute, value)
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    return value


@pytest.fixture(scope="module")
def compose() -> dict:
    return _interpolate(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


@pytest.fixture(scope="module")
def k8s(kustomization) -> dict[tuple[str, str], dict]:
    """Every object the kustomization applies, by (kind, name)."""
    objects: dict[tuple[str, str], dict] = {}
    for resource in kustomization["resources"]:
        for doc in yaml.safe_load_all((K8S / resource).read_text()):
            if doc is None:
                continue
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in objects, f"{key} defined twice"
            objects[key] = doc
    return objects


def _container(k8s, name: str) -> dict:
    containers = k8s[("Deployment", name)]["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _configmap_env(k8s) -> dict[str, str]:
    return {k: str(v) for k, v in k8s[("ConfigMap", "racing-coach-settings")]["data"].items()}


def _secret_templates() -> dict[str, dict]:
    """The Secrets of secret.example.yaml, by name."""
    return {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all((K8S / "secret.example.yaml").read_text()) if doc}


def _k8s_env(k8s, name: str) -> dict[str, str]:
    """The environment a service's container gets (ConfigMaps, Secret from the template, env)."""
    container = _container(k8s, name)
    secrets = _secret_templates()
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update({k: str(v) for k, v in k8s[("ConfigMap", source["configMapRef"]["name"])]["data"].items()})
        else:
            assert source["secretRef"]["name"] in secrets, f"{name}: unknown Secret {source['secretRef']['name']}"
            env.update(secrets[source["secretRef"]["name"]]["stringData"])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            assert ref["name"] in secrets, f"{name}: unknown Secret {ref['name']}"
            env[item["name"]] = secrets[ref["name"]]["stringData"][ref["key"]]
    pod = k8s[("Deployment", name)]["spec"]["template"]["spec"]
    return mounted_tls(env, pod_spec=pod, container=container, secrets=secrets)


def _names_load_settings_reads() -> set[str]:
    """The environment variable names in the source of load_settings."""
    source = inspect.getsource(settings_module.load_settings)
    return set(re.findall(r'"((?:RACING_COACH_[A-Z0-9_]+)|DATABASE_URL)"', source))


def _default_port(name: str) -> int:
    return getattr(Ports(), name)


# --- Kubernetes ----------------------------------------------------------------------------

def test_kustomization_applies_every_manifest_but_the_secret_template(kustomization):
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert set(kustomization["resources"]) == on_disk
    assert kustomization["namespace"] == "racing-coach"
    secrets = _secret_templates()
    assert set(secrets) == {"racing-coach-database", "racing-coach-service-token", "racing-coach-tls", "racing-coach-mesh-tls"}
    for secret in secrets.values():
        assert secret["kind"] == "Secret"
        assert all("CHANGE-ME" in value for value in secret["stringData"].values()), "templates hold no real secret"
    assert set(secrets["racing-coach-database"]["stringData"]) == {"DATABASE_URL"}
    assert set(secrets["racing-coach-service-token"]["stringData"]) == {"RACING_COACH_SERVICE_TOKEN"}
    assert secrets["racing-coach-tls"]["type"] == "kubernetes.io/tls"


def test_the_ports_dataclass_names_exactly_the_services():
    assert {f.name for f in fields(Ports)} == set(SERVICES)


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_deployment_service_hpa_and_pdb(k8s, name):
    deployment = k8s[("Deployment", name)]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert "replicas" not in deployment["spec"], "the HPA owns the replica count"

    service = k8s[("Service", name)]
    assert service["spec"]["selector"] == selector
    hpa = k8s[("HorizontalPodAutoscaler", name)]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert hpa["spec"]["metrics"][-1]["resource"]["name"] == "cpu", "CPU is every HPA's backstop"
    pdb = k8s[("PodDisruptionBudget", name)]
    assert pdb["spec"]["selector"]["matchLabels"] == selector
    assert pdb["spec"]["maxUnavailable"] == 1, "the PDB must leave room to evict a pod, one at a time"

    container = _container(k8s, name)
    assert container["args"] == ["serve", name]
    assert build_parser(container["args"]).parse_args(container["args"]).service == name
    resources = container["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])


@pytest.mark.parametrize("name", SERVICES)
def test_k8s_ports_and_probes_use_the_settings_port(k8s, name):
    port = _default_port(name)
    assert getattr(load_settings(_k8s_env(k8s, name)).ports, name) == port, "an env override moved the port"
    container = _container(k8s, name)
    assert [p["containerPort"] for p in container["ports"]][0] == port
    service_port = k8s[("Service", name)]["spec"]["ports"][0]
    assert service_port["port"] == port
    assert service_port["targetPort"] in (port, container["ports"][0]["name"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        spec = container[probe]
        if name == "gateway":
            assert spec["httpGet"] == {"path": "/healthz", "port": port}, probe
        else:  # the plaintext health port: gRPC probes speak no TLS and the service port speaks only TLS
            assert spec["grpc"]["port"] == load_settings(_k8s_env(k8s, name)).health_port, probe
            assert "httpGet" not in spec and "tcpSocket" not in spec, probe


def test_gateway_serves_the_probed_path():
    from racecoach.services.gateway.app import healthz

    assert "/healthz" in healthz.paths


@pytest.mark.parametrize("name", GRPC_SERVICES)
def test_grpc_readiness_asks_for_the_service_the_server_registers(k8s, name):
    servicer = importlib.import_module(f"racecoach.services.{name}.servicer")
    readiness = _container(k8s, name)["readinessProbe"]["grpc"]
    assert readiness["service"] == servicer.SERVICE_NAME
    from racecoach.services.common.server import LIVENESS

    for probe in ("livenessProbe", "startupProbe"):  # the process, not its dependencies: no restarts while they are down
        assert _container(k8s, name)[probe]["grpc"]["service"] == LIVENESS, probe
    service_port = k8s[("Service", name)]["spec"]["ports"][0]
    assert service_port["appProtocol"] == "kubernetes.io/h2c"


@pytest.mark.parametrize("name", SERVICES)
def test_grace_period_covers_pre_stop_and_drain(k8s, name):
    pod = k8s[("Deployment", name)]["spec"]["template"]["spec"]
    container = _container(k8s, name)
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", str(PRE_STOP_S)]
    drain_s = inspect.signature(RunningServer.stop).parameters["grace_s"].default if name != "gateway" else 10
    assert pod["terminationGracePeriodSeconds"] >= PRE_STOP_S + drain_s + 10
    if name == "ingest":
        assert pod["terminationGracePeriodSeconds"] >= 60, "collector streams are long-lived"


@pytest.mark.parametrize("name", SERVICES)
def test_pods_run_as_the_image_user_without_privileges(k8s, name):
    pod = k8s[("Deployment", name)]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == _dockerfile_user()
    container = _container(k8s, name)
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    data_dir = load_settings(_k8s_env(k8s, name)).data_dir
    assert str(data_dir) in {m["mountPath"] for m in container["volumeMounts"]}, "the data dir must be writable"


def test_only_storage_gets_the_database(k8s):
    for name in SERVICES:
        settings = load_settings(_k8s_env(k8s, name))
        assert (settings.database_url is not None) == (name == "storage"), name


# --- settings names and addresses ----------------------------------------------------------

def _compose_envs(compose) -> dict[str, dict[str, str]]:
    out = {}
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        out[name] = compose_tls({k: str(v) for k, v in env.items()}, service=service, files=CERT_FILES)
    return out


def test_every_settings_variable_used_is_one_load_settings_reads(compose, k8s):
    known = _names_load_settings_reads()
    assert {"DATABASE_URL", "RACING_COACH_HOST", "RACING_COACH_STORAGE_ADDR"} <= known  # the parser works
    used: dict[str, str] = {}
    for name, env in _compose_envs(compose).items():
        used.update({key: f"docker-compose.yml:{name}" for key in env if ENV_NAME.match(key)})
    for name in SERVICES:
        used.update({key: f"deploy/k8s:{name}" for key in _k8s_env(k8s, name) if ENV_NAME.match(key)})
    unknown = {key: where for key, where in used.items() if key not in known}
    assert not unknown, f"variables load_settings never reads: {unknown}"


def _check_addresses(settings, service_names: set[str], where: str, *, namespace: str | None = None) -> None:
    """Each address names the service: ``name:port``, or on Kubernetes the gRPC DNS target of its
    headless Service, ``dns:///name.<namespace>.svc.cluster.local:port``."""
    assert settings.host == "0.0.0.0", f"{where}: containers must bind all interfaces"
    for target in ("storage", "analysis", "coaching", "ingest"):
        host, _, port = settings.address(target).rpartition(":")
        if namespace is not None:
            assert host == f"dns:///{target}.{namespace}.svc.cluster.local", f"{where}: {target} at {settings.address(target)}"
            host = target
        assert host == target and host in service_names, f"{where}: {target} at {settings.address(target)}"
        assert int(port) == _default_port(target), f"{where}: {target} at {settings.address(target)}"


@pytest.mark.parametrize("name", SERVICES)
def test_k8s_settings_load_and_point_at_the_services(k8s, name):
    settings = load_settings(_k8s_env(k8s, name))
    namespace = yaml.safe_load((K8S / "kustomization.yaml").read_text())["namespace"]
    _check_addresses(settings, {n for kind, n in k8s if kind == "Service"}, f"k8s {name}", namespace=namespace)


# --- docker compose ------------------------------------------------------------------------

def test_compose_runs_every_service_from_the_image(compose):
    services = compose["services"]
    assert set(SERVICES) <= set(services)
    images = {services[name]["image"] for name in SERVICES} | {services["token"]["image"]}
    assert len(images) == 1, "one image for every service"
    for name in SERVICES:
        assert services[name]["build"] == {"context": ".", "dockerfile": "deploy/Dockerfile"}
    db = services["timescaledb"]
    assert db["image"] == "timescale/timescaledb:2.17.2-pg16"
    assert "healthcheck" in db
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


@pytest.mark.parametrize("name", SERVICES)
def test_compose_command_env_and_healthcheck(compose, name):
    service = compose["services"][name]
    command = service["command"] if isinstance(service["command"], list) else shlex.split(service["command"])
    assert command[0] == "serve" and command[1] in SERVICES and command[1] == name
    assert build_parser(command).parse_args(command).service == name

    env = _compose_envs(compose)[name]
    settings = load_settings(env)
    _check_addresses(settings, set(compose["services"]), f"compose {name}")
    assert getattr(settings.ports, name) == _default_port(name)

    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "/opt/racing-coach/healthcheck.py"] and test[3:] == [name]


def test_compose_publishes_ingest_and_gateway_on_their_ports(compose):
    published = {}
    for name in SERVICES:
        for mapping in compose["services"][name].get("ports", []):
            host, container = str(mapping).rsplit(":", 1)
            published[name] = (int(host.rsplit(":", 1)[-1]), int(container))
    assert published == {name: (_default_port(name), _default_port(name)) for name in ("ingest", "gateway")}


def test_compose_starts_services_after_what_they_call(compose):
    services = compose["services"]
    needs = {"storage": {"timescaledb"}, "analysis": {"storage"},
             "ingest": {"storage", "analysis", "coaching"}, "gateway": {"storage", "analysis", "coaching"}}
    for name, wanted in needs.items():
        depends = services[name]["depends_on"]
        assert wanted <= set(depends), name
        for dependency, condition in depends.items():
            if dependency == "certs":  # the one-shot that makes the mesh's certificates: done, not healthy
                assert condition == {"condition": "service_completed_successfully"}, name
                continue
            assert condition == {"condition": "service_healthy"}, (name, dependency)
            assert "healthcheck" in services[dependency], dependency


def test_compose_database_url_matches_the_database(compose):
    db_env = compose["services"]["timescaledb"]["environment"]
    expected = (f"postgresql://{db_env['POSTGRES_USER']}:{db_env['POSTGRES_PASSWORD']}"
                f"@timescaledb:5432/{db_env['POSTGRES_DB']}")
    envs = _compose_envs(compose)
    for name in ("storage", "token"):
        assert load_settings(envs[name]).database_url == expected, name
    for name in ("analysis", "coaching", "ingest", "gateway"):
        assert "DATABASE_URL" not in envs[name], f"{name} must reach the database only through storage"


def test_compose_token_service_creates_a_token(compose):
    token = compose["services"]["token"]
    assert token["profiles"], "one-shot: not started by a plain `up`"
    args = build_parser(token["command"]).parse_args(token["command"])
    assert (args.command, args.user) == ("token", "driver@example.com")
    assert token["depends_on"] == {"storage": {"condition": "service_healthy"}}


# --- the image -----------------------------------------------------------------------------

def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _dockerfile_user() -> str:
    (user,) = [rest for keyword, rest in _dockerfile() if keyword == "USER"]
    return user.split(":")[0]


def _runtime_stage() -> list[tuple[str, str]]:
    steps = _dockerfile()
    start = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[start:]


def test_dockerfile_entrypoint_is_the_console_script():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    runtime = _runtime_stage()
    (entrypoint,) = [json.loads(rest) for keyword, rest in runtime if keyword == "ENTRYPOINT"]
    assert entrypoint == ["racing-coach"] and entrypoint[0] in scripts
    (cmd,) = [json.loads(rest) for keyword, rest in runtime if keyword == "CMD"]
    assert cmd == ["serve", "gateway"]
    assert build_parser(cmd).parse_args(cmd).service == "gateway"


def test_dockerfile_is_multi_stage_non_root_and_exposes_the_ports():
    steps = _dockerfile()
    froms = [rest for keyword, rest in steps if keyword == "FROM"]
    assert len(froms) >= 2 and froms[0].endswith("AS builder")
    args = dict(rest.split("=", 1) for keyword, rest in steps if keyword == "ARG" and "=" in rest)
    assert args["PYTHON_IMAGE"] == "python:3.11-slim"
    runtime = _runtime_stage()
    assert int(_dockerfile_user()) != 0
    exposed = {int(p) for keyword, rest in runtime if keyword == "EXPOSE" for p in rest.split()}
    assert exposed == {getattr(Ports(), f.name) for f in fields(Ports)}
    builder = steps[: len(steps) - len(runtime)]
    assert any(keyword == "RUN" and "gcc" in rest for keyword, rest in builder)
    assert not any(keyword == "RUN" and "gcc" in rest for keyword, rest in runtime), "no compiler at run time"
    env = " ".join(rest for keyword, rest in runtime if keyword == "ENV")
    assert "RACING_COACH_HOST=0.0.0.0" in env


def test_dockerfile_copies_every_source_root_setup_py_packages():
    tree = ast.parse((ROOT / "setup.py").read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id == "SOURCE_ROOTS":
                roots |= set(ast.literal_eval(node.value).values())
            elif node.targets[0].id == "GENERATED_ROOTS":
                roots |= {path.split("/")[0] for path in ast.literal_eval(node.value)}
    assert roots, "setup.py layout not found"
    copied = {src.rstrip("/").removeprefix("./") for keyword, rest in _dockerfile() if keyword == "COPY"
              for src in rest.split()[:-1] if not src.startswith("--")}
    assert roots | {"pyproject.toml", "setup.py", "README.md"} <= copied
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    needed = roots | {"pyproject.toml", "setup.py", "README.md", "deploy", "deploy/healthcheck.py"}
    assert not ignored & needed, f".dockerignore drops what the build copies: {ignored & needed}"


# --- the compose health probe --------------------------------------------------------------

def _load_probe():
    spec = importlib.util.spec_from_file_location("racing_coach_healthcheck", DEPLOY / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_probe_asks_the_grpc_health_service_on_the_settings_port():
    probe = _load_probe()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        env = {"RACING_COACH_COACHING_PORT": str(port)}
        servicer.set("", health_pb2.HealthCheckResponse.SERVING)
        assert probe.check("coaching", env=env, timeout_s=2)
        servicer.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
        assert not probe.check("coaching", env=env, timeout_s=2)
    finally:
        server.stop(None)
    assert not probe.check("coaching", env=env, timeout_s=0.5), "nothing listening"
    assert probe.main(["nonsense"]) == 2


def test_probe_asks_the_gateway_for_healthz():
    probe = _load_probe()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        assert probe.check("gateway", env={"RACING_COACH_GATEWAY_PORT": str(port)}, timeout_s=2)
    finally:
        server.shutdown()
        server.server_close()
    assert not probe.check("gateway", env={"RACING_COACH_GATEWAY_PORT": str(port)}, timeout_s=0.5)


def test_compose_makes_the_mesh_certificates_once_before_any_service(compose):
    services = compose["services"]
    certs = services["certs"]
    command = certs["command"]
    args = build_parser(command).parse_args(command)
    assert (args.folder, args.if_missing) == ("/etc/racing-coach/tls", True)
    assert certs["volumes"] == ["mesh-tls:/etc/racing-coach/tls"] and certs["restart"] == "no"
    assert "mesh-tls" in compose["volumes"]
    for name in SERVICES:
        assert "mesh-tls:/etc/racing-coach/tls:ro" in services[name]["volumes"], name
        settings = load_settings(_compose_envs(compose)[name])
        assert settings.tls is not None and settings.tls.cert is not None, f"{name} binds {settings.host} without TLS"
    starts_first = {name for name in SERVICES if "certs" in services[name].get("depends_on", {})}
    assert {"storage", "coaching"} <= starts_first  # the others wait for those


def test_the_image_installs_the_mesh_not_the_collector_alone():
    steps = _dockerfile()
    assert any(keyword == "RUN" and 'pip wheel --wheel-dir /wheels ".[server]"' in rest for keyword, rest in steps)
    runtime = _runtime_stage()
    assert any(keyword == "RUN" and '"racing-coach[server]"' in rest for keyword, rest in runtime)
    assert any(keyword == "RUN" and "install -y --no-install-recommends openssl" in rest for keyword, rest in runtime)
