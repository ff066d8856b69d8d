"""User-scoped reads: sessions (cursor-paginated), laps, lap telemetry, lap comparisons."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import asyncpg
import numpy as np

from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.common.errors import InvalidInputError, NotFoundError
from racecoach.services.storage import readback
from racecoach.services.storage.identity import User
from racecoach.services.storage.traces import TRACE_CHANNELS, comparison_length_m, lap_length_m, lap_on_grid
from racecoach.storage.v1 import storage_pb2
from racecoach.telemetry.v1 import telemetry_pb2

MAX_PAGE = 500
DEFAULT_PAGE = 50
_SESSION_COLUMNS = (
    "s.session_pk, s.session_id, s.track_id, s.track_name, s.track_display, s.track_layout, s.track_length_m,"
    " s.car_id, s.car_name, s.car_path, s.session_type, s.source, s.source_name, s.driver_name, s.tick_rate_hz,"
    " s.started_at, s.created_at, s.sample_count,"
    " (SELECT count(*) FROM laps l WHERE l.session_pk = s.session_pk) AS lap_count,"
    " (SELECT min(lap_time_s) FROM laps l WHERE l.session_pk = s.session_pk AND l.valid) AS best_lap_s,"
    " coalesce(s.started_at, s.created_at) AS sort_time"
)


def session_message(row: asyncpg.Record) -> telemetry_pb2.Session:
    session = telemetry_pb2.Session(
        session_id=row["session_id"],
        track=telemetry_pb2.Track(
            track_id=row["track_id"], name=row["track_name"], display_name=row["track_display"],
            layout=row["track_layout"], length_m=row["track_length_m"],
        ),
        car=telemetry_pb2.Car(car_id=row["car_id"], name=row["car_name"], path=row["car_path"]),
        session_type=row["session_type"], driver_name=row["driver_name"], tick_rate_hz=row["tick_rate_hz"],
        source=row["source"], source_name=row["source_name"],
    )
    if row["started_at"] is not None:
        session.start_time.FromDatetime(row["started_at"])
    return session


def summary_message(row: asyncpg.Record) -> storage_pb2.SessionSummary:
    summary = storage_pb2.SessionSummary(
        session=session_message(row), lap_count=row["lap_count"], sample_count=row["sample_count"]
    )
    summary.created_time.FromDatetime(row["created_at"])
    if row["best_lap_s"] is not None:
        summary.best_lap_time.FromNanoseconds(round(row["best_lap_s"] * 1e9))
    return summary


def _encode_cursor(sort_time: datetime, session_pk: int) -> str:
    raw = json.dumps([sort_time.isoformat(), session_pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(token: str) -> tuple[datetime, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        when, pk = json.loads(base64.urlsafe_b64decode(padded))
        if not isinstance(when, str) or not isinstance(pk, int) or not 0 <= pk < 2**63:
            raise ValueError("not a cursor")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError("not a cursor")
        return moment, pk
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError):
        raise InvalidInputError("page_token is not one this server issued; start again without it") from None


async def list_sessions(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, request: storage_pb2.ListSessionsRequest
) -> storage_pb2.ListSessionsResponse:
    """The user's sessions, newest first, filtered, one page at a time (keyset pagination)."""
    size = request.page_size or DEFAULT_PAGE
    size = min(size, MAX_PAGE)
    where = ["s.user_id = $1"]
    args: list[object] = [user.user_id]
    if request.track:
        args.append(f"%{request.track.lower()}%")
        where.append(f"(lower(s.track_name) LIKE ${len(args)} OR lower(s.track_display) LIKE ${len(args)})")
    if request.car:
        args.append(f"%{request.car.lower()}%")
        where.append(f"lower(s.car_name) LIKE ${len(args)}")
    if request.HasField("started_after"):
        args.append(request.started_after.ToDatetime(tzinfo=timezone.utc))
        where.append(f"coalesce(s.started_at, s.created_at) >= ${len(args)}")
    if request.HasField("started_before"):
        args.append(request.started_before.ToDatetime(tzinfo=timezone.utc))
        where.append(f"coalesce(s.started_at, s.created_at) < ${len(args)}")
    rows, next_token = await session_page(conn, where=where, args=args, size=size, page_token=request.page_token)
    return storage_pb2.ListSessionsResponse(sessions=[summary_message(r) for r in rows], next_page_token=next_token)


