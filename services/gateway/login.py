"""Browser sign-in without pasting tokens: one-time login codes and an HttpOnly session cookie.

* ``POST /api/v1/login-codes`` (bearer token, e.g. the device token): a random code, valid for
  ``CODE_TTL_S`` seconds and for one use; ``racing-coach open`` prints ``/login?code=...``.
* ``GET /login?code=...`` spends the code and sets the session cookie (``HttpOnly``,
  ``SameSite=Strict``, ``Path=/``, ``Secure`` over https), then redirects to the dashboard.
* ``POST /login`` (bearer token) sets the same cookie: the dashboard's token box uses it, so a
  pasted token is exchanged at once and never kept by the page (nor in localStorage).
* ``POST /logout`` forgets the session and clears the cookie.

The gateway keeps codes and sessions in memory, as SHA-256 hashes of the random values, each
mapped to the user's bearer token; a request with the cookie is forwarded to the services with
that token, so the services see the same user as with the bearer. A gateway restart signs
every browser out (run ``racing-coach open`` again); replicas do not share sessions.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get, post, route
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Redirect

from racecoach.services.gateway.errors import ERROR_RESPONSES
from racecoach.storage.v1 import storage_pb2

COOKIE = "racecoach_session"
CODE_TTL_S = 120.0
SESSION_TTL_S = 12 * 3600.0
STORAGE = "racecoach.storage.v1.StorageService"


def _key(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


@dataclass
class LoginStore:
    """Codes and sessions of this gateway process, by hash, with their user's token and expiry."""

    clock: Any = time.monotonic
    codes: dict[bytes, tuple[str, float]] = field(default_factory=dict)
    sessions: dict[bytes, tuple[str, float]] = field(default_factory=dict)

    def _prune(self) -> None:
        now = self.clock()
        for table in (self.codes, self.sessions):
            for key in [k for k, (_, until) in table.items() if until <= now]:
                del table[key]

    def new_code(self, token: str) -> str:
        self._prune()
        code = secrets.token_urlsafe(24)
        self.codes[_key(code)] = (token, self.clock() + CODE_TTL_S)
        return code

    def spend_code(self, code: str) -> str | None:
        """The token a code was made with, once; None for an unknown, used or expired code."""
        self._prune()
        found = self.codes.pop(_key(code), None)
        return found[0] if found else None

    def new_session(self, token: str) -> str:
        self._prune()
        session = secrets.token_urlsafe(32)
        self.sessions[_key(session)] = (token, self.clock() + SESSION_TTL_S)
        return session

    def token_for(self, session: str) -> str | None:
        found = self.sessions.get(_key(session))
        if found is None or found[1] <= self.clock():
            return None
        return found[0]

    def end(self, session: str) -> None:
        self.sessions.pop(_key(session), None)


def store_of(request: Request) -> LoginStore:
    return request.app.state.logins


def cookie_token(request: Request) -> str | None:
    """The bearer token of the request's session cookie, if it names a live session."""
    session = request.cookies.get(COOKIE)
    if not session:
        return None
    store = request.app.state.get("logins")
    return store.token_for(session) if store is not None else None


async def _checked_token(request: Request, backend: Any) -> str:
    """The caller's bearer token, after storage confirmed it names a user (401 otherwise)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(status_code=401, detail="send 'Authorization: Bearer <token>'", headers={"WWW-Authenticate": "Bearer"})
    await backend.unary(service=STORAGE, method="WhoAmI", request=storage_pb2.WhoAmIRequest(), http_request=request)
    return token


def _with_cookie(response: Response, request: Request, session: str) -> Response:
    response.set_cookie(
        COOKIE, session, max_age=int(SESSION_TTL_S), path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


class LoginCode(msgspec.Struct, rename="camel"):
    """A one-time login code and the path that spends it."""

    code: str
    login_path: str
    expires_in_s: float


@post("/api/v1/login-codes", operation_id="CreateLoginCode", tags=["Login"], summary="CreateLoginCode", status_code=201,
      description="A one-time login code for a browser, valid for two minutes: open /login?code=... to get the session cookie.",
      responses=ERROR_RESPONSES)
async def create_login_code(request: Request, backend: NamedDependency[Any]) -> LoginCode:
    token = await _checked_token(request, backend)
    code = store_of(request).new_code(token)
    return LoginCode(code=code, login_path=f"/login?code={code}", expires_in_s=CODE_TTL_S)


LOGIN_FAILED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Racing Coach: sign-in failed</title></head>
<body><h1>This login link is used or expired</h1><p>Login links work once, for two minutes. Run
<code>racing-coach open</code> for a new one.</p><p><a href="/">Dashboard</a></p></body></html>"""


@get("/login", tags=["Login"], summary="Login", operation_id="Login", security=[{}],
     description="Spend a one-time login code: sets the HttpOnly, SameSite=Strict session cookie and redirects to the dashboard.",
     responses={401: ResponseSpec(data_container=str, media_type="text/html", generate_examples=False,
                                  description="the code is used or expired: a page that says so (HTML)")})
async def login_with_code(request: Request, code: Annotated[str, QueryParameter(description="the one-time code")]) -> Response:
    token = store_of(request).spend_code(code)
    if token is None:
        return Response(content=LOGIN_FAILED, status_code=401, media_type="text/html")
    return _with_cookie(Redirect(path="/", status_code=303), request, store_of(request).new_session(token))


@post("/login", tags=["Login"], summary="LoginWithToken", operation_id="LoginWithToken", status_code=200,
      description="Exchange a bearer token for the session cookie (the dashboard's token box).", responses=ERROR_RESPONSES)
async def login_with_token(request: Request, backend: NamedDependency[Any]) -> Response:
    token = await _checked_token(request, backend)
    return _with_cookie(Response(content={"signedIn": True}, status_code=200), request, store_of(request).new_session(token))


@post("/logout", tags=["Login"], summary="Logout", operation_id="Logout", status_code=200, security=[{}],
      description="Forget this browser's session and clear its cookie.")
async def logout(request: Request) -> Response:
    session = request.cookies.get(COOKIE)
    if session:
        store_of(request).end(session)
    response = Response(content={"signedIn": False}, status_code=200)
    response.delete_cookie(COOKIE, path="/")
    return response


# Litestar's own OPTIONS answer of a path lists only the methods the path had when its first handler was registered,
# so OPTIONS /login said "GET, OPTIONS", without POST (its 405 lists all three): /login's own OPTIONS handler,
# registered before the other two, lists them all.
_LOGIN_METHODS = ", ".join(sorted({"OPTIONS", *login_with_code.http_methods, *login_with_token.http_methods}))


@route("/login", http_method=["OPTIONS"], include_in_schema=False, sync_to_thread=False)
def login_options() -> Response:
    return Response(content=None, status_code=204, headers={"Allow": _LOGIN_METHODS})


ROUTES = [create_login_code, login_options, login_with_code, login_with_token, logout]
