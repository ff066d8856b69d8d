"""``racing-coach train``: simulate training laps, fit the coaching model, judge it on circuits it never
saw, and write the ONNX model and its model card (needs the ``train`` extra: ``pip install -e '.[train]'``)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

def _names(text: str | None) -> tuple[str, ...] | None:
    return tuple(t.strip() for t in text.split(",") if t.strip()) if text else None


def add_parser(sub) -> None:
    parser = sub.add_parser("train", help="train the coaching model on simulated laps and write it with its card")
    parser.add_argument("--seed", type=int, default=7, help="the models' random seed (default 7)")
    parser.add_argument("--sessions", default=None, metavar="1,2,3",
                        help="simulator seeds, one session per seed, track and car (default 1,2,3,4,5,6)")
    parser.add_argument("--train-tracks", default=None, help="circuits to train on (comma-separated)")
    parser.add_argument("--test-tracks", default=None, help="held-out circuits the metrics are measured on")
    parser.add_argument("--cars", default=None, help="cars (default gt3,gt4)")
    parser.add_argument("-o", "--output-dir", type=Path, default=None,
                        help="where the .onnx model and its .card.json go (default: the coaching service's model folder)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError

    try:
        from racecoach.services.coaching.training.fit import Settings, settings_from, train
    except ImportError as exc:
        raise CliError(f"training needs the train extra (pip install -e '.[train]'): {exc}") from exc
    overrides = {key: value for key, value in (
        ("train_tracks", _names(args.train_tracks)), ("test_tracks", _names(args.test_tracks)),
        ("cars", _names(args.cars))) if value is not None}
    sessions = [int(s) for s in _names(args.sessions)] if args.sessions else list(Settings().seeds)
    settings = settings_from(seed=args.seed, seeds=sessions, **overrides)
    if args.output_dir is None:
        from racecoach.services.coaching.model.runtime import DEFAULT_MODEL_PATH

        args.output_dir = DEFAULT_MODEL_PATH.parent
    started = time.monotonic()
    card = train(settings=settings, out_dir=args.output_dir)
    metrics = card["metrics"]
    print(f"{metrics['train_laps']} training laps, {metrics['held_out_laps']} held-out laps on "
          f"{', '.join(settings.test_tracks)} ({time.monotonic() - started:.0f} s)")
    print("time within reach MAE (s):", json.dumps(metrics["time_within_reach_mae_s"]))
    print("corner time-cost MAE (s):", json.dumps(metrics["corner_cost_mae_s"]))
    for cause, row in metrics["causes"].items():
        m, r = row["model"], row["rules"]
        print(f"  {cause:15s} model P {_pct(m['precision'])} R {_pct(m['recall'])} F1 {_pct(m['f1'])} | "
              f"rules P {_pct(r['precision'])} R {_pct(r['recall'])} F1 {_pct(r['f1'])} -> {row['decision']}")
    print(f"wrote {args.output_dir}", file=sys.stderr)
    return 0


def _pct(value: float | None) -> str:
    return "  – " if value is None else f"{100 * value:3.0f}%"
