"""``racing-coach train`` on a tiny set: it writes a model the coaching runtime loads, and its card."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("skl2onnx")

from racecoach.client.cli import main  # noqa: E402
from racecoach.services.coaching.model import spec  # noqa: E402
from racecoach.services.coaching.model.runtime import open_model  # noqa: E402


def test_train_writes_a_loadable_model_and_its_card(tmp_path, capsys):
    code = main(["train", "--seed", "2", "--sessions", "1", "--cars", "gt3", "--train-tracks", "Spielberg",
                 "--test-tracks", "Norisring", "-o", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "held-out laps on Norisring" in out and "time within reach MAE" in out and "brake_early" in out
    assert open_model(path=tmp_path / spec.MODEL_FILE).version == spec.MODEL_VERSION
    card = json.loads((tmp_path / spec.CARD_FILE).read_text())
    assert card["command"] == "racing-coach train --seed 2" and card["settings"]["seeds"] == [1]
