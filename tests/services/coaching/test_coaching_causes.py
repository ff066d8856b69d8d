"""Causes booked by phase: each remark carries its own cause's time, the next corner is not blamed."""

from __future__ import annotations

import pytest
from racecoach.analysis.v1 import analysis_pb2
from racecoach.coaching.v1 import coaching_pb2
from racecoach.services.coaching import rules

from .factories import reference_lap

FT = coaching_pb2.FeedbackType
PH = analysis_pb2.CornerPhase

# the measures analysis takes of each reference corner: onset, full throttle
MEASURES = {1: (426.0, 540.0), 2: (1200.0, 1290.0), 3: (2700.0, 2810.0)}


def measured(lap: analysis_pb2.LapAnalysis, changes: dict[int, dict[str, float]] | None = None) -> analysis_pb2.LapAnalysis:
    for corner in lap.corners:
        onset, full = MEASURES[corner.number]
        corner.braked, corner.brake_onset_m, corner.full_throttle_m = True, onset, full
        corner.entry_speed_mps = 60.0
        for name, value in (changes or {}).get(corner.number, {}).items():
            if name == "kmh":
                corner.apex_speed_mps = value / 3.6
            else:
                setattr(corner, name, value)
    return lap


def phases(losses: dict[tuple[int, int], float]) -> list[analysis_pb2.PhaseDelta]:
    """Phase deltas along the lap, every phase of every corner, with ``losses`` keyed (corner, phase)."""
    out = [analysis_pb2.PhaseDelta(corner_number=0, phase=PH.CORNER_PHASE_STRAIGHT, time_loss_s=losses.get((0, 0), 0.0))]
    for n in (1, 2, 3):
        for phase in (PH.CORNER_PHASE_APPROACH, PH.CORNER_PHASE_BRAKING, PH.CORNER_PHASE_ENTRY, PH.CORNER_PHASE_APEX,
                      PH.CORNER_PHASE_EXIT, PH.CORNER_PHASE_STRAIGHT):
            out.append(analysis_pb2.PhaseDelta(corner_number=n, phase=phase, time_loss_s=losses.get((n, phase), 0.0)))
    return out


def feedback(changes, losses, **lap_fields):
    reference = measured(reference_lap())
    lap = measured(reference_lap(lap_number=3), changes)
    for name, value in lap_fields.items():
        getattr(lap, name).extend(value) if isinstance(value, list) else setattr(lap, name, value)
    return rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=phases(losses))


def test_late_throttle_loss_carried_down_the_straight_stays_with_its_corner():
    items = feedback({1: {"full_throttle_m": 600.0}},
                     {(1, PH.CORNER_PHASE_EXIT): 0.25, (1, PH.CORNER_PHASE_STRAIGHT): 0.15, (2, PH.CORNER_PHASE_BRAKING): 0.01})
    (item,) = items
    assert (item.type, item.corner_number, item.phase) == (FT.FEEDBACK_TYPE_LATE_THROTTLE, 1, PH.CORNER_PHASE_EXIT)
    assert item.time_loss_s == pytest.approx(0.40)
    assert item.delta_value == pytest.approx(60.0)
    assert "0.40 s" in item.description


def test_braking_late_is_an_overshoot_booked_over_the_whole_corner():
    items = feedback({2: {"brake_onset_m": 1215.0, "kmh": 114.0}},
                     {(2, PH.CORNER_PHASE_BRAKING): -0.1, (2, PH.CORNER_PHASE_ENTRY): -0.05, (2, PH.CORNER_PHASE_APEX): 0.1,
                      (2, PH.CORNER_PHASE_EXIT): 0.1, (2, PH.CORNER_PHASE_STRAIGHT): 0.3})
    (item,) = items  # one remark: not also "low minimum speed", and never a strength for the braking gain
    assert (item.type, item.corner_number) == (FT.FEEDBACK_TYPE_BRAKE_LATE, 2)
    assert item.time_loss_s == pytest.approx(0.35)
    assert item.corner_loss_s == pytest.approx(0.35)


