"""Whether the ports a command is about to listen on are free (gRPC shares a port through
SO_REUSEPORT, so a second server on a used port would start and half-fail)."""

from __future__ import annotations

import socket


def port_in_use(*, host: str, port: int) -> bool:
    """True when ``host:port`` cannot be bound without SO_REUSEPORT (someone listens there)."""
    if port == 0:
        return False
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        return False  # the server reports an unknown host itself
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # connections in TIME_WAIT do not count
            try:
                probe.bind(address)
                probe.listen(1)
            except OSError:
                return True
    return False


def first_busy(*, host: str, ports: dict[str, int]) -> tuple[str, int] | None:
    """The first ``(name, port)`` of ``ports`` already in use at ``host``; None when all are free."""
    for name, port in ports.items():
        if port_in_use(host=host, port=port):
            return name, port
    return None


def busy_message(*, host: str, name: str, port: int) -> str:
    return (f"port {port} ({name}) at {host} is already in use: is another 'racing-coach up' running? "
            f"Stop it, or choose another port with RACING_COACH_{name.upper()}_PORT")
