"""``make demo``: start the mesh on the embedded defaults, replay a simulated session, show the
reports and the REST view, stop. ``python -m racecoach.client.demo``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PORT_VARS = ("INGEST", "STORAGE", "ANALYSIS", "COACHING", "GATEWAY")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "racecoach.client.cli", *args]


def main() -> int:
    env = dict(os.environ)
    env.setdefault("RACING_COACH_DATA_DIR", str(Path.cwd() / ".data" / "demo"))
    for name in PORT_VARS:
        env.setdefault(f"RACING_COACH_{name}_PORT", str(_free_port()))
    print(f"data directory {env['RACING_COACH_DATA_DIR']} (embedded PostgreSQL unless DATABASE_URL is set)", flush=True)
    up = subprocess.Popen(_cli("up"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        banner = []
        deadline = time.monotonic() + 120
        for line in up.stdout:  # type: ignore[union-attr]
            banner.append(line.rstrip())
            print(line, end="", flush=True)
            if line.startswith("Ctrl-C") or time.monotonic() > deadline:
                break
        if up.poll() is not None or not banner or not banner[-1].startswith("Ctrl-C"):
            print("error: the mesh did not start", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            ibt = Path(tmp) / "spielberg-demo.ibt"
            subprocess.run(_cli("simulate", "--track", "Spielberg", "--laps", "3",
                                "--mistake", "brake-early:corner=3:metres=20:laps=2",
                                "--mistake", "low-apex-speed:corner=1:kph=6:laps=3", "-o", str(ibt)), env=env, check=True)
            replay = subprocess.run(_cli("replay", "--fast", str(ibt)), env=env, text=True, capture_output=True)
            print(replay.stdout, end="")
            if replay.returncode != 0:
                print(replay.stderr, file=sys.stderr)
                return replay.returncode
        gateway = f"http://127.0.0.1:{env['RACING_COACH_GATEWAY_PORT']}"
        token = (Path(env["RACING_COACH_DATA_DIR"]) / "device-token").read_text().strip()
        request = urllib.request.Request(f"{gateway}/api/v1/sessions?pageSize=1", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            newest = json.load(reply)["sessions"][0]
        laps = newest.get("lapCount", 0)
        print(f"\nREST: GET {gateway}/api/v1/sessions →", json.dumps({
            "sessionId": newest["session"]["sessionId"], "track": newest["session"]["track"]["displayName"],
            "lapCount": laps, "bestLapTime": newest.get("bestLapTime"),
        }))
        print(f"Dashboard {gateway}/ and OpenAPI {gateway}/schema (while the mesh runs: racing-coach up)")
        return 0 if laps >= 2 else 1
    finally:
        if up.poll() is None:
            up.send_signal(signal.SIGTERM)
            try:
                up.wait(timeout=30)
            except subprocess.TimeoutExpired:
                up.kill()
                up.wait()
        if not env.get("DATABASE_URL"):  # up stops the embedded server; after a kill nothing else would
            from racecoach.client.embedded_db import stop_embedded

            stop_embedded(pgdata=Path(env["RACING_COACH_DATA_DIR"]) / "postgres")


if __name__ == "__main__":
    sys.exit(main())
