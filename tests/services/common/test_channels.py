"""The channel catalogue is the TelemetryBatch contract's twin, and each kind resamples by its rule."""

from __future__ import annotations

import numpy as np
import pytest
from google.protobuf.descriptor import FieldDescriptor

from racecoach.services.analysis.lap import GRID_CHANNELS
from racecoach.services.common.channels import BY_FIELD, BY_IRACING, CHANNELS, REQUIRED, Kind, Resampling, resample
from racecoach.services.storage.queries import TRACE_CHANNELS
from buf.validate import validate_pb2
from racecoach.telemetry.v1 import telemetry_pb2

HEADER = {"session_id", "seq", "sample_count", "first_session_time_s"}
PROTO_DTYPE = {FieldDescriptor.TYPE_DOUBLE: "<f8", FieldDescriptor.TYPE_FLOAT: "<f4", FieldDescriptor.TYPE_FIXED32: "<u4"}


def _repeated(descriptor):
    return {f.name: f for f in descriptor.fields if f.name not in HEADER}


def test_every_batch_field_has_a_catalogue_entry_and_every_entry_a_field():
    fields = _repeated(telemetry_pb2.TelemetryBatch.DESCRIPTOR)
    assert set(BY_FIELD) == set(fields)
    assert len(BY_FIELD) == len(CHANNELS) and len(BY_IRACING) == len(CHANNELS)  # no name twice
    assert all(f.is_repeated for f in fields.values())
    # the catalogue's dtype is the wire type of the field, and the raw view carries the same fields as bytes
    assert {name: np.dtype(PROTO_DTYPE[f.type]) for name, f in fields.items()} == {c.field: c.dtype for c in CHANNELS}
    raw = _repeated(telemetry_pb2.TelemetryBatchRawView.DESCRIPTOR)
    assert set(raw) == set(BY_FIELD) and {f.type for f in raw.values()} == {FieldDescriptor.TYPE_BYTES}
    # the catalogue lists the channels in field-number order, as the contract does
    assert [c.field for c in CHANNELS] == sorted(fields, key=lambda n: fields[n].number)
    assert set(REQUIRED) <= set(BY_FIELD)


def test_every_channel_has_a_kind_a_rule_and_a_description():
    for channel in CHANNELS:
        assert isinstance(channel.kind, Kind) and channel.description
        assert channel.resampling is (Resampling.LINEAR if channel.kind is Kind.CONTINUOUS else Resampling.HOLD)
    kinds = {c.field: c.kind for c in CHANNELS}
    assert {n for n, k in kinds.items() if k is Kind.DISCRETE} == {"lap", "gear", "track_surface", "lap_last_lap_time_s"}
    assert {n for n, k in kinds.items() if k is Kind.FLAG} == {"on_pit_road", "session_flags"}
    # integer-valued discrete channels and flags carry whole numbers by their declared range
    assert all(float(BY_FIELD[n].low).is_integer() and float(BY_FIELD[n].high).is_integer()
               for n in ("lap", "gear", "track_surface", "on_pit_road", "session_flags"))


def test_the_resampling_sites_carry_channels_whose_rule_they_apply():
    # the analysis grid goes through the C kernels, which interpolate linearly: continuous channels only
    assert all(BY_FIELD[n].kind is Kind.CONTINUOUS for n in GRID_CHANNELS)
    assert set(TRACE_CHANNELS) <= set(BY_FIELD)


def _held(x, values, at):
    """Zero-order hold written out point by point: the last sample at or before each point, the first before it."""
    out = []
    for point in at:
        before = [i for i in range(len(x)) if x[i] <= point]
        out.append(values[before[-1]] if before else values[0])
    return np.array(out, dtype=values.dtype)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_held_channels_take_the_previous_sample_and_continuous_ones_are_interpolated(seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.uniform(0.1, 7.0, 300))
    at = np.sort(rng.uniform(x[0] - 5, x[-1] + 5, 500))
    at[:3] = x[:3]  # exactly on samples too
    gear = rng.integers(1, 7, 300).astype(np.float32)
    flags = rng.integers(0, 2**32, 300, dtype=np.uint64).astype(np.uint32)
    speed = rng.uniform(10, 80, 300).astype(np.float32)

    held = resample("gear", x=x, values=gear, at=at)
    np.testing.assert_array_equal(held, _held(x, gear, at))
    assert held.dtype == np.float32 and np.all(held == np.round(held)) and set(held) <= set(gear)
    np.testing.assert_array_equal(resample("session_flags", x=x, values=flags, at=at), _held(x, flags, at))

    linear = resample("speed_mps", x=x, values=speed, at=at)
    inside = (at >= x[0]) & (at <= x[-1])
    # linear by hand: the bracketing samples weighted by distance
    right = np.minimum(np.array([np.flatnonzero(x >= p)[0] if p <= x[-1] else len(x) - 1 for p in at]), len(x) - 1)
    left = np.maximum(right - 1, 0)
    span = np.where(x[right] > x[left], x[right] - x[left], 1.0)
    w = np.clip((at - x[left]) / span, 0, 1)
    expected = speed[left].astype(np.float64) * (1 - w) + speed[right].astype(np.float64) * w
    np.testing.assert_allclose(linear[inside], expected[inside], rtol=1e-12)
    assert linear[~inside].tolist() == [speed[0] if p < x[0] else speed[-1] for p in at[~inside]]


def test_resample_refuses_mismatched_lengths():
    with pytest.raises(ValueError, match="gear: 2 values for 3 positions"):
        resample("gear", x=np.arange(3.0), values=np.ones(2), at=np.arange(3.0))


def test_every_range_is_the_contracts_and_protovalidate_holds_a_batch_to_the_same_numbers():
    import math

    import protovalidate

    from racecoach.services.common.batch import BatchValidationError, validate

    validator = protovalidate.Validator()
    seen = 0
    for channel in CHANNELS:
        field = telemetry_pb2.TelemetryBatch.DESCRIPTOR.fields_by_name[channel.field]
        rules = field.GetOptions().Extensions[validate_pb2.field]
        if field.type == FieldDescriptor.TYPE_FIXED32:
            assert (channel.low, channel.high) == (0.0, 2**32 - 1)  # a bit field: the type's own range
            continue
        items = rules.repeated.items.double if field.type == FieldDescriptor.TYPE_DOUBLE else rules.repeated.items.float
        assert items.finite, channel.field
        assert channel.low == (items.gte if items.HasField("gte") else -math.inf), channel.field
        assert channel.high == (items.lte if items.HasField("lte") else math.inf), channel.field
        if not math.isfinite(channel.high):
            continue
        seen += 1
        inside = telemetry_pb2.TelemetryBatch(session_id="s", seq=1, sample_count=1)
        getattr(inside, channel.field).append(channel.high)
        assert not validator.collect_violations(inside), channel.field
        outside = telemetry_pb2.TelemetryBatch(session_id="s", seq=1, sample_count=1)
        getattr(outside, channel.field).append(channel.high + max(abs(channel.high), 1.0))
        (violation,) = validator.collect_violations(outside)
        assert violation.proto.field.elements[0].field_name == channel.field
        values = {name: np.zeros(1, dtype=BY_FIELD[name].dtype) for name in REQUIRED}
        values["lap_dist_pct"][:] = 0.5
        values[channel.field] = np.asarray([channel.high + max(abs(channel.high), 1.0)], dtype=channel.dtype)
        with pytest.raises(BatchValidationError) as refused:
            validate(arrays=values, sample_count=1, max_samples=10)
        assert refused.value.reason == "OUT_OF_RANGE"
    assert seen >= 40
