"""Requests of several batches (``WriteRequest.batches``): stored batch by batch, answered once.

A run is taken apart into one member per batch as it is read, so the group commit, the checks and
the refusals treat each batch as if it had come alone; the answers are put back together: every
refusal of a member is passed on, naming the batch in ``refused_seq``, and once the run's last
member is committed one response without error carries the committed seq after all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from racecoach.storage.v1 import storage_pb2


class Run:
    """A request of batches being answered: how many of its members are still to come back."""

    __slots__ = ("request_id", "session_id", "left", "committed")

    def __init__(self, *, request_id: int, session_id: str, size: int) -> None:
        self.request_id = request_id
        self.session_id = session_id
        self.left = size
        self.committed = 0


class Member:
    """One batch of a run, read like a request of one batch (``WhichOneof("item") == "batch"``)."""

    __slots__ = ("request_id", "batch", "run")

    def __init__(self, *, batch, run: Run) -> None:
        self.request_id = run.request_id
        self.batch = batch
        self.run = run

    def WhichOneof(self, _name: str) -> str:  # noqa: N802 the protobuf message's spelling
        return "batch"


def expand(request) -> list:
    """The request as the write stream handles it: a run as its members, anything else as it is."""
    if request.WhichOneof("item") != "batches":
        return [request]
    batches = list(request.batches.batches)
    run = Run(request_id=request.request_id, session_id=batches[0].session_id if batches else "", size=len(batches))
    if not batches:
        return [storage_pb2.WriteRequestRawView(request_id=request.request_id)]  # answered as an empty request
    return [Member(batch=batch, run=run) for batch in batches]


def answers(requests: Iterable, responses: Iterable[storage_pb2.WriteResponse]) -> Iterator[storage_pb2.WriteResponse]:
    """The responses to send for a committed group: members' refusals and each run's one answer."""
    for request, response in zip(requests, responses, strict=True):
        run = getattr(request, "run", None)
        if run is None:
            yield response
            continue
        if response.HasField("error"):
            response.refused_seq = request.batch.seq
            yield response
        run.committed = max(run.committed, response.committed_seq)
        run.left -= 1
        if run.left == 0:
            yield storage_pb2.WriteResponse(request_id=run.request_id, session_id=run.session_id, committed_seq=run.committed)
