"""``racing-coach eval``: replay simulated sessions with injected mistakes through the mesh and
print how well the coaching found them (recall, precision, top advice, harmful remarks, ...)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import structlog

from racecoach.client.commands import arguments
from racecoach.client.commands.common import find_token, settings_or_exit

DEFAULT_SEEDS = "1,2,3"
DEFAULT_LAPS = 6


def _tracks(text: str | None) -> list[str]:
    from racecoach.client.cli import CliError
    from racecoach.client.simulator import available_tracks

    known = available_tracks()
    if not text:
        return known
    tracks = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in tracks if t not in known]
    if unknown or not tracks:
        raise CliError(f"unknown track {', '.join(unknown) or text!r}; choose from {', '.join(known)}")
    return tracks


def _seeds(text: str) -> list[int]:
    from racecoach.client.cli import CliError

    seeds: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",") if p.strip()):
            low, sep, high = part.partition("..")
            seeds += list(range(int(low), int(high) + 1)) if sep else [int(part)]
    except ValueError:
        raise CliError(f"--seeds: {text!r} is not a list of integers (e.g. 1,2,3 or 1..5)") from None
    if not seeds:
        raise CliError("--seeds: no seeds given")
    return seeds


def _progress(run) -> None:
    print(f"  {run.scenario.name}: {len(run.laps)} laps back in {run.seconds:.1f} s (session {run.session_id})",
          file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError
    from racecoach.client.evaluation.mesh import MeshStartError, temporary_mesh
    from racecoach.client.evaluation.report import format_summary
    from racecoach.client.evaluation.runner import MeshUnreachable, evaluate
    from racecoach.client.uploader import UploadError
    from racecoach.services.common.logs import configure_logging

    tracks, seeds = _tracks(args.tracks), _seeds(args.seeds)
    if args.laps < 3:
        raise CliError("--laps must be at least 3 (two clean laps, then laps with mistakes)")
    if args.car not in _cars():
        raise CliError(f"unknown car {args.car!r}; choose from {', '.join(_cars())}")
    settings = settings_or_exit()
    previous = structlog.get_config()
    configure_logging(level=settings.log_level)
    started = time.monotonic()
    try:
        with temporary_mesh() if args.start_mesh else nullcontext() as mesh:
            if mesh is not None:
                address, token = args.ingest or mesh.ingest, args.token or mesh.token
                print(f"evaluation mesh up in {time.monotonic() - started:.0f} s ({mesh.data_dir})", file=sys.stderr)
            else:
                address, token = args.ingest or settings.address("ingest"), find_token(settings, args.token)
            print(f"eval: {len(tracks)} tracks × {len(seeds)} seeds, {args.laps} laps, {args.car}, ingest {address}",
                  file=sys.stderr, flush=True)
            summary, _ = asyncio.run(evaluate(tracks=tracks, seeds=seeds, car=args.car, laps=args.laps,
                                              address=address, token=token, on_session=_progress,
                                              variability=not args.no_variability))
    except (MeshUnreachable, MeshStartError) as exc:
        raise CliError(str(exc), code=3) from None
    except UploadError as exc:
        raise CliError(str(exc), code=3) from None
    finally:
        structlog.configure(**previous)  # the logging set up for this run ends with it (main() may be called in-process)
    summary["wall_s"] = round(time.monotonic() - started, 1)
    print(format_summary(summary))
    print(f"\n(wall time {summary['wall_s']:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        print(f"metrics written to {args.json}")
    return 0


def _cars() -> list[str]:
    from racecoach.client.simulator import CARS

    return sorted(CARS)


def add_parser(sub) -> None:
    parser = sub.add_parser("eval", help="judge the coaching: simulated mistakes replayed through the mesh, scored against the truth")
    parser.add_argument("--tracks", help="comma-separated tracks (default: every simulator track)")
    parser.add_argument("--seeds", default=DEFAULT_SEEDS, help=f"comma-separated seeds or a range a..b (default {DEFAULT_SEEDS})")
    parser.add_argument("--laps", type=int, default=DEFAULT_LAPS, help=f"timed laps per session (default {DEFAULT_LAPS})")
    parser.add_argument("--car", default="gt3", help="car model (default gt3)")
    parser.add_argument("--ingest", help="ingest address host:port (default from settings)")
    parser.add_argument("--token", type=arguments.token, help="API token (default: RACING_COACH_TOKEN or the device token of 'up')")
    parser.add_argument("--json", metavar="FILE", help="also write every metric to FILE as JSON")
    parser.add_argument("--start-mesh", action="store_true",
                        help="start a throw-away mesh (embedded PostgreSQL, free ports) for the run and stop it after")
    parser.add_argument("--no-variability", action="store_true", help="drive every lap exactly (no driver variability)")
    parser.set_defaults(run=run)
