"""``racing-coach replay``: stream .ibt files through the mesh and print each lap's report."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

from racecoach.client.commands import arguments
from racecoach.client.commands.common import find_token, settings_or_exit
from racecoach.client.ibt import IbtError
from racecoach.client.progress import Progress
from racecoach.client.reach import unreachable, unreachable_message
from racecoach.client.report import format_cue, format_lap
from racecoach.client.source import load_ibt
from racecoach.client.spool import Spool, SpoolError, spool_root
from racecoach.client.uploader import Uploader, UploadError, split_batches
from racecoach.telemetry.v1 import telemetry_pb2


def ibt_files(paths: list[str]) -> list[Path]:
    from racecoach.client.cli import CliError

    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found += sorted(path.glob("*.ibt"))
        elif path.is_file():
            found.append(path)
        else:
            raise CliError(f"{text}: no such file or directory")
    if not found:
        raise CliError("no .ibt files to replay")
    return found


async def paced(batches, *, times: list[float], speed: float | None) -> AsyncIterator[tuple[int, bytes]]:
    """Yield batches no faster than session time divided by ``speed`` (``None``: as fast as possible)."""
    start = time.monotonic()
    for (seq, payload), first_time in zip(batches, times):
        if speed:
            due = (first_time - times[0]) / speed
            delay = due - (time.monotonic() - start)
            if delay > 0:
                await asyncio.sleep(delay)
        yield seq, payload


def resume_point(*, spool: Spool | None, arrays: dict) -> tuple[int, dict]:
    """First seq to produce and the samples not yet spooled (all of them without a spool)."""
    if spool is None or spool.last_seq == 0:
        return 1, arrays
    last_time = spool.last_time_s
    if last_time is None:  # the spool knows the seq but not the time: produce everything again, duplicates are skipped
        return 1, arrays
    keep = arrays["session_time_s"] > last_time
    return spool.last_seq + 1, {name: values[keep] for name, values in arrays.items()}


def as_reference(session: telemetry_pb2.Session) -> telemetry_pb2.Session:
    """``session`` imported as a reference: its own id (the same file replayed as the driver's own session keeps
    its id) and the source that keeps its laps out of the driver's personal best."""
    imported = telemetry_pb2.Session()
    imported.CopyFrom(session)
    imported.session_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"racing-coach:reference:{session.session_id}"))
    imported.source = telemetry_pb2.SESSION_SOURCE_REFERENCE_IBT
    return imported


async def replay_file(*, path: Path, address: str, token: str, speed: float | None, batch_ms: int, out=sys.stdout,
                      spool_dir: Path | None = None, probe_ingest: bool = False, reference: bool = False, tls=None):
    """Stream one file; with ``spool_dir`` every batch is spooled first and an interrupted replay resumes.

    With ``probe_ingest`` an ingest that accepts no connection is an UploadError before anything is spooled;
    with ``reference`` the file is imported as a reference (see :func:`as_reference`)."""
    session, arrays = load_ibt(path)
    if reference:
        session = as_reference(session)
    reason = unreachable(address=address) if probe_ingest else None
    if reason is not None:  # said at once, not after the uploader's retries
        raise UploadError(unreachable_message(address=address, reason=reason))
    spool = Spool.create(root=spool_dir, session=session) if spool_dir is not None else None
    first_seq, arrays = resume_point(spool=spool, arrays=arrays)
    if spool is not None and first_seq > 1:
        print(f"{path.name}: resuming after seq {first_seq - 1} ({spool.unacked_count} spooled batches to resend)",
              file=out, flush=True)
    rate = session.tick_rate_hz or 60.0
    per_batch = max(1, int(round(batch_ms / 1000.0 * rate)))
    times = arrays["session_time_s"][::per_batch].tolist()
    total = len(times)
    progress = Progress(total=total, label=path.name, stream=sys.stderr)
    print(f"{path.name}: {session.track.display_name or session.track.name or 'unknown track'}, "
          f"{session.car.name or 'unknown car'}, {len(arrays['session_time_s'])} samples", file=out, flush=True)

    def on_lap(completed) -> None:
        progress.clear()
        print(format_lap(completed), file=out, flush=True)

    def on_cue(cue) -> None:
        progress.clear()
        print(format_cue(cue), file=out, flush=True)

    def on_status(text: str) -> None:
        progress.clear()
        print(text, file=sys.stderr, flush=True)

    uploader = Uploader(address=address, token=token, session=session, on_lap=on_lap, on_cue=on_cue if speed else None,
                        spool=spool, on_status=on_status, tls=tls)

    async def counted() -> AsyncIterator[tuple[int, bytes]]:
        batches = split_batches(session_id=session.session_id, arrays=arrays, samples_per_batch=per_batch, first_seq=first_seq)
        async for item in paced(batches, times=times, speed=speed):
            progress.update(item[0] - first_seq + 1)
            yield item

    try:
        result = await uploader.run(counted())
    finally:
        progress.clear()
        if spool is not None:
            spool.close()
    return session, result


def run(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError

    settings = settings_or_exit()
    token = find_token(settings, args.token)
    address = args.ingest or settings.address("ingest")
    speed = None if args.fast else args.speed
    for path in ibt_files(args.files):
        try:
            session, result = asyncio.run(replay_file(
                path=path, address=address, token=token, speed=speed, batch_ms=args.batch_ms,
                spool_dir=None if args.no_spool else spool_root(settings.data_dir), probe_ingest=True,
                reference=args.as_reference, tls=settings.tls,
            ))
        except IbtError as exc:
            raise CliError(str(exc)) from None
        except (SpoolError, OSError) as exc:
            raise CliError(f"{path.name}: {exc}") from None
        except UploadError as exc:
            raise CliError(str(exc), code=3) from None
        laps = len(result.laps)
        print(f"{path.name}: {result.committed_seq} batches committed, {laps} complete lap{'s' if laps != 1 else ''}"
              f" — session {session.session_id}")
        gateway = args.gateway or 'http://' + settings.address('gateway')
        print(f"  {gateway}/api/v1/sessions/{session.session_id}")
        if args.as_reference:
            valid = sorted((c.lap for c in result.laps if c.lap.valid), key=lambda lap: lap.lap_time.ToNanoseconds())
            if valid:
                print(f"  imported as a reference (never your personal best); compare a lap with its fastest: "
                      f"{gateway}/api/v1/laps/<lap id>/compare/{valid[0].lap_id}")
            else:
                print("  imported as a reference, but it holds no complete valid lap to compare with")
    return 0


def add_parser(sub) -> None:
    parser = sub.add_parser("replay", help="stream .ibt files through the mesh (real time, faster, or as fast as possible)")
    parser.add_argument("files", nargs="+", metavar="FILE|DIR")
    parser.add_argument("--speed", type=arguments.positive_float, default=1.0, help="real-time factor (default 1.0)")
    parser.add_argument("--fast", action="store_true", help="as fast as possible")
    parser.add_argument("--batch-ms", type=arguments.positive_int, default=100, help="milliseconds of samples per batch (default 100)")
    parser.add_argument("--no-spool", action="store_true", help="keep unacked batches in memory only (no resume after a crash)")
    parser.add_argument("--as-reference", action="store_true",
                        help="import the file as a reference lap to compare with (a coach's, another driver's): "
                             "its laps are never your personal best")
    parser.add_argument("--token", type=arguments.token, help="API token (default: RACING_COACH_TOKEN or the device token of 'up')")
    parser.add_argument("--ingest", help="ingest address host:port (default from settings)")
    parser.add_argument("--gateway", help="gateway URL to print (default from settings)")
    parser.set_defaults(run=run)
