"""Corner measures and phase deltas on hand-built traces whose answers are known by construction."""

from __future__ import annotations

import numpy as np
import pytest
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.analysis.phases import measure_corners, phase_deltas

PH = analysis_pb2.CornerPhase
GRID = np.arange(0.0, 3001.0)


def _trace(*, tap_m=None, coast_from_m=None, brake_from_m=800.0, full_from_m=1050.0, lift=None):
    """One corner at 1000 m: throttle full to the braking, brake 800–990 m, throttle from 1000 m, full from
    ``full_from_m``; optional brake tap, coasting before the braking, and a lift (start, end) on the straight."""
    throttle = np.ones_like(GRID)
    brake = np.zeros_like(GRID)
    speed = np.full_like(GRID, 60.0)
    throttle[(GRID >= brake_from_m) & (GRID < 1000)] = 0.0
    brake[(GRID >= brake_from_m) & (GRID < 990)] = 1.0
    ramp = (GRID >= 1000) & (GRID < full_from_m)
    throttle[ramp] = 0.3 + 0.6 * (GRID[ramp] - 1000) / max(full_from_m - 1000, 1)
    speed[(GRID >= brake_from_m) & (GRID <= 1000)] = np.linspace(60, 25, int(((GRID >= brake_from_m) & (GRID <= 1000)).sum()))
    after = GRID > 1000
    speed[after] = np.minimum(25 + 0.05 * (GRID[after] - 1000), 60)
    if tap_m is not None:
        brake[(GRID >= tap_m) & (GRID < tap_m + 3)] = 0.6
    if coast_from_m is not None:
        throttle[(GRID >= coast_from_m) & (GRID < brake_from_m)] = 0.0
    if lift is not None:
        part = (GRID >= lift[0]) & (GRID < lift[1])
        throttle[part] = 0.0
        speed[part] = np.linspace(speed[part][0], speed[part][0] - 5, int(part.sum()))
    return {"speed_mps": speed, "throttle": throttle, "brake": brake}


def _corner(number=1, apex_m=1000.0) -> analysis_pb2.Corner:
    return analysis_pb2.Corner(number=number, entry_m=apex_m - 60, apex_m=apex_m, exit_m=apex_m + 80,
                               apex_speed_mps=25.0)


def test_a_tap_before_the_braking_does_not_move_the_brake_onset():
    corner = _corner()
    measure_corners(grid_m=GRID, channels=_trace(tap_m=760.0), corners=[corner])
    assert corner.braked
    assert corner.brake_onset_m == pytest.approx(800.0, abs=1.0)
    assert corner.brake_release_m == pytest.approx(989.0, abs=1.0)
    assert corner.peak_brake == pytest.approx(1.0)
    assert corner.entry_speed_mps == pytest.approx(60.0)


def test_full_throttle_coasting_and_a_lift_are_measured():
    corner = _corner()
    measure_corners(grid_m=GRID, channels=_trace(coast_from_m=770.0, lift=(1800.0, 1840.0)), corners=[corner])
    assert corner.full_throttle_m == pytest.approx(1050.0, abs=1.0)
    assert corner.approach_coasting_m == pytest.approx(30.0, abs=1.0)
    assert corner.approach_coasting_start_m == pytest.approx(770.0, abs=1.0)
    assert corner.lift_m == pytest.approx(40.0, abs=2.0)
    assert corner.lift_start_m == pytest.approx(1800.0, abs=1.0)


def test_a_flat_out_kink_carries_no_phases_of_its_own():
    kink = analysis_pb2.Corner(number=2, entry_m=1900, apex_m=2000, exit_m=2100, full_throttle_m=2000)
    lap = analysis_pb2.LapAnalysis(corners=[_corner(), kink])
    reference = analysis_pb2.LapAnalysis()
    reference.CopyFrom(lap)
    phases = phase_deltas(lap=lap, reference=reference, grid_m=GRID, delta_s=np.zeros_like(GRID))
    assert {p.corner_number for p in phases} == {0, 1}


def _measured(channels) -> analysis_pb2.LapAnalysis:
    lap = analysis_pb2.LapAnalysis(corners=[_corner()])
    measure_corners(grid_m=GRID, channels=channels, corners=lap.corners)
    return lap


