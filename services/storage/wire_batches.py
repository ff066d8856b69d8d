"""A run's batches read from their wire bytes with numpy, at no Python cost per batch and channel.

The batches of a run usually have one layout: the same session, sample count and channels, so each
batch's bytes (``TelemetryBatchRawView``) have the same length, and every tag, length prefix and the
session id sit at the same offsets; only the seq, the first sample's time and the channels' values
differ. :func:`read_run` parses the first batch's bytes field by field, checks that every other batch
has the same bytes wherever the layout is fixed, and then takes each channel of the whole run as one
numpy column of a (batches × bytes) array, and the seqs and sample counts as decoded varint columns.
Anything else (a batch of another layout, an unknown or repeated field) answers None: the caller reads
those batches field by field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from racecoach.services.common.channels import CHANNELS, Channel
from racecoach.telemetry.v1 import telemetry_pb2

_FIELDS = telemetry_pb2.TelemetryBatchRawView.DESCRIPTOR.fields_by_name
_CHANNEL_AT: dict[int, Channel] = {_FIELDS[channel.field].number: channel for channel in CHANNELS}
SESSION_ID, SEQ, SAMPLE_COUNT, FIRST_TIME = (_FIELDS[name].number for name in
                                             ("session_id", "seq", "sample_count", "first_session_time_s"))


@dataclass(frozen=True)
class Layout:
    """Where a batch's fields lie in its bytes."""

    channels: list[tuple[Channel, int, int]]  # (channel, offset, length) of each channel present
    varints: dict[int, tuple[int, int]]  # seq and sample_count: (start, end) of their value bytes
    free: np.ndarray  # the bytes that may differ from batch to batch (values), as a mask


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, at
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def layout_of(data: bytes) -> Layout | None:
    """The layout of one batch's bytes; None when it holds a field other than the known ones, or one twice."""
    free = np.zeros(len(data), dtype=bool)
    channels: list[tuple[Channel, int, int]] = []
    varints: dict[int, tuple[int, int]] = {}
    seen: set[int] = set()
    at = 0
    try:
        while at < len(data):
            key, at = _varint(data, at)
            number, wire = key >> 3, key & 7
            if number in seen:
                return None
            seen.add(number)
            if wire == 0 and number in (SEQ, SAMPLE_COUNT):
                start = at
                _, at = _varint(data, at)
                varints[number] = (start, at)
                free[start:at] = True
            elif wire == 1 and number == FIRST_TIME:
                free[at : at + 8] = True
                at += 8
            elif wire == 2 and (number in _CHANNEL_AT or number == SESSION_ID):
                size, at = _varint(data, at)
                if number != SESSION_ID:
                    channels.append((_CHANNEL_AT[number], at, size))
                    free[at : at + size] = True
                at += size
            else:
                return None
    except (IndexError, ValueError):
        return None
    if at != len(data) or SAMPLE_COUNT not in varints:
        return None
    return Layout(channels=channels, varints=varints, free=free)


def _column(rows: np.ndarray, start: int, end: int) -> np.ndarray:
    """A varint column of every batch (all of one byte length, checked by the caller)."""
    value = np.zeros(len(rows), dtype=np.uint64)
    for k in range(end - start):
        value |= (rows[:, start + k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return value.astype(np.int64)


def read_run(views: list) -> tuple[list[int], np.ndarray, dict[str, np.ndarray]] | None:
    """Every batch's seq, every batch's sample count and each channel of the run joined end to end, in the order
    of ``views``; None when the batches do not share one layout (see the module's text). A seq whose varint
    grows a byte (at 128, 16,384, ...) starts a new part, read on its own and joined to the others."""
    datas = [view.SerializeToString() for view in views]
    lengths = np.fromiter(map(len, datas), dtype=np.int64, count=len(datas))
    cuts = (np.flatnonzero(np.diff(lengths)) + 1).tolist()
    if len(cuts) > 2:
        return None
    parts = []
    for start, end in zip([0, *cuts], [*cuts, len(datas)]):
        part = _read_part(datas[start:end])
        if part is None or (parts and part[2].keys() != parts[0][2].keys()):
            return None
        parts.append(part)
    if len(parts) == 1:
        return parts[0]
    return ([seq for part in parts for seq in part[0]], np.concatenate([part[1] for part in parts]),
            {name: np.concatenate([part[2][name] for part in parts]) for name in parts[0][2]})


def _read_part(datas: list[bytes]) -> tuple[list[int], np.ndarray, dict[str, np.ndarray]] | None:
    """:func:`read_run` of batches whose bytes are all of one length."""
    length = len(datas[0])
    if length == 0:
        return None
    layout = layout_of(datas[0])
    if layout is None:
        return None
    rows = np.frombuffer(b"".join(datas), dtype=np.uint8).reshape(len(datas), length)
    fixed = ~layout.free
    if len(datas) > 1 and not bool((rows[1:, fixed] == rows[0, fixed]).all()):
        return None
    for start, end in layout.varints.values():  # every varint of one length: its continuation bits agree
        marks = rows[:, start:end] & 0x80
        if not bool((marks == marks[0]).all()):
            return None
    seq_at = layout.varints.get(SEQ)
    seqs = _column(rows, *seq_at).tolist() if seq_at is not None else [0] * len(datas)
    counts = _column(rows, *layout.varints[SAMPLE_COUNT])
    count = int(counts[0])
    if not bool((counts == count).all()):
        return None
    joined: dict[str, np.ndarray] = {}
    for channel, start, size in layout.channels:
        if size != count * channel.dtype.itemsize:
            return None
        joined[channel.field] = rows[:, start : start + size].copy().view(channel.dtype).reshape(-1)
    return seqs, counts, joined
