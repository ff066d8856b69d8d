"""The judge's metrics on a hand-made session: truth, analyses and reports built by hand, expected values by hand.

Track of 1,000 m with three truth corners: T1 (apex 100 m, brakes at 50 m), T2 (apex 400 m,
brakes at 330 m) and T3 (a flat kink at 700 m). Analysis numbers its corners differently:
its corner 1 is T1, its corner 2 (apex 550 m) is no truth corner, its corner 3 is T2 and its
corner 4 is T3. Lap 1 is the clean reference, lap 2 has three mistakes, lap 3 is clean.
"""

from __future__ import annotations

import copy

import pytest
from racecoach.analysis.v1 import analysis_pb2
from racecoach.client.evaluation import judge, matching
from racecoach.client.evaluation.report import format_summary, summarize
from racecoach.coaching.v1 import coaching_pb2

FT = coaching_pb2.FeedbackType


def _pass(corner, bp, apex_speed, tp, apex_m):
    return {"corner": corner, "apex_m": apex_m, "apex_speed_mps": apex_speed, "brake_point_m": bp, "throttle_point_m": tp}


CLEAN = [_pass(1, 50.0, 20.0, 130.0, 100.0), _pass(2, 330.0, 15.0, 430.0, 400.0), _pass(3, None, 40.0, 720.0, 700.0)]
LAP2 = [_pass(1, 30.0, 20.0, 130.0, 100.0), _pass(2, 345.0, 14.0, 440.0, 402.0), _pass(3, None, 40.0, 720.0, 700.0)]


def make_truth():
    return {
        "track": {"length_m": 1000.0, "corners": [
            {"corner": 1, "apex_m": 100.0, "brake_point_m": 50.0},
            {"corner": 2, "apex_m": 400.0, "brake_point_m": 330.0},
            {"corner": 3, "apex_m": 700.0, "brake_point_m": None},
        ]},
        "laps": [
            {"lap": 1, "lap_time_s": 60.0, "corners": CLEAN},
            {"lap": 2, "lap_time_s": 60.6, "corners": LAP2},
            {"lap": 3, "lap_time_s": 60.05, "corners": CLEAN},
        ],
        "mistakes": [
            {"lap": 2, "corner": 1, "kind": "brake_early", "at_m": None, "spec": "brake-early:corner=1:metres=20:laps=2",
             "expected_time_cost_s": 0.3},
            {"lap": 2, "corner": 2, "kind": "brake_late", "at_m": None, "spec": "brake-late:corner=2:metres=15:laps=2",
             "expected_time_cost_s": 0.1, "time_cost_s": 0.35},
            {"lap": 2, "corner": None, "kind": "lift", "at_m": 850.0, "spec": "lift:at_m=850:seconds=0.5:laps=2",
             "expected_time_cost_s": 0.1},
        ],
    }


ANALYSIS_CORNERS = [(1, 105.0), (2, 550.0), (3, 410.0), (4, 695.0)]


def analysis(number, *, lap_time_s, zones, valid=True):
    lap = analysis_pb2.LapAnalysis(
        session_id="s", lap_id=f"L{number}", lap_number=number, valid=valid,
        corners=[analysis_pb2.Corner(number=n, apex_m=apex) for n, apex in ANALYSIS_CORNERS],
        braking_zones=[analysis_pb2.BrakingZone(index=i + 1, corner_number=c, brake_point_m=bp) for i, (c, bp) in enumerate(zones)],
    )
    lap.lap_time.FromNanoseconds(round(lap_time_s * 1e9))
    return lap


def remark(type_name, corner, *, loss=0.0, distance=0.0):
    return coaching_pb2.Feedback(type=FT.Value(f"FEEDBACK_TYPE_{type_name}"), corner_number=corner, time_loss_s=loss,
                                 distance_m=distance, description="x", delta_unit="m")


LAP2_REMARKS = [
    remark("BRAKE_LATE", 3, loss=0.25),           # T2, right: the costliest mistake (time_cost_s 0.35)
    remark("BRAKE_EARLY", 1, loss=0.2),           # T1, right
    remark("LIFT", 0, loss=0.12, distance=900),   # 50 m from the lift at 850 m: right
    remark("LOW_APEX_SPEED", 4, loss=0.1),        # T3: apex speed as the reference's -> wrong and harmful
    remark("STRENGTH", 1, loss=-0.1),             # praise: not a problem remark
    remark("LATE_THROTTLE", 2, loss=0.1),         # analysis corner 2 is no truth corner -> unmapped
    remark("BRAKE_EARLY", 3, loss=0.05),          # T2 was braked late -> wrong and harmful
]