def test_phases_are_contiguous_and_sum_to_the_lap_delta():
    lap, reference = _measured(_trace(full_from_m=1110.0, lift=(2000.0, 2050.0))), _measured(_trace())
    rng = np.random.default_rng(7)
    delta = np.cumsum(rng.normal(0, 1e-3, len(GRID)))
    delta[0] = 0.0
    phases = phase_deltas(lap=lap, reference=reference, grid_m=GRID, delta_s=delta)
    assert sum(p.time_loss_s for p in phases) == pytest.approx(delta[-1], abs=1e-9)
    assert phases[0].start_m == 0.0 and phases[-1].end_m == GRID[-1]
    for before, after in zip(phases, phases[1:]):
        assert before.end_m == after.start_m and before.start_m <= before.end_m
    kinds = [(p.corner_number, p.phase) for p in phases]
    assert kinds == [(0, PH.CORNER_PHASE_STRAIGHT), (1, PH.CORNER_PHASE_APPROACH), (1, PH.CORNER_PHASE_BRAKING),
                     (1, PH.CORNER_PHASE_ENTRY), (1, PH.CORNER_PHASE_APEX), (1, PH.CORNER_PHASE_EXIT),
                     (1, PH.CORNER_PHASE_STRAIGHT), (1, PH.CORNER_PHASE_STRAIGHT)]


def test_a_late_throttle_loss_is_booked_to_the_exit_and_a_lift_apart():
    lap, reference = _measured(_trace(full_from_m=1110.0, lift=(2000.0, 2050.0))), _measured(_trace())
    # time lost only between the two full-throttle points (0.3 s) and from the lift on (0.2 s)
    delta = 0.3 * np.clip((GRID - 1050) / 60, 0, 1) + 0.2 * np.clip((GRID - 2000) / 50, 0, 1)
    phases = phase_deltas(lap=lap, reference=reference, grid_m=GRID, delta_s=delta)
    exit_ = sum(p.time_loss_s for p in phases if p.phase == PH.CORNER_PHASE_EXIT)
    straights = [p for p in phases if p.corner_number == 1 and p.phase == PH.CORNER_PHASE_STRAIGHT]
    assert exit_ == pytest.approx(0.3, abs=1e-6)
    assert straights[1].start_m == pytest.approx(2000.0, abs=1.0)
    assert straights[1].time_loss_s == pytest.approx(0.2, abs=1e-6)
    assert straights[0].time_loss_s == pytest.approx(0.0, abs=1e-6)


def test_braking_in_stages_is_one_braking_with_its_last_stage_measured():
    channels = _trace(brake_from_m=760.0)
    brake = channels["brake"]
    brake[(GRID >= 900) & (GRID < 930)] = 0.0  # released, coasting, then braking again lightly
    brake[(GRID >= 930) & (GRID < 990)] = 0.3
    corner = _corner()
    measure_corners(grid_m=GRID, channels=channels, corners=[corner])
    assert corner.brake_onset_m == pytest.approx(760.0, abs=1.0)
    assert corner.final_brake_onset_m == pytest.approx(930.0, abs=1.0)
    single = _corner()
    measure_corners(grid_m=GRID, channels=_trace(), corners=[single])
    assert single.final_brake_onset_m == single.brake_onset_m


def test_a_firm_second_application_without_a_release_is_the_last_stage():
    channels = _trace(brake_from_m=760.0)
    brake = channels["brake"]
    # eased from full to 0.2 over 760-900 m and pressed to full again at 904 m, never released
    brake[(GRID >= 860) & (GRID < 904)] = np.linspace(1.0, 0.2, int(((GRID >= 860) & (GRID < 904)).sum()))
    corner = _corner()
    measure_corners(grid_m=GRID, channels=channels, corners=[corner])
    assert corner.brake_onset_m == pytest.approx(760.0, abs=1.0)
    assert corner.final_brake_onset_m == pytest.approx(903.0, abs=1.0)  # the lowest point before the new press
    assert corner.brake_release_m == pytest.approx(989.0, abs=1.0)


def test_trail_braking_that_eases_and_firms_a_little_is_still_one_stage():
    channels = _trace(brake_from_m=760.0)
    brake = channels["brake"]
    brake[(GRID >= 860) & (GRID < 990)] = 0.3  # eased to 0.3 ...
    brake[(GRID >= 930) & (GRID < 960)] = 0.6  # ... and firmed to 0.6: not back to a firm braking
    corner = _corner()
    measure_corners(grid_m=GRID, channels=channels, corners=[corner])
    assert corner.final_brake_onset_m == corner.brake_onset_m


