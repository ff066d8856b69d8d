"""Sessions with work left undone: stored samples holding a lap no analysis holds, or laps without a report.

A service killed mid-lap leaves the samples stored (every ack means committed) but the lap in progress never
analysed, or analysed and never scored. This listing says, per session, from which session time the samples must
be analysed again and which laps are already stored; ingest completes them (see services/ingest/completion.py).

A lap missing between two stored laps shows as a gap: the next stored lap starting more than ``GAP_S`` after the
previous one ended. Laps the analysis never makes (a few samples between two crossings, jitter on the line) leave
crossings behind that no lap will hold; such a session is listed again each time, and completing it stores nothing.
"""

from __future__ import annotations

import asyncpg

from racecoach.common.laps import WRAP_HIGH, WRAP_LOW
from racecoach.services.common.errors import NotFoundError
from racecoach.services.storage.identity import User
from racecoach.services.storage.queries import DEFAULT_PAGE, MAX_PAGE, session_message, session_page
from racecoach.storage.v1 import storage_pb2

GAP_S = 1.0  # a stored lap starting this long after the previous one ended leaves a lap out between them

_CROSSINGS = f"""
SELECT count(*) FROM (
    SELECT lap_dist_pct AS pct, lag(lap_dist_pct) OVER (ORDER BY session_time_s) AS before
    FROM telemetry_samples WHERE session_pk = $1 AND session_time_s > $2 AND session_time_s < $3
) s
WHERE s.before > {WRAP_HIGH} AND s.pct < {WRAP_LOW}
"""


async def list_unfinished(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, request: storage_pb2.ListUnfinishedSessionsRequest
) -> storage_pb2.ListUnfinishedSessionsResponse:
    """One page of the user's sessions (newest first), keeping those with work left."""
    size = min(request.page_size or DEFAULT_PAGE, MAX_PAGE)
    where, args = ["s.user_id = $1"], [user.user_id]
    if request.session_id:
        args.append(request.session_id)
        where.append(f"s.session_id = ${len(args)}")
    rows, next_token = await session_page(conn, where=where, args=args, size=size, page_token=request.page_token)
    if request.session_id and not rows:
        raise NotFoundError(f"session {request.session_id} not found")
    response = storage_pb2.ListUnfinishedSessionsResponse(next_page_token=next_token)
    for row in rows:
        found = await unfinished_session(conn, row=row)
        if found is not None:
            response.sessions.append(found)
    return response


async def unfinished_session(conn: asyncpg.Connection | asyncpg.Pool, *, row: asyncpg.Record) -> storage_pb2.UnfinishedSession | None:
    """The session of ``row`` with where its work starts, or None when every lap its samples hold is stored and reported."""
    laps = await conn.fetch(
        "SELECT l.lap_number, l.start_session_time_s AS start_s, l.end_session_time_s AS end_s,"
        " (r.lap_pk IS NOT NULL) AS reported"
        " FROM laps l LEFT JOIN lap_reports r USING (lap_pk) WHERE l.session_pk = $1 ORDER BY l.lap_number",
        row["session_pk"],
    )
    pk, inf = row["session_pk"], float("inf")
    if not laps:
        crossings = await conn.fetchval(_CROSSINGS, pk, -inf, inf)
        if crossings < 2:
            return None
        resume_from, unreported = 0.0, []
    else:
        # Before the first stored lap: a crossing earlier than its own start crossing began a lap left out.
        earlier = await conn.fetchval(_CROSSINGS, pk, -inf, laps[0]["start_s"])
        crossings = await conn.fetchval(_CROSSINGS, pk, laps[-1]["end_s"], inf)
        resume_from = 0.0 if earlier else resume_from_s(laps)
        unreported = [lap["lap_number"] for lap in laps if not lap["reported"]]
        if not earlier and not unreported and not crossings and resume_from == laps[-1]["end_s"]:
            return None
    return storage_pb2.UnfinishedSession(
        session=session_message(row), resume_from_s=resume_from, stored_lap_numbers=[lap["lap_number"] for lap in laps],
        unreported_lap_numbers=unreported, unanalysed_crossings=crossings,
    )


def resume_from_s(laps) -> float:
    """Where the analysis must start again: the start of the first lap without a report, the end of the last lap before
    a gap, else the end of the last lap (0 with none). ``laps`` in lap order, with start_s, end_s and reported."""
    previous_end = None
    for lap in laps:
        if previous_end is not None and lap["start_s"] - previous_end > GAP_S:
            return previous_end
        if not lap["reported"]:
            return lap["start_s"] if previous_end is None else previous_end
        previous_end = lap["end_s"]
    return previous_end if previous_end is not None else 0.0