def test_each_cause_has_its_own_share():
    items = feedback({1: {"brake_onset_m": 406.0}, 3: {"approach_coasting_m": 40.0, "approach_coasting_start_m": 2660.0}},
                     {(1, PH.CORNER_PHASE_BRAKING): 0.2, (1, PH.CORNER_PHASE_ENTRY): 0.05, (1, PH.CORNER_PHASE_STRAIGHT): 0.02,
                      (3, PH.CORNER_PHASE_APPROACH): 0.03})
    got = [(f.corner_number, f.type, round(f.time_loss_s, 3)) for f in items]
    assert got == [(1, FT.FEEDBACK_TYPE_BRAKE_EARLY, 0.25), (3, FT.FEEDBACK_TYPE_COASTING, 0.03)]  # the braking and entry


def test_a_corner_gaining_time_is_praised_once_and_never_also_criticised():
    items = feedback({1: {"brake_onset_m": 440.0}, 2: {"brake_onset_m": 1180.0}},
                     {(1, PH.CORNER_PHASE_BRAKING): -0.12, (2, PH.CORNER_PHASE_BRAKING): 0.3, (2, PH.CORNER_PHASE_EXIT): -0.1})
    kinds = {(f.corner_number, f.type): f for f in items}
    assert (1, FT.FEEDBACK_TYPE_STRENGTH) in kinds
    assert (2, FT.FEEDBACK_TYPE_STRENGTH) not in kinds
    # the early brake cost 0.3 s in the braking, but the corner as a whole lost 0.2 s: that is its share
    assert kinds[(2, FT.FEEDBACK_TYPE_BRAKE_EARLY)].time_loss_s == pytest.approx(0.2)


def test_braking_earlier_than_a_reference_that_overshot_is_no_fault_when_the_corner_gained():
    items = feedback({2: {"brake_onset_m": 1180.0}},
                     {(2, PH.CORNER_PHASE_BRAKING): 0.3, (2, PH.CORNER_PHASE_EXIT): -0.4})
    assert [(f.corner_number, f.type) for f in items] == [(2, FT.FEEDBACK_TYPE_STRENGTH)]


def test_an_incident_lap_gets_a_note_and_no_corner_coaching():
    flags = [analysis_pb2.LAP_FLAG_SPIN]
    items = feedback({1: {"brake_onset_m": 380.0}}, {(1, PH.CORNER_PHASE_BRAKING): 2.0}, flags=flags, valid=False)
    assert [f.type for f in items] == [FT.FEEDBACK_TYPE_INCIDENT]
    lap = measured(reference_lap(lap_number=3))
    lap.flags.extend(flags)
    assert "spin" in rules.lap_note(lap)
    out_lap = measured(reference_lap(lap_number=0))
    out_lap.flags.append(analysis_pb2.LAP_FLAG_OUT_LAP)
    assert rules.lap_note(out_lap) == "Lap 0 is an out-lap: no corner coaching."
    assert rules.lap_feedback(lap=out_lap, reference=reference_lap(), corner_deltas=[], phase_deltas=phases({})) == []


def test_more_speed_into_a_corner_the_reference_braked_for_but_this_lap_did_not_is_no_late_braking():
    reference = measured(reference_lap())
    lap = measured(reference_lap(lap_number=3), {2: {"kmh": 110.0}})
    lap.corners[1].braked = False
    lap.corners[1].entry_speed_mps = 70.0  # faster in, yet never braked: no brake point to compare
    del lap.braking_zones[1]
    items = rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[],
                               phase_deltas=phases({(2, PH.CORNER_PHASE_APEX): 0.2}))
    assert [(f.corner_number, f.type) for f in items] == [(2, FT.FEEDBACK_TYPE_LOW_APEX_SPEED)]


