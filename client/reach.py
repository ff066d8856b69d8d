"""Whether a service answers at host:port before a command streams to it (so the user hears at once)."""

from __future__ import annotations

import socket

from racecoach.common.dial import is_target


def unreachable(*, address: str, timeout_s: float = 1.5) -> str | None:
    """Why nothing accepts a connection at ``address`` (``host:port``) within ``timeout_s``; None when something does.

    Addresses that are not a plain ``host:port`` (gRPC targets such as ``dns:///...`` or several replicas) are left
    to gRPC: None.
    """
    if is_target(address):
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "/" in host:
        return None
    try:
        with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout_s):
            return None
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except OSError as exc:
        return exc.strerror or str(exc)


def unreachable_message(*, address: str, reason: str) -> str:
    return f"ingest at {address} is unreachable ({reason}); is the mesh up? ('racing-coach up', or --ingest HOST:PORT)"
