"""IngestService: translates the collector's stream to the stream functions (stream.py) and back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing

import grpc

from racecoach.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from racecoach.services.common.auth import Gate, forwarded
from racecoach.services.common.errors import translate_errors
from racecoach.services.ingest import stream
from racecoach.services.ingest.links import Links

SERVICE_NAME = "racecoach.ingest.v1.IngestService"


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    def __init__(self, *, links: Links, max_batch_samples: int, gate: Gate, service_token: str | None = None) -> None:
        self.links = links
        self.max_batch_samples = max_batch_samples
        self.gate = gate
        self.service_token = service_token

    async def Stream(self, request_iterator: AsyncIterator[ingest_pb2.StreamRequestRawView], context: grpc.aio.ServicerContext
                     ) -> AsyncIterator[ingest_pb2.StreamResponse]:
        """The caller was admitted by the gate; while the stream is open its token is re-checked (revocation ends it)."""
        metadata = forwarded(context.invocation_metadata(), service_token=self.service_token)
        requests = request_iterator.__aiter__()
        try:
            first = await requests.__anext__()
        except StopAsyncIteration:
            return
        async with translate_errors(context):
            ingest = stream.IngestStream(links=self.links, gate=self.gate, metadata=metadata,
                                         session=stream.opening_session(first=first), max_batch_samples=self.max_batch_samples)
            accepted = await ingest.open()
        try:  # a caller gone right after the accepted answer still has its pipeline closed
            yield accepted
            async with aclosing(ingest.responses(requests)) as responses:
                async for response in responses:
                    if isinstance(response, stream.Ended):
                        await context.abort(response.code, response.message)
                    yield response
        finally:
            await ingest.close()