def test_a_lap_that_lost_time_with_no_cause_says_where_it_went():
    reference = measured(reference_lap())
    lap = measured(reference_lap(lap_number=3))
    deltas = phases({(2, PH.CORNER_PHASE_EXIT): 0.21, (3, PH.CORNER_PHASE_APEX): 0.04})
    assert rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=deltas) == []
    text = rules.summary(lap=lap, reference=reference, lap_delta_s=0.25, feedback=[], phase_deltas=deltas)
    assert "no single cause stands out, most time went in the exit of Turn 2 (0.21 s" in text
    quiet = phases({(2, PH.CORNER_PHASE_EXIT): 0.02})
    assert rules.summary(lap=lap, reference=reference, lap_delta_s=0.02, feedback=[], phase_deltas=quiet).endswith(
        "nothing to correct against it.")


def _with_release(lap: analysis_pb2.LapAnalysis, releases: dict[int, float]) -> analysis_pb2.LapAnalysis:
    for corner in lap.corners:
        corner.brake_release_m = releases.get(corner.number, corner.brake_onset_m + 40.0)
    return lap


def test_braking_later_but_done_sooner_for_a_lower_minimum_speed_is_slowing_more_not_an_overshoot():
    reference = _with_release(measured(reference_lap()), {})  # corner 2: onset 1200, released at 1240
    losses = phases({(2, PH.CORNER_PHASE_APEX): 0.2, (2, PH.CORNER_PHASE_EXIT): 0.1})
    # 8 m later on the brakes, released 8 m sooner, a 7 km/h lower minimum speed, full throttle at the same place
    lap = _with_release(measured(reference_lap(lap_number=3), {2: {"brake_onset_m": 1208.0, "kmh": 113.0}}), {2: 1232.0})
    (item,) = rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=losses)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_LOW_APEX_SPEED)
    # braking on past the reference's release with the same later onset: arriving too fast, an overshoot
    overshoot = _with_release(measured(reference_lap(lap_number=3), {2: {"brake_onset_m": 1208.0, "kmh": 113.0}}), {2: 1250.0})
    (item,) = rules.lap_feedback(lap=overshoot, reference=reference, corner_deltas=[], phase_deltas=losses)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_BRAKE_LATE)
    # released sooner but back on full throttle 20 m later: still an overshoot
    late_out = _with_release(measured(reference_lap(lap_number=3), {2: {"brake_onset_m": 1208.0, "kmh": 113.0,
                                                                        "full_throttle_m": 1310.0}}), {2: 1232.0})
    (item,) = rules.lap_feedback(lap=late_out, reference=reference, corner_deltas=[], phase_deltas=losses)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_BRAKE_LATE)


def test_a_lower_minimum_speed_after_braking_hard_is_the_corners_own_even_when_the_car_came_in_slower():
    reference = measured(reference_lap())  # corner 2: 216 km/h at the onset, 120 km/h at the apex
    losses = phases({(2, PH.CORNER_PHASE_APEX): 0.2})
    # 17 km/h slower at the brake point (a slow exit before), braked down to 8 km/h under the reference's minimum
    lap = measured(reference_lap(lap_number=3), {2: {"entry_speed_mps": 60.0 - 17.0 / 3.6, "kmh": 112.0}})
    (item,) = rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=losses)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_LOW_APEX_SPEED)
    # a corner hardly braked for (5 km/h taken off): the speed it lacked came in with it, no remark on the corner
    lap = measured(reference_lap(lap_number=3), {2: {"entry_speed_mps": 117.0 / 3.6, "kmh": 112.0}})
    assert rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=losses) == []


def test_never_back_to_full_throttle_before_the_next_corner_is_a_late_throttle_where_the_reference_was_flat():
    reference = measured(reference_lap())  # corner 2: flat out from 1290 m; corner 3 braked from 2700 m
    losses = phases({(2, PH.CORNER_PHASE_EXIT): 0.3, (2, PH.CORNER_PHASE_STRAIGHT): 0.1})
    lap = measured(reference_lap(lap_number=3), {2: {"full_throttle_m": 0.0, "throttle_on_m": 0.0}, 3: {"brake_onset_m": 2690.0}})
    items = [f for f in rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=losses)
             if f.corner_number == 2]
    (item,) = items
    assert (item.type, item.phase) == (FT.FEEDBACK_TYPE_LATE_THROTTLE, PH.CORNER_PHASE_EXIT)
    assert item.time_loss_s == pytest.approx(0.4)
    assert "did not get back to full throttle before slowing again at 2690 m" in item.description
    assert "flat out from 1290 m" in item.description
    # where the reference was not flat out between the two corners either, there is nothing to say about it
    reference.corners[1].full_throttle_m = reference.corners[1].throttle_on_m = 0.0
    assert [f for f in rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=losses)
            if f.corner_number == 2] == []


