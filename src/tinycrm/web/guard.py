"""The checks every request passes before any handler runs, and what every response carries.

- ``Host`` must name this server (:meth:`ServeOptions.host_allowed`), else 421: a page of another site whose
  name was rebound to this machine's address (DNS rebinding) gets nothing.
- A websocket and every request that may change something (not GET, HEAD or OPTIONS) must come from a page
  of this server: an ``Origin`` other than the server's own, or a browser saying the request is cross-site,
  is answered 403.
- Responses say: no framing, no sniffing, no referrer, no caching (:func:`secure_headers`).
- The access log shows the path without the query string, so a token in an address never reaches a log.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from aiohttp import hdrs, web
from aiohttp.abc import AbstractAccessLogger

from tinycrm.web.settings import Origin, ServeOptions, split_host

OPTIONS: web.AppKey[ServeOptions] = web.AppKey("tinycrm.web.options", ServeOptions)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

log = logging.getLogger("tinycrm.web")


def request_origin(request: web.Request) -> Origin | None:
    """The origin this request was sent to, as the browser sees it: the public URL when one is set (a proxy
    in front speaks https), else the scheme and the ``Host`` of the request."""
    options = request.app[OPTIONS]
    if options.public is not None:
        return options.public
    return Origin.parse(f"{request.scheme}://{request.headers.get(hdrs.HOST, '')}")


def same_origin(request: web.Request, origin: str) -> bool:
    given = Origin.parse(origin)
    if given is None:  # "null" (a sandboxed frame, a file) or garbage
        return False
    own = {request_origin(request), Origin.parse(f"{request.scheme}://{request.headers.get(hdrs.HOST, '')}")}
    return given in own


def refuse(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n")


#: paths other sites post to on purpose: a website's contact form (``/f/KEY``), a mail client's one-click
#: unsubscribe (``/unsubscribe/TOKEN``)
CROSS_SITE_PREFIXES = ("/f/", "/unsubscribe/")


@web.middleware
async def check_host_and_origin(request: web.Request, handler: Any) -> web.StreamResponse:
    options = request.app[OPTIONS]
    try:
        name, _ = split_host(request.headers.get(hdrs.HOST, ""))
    except ValueError:
        name = ""
    if not name or not options.host_allowed(name):
        return refuse(421, f"this server does not answer to that host name: open {options.shown_url()}/")
    websocket = request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
    if not websocket and request.path.startswith(CROSS_SITE_PREFIXES):
        return await handler(request)  # posted to from other sites on purpose; they take no cookie of ours
    if websocket or request.method not in SAFE_METHODS:
        origin = request.headers.get(hdrs.ORIGIN)
        fetch_site = request.headers.get("Sec-Fetch-Site", "same-origin")
        # with "Referrer-Policy: no-referrer" a browser sends "Origin: null" for our own forms; its fetch
        # metadata (which no page can set) then says whether the form was ours
        ours_hidden = origin == "null" and request.headers.get("Sec-Fetch-Site") == "same-origin"
        if origin is not None and not ours_hidden and not same_origin(request, origin):
            return refuse(403, "refused: this request comes from a page of another site")
        if origin is None and fetch_site not in ("same-origin", "none"):
            return refuse(403, "refused: this request comes from a page of another site")
    return await handler(request)


#: what every response says unless its handler said otherwise
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if not isinstance(response, web.FileResponse):  # pages and answers may be private: keep no copy
        response.headers.setdefault("Cache-Control", "no-store")


class AccessLogger(AbstractAccessLogger):
    """One line per request: who, method, path (never the query string: it may hold a token), status,
    size and time."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %s %.0fms",
            request.remote or "-",
            request.method,
            request.path,
            response.status,
            response.body_length,
            time * 1000,
        )


def content_disposition(open_method: str, file_name: str) -> str:
    """``inline`` (the app asked for the browser to show it) or ``attachment``, with the file name quoted for
    every browser: a plain ASCII ``filename`` and the exact one in ``filename*`` (RFC 6266, RFC 8187)."""
    kind = "inline" if open_method == "browser" else "attachment"
    name = "".join(c for c in file_name if c.isprintable() and c not in "/\\").strip()[:200] or "download"
    plain = "".join(c if c.isascii() and (c.isalnum() or c in " .-_()+,") else "_" for c in name)
    return f"{kind}; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
