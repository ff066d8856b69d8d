"""Training rows from the project's simulator: sessions with driver variability and injected mistakes,
analysed in-process (``StreamAnalyzer`` and its comparison with the stream's reference), one row per
corner and one per lap of every judged lap, with the truth's causes and true time costs.

A *corner row* holds the corner's measures against the reference's (:data:`CORNER_FEATURES`), its
geometry, the causes the truth injected there (multi-label over :data:`CAUSES`; a lift belongs to the
corner whose straight holds it, as the eval maps it) with their summed true cost, and what the rules
said there (their causes and time). A *lap row* holds :func:`racecoach.services.coaching.features.lap_features`
(the served model's input), the truth's time within reach (the lap's mistakes' summed cost) and the rules'.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import structlog
from racecoach.client.evaluation.judge import is_judged, lap_views
from racecoach.client.evaluation.matching import (
    KIND_TYPES,
    analysis_corner_for,
    feedback_kind,
    mistake_cost_s,
    problem_remarks,
    straight_owner,
)
from racecoach.client.evaluation.scenarios import build_scenario
from racecoach.client.simulator import simulate_session
from racecoach.client.source import canonical_arrays
from racecoach.services.analysis.catalogue import CornerCatalogue
from racecoach.services.analysis.stream import StreamAnalyzer
from racecoach.services.coaching import rules
from racecoach.services.coaching.corner_features import corner_rows
from racecoach.services.coaching.features import lap_features
from racecoach.services.coaching.model import cause_spec
from racecoach.coaching.v1 import coaching_pb2
from racecoach.telemetry.v1 import telemetry_pb2

CAUSES: tuple[str, ...] = tuple(KIND_TYPES)
CARS: tuple[str, ...] = ("gt3", "gt4")
BATCH = 6  # samples per fed batch, as the ingest stream sends them
CORNER_FEATURES: tuple[str, ...] = cause_spec.FEATURE_NAMES


@dataclass
class Rows:
    """Corner and lap rows with their labels; ``*_track`` names each row's circuit for the split."""

    corner_x: list[list[float]] = field(default_factory=list)
    corner_y: list[list[int]] = field(default_factory=list)
    corner_cost_s: list[float] = field(default_factory=list)
    corner_rules_y: list[list[int]] = field(default_factory=list)
    corner_rules_cost_s: list[float] = field(default_factory=list)
    corner_track: list[str] = field(default_factory=list)
    lap_x: list[list[float]] = field(default_factory=list)
    lap_reach_s: list[float] = field(default_factory=list)
    lap_rules_reach_s: list[float] = field(default_factory=list)
    lap_track: list[str] = field(default_factory=list)

    def arrays(self) -> dict[str, np.ndarray]:
        f32 = lambda v, w: np.asarray(v, dtype=np.float32).reshape(-1, w)  # noqa: E731
        return {
            "corner_x": f32(self.corner_x, len(CORNER_FEATURES)), "corner_y": np.asarray(self.corner_y, dtype=np.int64).reshape(-1, len(CAUSES)),
            "corner_cost_s": np.asarray(self.corner_cost_s), "corner_rules_y": np.asarray(self.corner_rules_y, dtype=np.int64).reshape(-1, len(CAUSES)),
            "corner_rules_cost_s": np.asarray(self.corner_rules_cost_s), "corner_track": np.asarray(self.corner_track),
            "lap_x": np.asarray(self.lap_x, dtype=np.float32), "lap_reach_s": np.asarray(self.lap_reach_s),
            "lap_rules_reach_s": np.asarray(self.lap_rules_reach_s), "lap_track": np.asarray(self.lap_track),
        }


def _truth_by_corner(view, *, length_m: float) -> dict[int, tuple[set[str], float]]:
    """Analysis corner number → (truth causes there, their summed true cost)."""
    truth_corners = {int(c["corner"]): c for c in view.truth_corners}
    out: dict[int, tuple[set[str], float]] = {}
    for mistake in view.mistakes:
        number = mistake.get("corner")
        if mistake["kind"] == "lift" and mistake.get("at_m") is not None:
            number = straight_owner(at_m=mistake["at_m"], truth_corners=view.truth_corners, length_m=length_m)
        truth = truth_corners.get(int(number)) if number is not None else None
        corner = analysis_corner_for(truth_corner=truth, analysis=view.analysis, length_m=length_m) if truth else None
        if corner is None:
            continue
        kinds, cost = out.get(corner.number, (set(), 0.0))
        out[corner.number] = (kinds | {mistake["kind"]}, cost + max(mistake_cost_s(mistake), 0.0))
    return out


