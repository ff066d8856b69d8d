"""``racing-coach collect``: live telemetry from iRacing, streamed through the spool, laps and cues printed."""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from racecoach.client.commands import arguments
from racecoach.client.commands.common import find_token, on_stop_signals, settings_or_exit
from racecoach.client.commands.upload_cmd import upload_pending
from racecoach.client.cues import CueSpeaker
from racecoach.client.voice import VoiceError, system_voices
from racecoach.client.reach import unreachable, unreachable_message
from racecoach.client.spool import Spool, spool_root


async def _collect(args: argparse.Namespace, *, address: str, token: str, spool_dir: Path, tls=None) -> int:
    from racecoach.client.live import IbtPlayer, LiveCollector
    from racecoach.client.cli import CliError
    from racecoach.client.live.state import MESH_REACHABLE, MESH_UNREACHABLE
    from racecoach.client.live.view import LiveView, plain_wanted

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    on_stop_signals(loop, stop.set)
    where: list = []  # the collector, once made: the voice asks it where the car is
    try:
        speaker = CueSpeaker(speak=not args.quiet, voice=args.voice, playback=args.speed if args.from_ibt else 1.0,
                             position=lambda: where[0].state.position if where else None)
    except VoiceError as exc:
        raise CliError(str(exc)) from None
    player = None
    test_file = Path(args.test_file) if args.test_file else None
    scratch = None
    if args.from_ibt:
        scratch = tempfile.TemporaryDirectory(prefix="racing-coach-live-")
        test_file = Path(scratch.name) / "irsdk.mem"
        player = IbtPlayer(ibt_path=Path(args.from_ibt), memory_path=test_file, speed=args.speed).start()
        print(f"playing {Path(args.from_ibt).name} at {args.speed:g}x as live telemetry", flush=True)
    reason = await asyncio.to_thread(unreachable, address=address)
    if reason is not None:
        print(f"{unreachable_message(address=address, reason=reason)}; collecting to the spool {spool_dir} "
              "and sending once it answers", flush=True)
    earlier = Spool.pending(spool_dir)  # listed before sampling starts: new sessions are the collector's own
    pending = asyncio.create_task(upload_pending(spool_dir=spool_dir, address=address, token=token, tls=tls,
                                                 quiet_when_none=True, directories=earlier))
    plain = plain_wanted(plain=args.plain)
    collector = LiveCollector(address=address, token=token, spool_dir=spool_dir, test_file=test_file,
                              poll_hz=args.poll_hz * (args.speed if args.from_ibt else 1.0), batch_ms=args.batch_ms,
                              on_cue=speaker, stale_s=args.stale_s, print_own_laps=plain, tls=tls)
    where.append(collector)
    if reason is None:
        collector.state.mesh = MESH_REACHABLE
    else:
        collector.state.mesh = MESH_UNREACHABLE
        collector.state.mesh_detail = unreachable_message(address=address, reason=reason)
    spoken = f"spoken ({speaker.voice_name}) and " if speaker.speaks else ""
    print(f"collecting to ingest at {address}; cues {spoken}printed; Ctrl-C stops", flush=True)
    view = None if plain else LiveView(collector=collector).start()
    if player is not None:
        async def stop_when_played() -> None:
            await asyncio.to_thread(player.done.wait)
            await asyncio.sleep(args.stale_s + 0.5)
            stop.set()
        asyncio.create_task(stop_when_played())
    try:
        summary = await collector.run(stop)
        await asyncio.wait({pending}, timeout=collector.drain_s)
    finally:
        if view is not None:
            await view.stop()
        if player is not None:
            player.close()
        if scratch is not None:
            scratch.cleanup()
        speaker.close()
    print(f"stopped: {len(summary.sessions)} session(s), {summary.samples} samples in {summary.batches} batches, "
          f"{summary.laps} laps, {summary.cues} cues; {summary.missed_ticks} ticks missed", flush=True)
    if summary.left_in_spool:
        print(f"{summary.left_in_spool} batches are not yet committed; they stay in {spool_dir} and "
              "'racing-coach upload' (or the next collect) sends them", flush=True)
        return 3
    return 0


def run(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError

    if args.voice == "list":
        voices = system_voices()
        for voice_id, name in voices:
            print(f"{name}\t{voice_id}")
        if not voices:
            print("pyttsx3 finds no voice on this machine; cues are spoken by espeak-ng where it is installed")
        return 0
    settings = settings_or_exit()
    token = find_token(settings, args.token)
    address = args.ingest or settings.address("ingest")
    if args.from_ibt and not Path(args.from_ibt).is_file():
        raise CliError(f"{args.from_ibt}: no such file")
    try:
        import irsdk  # noqa: F401
    except ImportError as exc:
        raise CliError(f"pyirsdk is not installed ({exc}); install racing-coach with its dependencies") from None
    return asyncio.run(_collect(args, address=address, token=token, spool_dir=spool_root(settings.data_dir), tls=settings.tls))


def add_parser(sub) -> None:
    parser = sub.add_parser("collect", help="stream live iRacing telemetry (laps and cues as you drive)")
    parser.add_argument("--batch-ms", type=arguments.positive_float, default=100.0, help="milliseconds of samples per batch (default 100)")
    parser.add_argument("--poll-hz", type=arguments.positive_float, default=60.0, help="telemetry reads per second (default 60)")
    parser.add_argument("--stale-s", type=arguments.positive_float, default=2.0, help="seconds without a new tick before reconnecting")
    parser.add_argument("--quiet", action="store_true", help="print cues only, do not speak them (as --voice off)")
    parser.add_argument("--voice", default=os.environ.get("RACING_COACH_VOICE") or "auto",
                        help="auto (the system's voice), off, a voice name or id, or 'list' to list them "
                             "(default: RACING_COACH_VOICE or auto)")
    parser.add_argument("--plain", action="store_true",
                        help="plain log lines instead of the live panel (the default when stdout is not a terminal)")
    parser.add_argument("--test-file", metavar="MEMFILE", help="read a live-layout memory file instead of iRacing")
    parser.add_argument("--from-ibt", metavar="FILE", help="play an .ibt as live telemetry (any OS; for trying it out)")
    parser.add_argument("--speed", type=arguments.positive_float, default=1.0, help="playback factor for --from-ibt (default 1.0)")
    parser.add_argument("--token", type=arguments.token, help="API token (default: RACING_COACH_TOKEN or the device token of 'up')")
    parser.add_argument("--ingest", help="ingest address host:port (default from settings)")
    parser.set_defaults(run=run)
