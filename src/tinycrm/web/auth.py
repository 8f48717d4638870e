"""Who may use the server: until accounts arrive, whoever holds the access token.

The token is random for each start (or read from a file the user alone can read, for a bookmark). A browser
brings it once, in the address ``crm serve`` printed (``/?token=...``) or typed into the sign-in page, and
gets in exchange a cookie signed with a key derived from the token (itsdangerous): HttpOnly, SameSite=Strict,
Secure behind https. Every route needs that cookie except the ones in :data:`OPEN_PATHS`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any

from aiohttp import hdrs, web

from tinycrm.domain.errors import InvalidInput

COOKIE = "tinycrm_session"
#: a signed cookie is refused after this many seconds, even while the browser keeps it
COOKIE_MAX_AGE = 7 * 24 * 3600
SIGNIN_PATH = "/signin"
HEALTH_PATH = "/healthz"
#: the routes anyone may reach (after the Host check)
OPEN_PATHS = frozenset({HEALTH_PATH, SIGNIN_PATH})
MIN_TOKEN_LENGTH = 16
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]+")


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


class Gate:
    """Checks the token and issues and reads the signed cookie."""

    def __init__(self, token: str, *, secure: bool = False) -> None:
        from itsdangerous import URLSafeTimedSerializer

        self._token = token.encode("utf-8")
        # the key comes from the token: a fixed token keeps browsers signed in across restarts, a new one
        # signs every browser out
        key = hmac.new(self._token, b"tinycrm web session cookie", hashlib.sha256).digest()
        self._signer = URLSafeTimedSerializer(key, salt="tinycrm.web.session")
        self.secure = secure

    def token_ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8", "replace"), self._token)

    def signed_in(self, request: web.Request) -> bool:
        from itsdangerous import BadSignature

        value = request.cookies.get(COOKIE)
        if not value:
            return False
        try:
            data = self._signer.loads(value, max_age=COOKIE_MAX_AGE)
        except BadSignature:
            return False
        return isinstance(data, dict) and data.get("via") == "token"

    def admit(self, response: web.StreamResponse) -> None:
        """Give ``response`` the cookie that signs its browser in."""
        response.set_cookie(
            COOKIE,
            self._signer.dumps({"via": "token"}),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.secure,
        )


GATE: web.AppKey[Gate] = web.AppKey("tinycrm.web.gate", Gate)
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


@web.middleware
async def require_sign_in(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.path in OPEN_PATHS:
        return await handler(request)
    gate = request.app[GATE]
    token = request.query.get("token")
    if token is not None:
        if request.method not in ("GET", "HEAD") or is_websocket(request) or not gate.token_ok(token):
            return signin_page(request, status=401, problem="That token is not valid.")
        # the token leaves the address bar at once: the browser keeps the cookie instead
        query = request.rel_url.query.copy()
        query.popall("token")
        response = see_other(str(request.rel_url.with_query(query)))
        gate.admit(response)
        return response
    if gate.signed_in(request):
        return await handler(request)
    if request.method in ("GET", "HEAD") and not is_websocket(request) and wants_html(request):
        return see_other(str(request.app.router["signin"].url_for().with_query(next=request.path_qs)))
    return web.Response(status=401, text="sign in first: open the address crm serve printed\n")


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={hdrs.LOCATION: location}, text="see " + location + "\n")


def wants_html(request: web.Request) -> bool:
    return "text/html" in request.headers.get(hdrs.ACCEPT, "")


async def signin_form(request: web.Request) -> web.StreamResponse:
    if request.app[GATE].signed_in(request):
        return see_other(local_path(request.query.get("next"), request.app[HOME]))
    return signin_page(request)


async def signin_post(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    token = form.get("token")
    gate = request.app[GATE]
    if not isinstance(token, str) or not gate.token_ok(token.strip()):
        return signin_page(request, status=401, problem="That token is not valid.")
    response = see_other(local_path(str(form.get("next") or ""), request.app[HOME]))
    gate.admit(response)
    return response


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tinycrm: sign in</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }}
input[type=password] {{ width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; }}
button {{ margin-top: 1rem; padding: .5rem 1.5rem; font-size: 1rem; }}
.problem {{ color: #b00020; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #111; color: #eee; }} }}
</style>
</head>
<body>
<h1>tinycrm</h1>
{problem}<form method="post" action="{action}">
<p><label for="token">Access token</label></p>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button>
</form>
<p>The token is in the address <code>crm serve</code> printed when it started (after <code>?token=</code>),
or in the file given to <code>--token-file</code>.</p>
</body>
</html>
"""


def signin_page(request: web.Request, *, status: int = 200, problem: str = "") -> web.Response:
    target = local_path(request.query.get("next"), request.app[HOME])
    body = PAGE.format(
        problem=f'<p class="problem">{html.escape(problem)}</p>\n' if problem else "",
        action=html.escape(str(request.app.router["signin"].url_for())),
        next=html.escape(target),
    )
    response = web.Response(status=status, text=body, content_type="text/html")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"
    )
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get(SIGNIN_PATH, signin_form, name="signin")
    app.router.add_post(SIGNIN_PATH, signin_post)
