"""Users and API tokens. Tokens are random, shown once, and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

import asyncpg

from racecoach.services.common.auth import bearer_token
from racecoach.services.common.errors import InvalidInputError, NotFoundError, UnauthenticatedError

TOKEN_PREFIX = "rc_"
__all__ = ["IssuedToken", "User", "bearer_token", "create_token", "ensure_user", "hash_token", "resolve_token", "revoke_token"]


@dataclass(frozen=True)
class User:
    user_id: uuid.UUID
    email: str


@dataclass(frozen=True)
class IssuedToken:
    token_id: uuid.UUID
    token: str
    user: User


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _check_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise InvalidInputError(f"{email!r} is not an e-mail address")
    return email


async def ensure_user(conn: asyncpg.Connection, *, email: str) -> User:
    """The user with ``email``, created if new."""
    email = _check_email(email)
    row = await conn.fetchrow(
        "INSERT INTO users (user_id, email) VALUES ($1, $2) ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email"
        " RETURNING user_id, email",
        uuid.uuid4(),
        email,
    )
    return User(user_id=row["user_id"], email=row["email"])


async def create_token(conn: asyncpg.Connection, *, email: str, label: str = "") -> IssuedToken:
    """A new token for ``email`` (the user is created if new); the plain token is returned once."""
    async with conn.transaction():
        user = await ensure_user(conn, email=email)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO api_tokens (token_id, user_id, token_sha256, label) VALUES ($1, $2, $3, $4)",
            token_id,
            user.user_id,
            hash_token(token),
            label,
        )
    return IssuedToken(token_id=token_id, token=token, user=user)


async def revoke_token(conn: asyncpg.Connection, *, token: str | None = None, token_id: str | None = None) -> int:
    """Revoke a token by its value or id; returns how many were revoked (NotFoundError if none)."""
    if token:
        result = await conn.execute(
            "UPDATE api_tokens SET revoked_at = now() WHERE token_sha256 = $1 AND revoked_at IS NULL", hash_token(token)
        )
    elif token_id:
        try:
            parsed = uuid.UUID(token_id)
        except ValueError:
            raise InvalidInputError(f"{token_id!r} is not a token id") from None
        result = await conn.execute(
            "UPDATE api_tokens SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL", parsed
        )
    else:
        raise InvalidInputError("give the token or its id")
    count = int(result.split()[-1])
    if count == 0:
        raise NotFoundError("no active token matches")
    return count


async def resolve_token(conn: asyncpg.Connection | asyncpg.Pool, *, token: str) -> User:
    """The user a token belongs to; UnauthenticatedError for unknown or revoked tokens."""
    row = await conn.fetchrow(
        "SELECT u.user_id, u.email, t.revoked_at FROM api_tokens t JOIN users u USING (user_id)"
        " WHERE t.token_sha256 = $1",
        hash_token(token),
    )
    if row is None:
        raise UnauthenticatedError("unknown token")
    if row["revoked_at"] is not None:
        raise UnauthenticatedError("this token was revoked; create a new one with 'racing-coach token create'")
    return User(user_id=row["user_id"], email=row["email"])
