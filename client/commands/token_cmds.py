"""``racing-coach token create|revoke``: API tokens, straight in the database."""

from __future__ import annotations

import argparse
import asyncio

from racecoach.client.commands.common import settings_or_exit
from racecoach.services.common.errors import ServiceError


async def _with_connection(settings, action):
    from racecoach.services.storage.state import open_storage

    storage = await open_storage(settings=settings)
    try:
        async with storage.pool.acquire() as conn:
            return await action(conn)
    finally:
        await storage.close()


def _in_database(action):
    """Run ``action(conn)`` on the configured database; a refusal becomes a one-line CLI error."""
    from racecoach.client.cli import CliError

    try:
        return asyncio.run(_with_connection(settings_or_exit(), action))
    except ServiceError as exc:
        raise CliError(str(exc)) from None


def create(args: argparse.Namespace) -> int:
    from racecoach.services.storage.identity import create_token

    issued = _in_database(lambda conn: create_token(conn, email=args.user, label=args.label))
    print(issued.token)
    print(f"token id {issued.token_id} for {issued.user.email}; it is shown only once", flush=True)
    return 0


def revoke(args: argparse.Namespace) -> int:
    from racecoach.services.storage.identity import revoke_token

    count = _in_database(lambda conn: revoke_token(conn, token=args.token, token_id=args.id))
    print(f"revoked {count} token")
    return 0


def add_parsers(sub) -> None:
    token = sub.add_parser("token", help="create or revoke API tokens")
    actions = token.add_subparsers(dest="action", required=True)
    made = actions.add_parser("create", help="create a token for a user (created if new)")
    made.add_argument("--user", required=True, metavar="EMAIL")
    made.add_argument("--label", default="", help="a note to recognise the token by")
    made.set_defaults(run=create)
    gone = actions.add_parser("revoke", help="revoke a token")
    gone.add_argument("token", nargs="?", help="the token itself")
    gone.add_argument("--id", help="the token id printed at creation")
    gone.set_defaults(run=revoke)
