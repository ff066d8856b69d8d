"""How the uploader reads the ways ingest ends a stream: a seq gap is resent on a new stream, a refusal of the token
stops the upload at once, an ingest that keeps failing stops it after the last attempt; each error keeps its cause."""

from __future__ import annotations

import grpc
import pytest

from racecoach.client.uploader import Uploader, UploadError, split_batches
from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from telemetry_factories import make_arrays, make_session


class ScriptedIngest(ingest_pb2_grpc.IngestServiceServicer):
    """Each stream is answered by the next entry of ``script``: "gap" (a SEQ_GAP for the first batch), a status code
    (the stream aborted with it), or "store" (everything acked and the session closed)."""

    def __init__(self, script: list) -> None:
        self.script = script
        self.streams = 0

    async def Stream(self, requests, context):
        step = self.script[min(self.streams, len(self.script) - 1)]
        self.streams += 1
        last = 0
        async for request in requests:
            kind = request.WhichOneof("kind")
            if kind == "start":
                if isinstance(step, grpc.StatusCode):
                    await context.abort(step, "no entry")
                yield ingest_pb2.StreamResponse(accepted=ingest_pb2.SessionAccepted(session_id=request.start.session.session_id))
                continue
            batches = [request.batch] if kind == "batch" else list(request.batches.batches) if kind == "batches" else []
            if batches and step == "gap":
                yield ingest_pb2.StreamResponse(error=ingest_pb2.BatchError(
                    seq=batches[0].seq, reason=ingest_pb2.BATCH_ERROR_REASON_SEQ_GAP, message="resend from 1"))
                return
            for batch in batches:
                last = batch.seq
                yield ingest_pb2.StreamResponse(ack=ingest_pb2.DurableAck(committed_seq=batch.seq))
            if kind == "end":
                yield ingest_pb2.StreamResponse(closed=ingest_pb2.SessionClosed(committed_seq=last))
                return


async def _upload(script: list, *, max_attempts: int = 8) -> tuple[ScriptedIngest, Uploader, list[str], object]:
    server = grpc.aio.server()
    ingest = ScriptedIngest(script)
    ingest_pb2_grpc.add_IngestServiceServicer_to_server(ingest, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    session = make_session()
    statuses: list[str] = []
    uploader = Uploader(address=f"127.0.0.1:{port}", token="t", session=session, max_attempts=max_attempts,
                        on_status=statuses.append)
    batches = list(split_batches(session_id=session.session_id, arrays=make_arrays(start_index=0, count=24), samples_per_batch=6))
    try:
        outcome = await uploader.run(batches)
    except UploadError as exc:
        outcome = exc
    finally:
        await server.stop(None)
    return ingest, uploader, statuses, outcome


@pytest.mark.asyncio(loop_scope="session")
async def test_a_seq_gap_is_resent_on_a_new_stream():
    ingest, uploader, statuses, result = await _upload(["gap", "store"])
    assert not isinstance(result, UploadError), result
    assert ingest.streams == 2 and result.reconnects == 1 and result.committed_seq == 4
    assert [error.reason for error in result.errors] == [ingest_pb2.BATCH_ERROR_REASON_SEQ_GAP]
    assert len(statuses) == 1 and "(SEQ_GAP); reconnecting, attempt 1" in statuses[0]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_refused_token_stops_the_upload_at_once_with_its_cause():
    ingest, _, statuses, error = await _upload([grpc.StatusCode.UNAUTHENTICATED])
    assert isinstance(error, UploadError) and str(error) == "ingest refused the session: no entry"
    assert isinstance(error.__cause__, grpc.aio.AioRpcError) and error.__cause__.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ingest.streams == 1 and statuses == []


@pytest.mark.asyncio(loop_scope="session")
async def test_an_ingest_that_keeps_failing_stops_the_upload_after_the_last_attempt():
    ingest, _, statuses, error = await _upload([grpc.StatusCode.UNAVAILABLE], max_attempts=2)
    assert isinstance(error, UploadError)
    assert "is unreachable (UNAVAILABLE: no entry); 4 batches are not yet committed" in str(error)
    assert isinstance(error.__cause__, grpc.aio.AioRpcError) and error.__cause__.code() == grpc.StatusCode.UNAVAILABLE
    assert ingest.streams == 2 and len(statuses) == 1 and "(UNAVAILABLE); reconnecting, attempt 1" in statuses[0]
