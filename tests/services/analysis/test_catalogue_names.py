"""Official turn names: the data file, matching by position, and names on laps of simulated sessions."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from racecoach.client.simulator import available_tracks, ideal_corners, load_track, simulate_session
from racecoach.client.source import canonical_arrays
from racecoach.services.analysis.corner_names import name_corners, reference_for, turn_label
from racecoach.services.analysis.stream import StreamAnalyzer
from racecoach.telemetry.v1 import telemetry_pb2

LEFT, RIGHT = 1, 2


def test_the_data_file_ships_with_the_package_and_covers_every_simulator_track():
    text = (resources.files("racecoach.services.analysis") / "data" / "corner_names.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    assert {t["track"] for t in doc["tracks"]} == set(available_tracks())
    for track in doc["tracks"]:
        fractions = [t["apex_fraction"] for t in track["turns"]]
        assert fractions == sorted(fractions) and all(0 < f < 1 for f in fractions)
        assert all(("turn" in t) or ("name" in t) for t in track["turns"])
        numbers = [t["turn"] for t in track["turns"] if "turn" in t]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_labels():
    assert turn_label(turn=3, name="Remus") == "Remus (T3)"
    assert turn_label(turn=5, name=None) == "T5"
    assert turn_label(turn=None, name="Druids") == "Druids"


def test_track_names_match_ignoring_case_and_punctuation_and_layout_matters():
    assert reference_for(track_name="spielberg", layout="Grand Prix") is reference_for(track_name="Red Bull Ring", layout="")
    assert reference_for(track_name="Spa-Francorchamps", layout="") is not None
    assert reference_for(track_name="brandshatch", layout="Indy") is None
    assert reference_for(track_name="nowhere", layout="") is None


def test_corners_are_named_by_position_and_direction():
    track = load_track("Spielberg")
    ideal = ideal_corners(track="Spielberg")
    apexes = [c.peak_m + 12.0 for c in ideal]
    directions = [LEFT if c.direction == "left" else RIGHT for c in ideal]
    names = name_corners(track_name="Spielberg", layout="", apexes_m=apexes, directions=directions, length_m=track.length_m)
    assert names[0] == "Niki Lauda Kurve (T1)" and names[1] == "Remus (T3)" and names[2] == "Schlossgold (T4)"
    assert names[3] == ""  # a flat kink the file does not list
    assert name_corners(track_name="Spielberg", layout="", apexes_m=[apexes[0]], directions=[LEFT]) == [""]  # wrong way
    assert name_corners(track_name="elsewhere", layout="", apexes_m=[100.0], directions=[RIGHT]) == [""]


@pytest.mark.parametrize("track", ["Spielberg", "Monza"])
def test_laps_of_a_simulated_session_carry_the_official_names(track):
    sim = simulate_session(track=track, laps=3)
    arrays = canonical_arrays(sim.channels)
    session = telemetry_pb2.Session(session_id=f"names-{track}", track=telemetry_pb2.Track(name=track, length_m=sim.track.length_m))
    analyzer = StreamAnalyzer(session=session)
    events = []
    n = len(arrays["session_time_s"])
    for seq, start in enumerate(range(0, n, 600), start=1):
        events += analyzer.feed({k: a[start : start + 600] for k, a in arrays.items()}, seq=seq)
    laps = [e.lap for e in events if e.lap.valid]
    assert len(laps) >= 3
    named = {c.name for c in laps[-1].corners if c.name}
    want = {"Spielberg": {"Niki Lauda Kurve (T1)", "Remus (T3)", "Rindt (T9)"},
            "Monza": {"Variante del Rettifilo (T2)", "Lesmo 1 (T6)", "Parabolica (T11)"}}[track]
    assert want <= named
    # the same name is the same number on every lap, lap 1 (numbered before anything was published) included
    by_name = [{c.name: c.number for c in lap.corners if c.name} for lap in laps]
    assert all(b == by_name[-1] for b in by_name)
    assert {c.name for c in analyzer.catalogue.corners if c.name} >= want