def make_views(*, lap2_remarks=LAP2_REMARKS, truth=None):
    truth = truth or make_truth()
    laps = [
        (analysis(1, lap_time_s=60.0, zones=[(1, 50.5), (3, 331.0)]), coaching_pb2.LapReport(lap_number=1)),
        (analysis(2, lap_time_s=60.61, zones=[(1, 32.0), (3, 300.0), (3, 350.0)]),
         coaching_pb2.LapReport(lap_number=2, reference_lap_id="L1", feedback=lap2_remarks)),
        (analysis(3, lap_time_s=60.05, zones=[(1, 49.0), (3, 330.0)]),
         coaching_pb2.LapReport(lap_number=3, reference_lap_id="L1", feedback=[remark("COASTING", 1, loss=0.05)])),
        (analysis(4, lap_time_s=61.0, zones=[]), coaching_pb2.LapReport(lap_number=4, reference_lap_id="L1")),  # not timed
    ]
    return judge.lap_views(session="Test s1", truth=truth, laps=laps)


def test_distances_wrap_at_the_line():
    assert matching.lap_distance(990.0, 10.0, length_m=1000.0) == pytest.approx(-20.0)
    assert matching.lap_distance(10.0, 990.0, length_m=1000.0) == pytest.approx(20.0)
    corners = [{"corner": 1, "apex_m": 10.0}, {"corner": 2, "apex_m": 500.0}]
    assert matching.nearest_truth_corner(apex_m=985.0, truth_corners=corners, length_m=1000.0) == 1
    assert matching.nearest_truth_corner(apex_m=950.0, truth_corners=corners, length_m=1000.0) is None
    assert matching.straight_owner(at_m=5.0, truth_corners=corners, length_m=1000.0) == 2
    assert matching.straight_owner(at_m=600.0, truth_corners=corners, length_m=1000.0) == 2
    assert matching.straight_owner(at_m=20.0, truth_corners=corners, length_m=1000.0) == 1


def test_only_timed_valid_laps_with_a_reference_are_judged():
    views = make_views()
    assert [v.number for v in views] == [1, 2, 3]
    assert [judge.is_judged(v) for v in views] == [False, True, True]
    invalid = judge.lap_views(session="x", truth=make_truth(), laps=[
        (analysis(2, lap_time_s=60.6, zones=[], valid=False), coaching_pb2.LapReport(reference_lap_id="L1"))])
    assert not judge.is_judged(invalid[0])


def test_remarks_map_through_the_analysis_corner_to_the_truth_corner():
    view = make_views()[1]
    assert [view.corner_of(r) for r in LAP2_REMARKS] == [2, 1, None, 3, 1, None, 2]
    assert len(matching.problem_remarks(view.report)) == 6  # the STRENGTH remark is not a problem


def test_recall_precision_and_cost_error_per_kind():
    stats = judge.detection(laps=make_views())
    got = {k: (s.instances, s.found, s.remarks, s.correct) for k, s in stats.items()}
    assert got == {
        "brake_early": (1, 1, 2, 1), "brake_late": (1, 1, 1, 1), "lift": (1, 1, 1, 1),
        "low_apex_speed": (0, 0, 1, 0), "late_throttle": (0, 0, 1, 0), "coasting": (0, 0, 1, 0),
    }
    assert stats["brake_early"].precision == 0.5 and stats["brake_late"].recall == 1.0
    assert stats["coasting"].recall is None and stats["coasting"].precision == 0.0
    assert stats["brake_early"].cost_errors_s == [pytest.approx(0.1)]      # |0.2 - expected 0.3|
    assert stats["brake_late"].cost_errors_s == [pytest.approx(0.1)]       # |0.25 - time_cost_s 0.35|
    assert stats["lift"].cost_errors_s == [pytest.approx(0.02)]
    assert [w["remark"].split(",")[0] for w in stats["brake_early"].wrong] == ["brake_early T3 (truth T2)"]
    assert all(not s.missed for s in stats.values())
    stats = judge.detection(laps=make_views(lap2_remarks=LAP2_REMARKS[1:]))
    assert stats["brake_late"].missed == [{"lap": "Test s1 lap 2", "truth": "brake-late:corner=2:metres=15:laps=2 (0.35 s)",
                                           "cost_s": 0.35}]


def test_lift_matches_by_distance_or_by_the_straight_it_is_on():
    view = make_views()[1]
    lift = view.mistakes[2]
    assert view.names(remark("LIFT", 0, distance=999.0), lift)          # 149 m after 850 m
    assert not view.names(remark("LIFT", 0, distance=1.0), lift)        # 151 m after it
    assert view.names(remark("LIFT", 4, distance=1.0), lift)            # names T3, whose straight holds 850 m
    assert not view.names(remark("LIFT", 1, distance=300.0), lift)
    assert not view.names(remark("COASTING", 0, distance=850.0), lift)  # right place, wrong cause
    spanned = {**lift, "start_m": 600.0, "end_m": 960.0}
    assert view.names(remark("LIFT", 0, distance=620.0), spanned)


