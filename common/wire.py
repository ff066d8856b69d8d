"""Framing a serialized batch into the envelopes it travels in, without re-encoding it.

A message field holding a sub-message is its tag and length followed by the sub-message's
bytes, so one ``SerializeToString`` of a batch serves every envelope (storage WriteRequest,
analysis AnalyzeStreamRequest, coaching LiveCuesRequest).
"""

from __future__ import annotations


def varint(value: int) -> bytes:
    if value < 0:
        raise ValueError("varint of a negative number")
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(field_number: int, payload: bytes) -> bytes:
    """Field ``field_number`` (wire type 2) holding ``payload``."""
    return varint((field_number << 3) | 2) + varint(len(payload)) + payload


def varint_field(field_number: int, value: int) -> bytes:
    """Field ``field_number`` (wire type 0) holding ``value``; empty for 0 as proto3 does."""
    return varint(field_number << 3) + varint(value) if value else b""


def write_request(*, request_id: int, field_number: int, payload: bytes) -> bytes:
    """A storage WriteRequest: request_id (1) then one item field (session 2, batch 3, lap 4, report 5)."""
    return varint_field(1, request_id) + length_delimited(field_number, payload)
