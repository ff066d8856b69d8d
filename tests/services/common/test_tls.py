"""The mesh speaking TLS, with certificates made here by openssl: a collector streams to ingest over TLS showing no
certificate, the services talk to each other by mutual TLS, and nothing reaches storage, analysis or coaching
without a certificate the mesh's CA signed: no plaintext, no certificate, or one of another CA. A second plaintext
port serves health alone, for probes that speak no TLS."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from racecoach.client.simulator import DriverProfile, simulate_session, write_session
from racecoach.common.dial import dial
from racecoach.common.settings import SettingsError, Tls, load_settings
from racecoach.services.common.server import start_server
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

pytestmark = [pytest.mark.asyncio(loop_scope="session"),
              pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificates")]


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _authority(folder: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", f"{name}.key", "-out", f"{name}.crt", cwd=folder)


def _leaf(folder: Path, name: str, *, ca: str, alt: str) -> None:
    (folder / f"{name}.ext").write_text(f"subjectAltName={alt}\nextendedKeyUsage=serverAuth,clientAuth\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key", "-out", f"{name}.csr",
             cwd=folder)
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial", "-days", "2",
             "-extfile", f"{name}.ext", "-out", f"{name}.crt", cwd=folder)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    """The mesh's CA and the services' certificate as `racing-coach certs` makes them (ca.crt, tls.crt, tls.key), and
    a stranger's CA and certificate."""
    folder = tmp_path_factory.mktemp("pki")
    made = subprocess.run([sys.executable, "-m", "racecoach.client.cli", "certs", str(folder), "--names", "127.0.0.1,localhost",
                           "--days", "2"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    _authority(folder, "other-ca")
    _leaf(folder, "stranger", ca="other-ca", alt="DNS:stranger")
    return folder


def _tls(pki: Path, *, cert: str | None = "tls", ca: str = "ca") -> Tls:
    own = {} if cert is None else {"cert": (pki / f"{cert}.crt").read_bytes(), "key": (pki / f"{cert}.key").read_bytes()}
    return Tls(ca=(pki / f"{ca}.crt").read_bytes(), **own)


@pytest_asyncio.fixture(loop_scope="session")
async def tls_mesh(settings, storage, pki):
    from racecoach.services.mesh import start_mesh

    started = await start_mesh(settings=settings.with_overrides(tls=_tls(pki)), storage=storage)
    try:
        yield started
    finally:
        await started.stop()


async def _whoami(channel: grpc.aio.Channel, token: str) -> str:
    reply = await storage_pb2_grpc.StorageServiceStub(channel).WhoAmI(
        storage_pb2.WhoAmIRequest(), metadata=[("authorization", f"Bearer {token}")], timeout=5)
    return reply.email


async def test_a_collector_streams_over_tls_and_the_services_speak_mutual_tls(tls_mesh, token_for, pki, tmp_path):
    from racecoach.client.commands.replay_cmd import replay_file

    token = await token_for("tls")
    path, _ = write_session(simulate_session(track="Norisring", laps=2, profile=DriverProfile(), seed=41), tmp_path / "tls.ibt")
    session, result = await replay_file(path=path, address=tls_mesh.address("ingest"), token=token, speed=None, batch_ms=100,
                                        out=open("/dev/null", "w"), tls=_tls(pki, cert=None))
    assert result.laps and all(lap.HasField("report") for lap in result.laps)  # analysed and scored: mTLS inside

    async with dial(tls_mesh.address("storage"), tls=_tls(pki)) as channel:
        assert (await _whoami(channel, token)).startswith("tls")
    async with dial(tls_mesh.address("ingest"), tls=_tls(pki, cert=None)) as channel:  # collectors show no certificate
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("door", ["storage", "analysis", "coaching"])
@pytest.mark.parametrize("caller", ["plaintext", "no certificate", "another CA's certificate"])
async def test_nothing_reaches_the_services_without_the_mesh_certificate(tls_mesh, token_for, pki, door, caller):
    token = await token_for("tls-door")
    tls = {"plaintext": None, "no certificate": _tls(pki, cert=None),
           "another CA's certificate": Tls(ca=(pki / "ca.crt").read_bytes(), cert=(pki / "stranger.crt").read_bytes(),
                                           key=(pki / "stranger.key").read_bytes())}[caller]
    async with dial(tls_mesh.address(door), tls=tls) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            if door == "storage":
                await _whoami(channel, token)
            else:
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_a_plaintext_port_serves_health_alone_beside_the_tls_port(pki):
    running = await start_server(registrations=[], host="127.0.0.1", port=0, tls=_tls(pki), health_port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.health_port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.aio.AioRpcError) as other:  # health only: no reflection, no service
                await channel.unary_unary("/racecoach.storage.v1.StorageService/WhoAmI")(b"", timeout=5)
            assert other.value.code() == grpc.StatusCode.UNIMPLEMENTED
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as plain:
                await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert plain.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        await running.stop(0)


async def test_tls_settings_are_checked_when_read(pki, tmp_path):
    files = {name: str(pki / name) for name in ("ca.crt", "tls.crt", "tls.key")}
    tls = load_settings({"RACING_COACH_TLS_CA": files["ca.crt"], "RACING_COACH_TLS_CERT": files["tls.crt"],
                         "RACING_COACH_TLS_KEY": files["tls.key"], "RACING_COACH_TLS_SERVER_NAME": "localhost"}).tls
    assert tls is not None and tls.cert.startswith(b"-----BEGIN") and tls.server_name == "localhost"
    assert "key" not in repr(tls).lower().replace("tls(", "")  # the key is never printed
    assert load_settings({}).tls is None
    (tmp_path / "not.pem").write_text("hello")
    for env, said in (
        ({"RACING_COACH_TLS_CA": files["ca.crt"], "RACING_COACH_TLS_CERT": files["tls.crt"]}, "go together"),
        ({"RACING_COACH_TLS_CERT": files["tls.crt"], "RACING_COACH_TLS_KEY": files["tls.key"]}, "needs RACING_COACH_TLS_CA"),
        ({"RACING_COACH_TLS_CA": str(tmp_path / "missing.crt")}, "RACING_COACH_TLS_CA: cannot read"),
        ({"RACING_COACH_TLS_CA": str(tmp_path / "not.pem")}, "is not a PEM file"),
    ):
        with pytest.raises(SettingsError, match=said):
            load_settings(env)


async def test_certs_refuses_to_overwrite_and_keeps_its_keys_private(pki):
    again = subprocess.run([sys.executable, "-m", "racecoach.client.cli", "certs", str(pki)], capture_output=True, text=True)
    assert again.returncode == 2 and "already holds ca.crt" in again.stderr
    kept = subprocess.run([sys.executable, "-m", "racecoach.client.cli", "certs", str(pki), "--if-missing"], capture_output=True, text=True)
    assert kept.returncode == 0 and "there already" in kept.stdout
    assert all((pki / key).stat().st_mode & 0o077 == 0 for key in ("ca.key", "tls.key"))
