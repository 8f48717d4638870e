"""Who may use the server, and the cookie that remembers it.

People sign in with their user name and password (``crm user password NAME``; checked by
:mod:`tinycrm.services.team.accounts`, with its lock-out). The person running ``crm serve`` may also bring the
access token it printed (``/?token=...``) or keeps in ``--token-file``: that signs the browser in as the server's
own user (``TINYCRM_USER``/``user`` in the config), as on the command line.

Every browser gets one cookie, signed with itsdangerous (a key kept in ``web-secret`` in the data folder, mode
0600): ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the server is public. It carries a random CSRF token
(every form sends it back), and once signed in, the user name and a fingerprint of their password (a new
password signs every browser out), or a fingerprint of the access token (a new token does). Routes need a
signed-in browser except :data:`OPEN_PATHS` and :data:`OPEN_PREFIXES`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import stat
import time
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web

from tinycrm.domain.errors import InvalidInput

COOKIE = "tinycrm_session"
SIGNIN_PATH = "/signin"
SIGNOUT_PATH = "/signout"
HEALTH_PATH = "/healthz"
#: the routes anyone may reach (after the Host check)
OPEN_PATHS = frozenset({HEALTH_PATH, SIGNIN_PATH, "/manifest.webmanifest", "/favicon.ico"})
#: whole subtrees that do their own checks (the API takes tokens; forms and the portal are public) or hold
#: nothing secret (static files)
OPEN_PREFIXES = ("/static/", "/api/", "/f/", "/portal/", "/unsubscribe/")
#: paths below these take no CSRF token from us (the API uses tokens, not cookies; forms and portal check
#: their own)
NO_CSRF_PREFIXES = ("/api/", "/f/", "/portal/", "/unsubscribe/")
#: paths whose answers never set the session cookie
NO_SESSION_PREFIXES = (*NO_CSRF_PREFIXES, "/static/")
MIN_TOKEN_LENGTH = 16
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]+")
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def read_token_file(path: Path) -> tuple[str, bool]:
    """The token kept in ``path``, and whether it was made just now (a missing file is created, mode 0600,
    with a new token). A file others may read, or a token too short or with characters a URL would change,
    is refused."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError as exc:
        raise InvalidInput(f"--token-file {path}: cannot create it: {exc.strerror}") from None
    else:
        token = new_token()
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        return token, True
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(f"--token-file {path} is not a file")
        if info.st_mode & 0o077:
            raise InvalidInput(
                f"--token-file {path} may be read by others (mode {stat.S_IMODE(info.st_mode):04o}): "
                f"run chmod 600 {path}"
            )
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"--token-file {path}: cannot read it: {exc}") from None
    if len(token) < MIN_TOKEN_LENGTH or not TOKEN_PATTERN.fullmatch(token):
        raise InvalidInput(
            f"--token-file {path}: the token must be at least {MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 "
            "- _ . ~ (delete the file and a new one is made)"
        )
    return token, False


def secret_key(folder: Path) -> bytes:
    """The key that signs cookies: ``web-secret`` in ``folder`` (made, mode 0600, on first use)."""
    from tinycrm.paths import private_dir

    path = private_dir(folder) / "web-secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        if len(text) >= 32:
            return text.encode()
        raise InvalidInput(
            f"{path} is damaged (too short): delete it and every browser signs in again"
        ) from None
    except OSError as exc:
        raise InvalidInput(f"cannot create {path}: {exc.strerror}") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key.encode()


def fingerprint(token: str) -> str:
    return hashlib.sha256(b"tinycrm access token " + token.encode()).hexdigest()[:16]


class Gate:
    """Reads and writes the signed session cookie; checks the access token."""

    def __init__(self, key: bytes, token: str, *, secure: bool = False, max_age_days: int = 14) -> None:
        from itsdangerous import URLSafeTimedSerializer

        self._token = token.encode("utf-8")
        self._signer = URLSafeTimedSerializer(key, salt="tinycrm.web.session")
        self.secure = secure
        self.max_age = max_age_days * 24 * 3600
        self.token_print = fingerprint(token)

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8", "replace"), self._token)

    def load(self, request: web.Request) -> dict[str, Any]:
        """The session of ``request``'s cookie: ``{}`` when it has none, or a forged or too old one."""
        from itsdangerous import BadSignature

        value = request.cookies.get(COOKIE)
        if not value:
            return {}
        try:
            data = self._signer.loads(value, max_age=self.max_age)
        except BadSignature:
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, response: web.StreamResponse, session: dict[str, Any]) -> None:
        response.set_cookie(
            COOKIE,
            self._signer.dumps(session),
            path="/",
            httponly=True,
            samesite="Lax",
            secure=self.secure,
            max_age=self.max_age,
        )


