"""``racing-coach reanalyze``: complete the laps a crash left undone in the stored history.

Every session of the caller (or the one named) whose stored samples hold a lap without an analysis, or whose
laps lack a coaching report, is read again from storage, analysed and scored; the laps and reports it lacked are
stored, the others left as they are. The mesh does the same by itself when a collector stream opens; this command
is for a history nobody streams to any more.
"""

from __future__ import annotations

import argparse
import asyncio

from racecoach.client.commands.common import find_token, settings_or_exit


async def _reanalyze(*, settings, token: str, session_id: str) -> list:
    from racecoach.services.ingest.completion import complete_sessions
    from racecoach.services.ingest.links import connect

    links = connect(settings=settings)
    try:
        return await complete_sessions(links=links, metadata=[("authorization", f"Bearer {token}")], session_id=session_id)
    finally:
        await links.close()


def run(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError
    from racecoach.services.common.errors import ServiceError

    settings = settings_or_exit()
    token = find_token(settings, args.token)
    try:
        done = asyncio.run(_reanalyze(settings=settings, token=token, session_id=args.session or ""))
    except ServiceError as exc:
        raise CliError(f"reanalyze: {exc}", code=1) from exc
    laps = sum(len(d.laps) for d in done)
    reports = sum(len(d.reports) for d in done)
    for one in done:
        if one.laps or one.reports:
            print(f"session {one.session_id}: laps analysed {_numbers(one.laps)}, reports made {_numbers(one.reports)}")
    print(f"{len(done)} unfinished session(s) looked at: {laps} lap(s) analysed, {reports} report(s) made", flush=True)
    return 0


def _numbers(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers) if numbers else "none"


def add_parser(sub) -> None:
    parser = sub.add_parser("reanalyze", help="analyse and score the stored laps a crash left without analysis or report",
                            description=__doc__.split("\n\n")[1].replace("\n", " "))
    parser.add_argument("--session", metavar="SESSION_ID", help="this session only (default: every session of the caller)")
    parser.add_argument("--token", help="API token (default: RACING_COACH_TOKEN, else the device token 'up' wrote)")
    parser.set_defaults(run=run)