def test_each_remark_carries_the_measures_that_decided_its_cause_and_its_phases_losses():
    losses = {(1, PH.CORNER_PHASE_BRAKING): 0.12, (1, PH.CORNER_PHASE_ENTRY): 0.03, (1, PH.CORNER_PHASE_APEX): 0.02,
              (1, PH.CORNER_PHASE_EXIT): 0.05}
    (item,) = feedback({1: {"brake_onset_m": 400.0}}, losses)  # braked 26 m before the reference's 426 m
    assert item.type == FT.FEEDBACK_TYPE_BRAKE_EARLY
    got = [(e.name, round(e.value, 3), round(e.reference_value, 3), e.unit) for e in item.evidence]
    assert got == [("brake_onset_m", 400.0, 426.0, "m"), ("min_speed_kmh", 97.5, 97.5, "km/h"),
                   ("loss_braking_s", 0.12, 0.0, "s"), ("loss_entry_s", 0.03, 0.0, "s"), ("loss_apex_s", 0.02, 0.0, "s")]
    # the phases' losses are the remark's time, and the exit (not braking early's) is not among them
    assert sum(e.value for e in item.evidence if e.unit == "s") == pytest.approx(item.time_loss_s)
    (late,) = feedback({2: {"full_throttle_m": 1330.0}}, {(2, PH.CORNER_PHASE_EXIT): 0.2, (2, PH.CORNER_PHASE_STRAIGHT): 0.1})
    assert [e.name for e in late.evidence] == ["full_throttle_m", "min_speed_kmh", "loss_exit_s", "loss_straight_s"]
    assert (late.evidence[0].value, late.evidence[0].reference_value) == (1330.0, 1290.0)


def test_a_lift_after_a_kink_taken_flat_stays_a_lift_and_one_at_its_apex_is_a_late_throttle_there():
    from racecoach.services.coaching.causes import corner_findings

    def lap_with_kink(*, full_m: float, lift_start_m: float, apex_mps: float = 54.0) -> analysis_pb2.LapAnalysis:
        lap = measured(reference_lap(lap_number=3))
        kink = analysis_pb2.Corner(number=4, entry_m=1900.0, apex_m=1972.0, exit_m=1990.0, apex_speed_mps=apex_mps,
                                   full_throttle_m=full_m, entry_speed_mps=54.0)
        lap.corners.append(kink)
        lap.corners[1].lift_m, lap.corners[1].lift_start_m = 25.0, lift_start_m  # on corner 2's straight
        return lap

    reference = lap_with_kink(full_m=1972.0, lift_start_m=0.0)
    reference.corners[1].lift_m = 0.0
    flat_then_lift = lap_with_kink(full_m=1972.0, lift_start_m=2001.0)  # flat through the kink, lifted 29 m after it
    kinds = {(f.corner_number, f.type) for f in corner_findings(lap=flat_then_lift, reference=reference)}
    assert (2, FT.FEEDBACK_TYPE_LIFT) in kinds and (4, FT.FEEDBACK_TYPE_LATE_THROTTLE) not in kinds
    lifted_at_it = lap_with_kink(full_m=0.0, lift_start_m=1975.0)  # never flat through it: off the throttle at its apex
    kinds = {(f.corner_number, f.type) for f in corner_findings(lap=lifted_at_it, reference=reference)}
    assert (4, FT.FEEDBACK_TYPE_LATE_THROTTLE) in kinds
    # full at the apex, off it 3 m later: the throttle was not kept full at the apex, a late throttle at the kink
    off_at_apex = lap_with_kink(full_m=1972.0, lift_start_m=1975.0)
    kinds = {(f.corner_number, f.type) for f in corner_findings(lap=off_at_apex, reference=reference)}
    assert (4, FT.FEEDBACK_TYPE_LATE_THROTTLE) in kinds and (2, FT.FEEDBACK_TYPE_LIFT) not in kinds
    # the same lift 10 m past the apex and beyond is on the straight
    past_apex = lap_with_kink(full_m=1972.0, lift_start_m=1983.0)
    kinds = {(f.corner_number, f.type) for f in corner_findings(lap=past_apex, reference=reference)}
    assert (2, FT.FEEDBACK_TYPE_LIFT) in kinds and (4, FT.FEEDBACK_TYPE_LATE_THROTTLE) not in kinds
    # at the apex 0.5 km/h faster than the reference: the car met the kink's grip; nothing to tell at the kink
    faster = lap_with_kink(full_m=1972.0, lift_start_m=1975.0, apex_mps=54.0 + 0.5 / 3.6)
    kinds = {(f.corner_number, f.type) for f in corner_findings(lap=faster, reference=reference)}
    assert not {(4, FT.FEEDBACK_TYPE_LATE_THROTTLE), (2, FT.FEEDBACK_TYPE_LIFT)} & kinds


