"""Shared fixtures for the native-kernel tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from racecoach.native import kernels, reference

from .factories import read_ibt

REPO = Path(__file__).resolve().parents[2]
IBT_NAME = "sebring_amg-gt4_partial.ibt"
IBT_CANDIDATES = [REPO / "tests" / "data" / IBT_NAME]

IMPLEMENTATIONS = {"c": kernels, "reference": reference}


@pytest.fixture(params=sorted(IMPLEMENTATIONS), ids=lambda name: name)
def impl(request):
    """Each test using this fixture runs against the C kernels and the numpy reference."""
    return IMPLEMENTATIONS[request.param]


@pytest.fixture(scope="session")
def sebring_records() -> np.ndarray:
    """The real Sebring recording (2,683 records at 60 Hz), without the dummy record 0."""
    path = next((p for p in IBT_CANDIDATES if p.is_file()), None)
    if path is None:
        pytest.skip(f"{IBT_NAME} not found in {[str(p) for p in IBT_CANDIDATES]}")
    records = read_ibt(path)
    assert records.shape[0] == 2683
    return records[1:]


def assert_same_records(got: np.ndarray, want: np.ndarray, *, rtol: float = 1e-9, atol: float = 1e-9) -> None:
    """Two structured result arrays hold the same rows (NaN equals NaN)."""
    assert got.dtype == want.dtype
    assert got.shape == want.shape, f"{got.shape[0]} rows vs {want.shape[0]} rows:\n{got}\n{want}"
    for name in got.dtype.names:
        np.testing.assert_allclose(got[name], want[name], rtol=rtol, atol=atol, equal_nan=True, err_msg=name)
