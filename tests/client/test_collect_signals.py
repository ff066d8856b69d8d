"""What collect needs on Windows, checked here: it stops on Ctrl-C, SIGTERM (and Ctrl-Break) where the event loop
cannot take signal handlers, and survives a stdout whose code page lacks a character it prints."""

from __future__ import annotations

import asyncio
import signal

from racecoach.client.commands.common import on_stop_signals


def test_ctrl_c_stops_collect_where_the_loop_has_no_signal_handlers(monkeypatch):
    """Windows' event loop lacks add_signal_handler: the plain signal handler hands the stop to the loop."""

    async def main() -> bool:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()

        def refuse(*_):
            raise NotImplementedError

        monkeypatch.setattr(loop, "add_signal_handler", refuse)
        on_stop_signals(loop, stop.set)
        signal.raise_signal(signal.SIGINT)
        await asyncio.wait_for(stop.wait(), timeout=5)
        return stop.is_set()

    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert asyncio.run(main())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def test_output_the_console_cannot_encode_is_replaced_not_fatal():
    """A cue line ("  ▶ ...") into a stdout with a code page that lacks the character (Windows, redirected)."""
    import os
    import subprocess
    import sys

    script = "from racecoach.client.cli import tolerant_output\ntolerant_output()\nprint('  \\u25b6 Turn 3: brake later')"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60,
                            env={**os.environ, "PYTHONIOENCODING": "cp1252"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("cp1252").strip() == "? Turn 3: brake later"
