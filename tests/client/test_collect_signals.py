"""collect stops on Ctrl-C, SIGTERM (and Ctrl-Break) also where the event loop cannot take signal handlers."""

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
