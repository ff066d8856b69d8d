"""Bad input raises the specific error with a message that says what to fix.

Every case runs against the C kernels and the reference, and both must give
the same exception type and the same message.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from racecoach.native import errors, kernels, reference

N = 10
D = np.arange(N, dtype=np.float64) * 2.0
ONES = np.ones(N)


def _with(a, index, value):
    a = np.array(a, dtype=np.float64)
    a[index] = value
    return a


def _zones(**over):
    kw = dict(dist_m=D, brake=ONES * 0.5, speed_mps=ONES * 30, time_s=D / 30, lat_accel_mps2=ONES)
    return lambda impl: impl.braking_zones(**{**kw, **over})


def _corners(**over):
    kw = dict(dist_m=D, speed_mps=ONES * 30, yaw_rate_rps=ONES * 0.1, lat_accel_mps2=ONES * 3,
              throttle=ONES, brake=ONES * 0)
    return lambda impl: impl.corners(**{**kw, **over})


def _resample(**over):
    kw = dict(lap_dist_m=D, channels={"speed_mps": ONES})
    return lambda impl: impl.resample_lap(**{**kw, **over})


def _delta(**over):
    kw = dict(grid_m=D, time_a_s=D / 30, time_b_s=D / 29)
    return lambda impl: impl.delta_time(**{**kw, **over})


def _loss(**over):
    kw = dict(grid_m=D, delta_s=D * 0.01, boundaries_m=[5.0, 9.0])
    return lambda impl: impl.corner_time_loss(**{**kw, **over})


def _map(**over):
    return lambda impl: impl.track_map(**over)


CASES = {
    # name: (call, exception, fragments the message must contain)
    "nan brake": (_zones(brake=_with(ONES, 5, np.nan)), errors.NonFiniteInputError, ["brake[5]", "NaN"]),
    "inf distance": (_resample(lap_dist_m=_with(D, 3, np.inf)), errors.NonFiniteInputError,
                     ["lap_dist_m[3]", "inf", "not finite"]),
    "nan channel": (_resample(channels={"speed_mps": _with(ONES, 7, np.nan)}), errors.NonFiniteInputError,
                    ["channels['speed_mps'][7]", "NaN"]),
    "nan lat accel": (_corners(lat_accel_mps2=_with(ONES, 0, np.nan)), errors.NonFiniteInputError,
                      ["lat_accel_mps2[0]"]),
    "nan time b": (_delta(time_b_s=_with(D, 9, np.nan)), errors.NonFiniteInputError, ["time_b_s[9]"]),
    "nan gps": (_map(lat_deg=_with(ONES, 2, np.nan), lon_deg=ONES), errors.NonFiniteInputError, ["lat_deg[2]"]),
    "length mismatch": (_zones(speed_mps=ONES[:9]), errors.LengthMismatchError,
                        ["speed_mps has 9 samples but dist_m has 10"]),
    "channel length": (_resample(channels={"rpm": ONES[:4]}), errors.LengthMismatchError,
                       ["channels['rpm'] has 4 samples"]),
    "gps length": (_map(lat_deg=ONES, lon_deg=ONES[:3]), errors.LengthMismatchError, ["lon_deg has 3 samples"]),
    "one sample": (_resample(lap_dist_m=D[:1], channels={"v": ONES[:1]}), errors.TooFewSamplesError,
                   ["lap_dist_m needs at least 2 samples, got 1"]),
    "no progress": (_resample(lap_dist_m=np.full(N, 7.0)), errors.TooFewSamplesError,
                    ["increasing distance, got 1"]),
    "empty delta": (_delta(grid_m=D[:0], time_a_s=D[:0], time_b_s=D[:0]), errors.TooFewSamplesError,
                    ["grid_m needs at least 2 samples, got 0"]),
    "int dtype": (_zones(brake=np.ones(N, dtype=np.int64)), errors.InputDtypeError, ["brake", "int64"]),
    "object dtype": (_resample(lap_dist_m=np.array([None] * N)), errors.InputDtypeError, ["lap_dist_m"]),
    "2-d array": (_delta(time_a_s=np.ones((2, N))), errors.InputShapeError, ["time_a_s must be 1-D"]),
    "distance goes back": (_corners(dist_m=_with(D, 4, 1.0)), errors.NotIncreasingError,
                           ["dist_m must be strictly increasing", "dist_m[4] = 1.0"]),
    "time goes back": (_map(yaw_rad=ONES, speed_mps=ONES, time_s=_with(D, 6, 0.0)), errors.NotIncreasingError,
                       ["time_s must be non-decreasing", "time_s[6]"]),
    "boundaries unsorted": (_loss(boundaries_m=[9.0, 5.0]), errors.NotIncreasingError, ["boundaries_m[1]"]),
    "boundary past the end": (_loss(boundaries_m=[5.0, 30.0]), errors.OutOfRangeError,
                              ["boundaries_m[1] = 30.0", "within the grid"]),
    "latitude 95": (_map(lat_deg=_with(ONES, 1, 95.0), lon_deg=ONES), errors.OutOfRangeError, ["lat_deg[1] = 95.0"]),
    "zero step": (_resample(step_m=0.0), errors.ParameterError, ["step_m = 0.0", "> 0"]),
    "negative lap length": (_resample(lap_length_m=-5), errors.ParameterError, ["lap_length_m"]),
    "off above on": (_zones(off_threshold=0.5), errors.ParameterError, ["off_threshold", "on_threshold"]),
    "even smoothing": (_corners(smooth_samples=4), errors.ParameterError, ["smooth_samples = 4", "odd"]),
    "all gps dummies": (_map(lat_deg=np.zeros(N), lon_deg=np.zeros(N)), errors.NoUsableDataError, ["0/0 dummy", "yaw_rad"]),
    "nothing to map": (_map(), errors.KernelInputError, ["lat_deg and lon_deg, or yaw_rad"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input(impl, case):
    call, exc_type, fragments = CASES[case]
    with pytest.raises(exc_type) as info:
        call(impl)
    assert isinstance(info.value, errors.KernelError) and isinstance(info.value, ValueError)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("case", sorted(CASES))
def test_c_and_reference_report_the_same_error(case):
    call = CASES[case][0]
    raised = []
    for impl in (kernels, reference):
        with pytest.raises(errors.KernelError) as info:
            call(impl)
        raised.append((type(info.value), str(info.value)))
    assert raised[0] == raised[1]


def test_dtype_errors_are_type_errors_too():
    with pytest.raises(TypeError):
        kernels.delta_time(grid_m=D, time_a_s=D.astype(np.int32), time_b_s=D)


@pytest.mark.parametrize("name", kernels.__all__)
def test_reference_has_the_same_signatures(name):
    assert inspect.signature(getattr(kernels, name)) == inspect.signature(getattr(reference, name))
