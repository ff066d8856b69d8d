"""Corner identity: a track layout's corner catalogue, matching a lap's corners to it, learning it.

The catalogue lists a layout's corners numbered 1..N in order of apex along the lap. The first
valid lap analysed on a layout defines it; every later lap is numbered by matching its apexes to
the catalogue's (one lap corner per catalogue corner, nearest first, within ``tolerance_m``), and
each valid lap refines the catalogue's positions by a running mean weighted by ``laps_seen``. The
catalogue lives in storage (``GetTrackCorners`` / ``PutTrackCorners``) so "Turn 3" is one place in
every session of the layout; without storage a stream keeps its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import grpc
import numpy as np
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.common.logging import get_logger
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

log = get_logger(__name__)

CORNER_MATCH_M = 60.0


def match_corners(*, apexes_m: Sequence[float], catalogue_apexes_m: Sequence[float], tolerance_m: float = CORNER_MATCH_M) -> list[int]:
    """The catalogue number (1-based) of each lap corner, 0 where none is within ``tolerance_m``.

    Pairs are taken nearest first, so each catalogue corner is given to at most one lap corner
    and two lap corners near one catalogue corner cannot both claim it.
    """
    found = np.asarray(apexes_m, dtype=np.float64)
    known = np.asarray(catalogue_apexes_m, dtype=np.float64)
    numbers = [0] * len(found)
    if not len(found) or not len(known):
        return numbers
    gap = np.abs(found[:, None] - known[None, :])
    taken_found, taken_known = set(), set()
    for flat in np.argsort(gap, axis=None, kind="stable"):
        i, k = divmod(int(flat), len(known))
        if gap[i, k] > tolerance_m:
            break
        if i in taken_found or k in taken_known:
            continue
        numbers[i] = k + 1
        taken_found.add(i)
        taken_known.add(k)
    return numbers


def catalogue_from_corners(corners: Sequence[analysis_pb2.Corner]) -> list[storage_pb2.TrackCorner]:
    """A new catalogue from one lap's corners (in apex order), each seen once."""
    ordered = sorted(corners, key=lambda c: c.apex_m)
    return [
        storage_pb2.TrackCorner(number=n, entry_m=c.entry_m, apex_m=c.apex_m, exit_m=c.exit_m, direction=c.direction, laps_seen=1)
        for n, c in enumerate(ordered, start=1)
    ]


def refine_catalogue(*, catalogue: Sequence[storage_pb2.TrackCorner], corners: Sequence[analysis_pb2.Corner]) -> list[storage_pb2.TrackCorner]:
    """The catalogue after one more valid lap: each matched entry moves to the running mean of its
    positions (weight ``laps_seen``), ``laps_seen`` grows by one; unmatched entries stay as they are.
    ``corners`` carry their catalogue numbers (from :func:`match_corners`)."""
    by_number = {c.number: c for c in corners if c.number}
    refined = []
    for entry in catalogue:
        seen = by_number.get(entry.number)
        new = storage_pb2.TrackCorner()
        new.CopyFrom(entry)
        if seen is not None:
            w = max(entry.laps_seen, 1)
            new.entry_m = (entry.entry_m * w + seen.entry_m) / (w + 1)
            new.apex_m = (entry.apex_m * w + seen.apex_m) / (w + 1)
            new.exit_m = (entry.exit_m * w + seen.exit_m) / (w + 1)
            new.laps_seen = w + 1
        refined.append(new)
    # Refinement may not reorder apexes (storage keeps numbers in apex order); keep the old order if it would.
    apexes = [c.apex_m for c in refined]
    return refined if apexes == sorted(apexes) else [storage_pb2.TrackCorner.FromString(c.SerializeToString()) for c in catalogue]


@dataclass
class CornerCatalogue:
    """One layout's catalogue as a stream or request uses it; ``dirty`` when it should be saved."""

    track_name: str
    layout: str
    corners: list[storage_pb2.TrackCorner]
    dirty: bool = False

    @property
    def apexes_m(self) -> list[float]:
        return [c.apex_m for c in self.corners]

    def number(self, lap: analysis_pb2.LapAnalysis) -> None:
        """Number ``lap``'s corners (and its zones' corner numbers) from the catalogue; corners that
        match no catalogue corner are left out (a number means one place on the track)."""
        if not self.corners:
            return
        numbers = match_corners(apexes_m=[c.apex_m for c in lap.corners], catalogue_apexes_m=self.apexes_m)
        renumber = {old.number: new for old, new in zip(lap.corners, numbers)}
        kept = []
        for corner, new in zip(lap.corners, numbers):
            if new:
                corner.number = new
                kept.append(corner)
        del lap.corners[:]
        lap.corners.extend(kept)
        for zone in lap.braking_zones:
            zone.corner_number = renumber.get(zone.corner_number, 0)

    def learn(self, lap: analysis_pb2.LapAnalysis) -> None:
        """Take in a valid, numbered lap: define the catalogue when empty, else refine it."""
        if not lap.valid or not lap.corners:
            return
        if not self.corners:
            self.corners = catalogue_from_corners(lap.corners)
        else:
            self.corners = refine_catalogue(catalogue=self.corners, corners=lap.corners)
        self.dirty = True


@dataclass
class CatalogueStore:
    """Reads and writes catalogues through storage with the caller's metadata; never fails the analysis."""

    storage: storage_pb2_grpc.StorageServiceStub | None
    timeout_s: float = 10.0

    async def load(self, *, track_name: str, layout: str, metadata: Sequence[tuple[str, str]]) -> CornerCatalogue:
        catalogue = CornerCatalogue(track_name=track_name, layout=layout, corners=[])
        if self.storage is None or not track_name:
            return catalogue
        try:
            got = await self.storage.GetTrackCorners(
                storage_pb2.GetTrackCornersRequest(track_name=track_name, layout=layout), metadata=list(metadata), timeout=self.timeout_s,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("corner catalogue unavailable; using a per-stream catalogue", track=track_name, layout=layout,
                        code=exc.code().name, details=exc.details())
            return catalogue
        catalogue.corners = list(got.corners)
        return catalogue

    async def save(self, catalogue: CornerCatalogue, *, metadata: Sequence[tuple[str, str]]) -> None:
        if not catalogue.dirty or self.storage is None or not catalogue.track_name:
            return
        try:
            await self.storage.PutTrackCorners(
                storage_pb2.PutTrackCornersRequest(track_name=catalogue.track_name, layout=catalogue.layout, corners=catalogue.corners),
                metadata=list(metadata), timeout=self.timeout_s,
            )
            catalogue.dirty = False
        except grpc.aio.AioRpcError as exc:
            log.warning("corner catalogue not saved", track=catalogue.track_name, layout=catalogue.layout,
                        code=exc.code().name, details=exc.details())
