"""``racing-coach up`` (the whole mesh, one process per service) and ``racing-coach serve NAME``."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from racecoach.client.commands.common import settings_or_exit
from racecoach.client.embedded_db import prune_stale_handles, stop_embedded
from racecoach.client.ports import busy_message, first_busy
from racecoach.services.common.settings import Settings

SERVICES = ("storage", "analysis", "coaching", "ingest", "gateway")
LOCAL_USER = "driver@localhost"


async def _run_service(name: str, settings: Settings) -> None:
    from racecoach.services.common.logs import configure_logging, get_logger

    configure_logging(level=settings.log_level)
    log = get_logger("racecoach.serve").bind(service=name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if name == "storage":
        from racecoach.services.storage.server import serve
        server = await serve(settings=settings)
    elif name == "analysis":
        from racecoach.services.analysis.server import serve
        server = await serve(settings=settings)
    elif name == "coaching":
        from racecoach.services.coaching.server import serve
        server = await serve(settings=settings)
    elif name == "ingest":
        from racecoach.services.ingest.server import serve
        server = await serve(settings=settings)
    else:
        from racecoach.services.gateway.server import serve
        server = await serve(settings=settings)
    log.info("serving", port=server.port, metrics_port=getattr(getattr(server, "running", server), "metrics_port", None))
    await stop.wait()
    log.info("stopping: draining streams and flushing writes")
    await server.stop()
    log.info("stopped")


def _refuse_used_ports(settings: Settings, names) -> None:
    from racecoach.client.cli import CliError

    busy = first_busy(host=settings.host, ports={name: getattr(settings.ports, name) for name in names})
    if busy is not None:
        raise CliError(busy_message(host=settings.host, name=busy[0], port=busy[1]), code=1)


def serve_cmd(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    _refuse_used_ports(settings, [args.service])
    try:
        import uvloop  # type: ignore[import-not-found]

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    runner(_run_service(args.service, settings))
    return 0


def _ready(name: str, settings: Settings) -> bool:
    if name == "gateway":
        try:
            with urllib.request.urlopen(f"http://{settings.address('gateway')}/healthz", timeout=1) as reply:
                return reply.status == 200
        except OSError:
            return False
    from racecoach.services.mesh import wait_serving

    try:
        asyncio.run(wait_serving(settings.address(name), timeout_s=0.5, tls=settings.tls))
        return True
    except TimeoutError:
        return False


async def _ensure_local_token(settings: Settings) -> Path:
    from racecoach.services.storage.identity import create_token
    from racecoach.services.storage.state import open_storage

    if settings.token_file.is_file():
        return settings.token_file
    storage = await open_storage(settings=settings, cleanup_mode=None)
    try:
        async with storage.pool.acquire() as conn:
            issued = await create_token(conn, email=LOCAL_USER, label="device token of racing-coach up")
    finally:
        await storage.close()
        if storage.embedded is not None:
            storage.embedded.stop()  # gives this process's handle back (cleanup_mode None: the server keeps running)
    settings.token_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(issued.token + "\n")
    return settings.token_file


def _login_link(settings: Settings, token_file: Path) -> str:
    """A one-time link that signs a browser in to the dashboard (as ``racing-coach open`` prints), or why there is none."""
    from racecoach.client.cli import CliError
    from racecoach.client.commands.open_cmd import login_link

    try:
        link = login_link(f"http://{settings.address('gateway')}", token_file.read_text().strip())
    except (CliError, OSError, ValueError) as exc:
        return f"no login link ({exc}); run 'racing-coach open'"
    return f"{link}  (works once, for two minutes; 'racing-coach open' gives another)"


def _die_with_up() -> None:
    """Run in each service's process before it starts: on Linux it gets SIGTERM (and stops as on Ctrl-C) when `up`
    dies, even by SIGKILL, so no service outlives the mesh's supervisor. Elsewhere nothing changes."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _starter(*, name: str, log_path: Path, env: dict[str, str]):
    def start() -> subprocess.Popen:
        with log_path.open("ab") as log_file:
            return subprocess.Popen(
                [sys.executable, "-m", "racecoach.client.cli", "serve", name],
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, env=env,
                preexec_fn=_die_with_up,  # noqa: PLW1509 - up starts its services from its one thread
            )
    return start


def _stop_all(processes: dict[str, subprocess.Popen]) -> None:
    for name in reversed(list(processes)):
        process = processes[name]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def up_cmd(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError

    settings = settings_or_exit()
    _refuse_used_ports(settings, SERVICES)
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pgdata = None if settings.database_url else settings.data_dir / "postgres"
    if pgdata is not None:
        prune_stale_handles(pgdata=pgdata)  # pids of processes SIGKILLed in an earlier run
    settings.data_dir.chmod(0o755)
    processes: dict[str, subprocess.Popen] = {}
    stopping = False
    env = dict(os.environ)
    if not env.get("RACING_COACH_SERVICE_TOKEN"):  # the services' own credential between them, new for each mesh
        from racecoach.services.common.auth import new_service_token

        env["RACING_COACH_SERVICE_TOKEN"] = new_service_token()

    def on_signal(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    from racecoach.client.commands.supervisor import Child, launch, tend
    from racecoach.services.common.logs import configure_logging

    configure_logging(level=settings.log_level)
    children: list[Child] = []
    try:
        for name in SERVICES:
            log_path = logs / f"{name}.log"
            child = Child(name=name, start=_starter(name=name, log_path=log_path, env=env), log_path=log_path)
            launch(child=child, now=time.monotonic())
            children.append(child)
            processes[name] = child.process
            deadline = time.monotonic() + args.timeout
            while not _ready(name, settings):
                if processes[name].poll() is not None or time.monotonic() > deadline or stopping:
                    tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
                    raise CliError(f"{name} did not start (see {log_path}):\n  " + "\n  ".join(tail), code=1)
                time.sleep(0.1)
        token_file = asyncio.run(_ensure_local_token(settings))
        print("Racing Coach is up:")
        for name in SERVICES[:-1]:
            print(f"  {name:<9} grpc://{settings.address(name)}")
        print(f"  {'gateway':<9} http://{settings.address('gateway')}  (dashboard /, REST /api/v1, OpenAPI /schema)")
        print(f"  database  {settings.database_url or 'embedded PostgreSQL in ' + str(settings.data_dir / 'postgres')}")
        print(f"  token     {token_file}   logs {logs}")
        print(f"  login     {_login_link(settings, token_file)}")
        print("Ctrl-C stops the mesh.", flush=True)
        while not stopping:  # a service that exits is started again after a backoff (see supervisor.py)
            for name in tend(children=children, now=time.monotonic()):
                print(f"{name} exited and was started again (see {logs / (name + '.log')})", flush=True)
            processes.update({child.name: child.process for child in children if child.process is not None})
            time.sleep(0.2)
        print("stopping…", flush=True)
        return 0
    finally:
        _stop_all(processes)
        if pgdata is not None:
            stop_embedded(pgdata=pgdata)  # whatever pgserver's handle list says: no service runs now


def add_parsers(sub) -> None:
    up = sub.add_parser("up", help="start the whole mesh on this machine (Ctrl-C stops it)")
    up.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each service to start")
    up.set_defaults(run=up_cmd)
    serve = sub.add_parser("serve", help="run one service in the foreground")
    serve.add_argument("service", choices=SERVICES)
    serve.set_defaults(run=serve_cmd)
