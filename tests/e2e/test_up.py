"""`racing-coach up`: every service in its own process, where they listen printed, clean stop on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest

from racecoach.services.gateway.login import COOKIE


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_up_prints_addresses_serves_and_stops_cleanly_on_sigterm(tmp_path, pg_dsn):
    ports = {name: free_port() for name in ("INGEST", "STORAGE", "ANALYSIS", "COACHING", "GATEWAY")}
    env = dict(os.environ, RACING_COACH_DATA_DIR=str(tmp_path / "data"), DATABASE_URL=pg_dsn,
               **{f"RACING_COACH_{name}_PORT": str(port) for name, port in ports.items()})
    up = subprocess.Popen([sys.executable, "-m", "racecoach.client.cli", "up"], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = up.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        banner = "".join(lines)
        for name, port in ports.items():
            assert re.search(rf"{name.lower()}\s+\S+://127\.0\.0\.1:{port}", banner), banner
            assert listening(port)
        token = (tmp_path / "data" / "device-token").read_text().strip()
        assert oct((tmp_path / "data" / "device-token").stat().st_mode & 0o777) == "0o600"
        request = urllib.request.Request(f"http://127.0.0.1:{ports['GATEWAY']}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert b"driver@localhost" in reply.read()
        # the banner's one-time login link signs a browser in with the HttpOnly, SameSite session cookie
        link = re.search(r"login\s+(http://127\.0\.0\.1:\d+/login\?code=\S+)", banner)
        assert link, banner
        with httpx.Client(base_url=f"http://127.0.0.1:{ports['GATEWAY']}") as browser:
            assert browser.get("/api/v1/me").status_code == 401
            login = browser.get(link.group(1))
            assert login.status_code == 303 and login.headers["location"] == "/"
            cookie = login.headers["set-cookie"]
            assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "samesite=strict" in cookie.lower(), cookie
            assert token not in cookie
            me = browser.get("/api/v1/me")
            assert me.status_code == 200 and "driver@localhost" in me.text
        with httpx.Client() as other:
            again = other.get(link.group(1))  # a link works once
            assert again.status_code == 401 and "set-cookie" not in again.headers
            assert "used or expired" in again.text
        up.send_signal(signal.SIGTERM)
        assert up.wait(timeout=40) == 0
        assert not any(listening(port) for port in ports.values())
    finally:
        if up.poll() is None:
            up.kill()
