"""Files the full-screen app hands to the browser (``App.deliver_text``/``deliver_binary``: an export, say).

The app process announces a file on its websocket session (textual-serve's ``deliver_file_start``); textual.js
then opens ``/download/<key>?instance=<server process>`` at the origin's root, which is sent to
``/tui/download/<key>``. The file streams from the app process as it reads it (textual-serve's
:class:`~textual_serve.download_manager.DownloadManager`), once. Like every path of the mount it needs a signed-in
browser, and it is given only to the browser session whose app made it: to anyone else, the same user in another
browser included, the key does not exist (404). A file the app asks to be shown in the browser is sent inline
but in a sandbox of no origin where nothing runs; every other file is an attachment, its name quoted for every
browser. What nobody fetched is forgotten when its app session ends.

With ``crm serve --processes N`` the app session lives in the server process its websocket reached, and the
download's connection may reach another. textual.js names the process that told it the key (``?instance=``, a
random name we send on the websocket as ``instance_id``); the process that gets the request asks that one over
a local socket (Linux's abstract namespace, ``tinycrm-tui-download-<instance>``; only processes of the same
system user are answered) and passes the file on. The asking process has checked the sign-in; the holding one
checks that the file is the same browser session's.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import re
import secrets
import socket
import struct
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.download_manager import Download, DownloadManager
from yarl import URL

from tinycrm.web import auth
from tinycrm.web.guard import content_disposition

log = logging.getLogger("tinycrm.web")

#: a download's key as an app makes it (textual: 32 hex digits, random), in the path
KEY = "{key:[0-9A-Za-z_-]{1,100}}"
KEY_PATTERN = re.compile(r"[0-9A-Za-z_-]{1,100}")
#: a server process's name in a download's address (random, 16 hex digits)
INSTANCE = re.compile(r"[0-9a-f]{16}")
#: what a download's answer may carry as its type and character set (anything else: a plain byte stream)
MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
CHARSET = re.compile(r"[A-Za-z0-9._:-]{1,40}")
#: a download is shown in a page of no origin that may run nothing (an HTML file opened in the browser)
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'none'"
#: the local socket of a server process's downloads, for the other server processes (abstract: no file)
RELAY = "\0tinycrm-tui-download-"
#: the header a server process names the browser session with when it asks another one for a download
OWNER_HEADER = "X-Download-Owner"
#: the headers of a download passed on from another server process
PASSED_ON = ("Content-Type", "Content-Disposition")
NOT_FOUND = "no such download: it was fetched already, or its app session has ended\n"


class Manager(DownloadManager):
    """textual-serve's manager, plus looking a download up without an exception and forgetting those of an
    app session that has ended (textual-serve keeps a download nobody fetched for as long as the server runs)."""

    def held(self, key: str) -> Download | None:
        return self._active_downloads.get(key)

    def drop(self, key: str) -> None:
        self._active_downloads.pop(key, None)

    def forget(self, service: AppService, *, keep: set[str] | frozenset[str] = frozenset()) -> None:
        """Drop ``service``'s downloads, except the keys in ``keep`` (being fetched: they end by themselves)."""
        for key, download in list(self._active_downloads.items()):
            if download.app_service is service and key not in keep:
                del self._active_downloads[key]


def session_owner(request: web.Request) -> str:
    """Who a download belongs to: the signed-in user in this browser's session (its random CSRF token, which
    every sign-in replaces), as a digest."""
    user = getattr(request.get(auth.USER), "name", "")
    session = request.get(auth.SESSION) or {}
    return hashlib.sha256(f"{user}\0{session.get('c', '')}".encode()).hexdigest()


def content_type(mime_type: str, encoding: str | None) -> str:
    kind = (mime_type or "").strip().lower()
    if not MIME_TYPE.fullmatch(kind):
        return "application/octet-stream"
    if encoding and CHARSET.fullmatch(encoding):
        return f"{kind}; charset={encoding}"
    return kind


