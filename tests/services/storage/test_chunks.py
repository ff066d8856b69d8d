"""Samples read back are sent as consecutive batches: at most the chunk size each, seq from 1, nothing lost."""

from __future__ import annotations

import numpy as np
import pytest

from racecoach.services.common.batch import arrays_from_typed, concat
from racecoach.services.storage import readback
from telemetry_factories import make_arrays


@pytest.mark.parametrize(("count", "chunk_samples", "sizes"), [(2500, 1000, [1000, 1000, 500]), (2500, 0, [1000, 1000, 500]),
                                                               (7, 3, [3, 3, 1]), (6, 3, [3, 3]), (5, 10, [5]), (0, 10, [])])
def test_samples_are_chunked_in_order(count, chunk_samples, sizes):
    arrays = make_arrays(start_index=0, count=count)
    chunks = list(readback.chunks(arrays=arrays, session_id="s-1", chunk_samples=chunk_samples))
    assert [c.sample_count for c in chunks] == sizes
    assert [c.seq for c in chunks] == list(range(1, len(sizes) + 1)) and {c.session_id for c in chunks} <= {"s-1"}
    if chunks:
        back = concat([arrays_from_typed(c) for c in chunks])
        assert set(back) == set(arrays)
        for name, values in arrays.items():
            np.testing.assert_array_equal(back[name], values)