@pytest.mark.parametrize(("late_m", "throttle_m", "cause"), [
    (7.0, 64.0, FT.FEEDBACK_TYPE_LATE_THROTTLE),  # a touch later on the brake, as fast at the apex, throttle far later
    (20.0, 25.0, FT.FEEDBACK_TYPE_BRAKE_LATE),  # an overshoot: full throttle about as late as the braking was
])
def test_a_throttle_far_later_than_a_small_braking_delay_is_the_throttles_own(late_m, throttle_m, cause):
    losses = {(2, PH.CORNER_PHASE_BRAKING): 0.0, (2, PH.CORNER_PHASE_EXIT): 0.2, (2, PH.CORNER_PHASE_STRAIGHT): 0.2}
    items = feedback({2: {"brake_onset_m": 1200.0 + late_m, "full_throttle_m": 1290.0 + throttle_m}}, losses)
    (item,) = items
    assert (item.type, item.corner_number) == (cause, 2)
    assert item.time_loss_s == pytest.approx(0.4)


def _staged(lap: analysis_pb2.LapAnalysis, finals: dict[int, float]) -> analysis_pb2.LapAnalysis:
    """Each corner's last braking stage: where ``finals`` says, else at its onset (braked in one go)."""
    for corner in lap.corners:
        corner.final_brake_onset_m = finals.get(corner.number, corner.brake_onset_m)
    return lap


