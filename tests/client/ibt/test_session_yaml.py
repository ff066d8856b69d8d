"""Session-info YAML: tolerant loading of hand-written iRacing YAML and iRacing-style dumps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from racecoach.client.ibt import dump_session_info, load_session_info, read_ibt

DATA = Path(__file__).resolve().parents[2] / "data"


def test_unquoted_special_values_are_repaired() -> None:
    text = (
        "---\nDriverInfo:\n Drivers:\n - CarIdx: 0\n   UserName: ,Bob\n   TeamName: @home\n"
        "   DriverSetupName: race: v2 #3\n   CarNumber: \"7\"\n   AbbrevName: [Bo\n"
        "   CarID: 161\n...\n"
    )
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(text)
    driver = load_session_info(text)["DriverInfo"]["Drivers"][0]
    assert driver == {"CarIdx": 0, "UserName": ",Bob", "TeamName": "@home",
                      "DriverSetupName": "race: v2 #3", "CarNumber": "7", "AbbrevName": "[Bo",
                      "CarID": 161}


def test_dates_stay_strings_and_empty_is_empty() -> None:
    assert load_session_info("---\nDate: 2024-04-01\n") == {"Date": "2024-04-01"}
    assert load_session_info("") == {}
    assert load_session_info("---\n...\n") == {}


def test_unparseable_yaml_raises_with_source() -> None:
    with pytest.raises(yaml.YAMLError, match="x.ibt: session-info YAML cannot be parsed"):
        load_session_info("a:\n  - b\n c: [\n", source="x.ibt")


@pytest.mark.parametrize("name", ["sebring_amg-gt4_partial.ibt", "redbullring_w13_parked.ibt"])
def test_dump_round_trips_real_session_info(name: str) -> None:
    with read_ibt(DATA / name) as f:
        info = f.session_info
        text = dump_session_info(info)
    assert text.startswith("---\n") and text.endswith("...\n")
    assert load_session_info(text) == info
    assert yaml.safe_load(text)["DriverInfo"]["Drivers"][0]["CarIdx"] == 0
    # iRacing's layout: one-space indents, list dashes under the key's first letter
    assert "\nDriverInfo:\n DriverCarIdx: " in text and "\n Drivers:\n - CarIdx: 0\n   UserName: " in text
