"""Lap and session export as CSV and Parquet over real gRPC: the files read back to what was written."""

from __future__ import annotations

import io

import grpc
import numpy as np
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from racecoach.services.storage import export
from racecoach.storage.v1 import storage_pb2
from seeding import LAP_SAMPLES, auth, rpc_error, seed_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
CSV, PARQUET = storage_pb2.EXPORT_FORMAT_CSV, storage_pb2.EXPORT_FORMAT_PARQUET


async def download(call) -> tuple[bytes, str, str]:
    chunks = [r.chunk async for r in call]
    assert chunks, "an export always sends at least one chunk"
    assert all(not c.content_type and not c.filename for c in chunks[1:])
    return b"".join(c.data for c in chunks), chunks[0].content_type, chunks[0].filename


def read(data: bytes, fmt: int) -> dict[str, np.ndarray]:
    table = pq.read_table(io.BytesIO(data)) if fmt == PARQUET else pa_csv.read_csv(io.BytesIO(data))
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def assert_same(got: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    for name, values in expected.items():
        assert name in got, name
        assert len(got[name]) == len(values), name
        # CSV carries each float32 in its shortest exact text; read as float64 and narrowed it is the same value.
        np.testing.assert_array_equal(got[name].astype(values.dtype), values, err_msg=name)


@pytest.mark.parametrize("fmt", [CSV, PARQUET])
async def test_lap_export_reads_back_to_the_written_samples(storage_stub, token_for, fmt):
    token = await token_for()
    seeded = await seed_session(storage_stub, token, laps=2)
    data, content_type, filename = await download(
        storage_stub.ExportLap(storage_pb2.ExportLapRequest(lap_id=seeded.lap_ids[1], format=fmt), metadata=auth(token))
    )
    assert content_type == ("text/csv" if fmt == CSV else "application/vnd.apache.parquet")
    assert filename.endswith("-lap-2." + ("csv" if fmt == CSV else "parquet"))
    got = read(data, fmt)
    assert next(iter(got)) == "session_time_s"
    assert "clutch" not in got  # never stored: left out rather than a column of blanks
    assert_same(got, seeded.lap_arrays(2))
    assert len(got["session_time_s"]) == LAP_SAMPLES


@pytest.mark.parametrize("fmt", [CSV, PARQUET])
async def test_session_export_is_every_sample_once_across_slices(storage_stub, token_for, monkeypatch, fmt):
    monkeypatch.setattr(export, "SLICE_SAMPLES", 500)  # several slices and Parquet row groups
    monkeypatch.setattr(export, "PIECE_BYTES", 4096)  # several streamed pieces
    token = await token_for()
    seeded = await seed_session(storage_stub, token, laps=3, batch_samples=200)
    data, _, filename = await download(
        storage_stub.ExportSession(storage_pb2.ExportSessionRequest(session_id=seeded.session_id, format=fmt), metadata=auth(token))
    )
    assert filename.startswith(seeded.session_id)
    assert_same(read(data, fmt), seeded.arrays)
    if fmt == PARQUET:
        assert pq.ParquetFile(io.BytesIO(data)).num_row_groups > 1


async def test_export_of_chosen_channels_and_of_an_empty_session(storage_stub, token_for):
    token = await token_for()
    seeded = await seed_session(storage_stub, token, laps=1)
    request = storage_pb2.ExportLapRequest(lap_id=seeded.lap_ids[0], format=PARQUET, channels=["speed_mps", "gear"])
    data, _, _ = await download(storage_stub.ExportLap(request, metadata=auth(token)))
    got = read(data, PARQUET)
    assert list(got) == ["session_time_s", "speed_mps", "gear"]
    np.testing.assert_array_equal(got["gear"], seeded.lap_arrays(1)["gear"])

    empty = await seed_session(storage_stub, token, laps=0)
    data, content_type, _ = await download(
        storage_stub.ExportSession(storage_pb2.ExportSessionRequest(session_id=empty.session_id, channels=["speed_mps"]), metadata=auth(token))
    )
    assert content_type == "text/csv" and data.decode().strip() == '"session_time_s","speed_mps"'


async def test_export_refuses_unknown_channels_formats_and_things(storage_stub, token_for):
    token = await token_for()
    seeded = await seed_session(storage_stub, token, laps=1)
    bad_channel = storage_pb2.ExportLapRequest(lap_id=seeded.lap_ids[0], channels=["warp_factor"])
    assert await rpc_error(storage_stub.ExportLap(bad_channel, metadata=auth(token))) == grpc.StatusCode.INVALID_ARGUMENT
    bad_format = storage_pb2.ExportSessionRequest(session_id=seeded.session_id, format=7)
    assert await rpc_error(storage_stub.ExportSession(bad_format, metadata=auth(token))) == grpc.StatusCode.INVALID_ARGUMENT
    missing = storage_pb2.ExportLapRequest(lap_id="no-such-lap")
    assert await rpc_error(storage_stub.ExportLap(missing, metadata=auth(token))) == grpc.StatusCode.NOT_FOUND
    assert await rpc_error(storage_stub.ExportLap(missing)) == grpc.StatusCode.UNAUTHENTICATED
