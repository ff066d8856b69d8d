"""Corner places: each catalogue corner found, numbered, at the same place on every lap."""

from __future__ import annotations

from racecoach.client.evaluation.places import PLACE_TOLERANCE_M, catalogue_places, corner_places, with_places
from racecoach.client.evaluation.report import format_summary, summarize

from test_eval_judge import make_views


def test_corners_are_counted_found_and_in_place_apart_for_laps_with_and_without_a_mistake():
    views = make_views()  # laps 1 and 3 clean, lap 2 with mistakes, lap 4 not timed; 4 corners each
    clean = corner_places(laps=views)
    assert clean["corners"] == 4
    assert clean["without_mistake"] == {"laps": 2, "pairs": 8, "held": 8, "in_place": 8, "max_off_m": 0.0}
    assert clean["with_mistake"] == {"laps": 1, "pairs": 4, "held": 4, "in_place": 4, "max_off_m": 0.0}

    views = make_views()
    lap2, lap3 = views[1].analysis, views[2].analysis
    del lap2.corners[1]  # the lap with mistakes lost corner 2
    lap3.corners[0].apex_m += PLACE_TOLERANCE_M + 5.0  # a clean lap found corner 1 25 m from where lap 1 did
    moved = corner_places(laps=views)
    # the place is the median over the clean laps (105 and 130: 117.5), so each is 12.5 m off it
    assert moved["without_mistake"] == {"laps": 2, "pairs": 8, "held": 8, "in_place": 8, "max_off_m": 12.5}
    assert moved["with_mistake"]["held"] == 3 and moved["with_mistake"]["in_place"] == 3  # its corner 1, 12.5 m off, is in place
    assert moved["with_mistake"]["max_off_m"] == 12.5
    line = next(l for l in format_summary(summarize(views=views, sessions=1)).splitlines() if l.startswith("corner places"))
    assert "4 corners; on 2 laps without a mistake 100% found, 100% within 20 m (max 12.5 m); on 1 with one 75% found" in line
    lap2.corners[1].apex_m += 30.0  # its corner 3 (after the deletion, the second) slowest 30 m later: found, not in place
    off = corner_places(laps=views)["with_mistake"]
    assert (off["held"], off["in_place"], off["max_off_m"]) == (3, 2, 30.0)


def test_a_remark_is_judged_at_its_corners_place_not_where_this_laps_slowest_point_moved():
    views = make_views()
    lap2 = views[1]
    remark = next(r for r in lap2.report.feedback if r.corner_number and lap2.corner_of(r) is not None)
    truth_corner = lap2.corner_of(remark)
    moved = next(c for c in lap2.analysis.corners if c.number == remark.corner_number)
    moved.apex_m += 45.0  # an overshoot: this lap's slowest point 45 m on, past the 40 m a corner is matched within
    assert lap2.corner_of(remark) != truth_corner  # by this lap's apex alone, the remark names another place
    placed = {v.number: v for v in with_places(views)}
    assert placed[2].corner_of(remark) == truth_corner  # by the corner's place (the clean laps' apex): its own corner
    assert placed[2].places == catalogue_places(laps=views)["Test"]
