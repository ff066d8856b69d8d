"""Training rows from the simulator: corner and lap rows with the truth's causes and costs and the rules'."""

from __future__ import annotations

import numpy as np
import pytest
from racecoach.services.coaching.model import spec
from racecoach.services.coaching.training.dataset import CAUSES, CORNER_FEATURES, build_rows


@pytest.fixture(scope="module")
def rows():
    return build_rows(tracks=["Spielberg", "Norisring"], cars=("gt3",), seeds=[1], laps=4)


def test_rows_carry_features_truth_and_the_rules(rows):
    data = rows.arrays()
    assert data["corner_x"].shape[1] == len(CORNER_FEATURES) and data["corner_y"].shape[1] == len(CAUSES)
    assert data["lap_x"].shape[1] == len(spec.FEATURE_NAMES)
    assert set(data["lap_track"]) == {"Spielberg", "Norisring"}
    assert len(data["corner_x"]) == len(data["corner_y"]) == len(data["corner_rules_y"]) == len(data["corner_track"])
    assert data["corner_y"].sum() > 0 and data["lap_reach_s"].max() > 0  # the scenarios inject mistakes
    assert np.all(data["lap_reach_s"] >= 0) and np.all(data["corner_cost_s"] >= 0)
    # a corner with a truth cause carries its cost, one without carries none
    assert np.all((data["corner_y"].sum(axis=1) > 0) | (data["corner_cost_s"] == 0))
    rules_reach = data["lap_x"][:, spec.FEATURE_NAMES.index("rules_within_reach_s")]
    np.testing.assert_allclose(rules_reach, data["lap_rules_reach_s"], rtol=1e-5, atol=1e-6)
