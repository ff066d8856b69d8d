"""Container health probe: ``python healthcheck.py SERVICE`` exits 0 when SERVICE answers healthy.

gRPC services are asked through the standard health service (grpc.health.v1, overall server
status); the gateway through ``GET /healthz``. The port comes from the same settings the
service itself reads (``RACING_COACH_<SERVICE>_PORT`` or its default), on this host; where the mesh speaks TLS
the probe does too, showing the mesh's certificate.
Used by docker-compose; Kubernetes uses its native ``grpc:`` and ``httpGet:`` probes.
"""

from __future__ import annotations

import sys
import urllib.request

GRPC_SERVICES = ("storage", "analysis", "coaching", "ingest")


def check(service: str, *, host: str = "127.0.0.1", timeout_s: float = 2.0, env=None) -> bool:
    from racecoach.services.common.settings import load_settings

    settings = load_settings(env)
    port = getattr(settings.ports, service)
    if service == "gateway":
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=timeout_s) as reply:
                return reply.status == 200
        except OSError:
            return False
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    tls = settings.tls
    if tls is None:
        channel = grpc.insecure_channel(f"{host}:{port}")
    else:
        credentials = grpc.ssl_channel_credentials(root_certificates=tls.ca, private_key=tls.key, certificate_chain=tls.cert)
        options = [("grpc.ssl_target_name_override", tls.server_name)] if tls.server_name else []
        channel = grpc.secure_channel(f"{host}:{port}", credentials, options=options)
    with channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout_s)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in (*GRPC_SERVICES, "gateway"):
        print(f"usage: healthcheck.py {{{','.join((*GRPC_SERVICES, 'gateway'))}}}", file=sys.stderr)
        return 2
    return 0 if check(argv[0]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
