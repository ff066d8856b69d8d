"""``racing-coach simulate``: write a simulated session as an .ibt file plus its ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path

from racecoach.client.commands import arguments


SPREAD_HELP = ("lap-to-lap driver variability: 'typical' (default) draws, per lap and corner, a brake "
                "point ~2 m early, a minimum speed ~0.6 km/h low, full throttle ~3 m late, at some corners "
                "a brake pressure peak under the grip limit, and a little lateral line wander (so no lap "
                "is faster than the ideal, and --seed reproduces them); 'none' drives every lap as the "
                "ideal lap")


def run(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError
    from racecoach.client.simulator import (DriverProfile, MistakeParseError, Variability, available_tracks,
                                           parse_mistake, simulate_session, write_session)

    spreads = {"typical": Variability.typical, "none": Variability}
    tracks = available_tracks()
    if args.track not in tracks:
        raise CliError(f"unknown track {args.track!r}; choose one of {', '.join(tracks)}")
    try:
        mistakes = tuple(parse_mistake(text) for text in args.mistake)
        session = simulate_session(track=args.track, laps=args.laps, car=args.car, seed=args.seed,
                                   profile=DriverProfile(mistakes=mistakes, variability=spreads[args.spread]()),
                                   start_in_pits=args.start_in_pits)
    except (MistakeParseError, ValueError, KeyError) as exc:
        raise CliError(str(exc)) from None
    try:
        ibt, truth = write_session(session, Path(args.output))
    except OSError as exc:
        raise CliError(f"{args.output}: {exc.strerror or exc}") from None
    times = ", ".join(f"{t:.3f} s" for t in session.lap_times_s)
    print(f"wrote {ibt} ({args.laps} timed laps: {times}) and {truth}")
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("simulate", help="simulate laps on a real circuit shape and write an .ibt")
    parser.add_argument("--track", default="Spielberg", help="circuit (default Spielberg)")
    parser.add_argument("--laps", type=arguments.positive_int, default=3, help="timed laps (default 3)")
    parser.add_argument("--car", default="gt3", help="car model (default gt3)")
    parser.add_argument("--mistake", action="append", default=[], metavar="SPEC",
                        help="a mistake to inject, e.g. brake-early:corner=3:metres=15:laps=2 (repeatable)")
    parser.add_argument("--spread", choices=("typical", "none"), default="typical", help=SPREAD_HELP)
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed reproduces the session")
    parser.add_argument("--start-in-pits", action="store_true", help="begin with an out-lap from the pit stall")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.ibt", type=arguments.output_file)
    parser.set_defaults(run=run)