def test_a_braking_in_stages_compares_by_its_last_stage_only_with_a_reference_in_stages():
    losses = phases({(2, PH.CORNER_PHASE_BRAKING): 0.2, (2, PH.CORNER_PHASE_ENTRY): 0.1})
    staged_ref = _staged(measured(reference_lap()), {2: 1235.0})  # corner 2: onset 1200, last stage from 1235 m
    # the same onset, the last stage pressed 25 m earlier: braking early, measured at the last stage
    early = _staged(measured(reference_lap(lap_number=3)), {2: 1210.0})
    (item,) = rules.lap_feedback(lap=early, reference=staged_ref, corner_deltas=[], phase_deltas=losses)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_BRAKE_EARLY)
    assert item.delta_value == pytest.approx(-25.0)
    # the same onset braked in one go where the reference came in stages, done as late: no brake point moved
    _with_release(staged_ref, {})  # corner 2 released at 1240 m
    one_go = _with_release(_staged(measured(reference_lap(lap_number=3)), {}), {})
    assert not [f for f in rules.lap_feedback(lap=one_go, reference=staged_ref, corner_deltas=[], phase_deltas=losses)
                if f.type in (FT.FEEDBACK_TYPE_BRAKE_EARLY, FT.FEEDBACK_TYPE_BRAKE_LATE)]
    # ... done 30 m sooner at the same minimum speed (the stages run together, then waiting for the apex): early
    merged = _with_release(_staged(measured(reference_lap(lap_number=3)), {}), {2: 1210.0})
    (item,) = rules.lap_feedback(lap=merged, reference=staged_ref, corner_deltas=[], phase_deltas=losses)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_BRAKE_EARLY)
    assert item.delta_value == pytest.approx(-30.0) and item.distance_m == pytest.approx(1205.0)  # 1235 - 30
    # ... but coasting to the apex after it is the coasting's own
    coasted = _with_release(_staged(measured(reference_lap(lap_number=3), {2: {"coasting_m": 40.0}}), {}), {2: 1210.0})
    in_corner = phases({(2, PH.CORNER_PHASE_ENTRY): 0.2, (2, PH.CORNER_PHASE_APEX): 0.1})
    (item,) = rules.lap_feedback(lap=coasted, reference=staged_ref, corner_deltas=[], phase_deltas=in_corner)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_COASTING)
    # ... and arriving slower after coasting into the braking needed less of it: no braking early either
    slower = _with_release(_staged(measured(reference_lap(lap_number=3), {2: {"approach_coasting_m": 25.0,
                                                                             "entry_speed_mps": 57.0}}), {}), {2: 1210.0})
    assert not [f for f in rules.lap_feedback(lap=slower, reference=staged_ref, corner_deltas=[], phase_deltas=losses)
                if f.type == FT.FEEDBACK_TYPE_BRAKE_EARLY]
    # pressed again 30 m on where the reference braked in one go, for a lower minimum speed: slowing more
    one_go_ref = _staged(measured(reference_lap()), {})
    again = _staged(measured(reference_lap(lap_number=3), {2: {"kmh": 112.0}}), {2: 1230.0})
    apex_losses = phases({(2, PH.CORNER_PHASE_APEX): 0.2, (2, PH.CORNER_PHASE_EXIT): 0.1})
    (item,) = rules.lap_feedback(lap=again, reference=one_go_ref, corner_deltas=[], phase_deltas=apex_losses)
    assert (item.corner_number, item.type) == (2, FT.FEEDBACK_TYPE_LOW_APEX_SPEED)


def test_full_throttle_a_consistent_drivers_spread_later_is_no_late_throttle():
    losses = {(2, PH.CORNER_PHASE_EXIT): 0.08, (2, PH.CORNER_PHASE_STRAIGHT): 0.02}
    assert not feedback({2: {"full_throttle_m": 1290.0 + 11.0}}, losses)  # 11 m: within a clean lap's spread
    (item,) = feedback({2: {"full_throttle_m": 1290.0 + 20.0}}, losses)
    assert (item.type, item.corner_number, item.delta_value) == (FT.FEEDBACK_TYPE_LATE_THROTTLE, 2, pytest.approx(20.0))


def test_a_lift_past_the_line_is_the_last_corners_with_the_time_lost_after_the_line():
    reference = measured(reference_lap())
    lap = measured(reference_lap(lap_number=3))
    last = lap.corners[-1]
    last.lift_m, last.lift_start_m = 40.0, 120.0  # before its full throttle (2810 m): 120 m past the line
    deltas = phases({(3, PH.CORNER_PHASE_STRAIGHT): 0.01})
    deltas.insert(1, analysis_pb2.PhaseDelta(corner_number=0, phase=PH.CORNER_PHASE_STRAIGHT, start_m=120.0,
                                             time_loss_s=0.22))  # the run from the line, cut at the lift
    items = rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=deltas)
    (lift,) = [f for f in items if f.type == FT.FEEDBACK_TYPE_LIFT]
    assert (lift.corner_number, lift.distance_m) == (last.number, 120.0)
    assert lift.time_loss_s == pytest.approx(0.22)  # the run from the lift on, not the last corner's own straight
    assert "0.22 s" in lift.description