GATE: web.AppKey[Gate] = web.AppKey("tinycrm.web.gate", Gate)
#: what :func:`sessions` leaves on each request: the session's data, the signed-in user (None when no one is)
#: and whether the session changed (a sign-in), so that its cookie goes out again
SESSION: web.RequestKey[dict[str, Any]] = web.RequestKey("session")
USER: web.RequestKey[Any] = web.RequestKey("user")
SESSION_CHANGED: web.RequestKey[bool] = web.RequestKey("session_changed")
#: sessions checked against the database within the last :data:`RECENT_SECONDS`: (name, stamp) -> (until,
#: user). Emptied when the accounts' generation changes (:mod:`tinycrm.web.generation`): a new password, a user
#: switched off or a changed role shows within a second.
RECENT: web.AppKey[dict[tuple[str, str], tuple[float, Any]]] = web.AppKey("tinycrm.web.recent", dict)
RECENT_SECONDS = 5.0
#: where a browser goes after signing in, unless it asked for another page of this server
HOME: web.AppKey[str] = web.AppKey("tinycrm.web.home", str)


def is_websocket(request: web.Request) -> bool:
    return request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def local_path(target: str | None, default: str) -> str:
    """``target`` when it is a path on this server (never another site), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 32 for c in target):
        return default
    return target


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={hdrs.LOCATION: location}, text="see " + location + "\n")


def wants_html(request: web.Request) -> bool:
    return "text/html" in request.headers.get(hdrs.ACCEPT, "")


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


async def _user_of(request: web.Request, session: dict[str, Any]) -> Any:
    """The signed-in user the session names, still good; None otherwise."""
    from tinycrm.services.team import accounts
    from tinycrm.web.context import CONTEXT

    context = request.app[CONTEXT]
    gate = request.app[GATE]
    if session.get("t"):
        if not hmac.compare_digest(str(session["t"]), gate.token_print):
            return None
        return await context.call(server_user)
    name, stamp = session.get("u"), session.get("s")
    if not isinstance(name, str) or not isinstance(stamp, str):
        return None
    cache = request.app[RECENT]
    key = (name, stamp)
    hit = cache.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    user = await context.call(accounts.session_user, name, stamp)
    if user is not None:
        if len(cache) > 1000:
            cache.clear()
        cache[key] = (time.monotonic() + RECENT_SECONDS, user)
    return user


def server_user(db: Any) -> Any:
    """Who the holder of the access token is: the server's own user (registered on first use, as a command
    would)."""
    from tinycrm.services.common import actor, user_id
    from tinycrm.services.team import users

    name = actor(db)
    with db.write() as tx:
        user_id(tx)
        return users.read_in(tx, name)


async def _csrf_ok(request: web.Request, session: dict[str, Any]) -> bool:
    expected = session.get("c")
    if not isinstance(expected, str) or not expected:
        return False
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        form = await request.post()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given is not None and hmac.compare_digest(given, expected)


@web.middleware
async def sessions(request: web.Request, handler: Any) -> web.StreamResponse:
    """Load the session; refuse a form without its CSRF token; send those not signed in to sign in."""
    gate = request.app[GATE]
    session = gate.load(request)
    fresh = "c" not in session
    path = request.path
    if fresh:
        # a CSRF token for the forms of a new session (the public subtrees keep none: see below)
        session = {} if path.startswith(NO_SESSION_PREFIXES) else {"c": secrets.token_urlsafe(24)}
    request[SESSION] = session
    request[USER] = None
    if request.method not in ("GET", "HEAD", "OPTIONS") and not path.startswith(NO_CSRF_PREFIXES):
        if not await _csrf_ok(request, session):
            return web.Response(
                status=403, text="refused: this form is out of date (no valid CSRF token); reload the page\n"
            )
    if not is_open(path):
        token = request.query.get("token")
        if token is not None:
            return _token_sign_in(request, token)
        if session.get("u") or session.get("t"):
            from tinycrm.web import generation

            await generation.check(request)
            request[USER] = await _user_of(request, session)
        if request[USER] is None:
            return _not_signed_in(request)
    response = await handler(request)
    # the public subtrees (forms, the portal, unsubscribe links, the API) and static files keep no session of
    # ours: a visitor posting a website's form gets no cookie from it
    if (fresh and not path.startswith(NO_SESSION_PREFIXES)) or request.get(SESSION_CHANGED):
        gate.save(response, request[SESSION])
    return response


def _not_signed_in(request: web.Request) -> web.StreamResponse:
    if request.method in ("GET", "HEAD") and not is_websocket(request) and wants_html(request):
        return see_other(str(request.app.router["signin"].url_for().with_query(next=request.path_qs)))
    return web.Response(status=401, text="sign in first: open /signin\n")


def _token_sign_in(request: web.Request, token: str) -> web.StreamResponse:
    """``?token=``: the token leaves the address bar at once; the browser keeps the cookie instead."""
    from tinycrm.web import pages

    gate = request.app[GATE]
    if request.method not in ("GET", "HEAD") or is_websocket(request) or not gate.token_ok(token):
        return pages.render(request, "signin.html", status=401, problem="That token is not valid.", next="/")
    query = request.rel_url.query.copy()
    query.popall("token")
    response = see_other(str(request.rel_url.with_query(query)))
    start(request, {"t": gate.token_print})
    gate.save(response, request[SESSION])
    return response


def start(request: web.Request, signed_in: dict[str, Any]) -> None:
    """Begin a signed-in session: a new CSRF token too (what was known before signing in is not reused)."""
    request[SESSION] = {"c": secrets.token_urlsafe(24), **signed_in}
    request[SESSION_CHANGED] = True
