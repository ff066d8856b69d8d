"""Durable writes: sessions, telemetry samples (binary COPY, each sample stored once: see new_samples.py), laps, reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timezone

import asyncpg
import numpy as np

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.common.errors import ConflictError, InvalidInputError, NotFoundError, UnauthenticatedError
from racecoach.services.common.limits import MAX_ID_CHARS
from racecoach.services.common.metrics import STORAGE_BATCHES, STORAGE_SAMPLES
from racecoach.services.storage.binary_copy import COLUMNS, BatchRows, encode_rows
from racecoach.services.storage.binary_copy import payload as copy_payload
from racecoach.services.storage.database import ensure_partition
from racecoach.services.storage.identity import User
from racecoach.services.storage.new_samples import all_new, batch_ticks, select_new, whole
from racecoach.telemetry.v1 import telemetry_pb2


@dataclass(frozen=True)
class SessionState:
    session_pk: int
    committed_seq: int
    stored_through_tick: int | None = None  # the highest tick stored (see new_samples.py); None when nothing is


async def upsert_session(conn: asyncpg.Connection, *, user: User, session: telemetry_pb2.Session) -> SessionState:
    """Create the user's session, or refresh its description (session ids are per user)."""
    if not session.session_id or len(session.session_id) > MAX_ID_CHARS:
        raise InvalidInputError(f"session_id must be 1 to {MAX_ID_CHARS} characters")
    started = session.start_time.ToDatetime(tzinfo=timezone.utc) if session.HasField("start_time") else None
    row = await conn.fetchrow(
        """
        INSERT INTO sessions (session_id, user_id, track_id, track_name, track_display, track_layout, track_length_m,
            car_id, car_name, car_path, session_type, source, source_name, driver_name, tick_rate_hz, started_at)
        VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16)
        ON CONFLICT (user_id, session_id) DO UPDATE SET
            track_id = EXCLUDED.track_id, track_name = EXCLUDED.track_name, track_display = EXCLUDED.track_display,
            track_layout = EXCLUDED.track_layout, track_length_m = EXCLUDED.track_length_m,
            car_id = EXCLUDED.car_id, car_name = EXCLUDED.car_name, car_path = EXCLUDED.car_path,
            session_type = EXCLUDED.session_type, source = EXCLUDED.source, source_name = EXCLUDED.source_name,
            driver_name = EXCLUDED.driver_name,
            -- a sample's identity is its tick at this rate: it stays as it was once samples are stored
            tick_rate_hz = CASE WHEN sessions.stored_through_tick IS NULL THEN EXCLUDED.tick_rate_hz ELSE sessions.tick_rate_hz END,
            started_at = coalesce(sessions.started_at, EXCLUDED.started_at)
        RETURNING session_pk, committed_seq, stored_through_tick
        """,
        session.session_id, user.user_id, session.track.track_id, session.track.name, session.track.display_name,
        session.track.layout, session.track.length_m, session.car.car_id, session.car.name, session.car.path,
        int(session.session_type), int(session.source), session.source_name, session.driver_name,
        session.tick_rate_hz or 60.0, started,
    )
    await ensure_partition(conn, session_pk=row["session_pk"])
    return SessionState(session_pk=row["session_pk"], committed_seq=row["committed_seq"],
                        stored_through_tick=row["stored_through_tick"])


async def session_state(conn: asyncpg.Connection | asyncpg.Pool, *, user: User, session_id: str) -> SessionState | None:
    """The user's session's key and resume point; None if the user has no such session."""
    row = await conn.fetchrow(
        "SELECT session_pk, committed_seq FROM sessions WHERE session_id = $1 AND user_id = $2", session_id, user.user_id
    )
    if row is None:
        return None
    return SessionState(session_pk=row["session_pk"], committed_seq=row["committed_seq"])


