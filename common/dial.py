"""Every client channel of the mesh and the collector, opened one way: balanced over every address its target names.

A target may name one server (``host:port``) or several replicas: ``dns:///ingest.example:50051`` (every address
the name resolves to, as a Kubernetes headless Service answers) or ``ipv4:10.0.0.1:50051,10.0.0.2:50051``. The
channel's ``round_robin`` policy sends each call (each stream) to the next ready replica, and a replica that dies
is left out until it answers again, so a stream opened again after a failure lands on one that is up. gRPC's
default, ``pick_first``, would keep every call of a process on one replica. A process's first call goes to the first
replica that answers, so clients that each make one call (a collector's stream) spread as the names' order differs
between them, as DNS rotates a headless Service's answer.
"""

from __future__ import annotations

import json

import grpc

from racecoach.common.settings import Tls

ROUND_ROBIN = json.dumps({"loadBalancingConfig": [{"round_robin": {}}]})
SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "xds:")


def channel_options(*, max_message_bytes: int | None = None) -> list[tuple[str, object]]:
    """Options of a client channel: round robin over the target's addresses, and the message limits of the servers
    (without them a channel takes answers of 4 MiB at most)."""
    options: list[tuple[str, object]] = [("grpc.service_config", ROUND_ROBIN)]
    if max_message_bytes:
        options += [("grpc.max_receive_message_length", max_message_bytes), ("grpc.max_send_message_length", max_message_bytes)]
    return options


def is_target(address: str) -> bool:
    """Whether ``address`` is a gRPC target (a scheme, or several addresses) rather than one ``host:port``."""
    return address.startswith(SCHEMES) or "," in address


def dial(address: str, *, max_message_bytes: int | None = None, options: list[tuple[str, object]] | None = None,
         tls: Tls | None = None) -> grpc.aio.Channel:
    """An asyncio channel to ``address`` (``host:port`` or a gRPC target), balanced over its replicas; with ``tls``
    the server's certificate is checked against its CA and this process's certificate is shown (mutual TLS)."""
    every = [*channel_options(max_message_bytes=max_message_bytes), *(options or [])]
    if tls is None:
        return grpc.aio.insecure_channel(address, options=every)
    if tls.server_name:
        every.append(("grpc.ssl_target_name_override", tls.server_name))
    credentials = grpc.ssl_channel_credentials(root_certificates=tls.ca, private_key=tls.key, certificate_chain=tls.cert)
    return grpc.aio.secure_channel(address, credentials, options=every)
