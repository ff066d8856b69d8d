"""The servers' side of the mesh's TLS: a port that speaks TLS only, mutual where the peers are the mesh's services.

Every service shows the certificate of ``RACING_COACH_TLS_CERT``/``_KEY``; storage, analysis and coaching admit
only peers whose certificate the mesh's CA (``RACING_COACH_TLS_CA``) signed, so nothing but the mesh's own
processes reaches them even on an address others can reach. Ingest admits collectors without a certificate (a
user's token says who they are), as the gateway's browsers need none. The clients' side is common/dial.py.
"""

from __future__ import annotations

import grpc

from racecoach.common.settings import Tls


class TlsSettingsError(ValueError):
    """TLS is asked for without what a server needs to speak it."""


def server_credentials(tls: Tls, *, require_client_cert: bool) -> grpc.ServerCredentials:
    """Credentials of a TLS port showing this process's certificate; peers checked against the CA when required."""
    if tls.cert is None or tls.key is None:
        raise TlsSettingsError("a server speaking TLS needs RACING_COACH_TLS_CERT and RACING_COACH_TLS_KEY (its own certificate)")
    return grpc.ssl_server_credentials([(tls.key, tls.cert)], root_certificates=tls.ca, require_client_auth=require_client_cert)


def bind(server: grpc.aio.Server, *, address: str, tls: Tls | None, require_client_cert: bool = True) -> int:
    """Listen on ``address`` (plaintext without ``tls``); the port bound, or OSError naming the address."""
    if tls is None:
        bound = server.add_insecure_port(address)
    else:
        bound = server.add_secure_port(address, server_credentials(tls, require_client_cert=require_client_cert))
    if bound == 0:
        raise OSError(f"cannot listen on {address}: the port is taken or the address is not local")
    return bound