def _same_system_user(request: web.BaseRequest) -> bool:
    """The process at the other end of the local socket runs as this one's user (Linux's peer credentials)."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        return False
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    except (OSError, AttributeError):
        return False
    return bool(uid == os.getuid())


class Deliveries:
    """The downloads of one server process's app sessions, and the routes that serve them."""

    def __init__(self, sessions: Mapping[Any, Any], under: Callable[[str], str]) -> None:
        self.manager = Manager()
        #: the app sessions running: a download is served while its session runs
        self.sessions = sessions
        self.under = under
        #: the keys of the downloads being sent right now (each is fetched once)
        self.fetching: set[str] = set()
        #: this server process, as textual.js names it when it fetches a download (``?instance=``)
        self.instance = secrets.token_hex(8)
        self._relay: asyncio.AbstractServer | None = None

    def add_to(self, app: web.Application) -> None:
        app.router.add_get(
            self.under("download/" + KEY), self.download, name="tui-download", allow_head=False
        )
        # where textual.js looks for it (the origin's root, whatever the mount point)
        app.router.add_get("/download/" + KEY, self.to_download, allow_head=False)
        app.on_startup.append(self.open_relay)
        app.on_cleanup.append(self.close_relay)

    def ended(self, service: AppService) -> None:
        """``service``'s app session has ended: what it delivered and nobody fetches now is gone."""
        self.manager.forget(service, keep=self.fetching)

    async def open_relay(self, app: web.Application) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._relay = await loop.create_unix_server(web.Server(self.relayed), path=RELAY + self.instance)
        except (OSError, NotImplementedError) as exc:  # no abstract sockets (not Linux): one process only
            log.debug("downloads are served by the process holding them only: %s", exc)

    async def close_relay(self, app: web.Application) -> None:
        if self._relay is not None:
            self._relay.close()
            await self._relay.wait_closed()

    async def to_download(self, request: web.Request) -> web.StreamResponse:
        location = URL(self.under("download/" + request.match_info["key"])).with_query(request.query)
        return web.Response(status=303, headers={"Location": str(location)}, text=f"see {location}\n")

    def _held(self, owner: str, key: str) -> Download | None:
        """The download ``key`` of an app of the browser session ``owner`` in this process, ready to be sent."""
        meta = self.manager.held(key)
        service = meta.app_service if meta is not None else None
        if (
            meta is None
            or key in self.fetching
            or service not in self.sessions.values()
            or not hmac.compare_digest(getattr(service, "owner", ""), owner)
        ):
            return None
        return meta

    async def download(self, request: web.Request) -> web.StreamResponse:
        """A file an app of this browser session delivered, from this process or the one holding it."""
        key, owner = request.match_info["key"], session_owner(request)
        meta = self._held(owner, key)
        if meta is not None:
            return await self._send(request, key, meta)
        instance = request.query.get("instance", "")
        if self.manager.held(key) is None and INSTANCE.fullmatch(instance) and instance != self.instance:
            passed_on = await self._from_other(request, key, instance, owner)
            if passed_on is not None:
                return passed_on
        return web.Response(status=404, text=NOT_FOUND)

    async def relayed(self, request: web.BaseRequest) -> web.StreamResponse:
        """Another server process asks for a download of this one, for the browser session it names."""
        key = request.path.lstrip("/")
        owner = request.headers.get(OWNER_HEADER, "")
        if request.method != "GET" or not _same_system_user(request) or not KEY_PATTERN.fullmatch(key):
            return web.Response(status=403, text="refused\n")
        meta = self._held(owner, key) if owner else None
        if meta is None:
            return web.Response(status=404, text=NOT_FOUND)
        return await self._send(request, key, meta)

    async def _send(self, request: web.BaseRequest, key: str, meta: Download) -> web.StreamResponse:
        """Stream the download ``key`` from its app process to ``request``; fetched once."""
        self.fetching.add(key)
        response = web.StreamResponse(
            headers={
                "Content-Type": content_type(meta.mime_type, meta.encoding),
                "Content-Disposition": content_disposition(meta.open_method, meta.file_name),
                "Content-Security-Policy": POLICY,
            }
        )
        chunks = self.manager.download(key)
        done = False
        try:
            await response.prepare(request)
            async for chunk in chunks:
                await response.write(chunk)
            done = True
            await response.write_eof()
        finally:
            await chunks.aclose()
            self.fetching.discard(key)
            if not done:  # the browser went away: the rest cannot be fetched again
                self.manager.drop(key)
        return response

    async def _from_other(
        self, request: web.Request, key: str, instance: str, owner: str
    ) -> web.StreamResponse | None:
        """The download ``key`` passed on from the server process ``instance``; None when it has none for this
        session (or is gone)."""
        import aiohttp

        response: web.StreamResponse | None = None
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=60)
        connector = aiohttp.UnixConnector(path=RELAY + instance)
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as client:
                async with client.get(f"http://tinycrm/{key}", headers={OWNER_HEADER: owner}) as answer:
                    if answer.status != 200:
                        return None
                    headers = {name: answer.headers[name] for name in PASSED_ON if name in answer.headers}
                    response = web.StreamResponse(headers={**headers, "Content-Security-Policy": POLICY})
                    await response.prepare(request)
                    async for chunk in answer.content.iter_any():
                        await response.write(chunk)
                    await response.write_eof()
                    return response
        except (aiohttp.ClientError, OSError):
            if response is not None:  # cut off half-way: the browser sees a broken download
                raise
            return None  # no such server process (any more)
