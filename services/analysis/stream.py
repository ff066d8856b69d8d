"""Per-stream analysis: segment batches into laps, analyse each, compare with the stream's best."""

from __future__ import annotations

from dataclasses import dataclass, field

from racecoach.analysis.v1 import analysis_pb2
from racecoach.common.laps import LapDetector
from racecoach.services.analysis.catalogue import CornerCatalogue
from racecoach.services.analysis.lap import (
    LapTrace,
    analyze_trace,
    compare_traces,
    number_and_measure,
    trace_from_samples,
)
from racecoach.services.common.batch import Arrays
from racecoach.services.common.logs import get_logger
from racecoach.telemetry.v1 import telemetry_pb2

log = get_logger(__name__)


@dataclass
class StreamAnalyzer:
    """Feed a session's batches in seq order; each completed lap comes back analysed, its corners
    numbered by the layout's catalogue, and compared with the best valid lap so far: ``best`` may start
    as the driver's personal best of the track, layout and car from earlier sessions."""

    session: telemetry_pb2.Session
    catalogue: CornerCatalogue | None = None
    segmenter: LapDetector = field(default_factory=LapDetector)
    best: tuple[analysis_pb2.LapAnalysis, LapTrace] | None = None

    def __post_init__(self) -> None:
        if self.catalogue is None:
            self.catalogue = CornerCatalogue(track_name=self.session.track.name, layout=self.session.track.layout, corners=[])

    def feed(self, arrays: Arrays, *, seq: int) -> list[analysis_pb2.AnalyzeStreamResponse]:
        events = []
        for done in self.segmenter.feed(arrays, seq=seq):
            try:
                trace = trace_from_samples(
                    arrays=done.arrays, start_time_s=done.start_time_s, end_time_s=done.end_time_s,
                    length_m=self.session.track.length_m,
                )
            except ValueError as exc:
                log.warning("lap skipped", session_id=self.session.session_id, lap=done.lap_number, reason=str(exc))
                continue
            lap = analyze_trace(
                trace=trace, session_id=self.session.session_id, lap_number=done.lap_number,
                start_time_s=done.start_time_s, end_time_s=done.end_time_s, flags=done.flags,
                sample_count=len(done.arrays["session_time_s"]),
            )
            number_and_measure(catalogue=self.catalogue, lap=lap, trace=trace)
            self.catalogue.learn(lap)
            event = analysis_pb2.AnalyzeStreamResponse(lap=lap, through_seq=done.through_seq)
            if self.best is not None:
                reference, reference_trace = self.best
                event.reference.CopyFrom(reference)
                event.comparison.CopyFrom(compare_traces(lap=lap, trace=trace, reference=reference, reference_trace=reference_trace))
            if lap.valid and (self.best is None or lap.lap_time.ToNanoseconds() < self.best[0].lap_time.ToNanoseconds()):
                self.best = (lap, trace)
            events.append(event)
        return events
