"""The vectorised reader against pyirsdk (an independent reader) and against bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import irsdk
import numpy as np
import pytest
from racecoach.client.ibt import (
    IbtError,
    IbtFormatError,
    IbtMissingChannelError,
    IbtTruncatedError,
    VarType,
    read_ibt,
    require_channels,
)

DATA = Path(__file__).resolve().parents[2] / "data"
SEBRING = DATA / "sebring_amg-gt4_partial.ibt"
RBR = DATA / "redbullring_w13_parked.ibt"
INVALID = DATA / "invalid_truncated.ibt"


@pytest.mark.parametrize(("path", "n_vars", "n_records", "track"), [
    (SEBRING, 285, 2683, "sebring international"),
    (RBR, 276, 390, "spielberg gp"),
])
def test_every_variable_matches_pyirsdk(path: Path, n_vars: int, n_records: int, track: str) -> None:
    ref = irsdk.IBT()
    ref.open(str(path))
    try:
        with read_ibt(path) as f:
            assert f.tick_rate_hz == 60
            assert f.record_count == n_records
            assert len(f.variables) == n_vars
            assert [v.name for v in f.variables] == ref.var_headers_names
            assert f.session_info["WeekendInfo"]["TrackName"] == track
            for var in f.variables:
                ours = f.channel(var.name)
                theirs = ref.get_all(var.name)
                assert ours.shape == ((n_records,) if var.count == 1 else (n_records, var.count))
                assert ours.tolist() == theirs, var.name
            # per-value access at a few indices, including the first and the last record
            for index in (0, 1, n_records // 2, n_records - 1):
                for name in ("SessionTime", "Speed", "Lap", "OnPitRoad", "SessionFlags", "Lat"):
                    assert f.channel(name)[index].item() == ref.get(index, name)
    finally:
        ref.close()


def test_metadata_and_types() -> None:
    with read_ibt(SEBRING) as f:
        t = f.channel("SessionTime")
        assert t.dtype == np.float64 and f.variable("SessionTime").type is VarType.DOUBLE
        assert f.channel("Speed").dtype == np.float32 and f.variable("Speed").unit == "m/s"
        assert f.channel("Lap").dtype == np.int32
        assert f.channel("OnPitRoad").dtype == np.bool_
        assert f.channel("SessionFlags").dtype == np.uint32
        assert f.channel("SteeringWheelTorque_ST").shape == (2683, 6)
        # 60 Hz: consecutive samples 1/60 s apart (one real frame is 2/60 s late)
        steps = np.diff(t)
        assert np.median(steps) == pytest.approx(1 / 60, abs=1e-9)
        assert np.count_nonzero(np.abs(steps - 1 / 60) > 1e-6) == 1
        assert f.disk_header.start_time == t[0] and f.disk_header.end_time == t[-1]
        assert f.disk_header.record_count == 2683
        # 2,683 records of 1,099 bytes end exactly at the end of the file
        assert f.header.buf_offset + 2683 * f.header.buf_len == SEBRING.stat().st_size
        assert f.session_info["DriverInfo"]["DriverCarIdx"] >= 0
        assert f.session_info["WeekendInfo"]["TrackLength"] == "5.7938 km"


def test_channels_are_read_only_views_that_outlive_close() -> None:
    f = read_ibt(RBR)
    speed = f.channel("Speed")
    assert np.shares_memory(speed, f.records)
    assert not speed.flags.writeable
    copied = f.channel("Speed", copy=True)
    assert copied.flags.c_contiguous and not np.shares_memory(copied, f.records)
    expected = speed.tolist()
    everything = f.channels()
    assert set(everything) == set(f.channel_names) and len(everything) == 276
    f.close()
    assert speed.tolist() == expected  # the mapping lives while a view does
    f.close()  # idempotent


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.ibt"
    path.write_bytes(b"")
    with pytest.raises(IbtTruncatedError, match=r"empty\.ibt is empty \(0 bytes\)"):
        read_ibt(path)


def test_foreign_file_is_a_format_error() -> None:
    with pytest.raises(IbtFormatError) as info:
        read_ibt(INVALID)
    message = str(info.value)
    assert message.startswith("invalid_truncated.ibt is not an iRacing .ibt file: ")
    assert "header version is 1635021600" in message
    assert isinstance(info.value, IbtError) and isinstance(info.value, ValueError)


def test_tiny_file(tmp_path: Path) -> None:
    path = tmp_path / "tiny.ibt"
    path.write_bytes(SEBRING.read_bytes()[:100])
    with pytest.raises(IbtTruncatedError, match="tiny.ibt is not an iRacing .ibt file: 100 bytes"):
        read_ibt(path)


def test_truncated_records(tmp_path: Path) -> None:
    path = tmp_path / "sebring.ibt"
    path.write_bytes(SEBRING.read_bytes()[:2_000_000])
    with pytest.raises(IbtTruncatedError) as info:
        read_ibt(path)
    assert str(info.value) == (
        "sebring.ibt: header says 2,683 records of 1,099 bytes at offset 72,530 "
        "but the file ends at byte 2,000,000 (truncated)")
    with read_ibt(path, allow_truncated=True) as cut, read_ibt(SEBRING) as full:
        assert cut.record_count == (2_000_000 - 72_530) // 1_099
        n = cut.record_count
        assert np.array_equal(cut.channel("Speed"), full.channel("Speed")[:n])


def test_truncated_session_info(tmp_path: Path) -> None:
    path = tmp_path / "sebring.ibt"
    path.write_bytes(SEBRING.read_bytes()[:70_000])
    with pytest.raises(IbtTruncatedError, match=r"sebring\.ibt: header says the session info ends at byte 72,530 but the file ends at byte 70,000 \(truncated\)"):
        read_ibt(path)


def test_corrupt_variable_header(tmp_path: Path) -> None:
    raw = bytearray(RBR.read_bytes())
    raw[144 + 4:144 + 8] = (10_000).to_bytes(4, "little")  # SessionTime offset beyond the record
    path = tmp_path / "bad.ibt"
    path.write_bytes(bytes(raw))
    with pytest.raises(IbtFormatError, match=r"bad\.ibt: variable header 0 \('SessionTime'\)"):
        read_ibt(path)


def test_missing_channels() -> None:
    with read_ibt(SEBRING) as f:
        with pytest.raises(IbtMissingChannelError) as info:
            f.channel("Spede")
        assert isinstance(info.value, KeyError) and isinstance(info.value, IbtError)
        assert "sebring_amg-gt4_partial.ibt: required channel not recorded: Spede (did you mean Speed" in str(info.value)
        with pytest.raises(IbtMissingChannelError) as info:
            require_channels(f, ["Speed", "Throttle", "NoSuchThing", "Brakes"])
        assert info.value.missing == ("NoSuchThing", "Brakes")
        assert "channels not recorded" in str(info.value)
        require_channels(f, ["Speed", "LapDistPct"])  # present: no error
        with pytest.raises(IbtMissingChannelError):
            f.channels(["Speed", "Nope"])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_ibt(tmp_path / "nope.ibt")


def test_zero_record_count_is_inferred_from_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "unfinalised.ibt"
    shutil.copy(RBR, path)
    raw = bytearray(path.read_bytes())
    raw[112 + 28:112 + 32] = (0).to_bytes(4, "little")  # disk header record count
    path.write_bytes(bytes(raw))
    with read_ibt(path) as f:
        assert f.record_count == 390
