"""analyze_lap: the one-call C analysis against the numpy reference and the single kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from racecoach import native
from racecoach.native import errors, kernels, reference

from .conftest import assert_same_records
from .factories import Corner, LapSpec, make_lap
from .test_equivalence import SETTINGS, spec_st

FIXED = LapSpec(corners=(Corner(200.0, 60.0, 90.0, 1), Corner(350.0, 120.0, 140.0, -1), Corner(180.0, 35.0, 60.0, 1)))
NAMES = ("session_time_s", "speed_mps", "brake", "throttle", "yaw_rate_rps", "lat_accel_mps2", "steering_rad")


def _inputs(lap, *, length=None, optional=True):
    kw = {k: lap[k] for k in NAMES if optional or k not in ("yaw_rate_rps", "steering_rad")}
    return dict(lap_dist_m=lap["lap_dist_m"], lap_length_m=length or lap.length_m, **kw)


def _same(c, r):
    np.testing.assert_allclose(c.grid_m, r.grid_m)
    assert set(c.channels) == set(r.channels)
    for name in c.channels:
        np.testing.assert_allclose(c.channels[name], r.channels[name], rtol=1e-12, atol=1e-9, err_msg=name)
    assert_same_records(c.zones, r.zones)
    assert_same_records(c.corners, r.corners)
    assert c.samples_dropped == r.samples_dropped
    if r.delta_s is None:
        assert c.delta_s is None and c.segments is None
    else:
        np.testing.assert_allclose(c.delta_s, r.delta_s, atol=1e-9)
        assert_same_records(c.segments, r.segments)


@SETTINGS
@given(spec=spec_st, other=spec_st, peaks=st.sampled_from([0.0, 40.0]), optional=st.booleans(),
       step=st.sampled_from([1.0, 0.5, 2.0]))
def test_matches_reference(spec, other, peaks, optional, step):
    lap, ref_lap = make_lap(spec), make_lap(other)
    ref = kernels.resample_lap(lap_dist_m=ref_lap["lap_dist_m"], channels={"t": ref_lap["session_time_s"]},
                               step_m=step, lap_length_m=ref_lap.length_m)["t"]
    kw = dict(_inputs(lap, optional=optional), step_m=step, reference_time_s=ref,
              zone_params={"on_threshold": 0.02, "off_threshold": 0.02, "bridge_m": 0.0},
              corner_params={"peak_window_m": peaks})
    c, r = native.analyze_lap(**kw), reference.analyze_lap(**kw)
    _same(c, r)
    # the lap delta is the segments' sum (telescoping), within rounding
    assert c.segments["time_loss_s"].sum() == pytest.approx(c.delta_s[-1], abs=1e-9)
    # the same as the single C kernels one after the other
    g = kernels.resample_lap(lap_dist_m=lap["lap_dist_m"], channels={k: kw[k] for k in NAMES if k in kw},
                             step_m=step, lap_length_m=lap.length_m)
    np.testing.assert_array_equal(c.channels["speed_mps"], g["speed_mps"])


def test_without_reference():
    lap = make_lap(FIXED)
    c, r = native.analyze_lap(**_inputs(lap)), reference.analyze_lap(**_inputs(lap))
    _same(c, r)
    assert c.delta_s is None


def test_bad_input_raises_the_single_kernels_error():
    lap = make_lap(FIXED)
    kw = _inputs(lap)
    kw["speed_mps"] = kw["speed_mps"].copy()
    kw["speed_mps"][17] = np.nan
    with pytest.raises(errors.NonFiniteInputError, match="speed_mps"):
        native.analyze_lap(**kw)
    kw = _inputs(lap)
    with pytest.raises(errors.NonFiniteInputError, match="time_a_s"):
        native.analyze_lap(**kw, reference_time_s=np.full(len(lap["lap_dist_m"]), np.inf))
    with pytest.raises(errors.KernelInputError, match="unknown corner parameters"):
        native.analyze_lap(**kw, corner_params={"window": 3})
    with pytest.raises(errors.InputDtypeError):
        native.analyze_lap(**{**kw, "brake": kw["brake"].astype(np.int64)})


def test_float32_inputs_are_accepted():
    lap = make_lap(FIXED)
    kw = _inputs(lap)
    as32 = {k: (v.astype(np.float32) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    _same(native.analyze_lap(**as32), reference.analyze_lap(**as32))
