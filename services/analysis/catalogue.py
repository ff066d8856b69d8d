"""Corner identity: a track layout's corner catalogue, numbering a lap's corners by it, learning it.

The catalogue is the layout's consensus over every valid lap seen (rules in
:mod:`racecoach.services.analysis.track_model`): published corners keep their numbers, later laps
refine their positions, and a change of the published set bumps ``version`` and is logged. A lap
is numbered by matching its corners to the published ones; a lap corner matching none is left
out (a number means one place). Until something is published (the first valid lap of a new
layout) laps are numbered provisionally. Published corners carry the official turn label from
``data/corner_names.json`` where the circuit is known.

The catalogue lives in storage (``GetTrackCorners`` / ``PutTrackCorners``) so "Turn 3" is one place
in every session of the layout. A save names the version it was built on; when another writer got
there first (ABORTED) the catalogue is reloaded, this stream's laps since the last save are
re-applied to it, and it is saved once more. Without storage a stream keeps its own.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
import numpy as np
from racecoach.analysis.v1 import analysis_pb2
from racecoach.services.analysis.corner_names import name_corners
from racecoach.services.analysis.track_model import (
    CORNER_MATCH_M,
    LapCorner,
    TrackModel,
    match_corners,
    model_from_stored,
    observe_lap,
    provisional_numbers,
    published_numbers,
)
from racecoach.services.common.auth import with_service
from racecoach.services.common.logs import get_logger
from racecoach.storage.v1 import storage_pb2, storage_pb2_grpc

log = get_logger(__name__)

__all__ = ["CORNER_MATCH_M", "CatalogueStore", "CornerCatalogue", "lap_corners", "match_corners"]


def lap_corners(corners: Sequence[analysis_pb2.Corner]) -> list[LapCorner]:
    """The positions and directions of a lap's corners, as the track model takes them."""
    return [LapCorner(entry_m=c.entry_m, apex_m=c.apex_m, exit_m=c.exit_m, direction=int(c.direction)) for c in corners]


def track_corners(model: TrackModel) -> list[storage_pb2.TrackCorner]:
    """The published corners as storage keeps them, in apex order."""
    return [
        storage_pb2.TrackCorner(number=c.number, entry_m=c.entry_m, apex_m=c.apex_m, exit_m=c.exit_m, direction=c.direction,
                                laps_seen=c.laps_seen, name=c.name)
        for c in model.published
    ]


@dataclass
class CornerCatalogue:
    """One layout's catalogue as a stream or request uses it; ``dirty`` when it should be saved.

    ``corners`` are the published corners (apex order); ``version`` the catalogue's version and
    ``base_version`` the stored version it was built on."""

    track_name: str
    layout: str
    corners: list[storage_pb2.TrackCorner]
    dirty: bool = False
    version: int = 0
    base_version: int = 0
    length_m: float = 0.0
    model: TrackModel = field(init=False, repr=False)
    _base: TrackModel = field(init=False, repr=False)
    _pending: list[list[LapCorner]] = field(init=False, repr=False, default_factory=list)
    _numbered: tuple[analysis_pb2.LapAnalysis, list[LapCorner]] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self.reset(corners=self.corners, version=self.version)

    def reset(self, *, corners: Sequence[storage_pb2.TrackCorner], version: int) -> None:
        """Hold ``corners`` at stored ``version``, forgetting this stream's evidence."""
        self.model = model_from_stored(corners=corners, version=version)
        self.version = self.base_version = version
        self._name()
        self._base = copy.deepcopy(self.model)
        self._pending = []
        self.dirty = False

    @property
    def apexes_m(self) -> list[float]:
        return [c.apex_m for c in self.corners]

    def _log(self):
        return log.bind(track=self.track_name, layout=self.layout, version=self.version)

    def _name(self) -> None:
        names = name_corners(track_name=self.track_name, layout=self.layout, apexes_m=[c.apex_m for c in self.model.published],
                             directions=[c.direction for c in self.model.published], length_m=self.length_m)
        for corner, name in zip(self.model.published, names):
            corner.name = name
        self.corners = track_corners(self.model)

    def number(self, lap: analysis_pb2.LapAnalysis) -> None:
        """Number ``lap``'s corners (and its zones' corner numbers) and name them; corners that
        match no published corner are left out (a number means one place on the track)."""
        seen = lap_corners(lap.corners)
        self._numbered = (lap, seen)
        if self.model.published:
            numbers = published_numbers(model=self.model, corners=seen)
            names = {c.number: c.name for c in self.model.published}
        else:
            numbers = provisional_numbers(model=self.model, corners=seen)
            labels = name_corners(track_name=self.track_name, layout=self.layout, apexes_m=[c.apex_m for c in seen],
                                  directions=[c.direction for c in seen], length_m=lap.distance_m or self.length_m)
            names = {n: label for n, label in zip(numbers, labels) if n}
        renumber = {old.number: new for old, new in zip(lap.corners, numbers)}
        kept = []
        for corner, new in zip(lap.corners, numbers):
            if new:
                corner.number = new
                corner.name = names.get(new, "")
                kept.append(corner)
        kept.sort(key=lambda c: c.apex_m)
        del lap.corners[:]
        lap.corners.extend(kept)
        for zone in lap.braking_zones:
            zone.corner_number = renumber.get(zone.corner_number, 0)

    def learn(self, lap: analysis_pb2.LapAnalysis) -> None:
        """Take in a valid lap (numbered or not): its corners are evidence for the consensus."""
        if not lap.valid:
            return
        seen = self._numbered[1] if self._numbered and self._numbered[0] is lap else lap_corners(lap.corners)
        self._numbered = None
        if not seen:
            return
        if lap.distance_m > 0:
            self.length_m = lap.distance_m if not self.length_m else float(np.median([self.length_m, lap.distance_m]))
        self._pending.append(seen)
        self._apply(seen)

    def _apply(self, seen: list[LapCorner]) -> None:
        changes = observe_lap(model=self.model, corners=seen)
        if changes.set_changed:
            self.version = self.model.version
            self._name()
            self._log().info("corner catalogue changed", added=list(changes.added), dropped=list(changes.dropped),
                             corners=len(self.model.published), laps_observed=self.model.laps_observed)
        elif changes.refined:
            self.corners = track_corners(self.model)
        self.dirty = self.dirty or changes.refined

    def rebase(self, *, corners: Sequence[storage_pb2.TrackCorner], version: int) -> None:
        """Another writer stored ``version``: take it and re-apply this stream's laps since the last save."""
        pending, base = self._pending, self._base
        self.reset(corners=corners, version=version)
        self.model.candidates = copy.deepcopy(base.candidates)
        self.model.laps_observed = base.laps_observed
        for seen in pending:
            self._pending.append(seen)
            self._apply(seen)

    def saved(self, *, version: int) -> None:
        """Storage now holds this catalogue as ``version``."""
        self.model.version = self.version = self.base_version = version
        self._base = copy.deepcopy(self.model)
        self._pending = []
        self.dirty = False


