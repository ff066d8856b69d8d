"""A third-party tool on the typed SDK (betterproto2): list your sessions and their best laps.

    python examples/third_party_client.py --storage 127.0.0.1:50052 --token rc_...

Any gRPC language works the same way from proto/; this is the Python SDK in gen/sdk.
"""

from __future__ import annotations

import argparse
import collections

import grpc

from racecoach.sdk.storage.v1 import GetSessionRequest, ListSessionsRequest, StorageServiceStub


class _Auth(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every call."""

    _Details = collections.namedtuple("_Details", "method timeout metadata credentials wait_for_ready compression")

    def __init__(self, token: str) -> None:
        self.header = ("authorization", f"Bearer {token}")

    def _with_token(self, details):
        metadata = [*(details.metadata or ()), self.header]
        return self._Details(details.method, details.timeout, metadata, details.credentials,
                             details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)


def best_laps(*, storage: str, token: str, limit: int = 10) -> list[str]:
    """One line per session: track, car, laps and best lap time."""
    with grpc.insecure_channel(storage) as plain:
        stub = StorageServiceStub(grpc.intercept_channel(plain, _Auth(token)))
        lines = []
        for summary in stub.list_sessions(ListSessionsRequest(page_size=limit)).sessions:
            session = summary.session
            detail = stub.get_session(GetSessionRequest(session_id=session.session_id))
            times = [lap.lap_time.total_seconds() for lap in detail.laps if lap.valid and lap.lap_time]
            best = f"{min(times):.3f} s" if times else "no valid lap"
            lines.append(f"{session.track.display_name or session.track.name} | {session.car.name} | "
                         f"{len(detail.laps)} laps | best {best}")
        return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storage", default="127.0.0.1:50052")
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    print("\n".join(best_laps(storage=args.storage, token=args.token)))
