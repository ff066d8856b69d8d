"""Benchmark: what coaching a lap costs, against what analysing it costs, in the same process.

Run with ``python benchmarks/bench_coaching.py``. It simulates a session with the project's
simulator (driver variability and the eval's injected mistakes), feeds it to the analysis
service's ``StreamAnalyzer`` in 6-sample batches as ingest does, and times per lap:

* **analysis**: every ``feed`` call of the lap's batches (accumulating, then the lap analysis and the
  comparison with the reference at the line);
* **coaching**: ``score_lap`` as the coaching service runs it (rules, the lap features and the lap model,
  then the cause model confirming the rules' remarks with its per-feature contributions), and its parts.

Figures are medians over the laps (each lap's coaching is the best of ``--repeat`` runs), printed in
milliseconds and as the ratio coaching / analysis.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time

import structlog
from racecoach.client.evaluation.scenarios import build_scenario
from racecoach.client.simulator import simulate_session
from racecoach.client.source import canonical_arrays
from racecoach.services.analysis.catalogue import CornerCatalogue
from racecoach.services.analysis.stream import StreamAnalyzer
from racecoach.services.coaching import rules
from racecoach.services.coaching.confirm import confirmed_feedback
from racecoach.services.coaching.features import lap_features
from racecoach.services.coaching.model.cause_runtime import load_cause_model
from racecoach.services.coaching.model.runtime import load_model
from racecoach.services.coaching.scoring import score_lap
from racecoach.telemetry.v1 import telemetry_pb2

BATCH = 6


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", default="Spa")
    parser.add_argument("--car", default="gt3")
    parser.add_argument("--laps", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    scenario = build_scenario(track=args.track, seed=args.seed, car=args.car, laps=args.laps)
    sim = simulate_session(track=args.track, laps=args.laps, car=args.car, profile=scenario.profile, seed=args.seed)
    arrays = canonical_arrays(sim.channels)
    length = sim.track.length_m
    session = telemetry_pb2.Session(session_id="bench", track=telemetry_pb2.Track(name=args.track, length_m=length))
    analyzer = StreamAnalyzer(session=session, catalogue=CornerCatalogue(track_name=args.track, layout="", corners=[]))
    model, causes = load_model(), load_cause_model()
    rows, spent = [], 0.0
    n = len(arrays["session_time_s"])
    for seq, start in enumerate(range(0, n, BATCH), start=1):
        batch = {k: v[start:start + BATCH] for k, v in arrays.items()}
        started = time.perf_counter()
        events = analyzer.feed(batch, seq=seq)
        spent += time.perf_counter() - started
        for event in events:
            analysis_s, spent = spent, 0.0
            if not event.HasField("reference"):
                continue
            lap, ref = event.lap, event.reference
            deltas, phases = list(event.comparison.corner_deltas), list(event.comparison.phase_deltas)
            kwargs = {"lap": lap, "reference": ref, "corner_deltas": deltas, "phase_deltas": phases,
                      "track_length_m": length}
            said = rules.lap_feedback(**kwargs)
            rows.append({
                "analysis": analysis_s,
                "coaching": best_of(args.repeat, lambda: score_lap(model=model, causes=causes, **kwargs)),
                "rules": best_of(args.repeat, lambda: rules.lap_feedback(**kwargs)),
                "lap model": best_of(args.repeat, lambda: model.score(lap_features(
                    lap=lap, reference=ref, corner_deltas=deltas, phase_deltas=phases,
                    rules_within_reach_s=rules.within_reach_s(said)))),
                "cause model": best_of(args.repeat, lambda: confirmed_feedback(feedback=said, model=causes, **kwargs)),
            })
    if not rows:
        print("no lap with a reference: simulate more laps")
        return 1
    med = {key: statistics.median(r[key] for r in rows) * 1e3 for key in rows[0]}
    print(f"{args.track}/{args.car}, {len(rows)} laps with a reference, {n} samples")
    for key, value in med.items():
        print(f"  {key:12s} {value:7.3f} ms per lap (median)")
    ratios = [r["coaching"] / r["analysis"] for r in rows]
    print(f"coaching / analysis: {statistics.median(ratios):.4f}x median "
          f"({min(ratios):.4f}-{max(ratios):.4f}x over the laps)")
    print(f"features + inference of both models: {med['lap model'] + med['cause model']:.3f} ms per lap")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
