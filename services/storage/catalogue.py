"""Track corner catalogues: one numbering of a layout's corners shared by every lap.

A layout's catalogue is versioned: ``track_catalogues`` holds one row per layout with its version,
``track_corners`` the corners. A write names the version it was built on (``base_version``, 0 when
none was stored yet); inside its transaction the layout's row is locked (``SELECT ... FOR UPDATE``)
and a write on any other base is refused with :class:`StaleVersionError` (ABORTED), so two writers
never silently overwrite each other: the loser reloads, merges and writes again.

Numbers are the catalogue's own: unique and positive, kept by a corner for as long as it is
published (a corner published later gets the next free number, so numbers need not follow apex
order); corners are returned in order of apex along the lap.
"""

from __future__ import annotations

import math

import asyncpg

from racecoach.services.common.errors import InvalidInputError, StaleVersionError
from racecoach.services.common.limits import field_rules, max_len
from racecoach.services.common.logs import get_logger
from racecoach.storage.v1 import storage_pb2

log = get_logger(__name__)

# The contract's rules (buf.validate on PutTrackCornersRequest and TrackCorner), for callers that skip the gate.
_PUT = storage_pb2.PutTrackCornersRequest.DESCRIPTOR.fields_by_name
MAX_CORNERS = field_rules(_PUT["corners"]).repeated.max_items
MAX_NAME_CHARS = max_len(storage_pb2.TrackCorner.DESCRIPTOR.fields_by_name["name"])
MAX_NAME_FIELD = max_len(_PUT["track_name"])


def _check_layout(*, track_name: str, layout: str) -> None:
    if not track_name:
        raise InvalidInputError("track_name is required")
    if len(track_name) > MAX_NAME_FIELD or len(layout) > MAX_NAME_FIELD:
        raise InvalidInputError(f"track_name and layout must be at most {MAX_NAME_FIELD} characters")


async def get_track_corners(conn: asyncpg.Connection | asyncpg.Pool, *, track_name: str,
                            layout: str) -> tuple[list[storage_pb2.TrackCorner], int]:
    """The layout's corners in apex order and the catalogue's version (0 when nothing was stored)."""
    _check_layout(track_name=track_name, layout=layout)
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as one:
            return await get_track_corners(one, track_name=track_name, layout=layout)
    async with conn.transaction(isolation="repeatable_read", readonly=True):  # corners and version of one snapshot
        rows = await conn.fetch(
            "SELECT corner_number, entry_m, apex_m, exit_m, direction, laps_seen, name FROM track_corners"
            " WHERE track_name = $1 AND track_layout = $2 ORDER BY apex_m, corner_number",
            track_name, layout,
        )
        version = await conn.fetchval(
            "SELECT version FROM track_catalogues WHERE track_name = $1 AND track_layout = $2", track_name, layout)
    corners = [
        storage_pb2.TrackCorner(number=r["corner_number"], entry_m=r["entry_m"], apex_m=r["apex_m"], exit_m=r["exit_m"],
                                direction=r["direction"], laps_seen=r["laps_seen"], name=r["name"])
        for r in rows
    ]
    return corners, int(version or 0)


def validate_corners(*, corners: list[storage_pb2.TrackCorner]) -> None:
    """Refuse a catalogue a reader could not trust: numbers unique and positive, finite positions, bounded sizes."""
    if len(corners) > MAX_CORNERS:
        raise InvalidInputError(f"corners: at most {MAX_CORNERS}, got {len(corners)}")
    numbers = [c.number for c in corners]
    if any(n < 1 for n in numbers) or len(set(numbers)) != len(numbers):
        raise InvalidInputError(f"corners: numbers must be unique and at least 1, got {numbers}")
    for c in corners:
        if not all(math.isfinite(x) and x >= 0 for x in (c.entry_m, c.apex_m, c.exit_m)):
            raise InvalidInputError(f"corners[{c.number}]: entry_m, apex_m and exit_m must be finite and not negative")
        if len(c.name) > MAX_NAME_CHARS:
            raise InvalidInputError(f"corners[{c.number}].name: at most {MAX_NAME_CHARS} characters")


async def put_track_corners(conn: asyncpg.Connection, *, track_name: str, layout: str, corners: list[storage_pb2.TrackCorner],
                            base_version: int) -> tuple[int, int]:
    """Replace the catalogue built on ``base_version`` in one transaction; (corners stored, new version).

    Raises :class:`StaleVersionError` when the stored version is not ``base_version``."""
    _check_layout(track_name=track_name, layout=layout)
    validate_corners(corners=corners)
    bound = log.bind(track=track_name, layout=layout, base_version=base_version)
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO track_catalogues (track_name, track_layout, version) VALUES ($1, $2, 0)"
            " ON CONFLICT (track_name, track_layout) DO NOTHING", track_name, layout)
        stored = await conn.fetchval(
            "SELECT version FROM track_catalogues WHERE track_name = $1 AND track_layout = $2 FOR UPDATE", track_name, layout)
        if stored != base_version:
            bound.info("stale corner catalogue refused", stored_version=stored)
            raise StaleVersionError(
                f"corner catalogue of {track_name!r} {layout!r} is at version {stored}, not {base_version}: reload and merge")
        await conn.execute("DELETE FROM track_corners WHERE track_name = $1 AND track_layout = $2", track_name, layout)
        await conn.executemany(
            "INSERT INTO track_corners (track_name, track_layout, corner_number, entry_m, apex_m, exit_m, direction, laps_seen, name)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            [(track_name, layout, c.number, c.entry_m, c.apex_m, c.exit_m, int(c.direction), c.laps_seen or 1, c.name)
             for c in corners],
        )
        version = stored + 1
        await conn.execute(
            "UPDATE track_catalogues SET version = $3, updated_at = now() WHERE track_name = $1 AND track_layout = $2",
            track_name, layout, version)
    bound.info("corner catalogue stored", version=version, corners=len(corners))
    return len(corners), version