@pytest.mark.parametrize(("onset_m", "kmh", "cause"), [
    (1185.0, 118.3, FT.FEEDBACK_TYPE_BRAKE_EARLY),  # 15 m early, 1.7 km/h slower: that speed needs ~1 m, not 15
    (1185.0, 114.0, FT.FEEDBACK_TYPE_LOW_APEX_SPEED),  # 6 km/h slower: slowing too much, braking sooner for it
    (1192.0, 118.0, FT.FEEDBACK_TYPE_LOW_APEX_SPEED),  # 8 m early: within twice the brake point tolerance
])
def test_braking_far_earlier_for_a_minimum_speed_a_little_lower_is_braking_early(onset_m, kmh, cause):
    losses = {(2, PH.CORNER_PHASE_BRAKING): 0.3, (2, PH.CORNER_PHASE_APEX): 0.05, (2, PH.CORNER_PHASE_EXIT): 0.05}
    (item,) = feedback({2: {"brake_onset_m": onset_m, "kmh": kmh}}, losses)
    assert (item.corner_number, item.type) == (2, cause)


def test_a_reference_lift_elsewhere_on_the_straight_does_not_offset_this_laps():
    reference = measured(reference_lap())
    reference.corners[1].lift_m, reference.corners[1].lift_start_m = 8.0, 2250.0  # a breath far down the straight
    lap = measured(reference_lap(lap_number=3))
    lap.corners[1].lift_m, lap.corners[1].lift_start_m = 17.0, 2000.0
    deltas = phases({(2, PH.CORNER_PHASE_STRAIGHT): 0.2})
    (lift,) = [f for f in rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=deltas)
               if f.type == FT.FEEDBACK_TYPE_LIFT]
    assert (lift.corner_number, lift.delta_value) == (2, 17.0)  # 17 m more than the reference, not 9
    reference.corners[1].lift_start_m = 2010.0  # the reference lifted there too, 8 of the 17 m: within the spread
    assert not [f for f in rules.lap_feedback(lap=lap, reference=reference, corner_deltas=[], phase_deltas=deltas)
                if f.type == FT.FEEDBACK_TYPE_LIFT]


def test_coasting_down_to_a_corner_without_braking_owns_the_lower_minimum_speed():
    losses = {(2, PH.CORNER_PHASE_APPROACH): 0.15, (2, PH.CORNER_PHASE_APEX): 0.2, (2, PH.CORNER_PHASE_EXIT): 0.1}
    changes = {2: {"braked": False, "approach_coasting_m": 70.0, "approach_coasting_start_m": 1130.0, "kmh": 100.0}}
    items = [f for f in feedback(changes, losses) if f.corner_number == 2]
    assert [f.type for f in items] == [FT.FEEDBACK_TYPE_COASTING]
    assert items[0].time_loss_s == pytest.approx(0.45)  # the coasting's approach and the speed it took off
    # braking after the coasting, a lower minimum speed is still the braking's own
    changes[2]["braked"] = True
    assert {f.type for f in feedback(changes, losses) if f.corner_number == 2} == {FT.FEEDBACK_TYPE_LOW_APEX_SPEED,
                                                                                   FT.FEEDBACK_TYPE_COASTING}


@pytest.mark.parametrize(("kmh", "later_m", "exit_s", "told"), [
    (121.0, 15.0, 0.03, False),  # 1 km/h faster through the apex, full throttle 15 m later, 0.05 s: the speed's price
    (121.0, 30.0, 0.03, True),  # 30 m later is more than grip explains
    (121.0, 15.0, 0.3, True),  # and so is losing 0.32 s on the way out
    (120.0, 15.0, 0.03, True),  # as fast through the apex: a late throttle
])
def test_a_little_later_full_throttle_after_a_faster_apex_is_no_late_throttle(kmh, later_m, exit_s, told):
    losses = {(2, PH.CORNER_PHASE_EXIT): exit_s, (2, PH.CORNER_PHASE_STRAIGHT): 0.02}
    items = feedback({2: {"kmh": kmh, "full_throttle_m": 1290.0 + later_m}}, losses)
    assert ((2, FT.FEEDBACK_TYPE_LATE_THROTTLE) in {(f.corner_number, f.type) for f in items}) == told