def test_top_advice_uses_the_true_cost_and_lists_silent_laps():
    views = make_views()
    refs = judge.reference_index(views)
    advice = judge.top_advice(laps=views, references=refs)
    assert (advice.laps, advice.correct, advice.share) == (1, 1, 1.0)  # lap 3 lost only 0.05 s
    # without time_cost_s the costliest mistake is the early braking at T1, which the report put second
    truth = make_truth()
    del truth["mistakes"][1]["time_cost_s"]
    views = make_views(truth=truth)
    advice = judge.top_advice(laps=views, references=judge.reference_index(views))
    assert (advice.laps, advice.correct) == (1, 0)
    assert advice.misses[0]["lap"] == "Test s1 lap 2" and advice.misses[0]["lost_s"] == pytest.approx(0.61)
    assert "brake-early:corner=1" in advice.misses[0]["truth"] and advice.misses[0]["first_remark"].startswith("brake_late T3 (truth T2)")
    views = make_views(lap2_remarks=[remark("STRENGTH", 1)])
    advice = judge.top_advice(laps=views, references=judge.reference_index(views))
    assert (advice.laps, advice.correct, advice.silent) == (1, 0, ["Test s1 lap 2 (+0.61 s)"])
    # a reference that is not among the run's laps: the lap cannot be placed
    advice = judge.top_advice(laps=views, references={})
    assert advice.laps == 0 and advice.unknown_reference == 2
    # a lap that lost time without an injected mistake is listed, after those with one, and not scored
    truth = make_truth()
    truth["laps"][2]["lap_time_s"] = 60.3
    laps = [(v.analysis, v.report) for v in make_views(lap2_remarks=[])]
    laps[2][0].lap_time.FromNanoseconds(round(60.3e9))
    del laps[2][1].feedback[:]
    views = judge.lap_views(session="Test s1", truth=truth, laps=laps)
    advice = judge.top_advice(laps=views, references=judge.reference_index(views))
    assert advice.silent == ["Test s1 lap 2 (+0.61 s)", "Test s1 lap 3 (+0.30 s, no mistake)"]
    assert advice.without_mistake == ["Test s1 lap 3 (+0.30 s)"] and advice.laps == 1


def test_harmful_remarks_contradict_the_truth():
    views = make_views()
    harmful = judge.harmful_remarks(laps=views, references=judge.reference_index(views))
    assert [h["remark"].split(",")[0] for h in harmful] == ["low_apex_speed T4 (truth T3)", "brake_early T3 (truth T2)"]
    assert "brake-late" in harmful[1]["why"]
    view, ref = views[1], views[0]
    assert judge.harm_reason(view=view, remark=remark("BRAKE_LATE", 1), reference=ref)       # braked 20 m earlier
    assert judge.harm_reason(view=view, remark=remark("LATE_THROTTLE", 1), reference=ref)    # same throttle point
    assert judge.harm_reason(view=view, remark=remark("LATE_THROTTLE", 3), reference=ref) is None  # 10 m later
    assert judge.harm_reason(view=view, remark=remark("LOW_APEX_SPEED", 3), reference=ref) is None  # 3.6 km/h slower
    assert judge.harm_reason(view=view, remark=remark("COASTING", 1), reference=ref) is None
    # naming the lap's injected mistake is never harmful, whatever the pass measured on the trace says
    truth = make_truth()
    truth["laps"][1]["corners"] = [dict(LAP2[0], brake_point_m=50.0), *LAP2[1:]]
    views = make_views(truth=truth)
    assert judge.harm_reason(view=views[1], remark=remark("BRAKE_EARLY", 1), reference=views[0]) is None
    clean = views[2]  # lap 3 has no mistake: the same advice there contradicts the truth
    assert "+0.0 m" in judge.harm_reason(view=clean, remark=remark("BRAKE_EARLY", 1), reference=views[0])


def test_unmapped_and_false_alarms():
    views = make_views()
    unmapped = judge.unmapped_remarks(laps=views)
    assert [u["remark"].split(",")[0] for u in unmapped] == ["late_throttle T2"]
    alarms = judge.false_alarms(laps=views)
    assert [(a["lap"], a["remark"].split(",")[0]) for a in alarms] == [("Test s1 lap 3", "coasting T1")]


def test_brake_point_error_takes_the_last_zone_into_the_corner():
    errors, total = judge.brake_point_errors(laps=make_views())
    assert total == 4  # T1 and T2 on laps 2 and 3
    assert errors == [pytest.approx(2.0), pytest.approx(5.0), pytest.approx(1.0), pytest.approx(0.0)]


