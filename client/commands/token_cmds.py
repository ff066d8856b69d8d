"""``racing-coach token create|revoke``: API tokens, straight in the database."""

from __future__ import annotations

import argparse
import asyncio

from racecoach.client.commands.common import settings_or_exit
from racecoach.services.common.errors import ServiceError


async def _with_connection(settings, action):
    from racecoach.services.storage.service import open_storage

    storage = await open_storage(settings=settings)
    try:
        async with storage.pool.acquire() as conn:
            return await action(conn)
    finally:
        await storage.close()


def create(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError
    from racecoach.services.storage.identity import create_token

    settings = settings_or_exit()
    try:
        issued = asyncio.run(_with_connection(settings, lambda conn: create_token(conn, email=args.user, label=args.label)))
    except ServiceError as exc:
        raise CliError(str(exc)) from None
    print(issued.token)
    print(f"token id {issued.token_id} for {issued.user.email}; it is shown only once", flush=True)
    return 0


def revoke(args: argparse.Namespace) -> int:
    from racecoach.client.cli import CliError
    from racecoach.services.storage.identity import revoke_token

    settings = settings_or_exit()
    try:
        count = asyncio.run(_with_connection(settings, lambda conn: revoke_token(conn, token=args.token, token_id=args.id)))
    except ServiceError as exc:
        raise CliError(str(exc)) from None
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
