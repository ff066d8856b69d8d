"""A session loaded from an .ibt is dated when it was driven (the file's disk header), not when it is imported."""

from __future__ import annotations

import struct
import time

from racecoach.client.source import load_ibt
from racecoach.client.ibt import write_ibt
from telemetry_factories import DATA


def _header_start_date(path) -> int:
    """The disk sub-header's start date, read straight from the bytes (``<q`` at offset 112)."""
    with open(path, "rb") as handle:
        handle.seek(112)
        return struct.unpack("<q", handle.read(8))[0]


def test_a_real_recording_is_dated_when_it_was_driven():
    path = DATA / "sebring_amg-gt4_partial.ibt"
    session, _ = load_ibt(path)
    assert session.start_time.seconds == _header_start_date(path) < time.time() - 86_400


def test_a_header_without_a_plausible_date_falls_back_to_the_import_time(tmp_path):
    from racecoach.client.simulator import simulate_session

    sim = simulate_session(track="Norisring", laps=1)
    path = write_ibt(tmp_path / "undated.ibt", channels=sim.channels, session_info=sim.session_info,
                     tick_rate_hz=sim.tick_rate_hz, lap_count=1, start_date_unix_s=0)
    before = time.time()
    session, _ = load_ibt(path)
    assert _header_start_date(path) == 0
    assert before - 1 <= session.start_time.seconds <= time.time() + 1