@dataclass
class CatalogueStore:
    """Reads and writes catalogues through storage with the caller's metadata; never fails the analysis.

    Writes carry this service's credential: storage lets only the mesh's services change a catalogue."""

    storage: storage_pb2_grpc.StorageServiceStub | None
    timeout_s: float = 10.0
    service_token: str | None = None

    async def _get(self, *, track_name: str, layout: str, metadata: Sequence[tuple[str, str]]):
        return await self.storage.GetTrackCorners(
            storage_pb2.GetTrackCornersRequest(track_name=track_name, layout=layout), metadata=list(metadata), timeout=self.timeout_s)

    async def load(self, *, track_name: str, layout: str, metadata: Sequence[tuple[str, str]]) -> CornerCatalogue:
        catalogue = CornerCatalogue(track_name=track_name, layout=layout, corners=[])
        if self.storage is None or not track_name:
            return catalogue
        try:
            got = await self._get(track_name=track_name, layout=layout, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            log.warning("corner catalogue unavailable; using a per-stream catalogue", track=track_name, layout=layout,
                        code=exc.code().name, details=exc.details())
            return catalogue
        catalogue.reset(corners=list(got.corners), version=got.version)
        return catalogue

    async def _put(self, catalogue: CornerCatalogue, *, metadata: Sequence[tuple[str, str]]) -> None:
        got = await self.storage.PutTrackCorners(
            storage_pb2.PutTrackCornersRequest(track_name=catalogue.track_name, layout=catalogue.layout, corners=catalogue.corners,
                                               base_version=catalogue.base_version),
            metadata=with_service(metadata, service_token=self.service_token), timeout=self.timeout_s,
        )
        catalogue.saved(version=got.version)

    async def save(self, catalogue: CornerCatalogue, *, metadata: Sequence[tuple[str, str]]) -> None:
        """Store a dirty catalogue on its base version; on a conflict reload, re-merge and try once more."""
        if not catalogue.dirty or self.storage is None or not catalogue.track_name:
            return
        bound = log.bind(track=catalogue.track_name, layout=catalogue.layout, base_version=catalogue.base_version)
        try:
            try:
                await self._put(catalogue, metadata=metadata)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.ABORTED:
                    raise
                got = await self._get(track_name=catalogue.track_name, layout=catalogue.layout, metadata=metadata)
                bound.info("corner catalogue changed in storage; merging", stored_version=got.version)
                catalogue.rebase(corners=list(got.corners), version=got.version)
                await self._put(catalogue, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            bound.warning("corner catalogue not saved", code=exc.code().name, details=exc.details())
