"""``racing-coach open``: a one-time login link to the dashboard, opened in the browser.

The device token (or --token, or RACING_COACH_TOKEN) asks the gateway for a login code
(``POST /api/v1/login-codes``); the link ``/login?code=...`` works once, for two minutes, and
sets the dashboard's HttpOnly session cookie. The token itself never reaches the browser.
"""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
import webbrowser

from racecoach.client.commands import arguments
from racecoach.client.commands.common import find_token, settings_or_exit


def login_link(base_url: str, token: str, *, timeout_s: float = 10.0) -> str:
    """A fresh one-time login link of the gateway at ``base_url`` for ``token``'s user."""
    from racecoach.client.cli import CliError

    request = urllib.request.Request(f"{base_url.rstrip('/')}/api/v1/login-codes", method="POST", data=b"",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            body = json.load(reply)
    except urllib.error.HTTPError as exc:
        try:
            detail = json.load(exc).get("detail", exc.reason)
        except ValueError:
            detail = exc.reason
        raise CliError(f"the gateway refused a login link: {detail}", code=1) from None
    except OSError as exc:
        raise CliError(f"no gateway at {base_url} ({exc}); start the mesh with 'racing-coach up'", code=1) from None
    return f"{base_url.rstrip('/')}{body['loginPath']}"


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit()
    base = args.url or f"http://{settings.address('gateway')}"
    link = login_link(base, find_token(settings, args.token))
    print(f"Dashboard login link (works once, for two minutes):\n  {link}", flush=True)
    if not args.no_browser:
        webbrowser.open(link)
    return 0


def add_parser(sub) -> None:
    opened = sub.add_parser("open", help="open the dashboard with a one-time login link (no token to paste)")
    opened.add_argument("--token", type=arguments.token, help="the API token (default: RACING_COACH_TOKEN or the device token of 'up')")
    opened.add_argument("--url", help="the gateway's address (default: http://<host>:<gateway port> of the settings)")
    opened.add_argument("--no-browser", action="store_true", help="only print the link")
    opened.set_defaults(run=run)
