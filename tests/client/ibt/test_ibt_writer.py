"""The writer: files it writes read back identically through our reader and pyirsdk."""

from __future__ import annotations

import struct
from pathlib import Path

import irsdk
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from racecoach.client.ibt import (
    ChannelSpec,
    VarType,
    read_ibt,
    require_channels,
    write_ibt,
)

SESSION_INFO = {
    "WeekendInfo": {"TrackName": "spielberg gp", "TrackLength": "4.32 km", "TrackID": 403},
    "DriverInfo": {"DriverCarIdx": 0, "Drivers": [{"CarIdx": 0, "UserName": "Sim Driver"}]},
    "SessionInfo": {"Sessions": [{"SessionNum": 0, "SessionType": "Practice"}]},
}


def _channels(n: int) -> dict[str, np.ndarray]:
    t = 100.0 + np.arange(n) / 60
    return {
        "SessionTime": t,
        "SessionTick": np.arange(n) + 6000,
        "Lap": (np.arange(n) // 50).astype(np.int64),
        "Speed": np.linspace(0.0, 80.0, n),  # float64 in, written as iRacing's float
        "OnPitRoad": np.arange(n) < 20,
        "SessionFlags": np.full(n, 0x10040000, dtype=np.uint32),
        "Lat": np.full(n, 47.219722) + np.arange(n) * 1e-7,
        "TyreTemps": np.arange(n * 3, dtype=np.float32).reshape(n, 3),
    }


def test_round_trip_through_reader_and_pyirsdk(tmp_path: Path) -> None:
    path = tmp_path / "out.ibt"
    chans = _channels(180)
    write_ibt(path, channels=chans, session_info=SESSION_INFO, tick_rate_hz=60,
              specs={"TyreTemps": ChannelSpec(unit="C", desc="three temps")}, start_date_unix_s=1_700_000_000)
    raw = path.read_bytes()
    ver, status, tick, _, info_len, info_off, n_vars, vh_off, n_buf, buf_len = struct.unpack_from("<10i", raw)
    assert (ver, status, tick, n_vars, vh_off, n_buf) == (2, 1, 60, 8, 144, 1)
    assert raw[info_off:info_off + 4] == b"---\n"
    buf_offset = struct.unpack_from("<i", raw, 48 + 4)[0]
    assert buf_offset == info_off + info_len and buf_offset + 180 * buf_len == len(raw)
    assert struct.unpack_from("<qddii", raw, 112) == (1_700_000_000, 100.0, chans["SessionTime"][-1], 3, 180)

    with read_ibt(path) as f:
        assert f.record_count == 180 and f.tick_rate_hz == 60
        assert f.session_info == SESSION_INFO
        types = {v.name: v.type for v in f.variables}
        assert types == {"SessionTime": VarType.DOUBLE, "SessionTick": VarType.INT, "Lap": VarType.INT,
                         "Speed": VarType.FLOAT, "OnPitRoad": VarType.BOOL,
                         "SessionFlags": VarType.BITFIELD, "Lat": VarType.DOUBLE, "TyreTemps": VarType.FLOAT}
        assert f.variable("Speed").unit == "m/s" and f.variable("TyreTemps").unit == "C"
        assert f.variable("Lat").desc == "Latitude in decimal degrees"
        for name, array in chans.items():
            assert np.array_equal(f.channel(name), array.astype(f.channel(name).dtype)), name
        require_channels(f, list(chans))

    ref = irsdk.IBT()
    ref.open(str(path))
    try:
        assert ref.var_headers_names == list(chans)
        for name, array in chans.items():
            expected = array.astype(np.float32) if name == "Speed" else array
            assert ref.get_all(name) == expected.tolist(), name
        assert ref.get(179, "SessionTime") == chans["SessionTime"][179]
    finally:
        ref.close()


def test_session_info_given_as_text(tmp_path: Path) -> None:
    path = write_ibt(tmp_path / "t.ibt", channels={"Speed": np.zeros(3)},
                     session_info="WeekendInfo:\n TrackName: x\n", tick_rate_hz=30)
    with read_ibt(path) as f:
        assert f.session_info_text.startswith("---\n")
        assert f.session_info == {"WeekendInfo": {"TrackName": "x"}} and f.tick_rate_hz == 30


def test_bad_input_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="channels differ in length: Speed=3, Lap=4"):
        write_ibt(tmp_path / "x.ibt", channels={"Speed": np.zeros(3), "Lap": np.zeros(4)}, session_info={})
    with pytest.raises(ValueError, match="at least one channel"):
        write_ibt(tmp_path / "x.ibt", channels={}, session_info={})
    with pytest.raises(ValueError, match="does not fit"):
        write_ibt(tmp_path / "x.ibt", channels={"N" * 40: np.zeros(3)}, session_info={})
    assert not list(tmp_path.iterdir())


_DTYPES = st.sampled_from([np.float32, np.float64, np.int32, np.bool_, np.uint32])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 40), dtypes=st.lists(_DTYPES, min_size=1, max_size=6), seed=st.integers(0, 2**16))
def test_random_files_round_trip(tmp_path: Path, n: int, dtypes: list, seed: int) -> None:
    rng = np.random.default_rng(seed)
    chans = {}
    for i, dt in enumerate(dtypes):
        raw = rng.normal(size=n) * 1000
        chans[f"Var{i}"] = (raw > 0) if dt is np.bool_ else raw.astype(dt) if dt in (np.float32, np.float64) else np.abs(raw).astype(dt)
    path = write_ibt(tmp_path / f"r{seed}.ibt", channels=chans, session_info={"A": {"B": seed}})
    ref = irsdk.IBT()
    ref.open(str(path))
    try:
        with read_ibt(path) as f:
            for name, array in chans.items():
                assert f.channel(name).dtype == np.dtype(array.dtype).newbyteorder("<")
                assert f.channel(name).tolist() == array.tolist() == ref.get_all(name)
            assert f.session_info == {"A": {"B": seed}}
    finally:
        ref.close()