async def session_page(conn: asyncpg.Connection | asyncpg.Pool, *, where: list[str], args: list[object], size: int,
                       page_token: str) -> tuple[list[asyncpg.Record], str]:
    """One page of the sessions ``where`` holds (newest first, keyset pagination after ``page_token``): the rows
    (``_SESSION_COLUMNS``) and the token of the next page ('' after the last)."""
    where, args = list(where), list(args)
    if page_token:
        when, pk = _decode_cursor(page_token)
        args += [when, pk]
        where.append(f"(coalesce(s.started_at, s.created_at), s.session_pk) < (${len(args) - 1}, ${len(args)})")
    args.append(size + 1)
    rows = await conn.fetch(
        f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE {' AND '.join(where)}"
        f" ORDER BY coalesce(s.started_at, s.created_at) DESC, s.session_pk DESC LIMIT ${len(args)}",
        *args,
    )
    if len(rows) <= size:
        return list(rows), ""
    last = rows[size - 1]
    return list(rows[:size]), _encode_cursor(last["sort_time"], last["session_pk"])


async def get_session(conn: asyncpg.Connection | asyncpg.Pool, *, user: User, session_id: str) -> storage_pb2.GetSessionResponse:
    row = await conn.fetchrow(
        f"SELECT {_SESSION_COLUMNS} FROM sessions s WHERE s.session_id = $1 AND s.user_id = $2", session_id, user.user_id
    )
    if row is None:
        raise NotFoundError(f"session {session_id} not found")
    laps = await conn.fetch("SELECT analysis FROM laps WHERE session_pk = $1 ORDER BY lap_number", row["session_pk"])
    return storage_pb2.GetSessionResponse(
        summary=summary_message(row), laps=[analysis_pb2.LapAnalysis.FromString(r["analysis"]) for r in laps]
    )


@dataclass(frozen=True)
class LapRow:
    session_pk: int
    session: telemetry_pb2.Session
    lap: analysis_pb2.LapAnalysis
    report: coaching_pb2.LapReport | None


async def find_lap(conn: asyncpg.Connection | asyncpg.Pool, *, user: User, lap_id: str) -> LapRow:
    row = await conn.fetchrow(
        f"SELECT {_SESSION_COLUMNS}, l.analysis, r.report FROM laps l JOIN sessions s USING (session_pk)"
        " LEFT JOIN lap_reports r ON r.lap_pk = l.lap_pk WHERE l.lap_id = $1 AND s.user_id = $2",
        lap_id, user.user_id,
    )
    if row is None:
        raise NotFoundError(f"lap {lap_id} not found")
    report = coaching_pb2.LapReport.FromString(row["report"]) if row["report"] is not None else None
    return LapRow(
        session_pk=row["session_pk"], session=session_message(row),
        lap=analysis_pb2.LapAnalysis.FromString(row["analysis"]), report=report,
    )


async def get_lap(conn: asyncpg.Connection | asyncpg.Pool, *, user: User, lap_id: str) -> storage_pb2.GetLapResponse:
    found = await find_lap(conn, user=user, lap_id=lap_id)
    response = storage_pb2.GetLapResponse(session=found.session, lap=found.lap)
    if found.report is not None:
        response.report.CopyFrom(found.report)
    return response


async def lap_samples(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, lap_id: str, channels: list[str] | None = None
) -> tuple[LapRow, dict[str, np.ndarray]]:
    """The lap's samples (session time from the start crossing up to the end crossing) as arrays."""
    names = readback.channel_names(channels)
    found = await find_lap(conn, user=user, lap_id=lap_id)
    arrays = await readback.fetch_columns(
        conn, names=names, where="session_pk = $1 AND session_time_s >= $2 AND session_time_s < $3",
        args=(found.session_pk, found.lap.start_session_time_s, found.lap.end_session_time_s),
    )
    return found, arrays


async def session_samples(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, session_id: str, from_session_time_s: float,
    channels: list[str] | None = None,
) -> dict[str, np.ndarray]:
    """The session's samples from ``from_session_time_s`` on (inclusive), e.g. the lap being driven, as arrays."""
    names = readback.channel_names(channels)
    session_pk = await conn.fetchval(
        "SELECT session_pk FROM sessions WHERE session_id = $1 AND user_id = $2", session_id, user.user_id
    )
    if session_pk is None:
        raise NotFoundError(f"session {session_id} not found")
    return await readback.fetch_columns(
        conn, names=names, where="session_pk = $1 AND session_time_s >= $2", args=(session_pk, from_session_time_s)
    )


