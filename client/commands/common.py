"""What the commands share: settings, the token, errors."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from racecoach.common.settings import Settings, SettingsError, load_settings


class ServerExtraMissing(Exception):
    """A mesh command was asked for where only the collector is installed."""


def settings_or_exit() -> Settings:
    from racecoach.client.cli import CliError

    try:
        return load_settings()
    except SettingsError as exc:
        raise CliError(str(exc)) from None


def find_token(settings: Settings, explicit: str | None) -> str:
    """--token, else RACING_COACH_TOKEN, else the device token ``racing-coach up`` wrote."""
    from racecoach.client.cli import CliError

    if explicit:
        return explicit
    if settings.token:
        return settings.token
    if settings.token_file.is_file():
        return settings.token_file.read_text().strip()
    raise CliError(
        "no token: pass --token, set RACING_COACH_TOKEN, or start the mesh with 'racing-coach up' once"
        f" (it writes {settings.token_file})"
    )


def on_stop_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    """Call ``stop`` on the loop at Ctrl-C or SIGTERM (and Ctrl-Break on Windows).

    Windows' event loop has no ``add_signal_handler``: there the plain ``signal`` handler hands the call
    to the loop instead, so ``collect`` stops the same way beside iRacing as anywhere else."""
    wanted = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGBREAK] if hasattr(signal, "SIGBREAK") else [])
    for sig in wanted:
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError):
            signal.signal(sig, lambda _signum, _frame: loop.call_soon_threadsafe(stop))
