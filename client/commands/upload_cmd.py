"""``racing-coach upload``: send every session still in the spool (offline driving, an interrupted run)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from racecoach.client.commands import arguments
from racecoach.client.commands.common import find_token, settings_or_exit
from racecoach.client.reach import unreachable, unreachable_message
from racecoach.client.report import format_lap
from racecoach.client.spool import Spool, SpoolError, spool_root
from racecoach.client.uploader import Uploader, UploadError


async def upload_pending(*, spool_dir: Path, address: str, token: str, quiet_when_none: bool = False, tls=None,
                         directories: list[Path] | None = None) -> tuple[int, int]:
    """Upload and close every spooled session (or those in ``directories``); returns (uploaded, left)."""
    directories = Spool.pending(spool_dir) if directories is None else directories
    if not directories and not quiet_when_none:
        print(f"nothing to upload: no spooled sessions in {spool_dir}", flush=True)
    reason = unreachable(address=address) if directories else None
    if reason is not None:  # the uploads below retry with backoff: say at once what they wait for
        print(f"{unreachable_message(address=address, reason=reason)}; retrying with backoff", flush=True)
    done = left = 0
    for directory in directories:
        try:
            spool = Spool.load(directory)
        except SpoolError as exc:
            print(f"skipped {directory.name}: {exc}", flush=True)
            left += 1
            continue
        count = spool.unacked_count
        print(f"uploading session {spool.session_id}: {count} spooled batch{'es' if count != 1 else ''}", flush=True)
        uploader = Uploader(address=address, token=token, session=spool.session, spool=spool, tls=tls,
                            on_lap=lambda lap: print(format_lap(lap), flush=True),
                            on_status=lambda text: print(text, flush=True))
        try:
            result = await uploader.run()
        except UploadError as exc:
            spool.close()
            print(f"session {spool.session_id} not uploaded: {exc}", flush=True)
            left += 1
            continue
        done += 1
        print(f"session {spool.session_id}: committed through seq {result.committed_seq}", flush=True)
    return done, left


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    token = find_token(settings, args.token)
    address = args.ingest or settings.address("ingest")
    _, left = asyncio.run(upload_pending(spool_dir=spool_root(settings.data_dir), address=address, token=token, tls=settings.tls))
    return 3 if left else 0


def add_parser(sub) -> None:
    parser = sub.add_parser("upload", help="send every session waiting in the spool")
    parser.add_argument("--token", type=arguments.token, help="API token (default: RACING_COACH_TOKEN or the device token of 'up')")
    parser.add_argument("--ingest", help="ingest address host:port (default from settings)")
    parser.set_defaults(run=run)