async def write_batches(
    conn: asyncpg.Connection, *, user: User, session_id: str, batches: Sequence[BatchRows],
    encoded: Sequence[np.ndarray] | None = None, token_sha256: bytes | None = None,
) -> int:
    """Store the samples that are new, in one transaction; returns the committed seq afterwards.

    A sample is identified by its session and its tick (see new_samples.py): one the session holds
    already is skipped, whatever batch or seq carries it, so any resend in any batching stores
    nothing twice. ``seq`` orders the batches and names the resume point: batches must follow
    the committed seq without gaps (a gap raises ConflictError after nothing was written); a
    batch at or below the committed seq only adds the samples the session lacks; a batch whose
    samples were all stored before is committed like any other (nothing is written for it).
    ``encoded`` is :func:`binary_copy.encode_batches` of exactly ``batches``, when the caller made it
    ahead of time (the write stream does, while the previous transaction commits). With ``token_sha256`` the
    writer's token must be unrevoked when the transaction takes the session's lock (UnauthenticatedError
    otherwise, nothing written): a revocation stops the next commit, at no cost of a query of its own.
    """
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT session_pk, committed_seq, tick_rate_hz, stored_through_tick,"
            " ($3::bytea IS NULL OR EXISTS (SELECT 1 FROM api_tokens WHERE token_sha256 = $3 AND revoked_at IS NULL)) AS token_holds"
            " FROM sessions WHERE session_id = $1 AND user_id = $2 FOR UPDATE",
            session_id, user.user_id, token_sha256,
        )
        if row is None:
            raise NotFoundError(f"session {session_id} is unknown; send the session before its batches")
        if not row["token_holds"]:
            raise UnauthenticatedError("the token was revoked; nothing after the last ack was stored")
        committed = row["committed_seq"]
        ordered = sorted(batches, key=lambda b: b.seq)
        expected = committed + 1
        for batch in ordered:
            if batch.seq > expected:
                raise ConflictError(
                    f"batch seq {batch.seq} of session {session_id} skips ahead: committed seq is {expected - 1};"
                    f" resend from {expected}"
                )
            expected += batch.seq == expected
        if not ordered:
            return committed
        session_pk, rate, through = row["session_pk"], row["tick_rate_hz"] or 60.0, row["stored_through_tick"]
        ticks, increasing = batch_ticks(ordered, tick_rate_hz=rate)
        if all(b.seq > committed for b in ordered) and all_new(ticks, increasing=increasing, stored_through_tick=through):
            new = whole(ordered, ticks)  # the usual write: nothing of it is stored yet
        else:
            new = await select_new(conn, session_pk=session_pk, batches=ordered, ticks=ticks,
                                   stored_through_tick=through, tick_rate_hz=rate)
        fresh = [b for b in ordered if b.seq > committed]
        if fresh:
            await conn.execute(
                "INSERT INTO telemetry_batches (session_pk, seq, sample_count, first_session_time_s)"
                " SELECT $1, * FROM unnest($2::bigint[], $3::integer[], $4::double precision[])"
                " ON CONFLICT (session_pk, seq) DO NOTHING",
                session_pk, [b.seq for b in fresh], [new.stored_per_seq.get(b.seq, 0) for b in fresh],
                [float(b.arrays["session_time_s"][0]) for b in fresh],
            )
        if new.batches:
            whole_run = len(new.batches) == len(batches) and all(b.indexes is None for b in new.batches)
            if encoded is not None and whole_run:  # nothing skipped: the rows made ahead are exact
                payload = copy_payload(encoded, session_pk=session_pk)
            else:
                payload = encode_rows(session_pk=session_pk, batches=new.batches)
            await conn.copy_to_table("telemetry_samples", source=_once(payload), columns=list(COLUMNS), format="binary")
        new_committed = expected - 1
        await conn.execute(
            "UPDATE sessions SET committed_seq = $2, sample_count = sample_count + $3,"
            " stored_through_tick = greatest(stored_through_tick, $4) WHERE session_pk = $1",
            session_pk, new_committed, new.count, new.top_tick,
        )
    # Counted once the transaction has committed.
    STORAGE_BATCHES.inc(len(fresh))
    STORAGE_SAMPLES.inc(new.count)
    return new_committed


async def _once(payload: bytes):
    """The COPY payload as an asynchronous iterable: asyncpg sends it from the event loop (a file-like
    source would be read in its thread pool, a hop per COPY)."""
    yield payload


