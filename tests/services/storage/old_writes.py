"""Telemetry written as the schema's earlier versions stored it, for migration tests: every sample of a batch,
keyed by (session, seq) only."""

from __future__ import annotations

import io

import asyncpg
import numpy as np

from racecoach.services.storage.binary_copy import COLUMNS, BatchRows, encode_rows


async def copy_batch_as_before(conn: asyncpg.Connection, *, session_pk: int, seq: int, arrays: dict[str, np.ndarray]) -> None:
    """One batch stored whole, whatever the session holds already (what a replay in another batching did)."""
    count = len(arrays["session_time_s"])
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO telemetry_batches (session_pk, seq, sample_count, first_session_time_s) VALUES ($1, $2, $3, $4)",
            session_pk, seq, count, float(arrays["session_time_s"][0]),
        )
        payload = encode_rows(session_pk=session_pk, batches=[BatchRows(seq=seq, arrays=arrays, sample_count=count)])
        await conn.copy_to_table("telemetry_samples", source=io.BytesIO(payload), columns=list(COLUMNS), format="binary")
        await conn.execute(
            "UPDATE sessions SET committed_seq = $2, sample_count = sample_count + $3 WHERE session_pk = $1", session_pk, seq, count
        )