def _rules_by_corner(report) -> dict[int, tuple[set[str], float]]:
    out: dict[int, tuple[set[str], float]] = {}
    for remark in problem_remarks(report):
        kind = feedback_kind(remark.type)
        if kind is None or not remark.corner_number:
            continue
        kinds, cost = out.get(remark.corner_number, (set(), 0.0))
        out[remark.corner_number] = (kinds | {kind}, cost + max(remark.time_loss_s, 0.0))
    return out


def add_view(*, rows: Rows, view, event, track: str) -> None:
    """The corner rows and the lap row of one judged lap (``event``: the analyzer's lap event)."""
    length_m = view.length_m
    reference = event.reference
    features = corner_rows(lap=view.analysis, reference=reference, corner_deltas=event.comparison.corner_deltas,
                           phase_deltas=event.comparison.phase_deltas, length_m=length_m)
    truth, said = _truth_by_corner(view, length_m=length_m), _rules_by_corner(view.report)
    for corner in view.analysis.corners:
        if corner.number not in features:
            continue
        rows.corner_x.append(features[corner.number].tolist())
        kinds, cost = truth.get(corner.number, (set(), 0.0))
        rules_kinds, rules_cost = said.get(corner.number, (set(), 0.0))
        rows.corner_y.append([int(c in kinds) for c in CAUSES])
        rows.corner_cost_s.append(cost)
        rows.corner_rules_y.append([int(c in rules_kinds) for c in CAUSES])
        rows.corner_rules_cost_s.append(rules_cost)
        rows.corner_track.append(track)
    rules_reach = float(view.report.time_within_reach_s)
    rows.lap_x.append(lap_features(lap=event.lap, reference=reference, corner_deltas=event.comparison.corner_deltas,
                                   phase_deltas=event.comparison.phase_deltas,
                                   rules_within_reach_s=rules_reach).tolist())
    rows.lap_reach_s.append(float(sum(max(mistake_cost_s(m), 0.0) for m in view.mistakes)))
    rows.lap_rules_reach_s.append(rules_reach)
    rows.lap_track.append(track)


def rules_report(*, event, has_reference: bool, track_length_m: float) -> coaching_pb2.LapReport:
    """What the rules alone say of a lap (no score): its remarks, time within reach and reference."""
    reference = event.reference if has_reference else None
    deltas = list(event.comparison.corner_deltas) if has_reference else []
    phases = list(event.comparison.phase_deltas) if has_reference else []
    feedback = rules.lap_feedback(lap=event.lap, reference=reference, corner_deltas=deltas, phase_deltas=phases,
                                  track_length_m=track_length_m)
    return coaching_pb2.LapReport(lap_id=event.lap.lap_id, lap_number=event.lap.lap_number, feedback=feedback,
                                  reference_lap_id=reference.lap_id if reference is not None else "",
                                  time_within_reach_s=rules.within_reach_s(feedback))


def session_rows(*, rows: Rows, track: str, car: str, seeds: Iterable[int], laps: int) -> None:
    """Simulate ``seeds`` on ``track`` with ``car`` (the reference carries over from session to session, as
    a driver's best lap does) and add the rows of their judged laps."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    best = None
    catalogue = CornerCatalogue(track_name=track, layout="", corners=[])
    for seed in seeds:
        scenario = build_scenario(track=track, seed=seed, car=car, laps=laps)
        sim = simulate_session(track=track, laps=laps, car=car, profile=scenario.profile, seed=seed)
        arrays = canonical_arrays(sim.channels)
        session = telemetry_pb2.Session(session_id=f"{track}-{car}-{seed}",
                                        track=telemetry_pb2.Track(name=track, length_m=sim.track.length_m))
        analyzer = StreamAnalyzer(session=session, catalogue=catalogue, best=best)
        pairs, events = [], {}
        n = len(arrays["session_time_s"])
        for seq, start in enumerate(range(0, n, BATCH), start=1):
            for event in analyzer.feed({k: v[start:start + BATCH] for k, v in arrays.items()}, seq=seq):
                has_ref = event.HasField("reference")
                report = rules_report(event=event, has_reference=has_ref, track_length_m=sim.track.length_m)
                pairs.append((event.lap, report))
                if has_ref:
                    events[event.lap.lap_id] = event
        best = analyzer.best
        for view in lap_views(session=session.session_id, truth=sim.truth, laps=pairs):
            if is_judged(view) and view.analysis.lap_id in events:
                add_view(rows=rows, view=view, event=events[view.analysis.lap_id], track=track)


def build_rows(*, tracks: Sequence[str], cars: Sequence[str] = CARS, seeds: Sequence[int], laps: int = 6,
               ) -> Rows:
    """All rows of ``tracks`` × ``cars`` × ``seeds`` (deterministic: the simulator and scenarios are seeded)."""
    rows = Rows()
    for track in tracks:
        for car in cars:
            session_rows(rows=rows, track=track, car=car, seeds=seeds, laps=laps)
    return rows