def lap_trace(*, lap: analysis_pb2.LapAnalysis, arrays: dict[str, np.ndarray], step_m: float, length_m: float) -> storage_pb2.LapTrace:
    """The message of one lap's channels on the comparison grid (:func:`~racecoach.services.storage.traces.lap_on_grid`)."""
    traces = lap_on_grid(arrays=arrays, start_session_time_s=lap.start_session_time_s, length_m=length_m, step_m=step_m)
    trace = storage_pb2.LapTrace(lap=lap)
    for name, values in traces.items():
        getattr(trace, name).extend(values.astype(np.float32).tolist())
    return trace


async def lap_comparison(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, lap_id: str, reference_lap_id: str, step_m: float
) -> storage_pb2.GetLapComparisonResponse:
    step = step_m or 5.0  # any other step is 0.1 to 100 m: the contract's rule, held at the gate (services.common.limits)
    names = ["session_time_s", "lap_dist_m", *TRACE_CHANNELS]
    lap, lap_arrays = await lap_samples(conn, user=user, lap_id=lap_id, channels=names)
    ref, ref_arrays = await lap_samples(conn, user=user, lap_id=reference_lap_id, channels=names)
    if len(lap_arrays.get("session_time_s", [])) < 2 or len(ref_arrays.get("session_time_s", [])) < 2:
        raise NotFoundError("one of the laps has no stored samples")
    length = comparison_length_m(lap_m=lap_length_m(distance_m=lap.lap.distance_m, lap_dist_m=lap_arrays["lap_dist_m"]),
                                 reference_m=lap_length_m(distance_m=ref.lap.distance_m, lap_dist_m=ref_arrays["lap_dist_m"]))
    return storage_pb2.GetLapComparisonResponse(
        step_m=step,
        lap=lap_trace(lap=lap.lap, arrays=lap_arrays, step_m=step, length_m=length),
        reference=lap_trace(lap=ref.lap, arrays=ref_arrays, step_m=step, length_m=length),
    )


async def reference_lap(
    conn: asyncpg.Connection | asyncpg.Pool, *, user: User, lap_id: str, kind: int,
    session: telemetry_pb2.Session | None = None,
) -> analysis_pb2.LapAnalysis | None:
    """The fastest other valid lap of the same session (session best) or of the same track,
    layout and car (personal best, also for a ``session`` not stored yet; laps imported as references are
    not the driver's own and never its personal best); None when there is none."""
    if kind == analysis_pb2.REFERENCE_KIND_LAP:
        raise InvalidInputError("REFERENCE_KIND_LAP names its lap itself; ask for that lap directly")
    if not lap_id:
        if session is None or not session.track.name:
            raise InvalidInputError("lap_id is required (or session, with its track, for a personal best)")
        if kind != analysis_pb2.REFERENCE_KIND_PERSONAL_BEST:
            raise InvalidInputError("a reference for a session (no lap_id) is its personal best: REFERENCE_KIND_PERSONAL_BEST")
        track, car = session.track, session.car.name
    else:
        found = await find_lap(conn, user=user, lap_id=lap_id)
        track, car = found.session.track, found.session.car.name
    if kind == analysis_pb2.REFERENCE_KIND_PERSONAL_BEST:
        row = await conn.fetchrow(
            "SELECT l.analysis FROM laps l JOIN sessions s USING (session_pk) WHERE s.user_id = $1"
            " AND s.track_name = $2 AND s.track_layout = $3 AND s.car_name = $4 AND l.valid"
            " AND l.lap_time_s IS NOT NULL AND l.lap_id <> $5 AND s.source <> $6 ORDER BY l.lap_time_s, l.lap_pk LIMIT 1",
            user.user_id, track.name, track.layout, car, lap_id, telemetry_pb2.SESSION_SOURCE_REFERENCE_IBT,
        )
    else:
        row = await conn.fetchrow(
            "SELECT analysis FROM laps WHERE session_pk = $1 AND valid AND lap_time_s IS NOT NULL AND lap_id <> $2"
            " ORDER BY lap_time_s, lap_pk LIMIT 1",
            found.session_pk, lap_id,
        )
    return analysis_pb2.LapAnalysis.FromString(row["analysis"]) if row else None
