"""Batch validation refuses what would corrupt a session and says why."""

from __future__ import annotations

import numpy as np
import pytest

from racecoach.services.common.batch import BatchValidationError, validate
from telemetry_factories import make_arrays


def check(arrays, count=None):
    validate(arrays=arrays, sample_count=len(arrays["session_time_s"]) if count is None else count, max_samples=600)


def test_a_good_batch_passes():
    check(make_arrays(start_index=0, count=6))


@pytest.mark.parametrize(
    ("mutate", "reason", "text"),
    [
        (lambda a: a["speed_mps"].__setitem__(2, np.nan), "NOT_FINITE", "speed_mps holds nan at sample 2"),
        (lambda a: a["speed_mps"].__setitem__(1, 30_000.0), "OUT_OF_RANGE", "check the units"),
        (lambda a: a["session_time_s"].__setitem__(3, a["session_time_s"][2]), "TIME_NOT_MONOTONIC", "must increase"),
        (lambda a: a.pop("lap_dist_m"), "MISSING_CHANNEL", "lap_dist_m is required"),
        (lambda a: a.__setitem__("throttle", a["throttle"][:4]), "LENGTH_MISMATCH", "throttle has 4 values"),
    ],
)
def test_bad_batches_are_refused_with_a_reason(mutate, reason, text):
    arrays = make_arrays(start_index=0, count=6)
    mutate(arrays)
    with pytest.raises(BatchValidationError, match=text) as err:
        check(arrays, count=6)
    assert err.value.reason == reason


def test_oversized_batches_are_refused():
    with pytest.raises(BatchValidationError, match="at most 600") as err:
        check(make_arrays(start_index=0, count=601))
    assert err.value.reason == "TOO_LARGE"


def test_typed_batches_become_arrays_in_the_catalogue_dtypes():
    from racecoach.services.common.batch import arrays_from_typed, check_lengths
    from racecoach.services.common.channels import BY_FIELD
    from racecoach.telemetry.v1 import telemetry_pb2

    batch = telemetry_pb2.TelemetryBatch(
        sample_count=3, session_time_s=[1.0, 1.5, 2.0], gear=[3, 3, 4], session_flags=[4, 4, 0x80000004], brake=[0.25, 0.5]
    )
    every = arrays_from_typed(batch)
    assert set(every) == {"session_time_s", "gear", "session_flags", "brake"}  # only channels that carry values
    assert {n: a.dtype for n, a in every.items()} == {n: BY_FIELD[n].dtype for n in every}
    assert every["session_flags"].tolist() == [4, 4, 0x80000004] and every["brake"].tolist() == [0.25, 0.5]
    named = arrays_from_typed(batch, names=("gear", "lap"))
    assert list(named) == ["gear", "lap"] and named["lap"].dtype == np.float32 and len(named["lap"]) == 0
    check_lengths({"gear": named["gear"]}, sample_count=3)
    for arrays, text in (({"lap": named["lap"]}, "channel lap has 0 values but sample_count is 3"),
                         ({"brake": every["brake"]}, "channel brake has 2 values but sample_count is 3")):
        with pytest.raises(BatchValidationError, match=text) as err:
            check_lengths(arrays, sample_count=3)
        assert err.value.reason == "LENGTH_MISMATCH"