def test_the_last_metres_of_a_braking_past_its_apex_are_not_the_next_corners_braking():
    channels = _trace()  # corner at 1000 m braked 800-990 m
    channels["brake"][(GRID >= 990) & (GRID <= 1002)] = 0.2  # trailed 2 m past the apex
    first, fast = _corner(1, 1000.0), _corner(2, 1100.0)  # a fast corner 100 m on, not braked for
    measure_corners(grid_m=GRID, channels=channels, corners=[first, fast])
    assert first.braked and first.brake_release_m == pytest.approx(1002.0)
    assert not fast.braked and fast.brake_onset_m == 0.0
    # a braking of its own that follows on from the trail (an S braked through) still counts
    channels["brake"][(GRID > 1002) & (GRID < 1060)] = 0.8
    first, fast = _corner(1, 1000.0), _corner(2, 1100.0)
    measure_corners(grid_m=GRID, channels=channels, corners=[first, fast])
    assert fast.braked and fast.brake_onset_m == pytest.approx(1003.0)  # where it reaches 30 % of its 0.8 peak


def test_a_lift_past_the_line_is_the_last_corners_and_splits_the_run_from_the_line():
    # the lap's one corner is also its last: its straight runs on past the line to its own approach (800 m)
    lap, reference = _measured(_trace(lift=(300.0, 340.0))), _measured(_trace())
    (corner,) = lap.corners
    assert corner.lift_m == pytest.approx(40.0, abs=2.0)
    assert corner.lift_start_m == pytest.approx(300.0, abs=1.0)  # before its full throttle: past the line
    assert reference.corners[0].lift_m == 0.0
    delta = 0.2 * np.clip((GRID - 300) / 40, 0, 1)  # 0.2 s lost in the lift, nothing elsewhere
    phases = phase_deltas(lap=lap, reference=reference, grid_m=GRID, delta_s=delta)
    line = [p for p in phases if p.corner_number == 0]
    assert [(p.start_m, p.phase) for p in line] == [(0.0, PH.CORNER_PHASE_STRAIGHT), (300.0, PH.CORNER_PHASE_STRAIGHT)]
    assert line[1].end_m == pytest.approx(800.0, abs=1.0)
    assert (line[0].time_loss_s, line[1].time_loss_s) == pytest.approx((0.0, 0.2), abs=1e-6)
    assert sum(p.time_loss_s for p in phases) == pytest.approx(0.2, abs=1e-9)
    # a lift on the straight after the exit is still the straight's, not past the line
    later = _measured(_trace(lift=(2000.0, 2050.0)))
    assert later.corners[0].lift_start_m == pytest.approx(2000.0, abs=1.0)


def test_easing_off_into_the_braking_is_no_lift():
    channels = _trace(lift=(2000.0, 2050.0))
    throttle, brake = channels["throttle"], channels["brake"]
    easing = (GRID >= 770) & (GRID < 800)
    throttle[easing] = 0.8  # partial throttle up to the braking at 800 m, the car slowing
    channels["speed_mps"][easing] = np.linspace(60.0, 59.0, int(easing.sum()))
    brake[(GRID >= 797) & (GRID < 800)] = 0.1  # the pedal coming on before its firm pressure
    corner = _corner()
    measure_corners(grid_m=GRID, channels=channels, corners=[corner])
    assert corner.lift_start_m == pytest.approx(2000.0, abs=1.0)
    assert corner.lift_m == pytest.approx(50.0, abs=2.0)  # the lift on the straight alone


def test_a_lift_under_way_at_the_line_is_the_previous_laps():
    channels = _trace()
    start = GRID < 30.0  # off the throttle from before the line, back on 30 m after it
    channels["throttle"][start] = 0.0
    channels["speed_mps"][start] = np.linspace(58.0, 57.0, int(start.sum()))
    corner = _corner()
    measure_corners(grid_m=GRID, channels=channels, corners=[corner])
    assert corner.lift_m == 0.0
    channels["throttle"][GRID < 5.0] = 1.0  # the same lift begun 5 m after the line is this lap's
    measure_corners(grid_m=GRID, channels=channels, corners=[corner])
    assert corner.lift_start_m == pytest.approx(5.0, abs=1.0) and corner.lift_m == pytest.approx(25.0, abs=2.0)
