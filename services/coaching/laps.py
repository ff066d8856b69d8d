"""Small read-only helpers over ``LapAnalysis`` and ``CornerDelta`` messages."""

from __future__ import annotations

from collections.abc import Iterable

from racecoach.analysis.v1 import analysis_pb2

MPS_TO_KMH = 3.6


def lap_time_s(lap: analysis_pb2.LapAnalysis) -> float | None:
    """The lap time in seconds, or None when analysis left it unset (incomplete lap)."""
    if not lap.HasField("lap_time"):
        return None
    seconds = lap.lap_time.seconds + lap.lap_time.nanos / 1e9
    return seconds if seconds > 0 else None


def braking_zone_for(lap: analysis_pb2.LapAnalysis, corner_number: int) -> analysis_pb2.BrakingZone | None:
    """The first braking zone leading into ``corner_number``, or None when it was not braked for."""
    for zone in lap.braking_zones:
        if zone.corner_number == corner_number:
            return zone
    return None


def corners_by_number(lap: analysis_pb2.LapAnalysis) -> dict[int, analysis_pb2.Corner]:
    """The lap's corners keyed by number (the first one wins should a number repeat)."""
    result: dict[int, analysis_pb2.Corner] = {}
    for corner in lap.corners:
        result.setdefault(corner.number, corner)
    return result


def corner_losses(corner_deltas: Iterable[analysis_pb2.CornerDelta]) -> dict[int, float]:
    """Time lost (s, negative = gained) per corner number: the segment ending after that corner."""
    losses: dict[int, float] = {}
    for delta in corner_deltas:
        losses[delta.corner_number] = losses.get(delta.corner_number, 0.0) + delta.time_loss_s
    return losses


def lap_length_m(*laps: analysis_pb2.LapAnalysis | None, track_length_m: float = 0.0) -> float:
    """The lap length in metres: the track's when known, else the first lap's covered distance."""
    if track_length_m > 0:
        return track_length_m
    for lap in laps:
        if lap is not None and lap.distance_m > 0:
            return lap.distance_m
    return 0.0


def along_diff_m(this_m: float, reference_m: float, length_m: float) -> float:
    """``this_m - reference_m`` along the lap (m), taking the shorter way round the start/finish line."""
    diff = this_m - reference_m
    if length_m > 0:
        half = length_m / 2
        if diff > half:
            diff -= length_m
        elif diff < -half:
            diff += length_m
    return diff
