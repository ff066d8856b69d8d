"""Track corner catalogues: one numbering of a layout's corners shared by every lap."""

from __future__ import annotations

import asyncpg

from racecoach.services.common.errors import InvalidInputError
from racecoach.storage.v1 import storage_pb2


async def get_track_corners(conn: asyncpg.Connection | asyncpg.Pool, *, track_name: str, layout: str) -> list[storage_pb2.TrackCorner]:
    if not track_name:
        raise InvalidInputError("track_name is required")
    rows = await conn.fetch(
        "SELECT corner_number, entry_m, apex_m, exit_m, direction, laps_seen FROM track_corners"
        " WHERE track_name = $1 AND track_layout = $2 ORDER BY corner_number",
        track_name, layout,
    )
    return [
        storage_pb2.TrackCorner(number=r["corner_number"], entry_m=r["entry_m"], apex_m=r["apex_m"], exit_m=r["exit_m"],
                                direction=r["direction"], laps_seen=r["laps_seen"])
        for r in rows
    ]


async def put_track_corners(conn: asyncpg.Connection, *, track_name: str, layout: str, corners: list[storage_pb2.TrackCorner]) -> int:
    """Replace the catalogue in one transaction; numbers must run 1..N with apexes in lap order."""
    if not track_name:
        raise InvalidInputError("track_name is required")
    numbers = [c.number for c in corners]
    if numbers != list(range(1, len(corners) + 1)):
        raise InvalidInputError(f"corners must be numbered 1..{len(corners)} in order, got {numbers}")
    apexes = [c.apex_m for c in corners]
    if apexes != sorted(apexes):
        raise InvalidInputError("corners must be in order of apex distance along the lap")
    async with conn.transaction():
        await conn.execute("DELETE FROM track_corners WHERE track_name = $1 AND track_layout = $2", track_name, layout)
        await conn.executemany(
            "INSERT INTO track_corners (track_name, track_layout, corner_number, entry_m, apex_m, exit_m, direction, laps_seen)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
            [(track_name, layout, c.number, c.entry_m, c.apex_m, c.exit_m, int(c.direction), c.laps_seen or 1) for c in corners],
        )
    return len(corners)