async def write_lap(conn: asyncpg.Connection, *, user: User, lap: analysis_pb2.LapAnalysis) -> None:
    """Store or replace a lap's analysis with its braking zones and corners."""
    if not lap.lap_id:
        raise InvalidInputError("lap_id is required")
    if lap.lap_time.ToNanoseconds() < 0:
        raise InvalidInputError(f"lap.lap_time is {lap.lap_time.ToNanoseconds() / 1e9:g} s; a lap time is never negative")
    if lap.end_session_time_s < lap.start_session_time_s:
        raise InvalidInputError("lap.end_session_time_s must not be before lap.start_session_time_s")
    async with conn.transaction():
        state = await session_state(conn, user=user, session_id=lap.session_id)
        if state is None:
            raise NotFoundError(f"session {lap.session_id} is unknown; send the session before its laps")
        lap_time = lap.lap_time.ToNanoseconds() / 1e9 if lap.HasField("lap_time") else None
        lap_pk = await conn.fetchval(
            """
            INSERT INTO laps (lap_id, session_pk, lap_number, lap_time_s, start_session_time_s, end_session_time_s,
                valid, flags, distance_m, max_speed_mps, sample_count, analysis)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
            ON CONFLICT (session_pk, lap_number) DO UPDATE SET lap_id = EXCLUDED.lap_id, lap_time_s = EXCLUDED.lap_time_s,
                start_session_time_s = EXCLUDED.start_session_time_s, end_session_time_s = EXCLUDED.end_session_time_s,
                valid = EXCLUDED.valid, flags = EXCLUDED.flags, distance_m = EXCLUDED.distance_m,
                max_speed_mps = EXCLUDED.max_speed_mps, sample_count = EXCLUDED.sample_count, analysis = EXCLUDED.analysis
            RETURNING lap_pk
            """,
            lap.lap_id, state.session_pk, lap.lap_number, lap_time, lap.start_session_time_s, lap.end_session_time_s,
            lap.valid, [analysis_pb2.LapFlag.Name(f) for f in lap.flags], lap.distance_m, lap.max_speed_mps,
            lap.sample_count, lap.SerializeToString(),
        )
        await conn.execute("DELETE FROM braking_zones WHERE lap_pk = $1", lap_pk)
        await conn.execute("DELETE FROM corners WHERE lap_pk = $1", lap_pk)
        await conn.executemany(
            "INSERT INTO braking_zones VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
            [(lap_pk, z.index, z.brake_point_m, z.end_m, z.entry_speed_mps, z.peak_brake, z.min_speed_mps,
              z.min_speed_dist_m, z.duration_s, z.trail_brake_fraction, z.trail_brake_dist_m, z.corner_number)
             for z in lap.braking_zones],
        )
        await conn.executemany(
            "INSERT INTO corners VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
            [(lap_pk, c.number, c.entry_m, c.apex_m, c.exit_m, c.apex_speed_mps, c.max_lat_g, int(c.direction),
              c.throttle_on_m, c.coasting_m, c.time_in_corner_s) for c in lap.corners],
        )


async def write_report(conn: asyncpg.Connection, *, user: User, report: coaching_pb2.LapReport) -> str:
    """Store or replace a lap's coaching report and its feedback; returns the session id."""
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT l.lap_pk, s.session_id FROM laps l JOIN sessions s USING (session_pk) WHERE l.lap_id = $1 AND s.user_id = $2",
            report.lap_id, user.user_id,
        )
        if row is None:
            raise NotFoundError(f"lap {report.lap_id} is unknown; store the lap before its report")
        lap_pk = row["lap_pk"]
        await conn.execute(
            """
            INSERT INTO lap_reports (lap_pk, score, reference_lap_id, model_version, summary, report)
            VALUES ($1,$2,$3,$4,$5,$6)
            ON CONFLICT (lap_pk) DO UPDATE SET score = EXCLUDED.score, reference_lap_id = EXCLUDED.reference_lap_id,
                model_version = EXCLUDED.model_version, summary = EXCLUDED.summary, report = EXCLUDED.report,
                created_at = now()
            """,
            lap_pk, report.score, report.reference_lap_id, report.model_version, report.summary, report.SerializeToString(),
        )
        await conn.execute("DELETE FROM feedback WHERE lap_pk = $1", lap_pk)
        await conn.executemany(
            "INSERT INTO feedback VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
            [(lap_pk, i, f.corner_number, f.distance_m, int(f.type), int(f.severity), f.delta_value, f.delta_unit,
              f.time_loss_s, f.description) for i, f in enumerate(report.feedback)],
        )
        return row["session_id"]