def test_lap_time_error_over_every_timed_lap():
    assert judge.lap_time_errors(laps=make_views()) == [pytest.approx(0.0), pytest.approx(0.01), pytest.approx(0.0)]


def test_summary_gathers_every_metric():
    summary = summarize(views=make_views(), sessions=1)
    assert summary["judged_laps"] == 2 and summary["timed_laps"] == 3
    assert summary["recall"] == 1.0 and summary["precision"] == pytest.approx(3 / 7, abs=1e-4)
    assert summary["top_advice"]["share"] == 1.0
    assert (len(summary["harmful"]), len(summary["unmapped"]), len(summary["false_alarms"])) == (2, 1, 1)
    assert summary["brake_point_error_m"] == {"median": 1.5, "p95": pytest.approx(4.55), "max": 5.0, "count": 4,
                                              "braking_corners": 4}
    assert summary["kinds"]["brake_late"]["time_cost_mae_s"] == pytest.approx(0.1)
    text = format_summary(copy.deepcopy(summary))
    assert "brake-early" in text and "harmful remarks   2" in text and "unmapped remarks  1" in text
    assert "missed" not in text  # every injected mistake was named


def _negligible_view(cost_s):
    truth = make_truth()
    truth["mistakes"] = [{"lap": 2, "corner": 1, "kind": "coasting", "at_m": None, "time_cost_s": cost_s,
                          "spec": "coasting:corner=1:metres=60:laps=2", "expected_time_cost_s": cost_s}]
    return make_views(lap2_remarks=[], truth=truth)


def test_a_mistake_that_cost_nothing_is_counted_apart_not_in_recall():
    stats = judge.detection(laps=_negligible_view(judge.NEGLIGIBLE_COST_S / 2))["coasting"]
    assert (stats.instances, stats.negligible, stats.found) == (0, 1, 0)
    stats = judge.detection(laps=_negligible_view(0.2))["coasting"]
    assert (stats.instances, stats.negligible, stats.found) == (1, 0, 0)


def test_a_remark_the_truth_bears_out_without_an_injected_mistake_is_counted_apart():
    truth = make_truth()
    truth["mistakes"] = []  # lap 2 as driven (T1 braked 20 m early, T2 1 km/h slower) with nothing injected
    views = make_views(lap2_remarks=[remark("BRAKE_EARLY", 1, loss=0.2), remark("LOW_APEX_SPEED", 3, loss=0.1),
                                     remark("LATE_THROTTLE", 4, loss=0.1)], truth=truth)
    stats = judge.detection(laps=views, references=judge.reference_index(views))
    early, slow, late = stats["brake_early"], stats["low_apex_speed"], stats["late_throttle"]
    assert (early.correct, early.supported, early.precision, early.precision_supported) == (0, 1, 0.0, 1.0)
    assert (slow.supported, len(slow.wrong)) == (1, 0)      # 14 against 15 m/s: 3.6 km/h slower
    assert (late.supported, len(late.wrong)) == (0, 1)      # T3's throttle point is the reference's: not borne out
    assert judge.detection(laps=views)["brake_early"].supported == 0  # without the references nothing is looked up


def test_braking_advice_is_judged_by_where_braking_starts_and_by_its_last_application():
    # lap 3 has no mistake; at T1 the reference braked firmly from 50 m and touched the brake again at 90 m (its
    # last application), lap 3 braked once, from 58 m: 8 m later, though its last application is 32 m earlier
    truth = make_truth()
    truth["laps"][0]["corners"] = [dict(CLEAN[0], brake_point_m=90.0, braking_start_m=50.0), *CLEAN[1:]]
    truth["laps"][2]["corners"] = [dict(CLEAN[0], brake_point_m=58.0, braking_start_m=58.0), *CLEAN[1:]]
    views = make_views(truth=truth)
    clean, reference = views[2], views[0]
    assert judge.harm_reason(view=clean, remark=remark("BRAKE_LATE", 1), reference=reference) is None
    assert judge.truth_supports(view=clean, remark=remark("BRAKE_LATE", 1), reference=reference)
    # braking earlier it did by its last application only: advice to brake later is borne out, not harmful
    assert judge.harm_reason(view=clean, remark=remark("BRAKE_EARLY", 1), reference=reference) is None
    # where both measures agree the lap braked later, advice to brake later still contradicts the truth
    truth["laps"][2]["corners"] = [dict(CLEAN[0], brake_point_m=95.0, braking_start_m=58.0), *CLEAN[1:]]
    clean, reference = make_views(truth=truth)[2], make_views(truth=truth)[0]
    why = judge.harm_reason(view=clean, remark=remark("BRAKE_EARLY", 1), reference=reference)
    assert why is not None and "braking start +8.0 m" in why and "brake point +5.0 m" in why
