"""Files the full-screen app hands to the browser (``App.deliver_text``/``deliver_binary``) over real HTTP: the
server runs here on a free port with a small app under /tui that delivers three files as it starts; the test
talks to it as textual.js does (the websocket says which key to fetch) and fetches them as browsers of the
same user, of another session and of another user would."""

from __future__ import annotations

import asyncio
import os
import random
import re
import shlex
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from web_support import PASSWORD, VIEWER_PASSWORD, crm, free_port

pytestmark = pytest.mark.slow

HTML = {"Accept": "text/html"}
CSV = "name,email\nAda Lovelace,ada@example.com\nÉmile <x>,e@example.com\n"
CSV_NAME = 'contacts "été"; x.csv'
BLOB = random.Random(17).randbytes(200_000)  # more than three of the 64 KB chunks a download is sent in

APP = textwrap.dedent(
    f"""
    import io
    from textual.app import App
    from textual.widgets import Static

    class Deliver(App):
        def compose(self):
            yield Static("delivering")

        def on_mount(self):
            self.deliver_text(io.StringIO({CSV!r}), save_filename={CSV_NAME!r}, mime_type="text/csv")
            self.deliver_binary(io.BytesIO(bytes.fromhex({BLOB.hex()!r})), save_filename="blob.bin")
            page = io.BytesIO(b"<script>alert(1)</script>")
            self.deliver_binary(page, save_filename="page.html", open_method="browser", mime_type="text/html")
            self.deliver_text(io.StringIO("not fetched"), save_filename="later.txt")  # (in the first test)

    Deliver().run()
    """
)


class InProcess:
    """``crm serve``'s application, on a free loopback port in this process, running ``app`` under /tui."""

    def __init__(self, db_url: str, app: Path) -> None:
        from tinycrm.web.auth import new_token
        from tinycrm.web.server import make_app
        from tinycrm.web.settings import ServeOptions
        from tinycrm.web.tui import TUI_MOUNT

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        options = ServeOptions.make(host="127.0.0.1", port=self.port, token=new_token(), db_url=db_url)
        self.app = make_app(options)
        self.mount = self.app[TUI_MOUNT]
        self.mount.command = shlex.join([sys.executable, str(app)])
        self.runner = web.AppRunner(self.app)

    async def __aenter__(self) -> InProcess:
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()


def browser(*, new_connections: bool = False) -> aiohttp.ClientSession:
    """A client keeping cookies as a browser does; ``new_connections``: one connection per request."""
    connector = aiohttp.TCPConnector(force_close=new_connections)
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), connector=connector)


async def sign_in(s: aiohttp.ClientSession, url: str, name: str, password: str) -> None:
    async with s.get(f"{url}/signin", headers=HTML) as r:
        found = re.search(r'name="csrf" value="([^"]+)"', await r.text())
    assert found
    form = {"csrf": found.group(1), "name": name, "password": password, "next": "/"}
    async with s.post(f"{url}/signin", data=form, allow_redirects=False) as r:
        assert r.status == 303, await r.text()


async def delivery_keys(ws: aiohttp.ClientWebSocketResponse, count: int) -> tuple[str, list[str]]:
    """The server process's name and the keys of the first ``count`` files the app delivers, as the websocket
    tells textual.js."""
    keys: list[str] = []
    instance = ""
    while len(keys) < count:
        message = await ws.receive(timeout=60)
        if message.type == aiohttp.WSMsgType.TEXT:
            kind, *data = message.json()
            if kind == "deliver_file_start":
                keys.append(data[0])
            elif kind == "instance_id":
                instance = data[0]
        elif message.type != aiohttp.WSMsgType.BINARY:
            pytest.fail(f"the websocket closed before the app delivered its files: {message!r}")
    assert instance, "the server did not name itself before the first delivery"
    return instance, keys


@pytest.fixture
def team_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    crm(url, tmp_path, "user", "add", "vic", "--role", "viewer")
    crm(url, tmp_path, "user", "password", "ada", input=PASSWORD + "\n")
    crm(url, tmp_path, "user", "password", "vic", input=VIEWER_PASSWORD + "\n")
    return url


async def test_a_delivered_file_goes_to_its_session_only(team_db, tmp_path):
    app = tmp_path / "deliver.py"
    app.write_text(APP)
    async with InProcess(team_db, app) as server, browser() as ada, browser() as vic, browser() as ada2:
        url = server.url
        await sign_in(ada, url, "ada", PASSWORD)
        await sign_in(ada2, url, "ada", PASSWORD)  # the same user in another browser
        await sign_in(vic, url, "vic", VIEWER_PASSWORD)
        async with ada.ws_connect(f"{url}/tui/ws", headers={"Origin": url}) as ws:
            instance, (text_key, blob_key, page_key, later_key) = await delivery_keys(ws, 4)
            assert re.fullmatch(r"[0-9a-f]{32}", text_key)

            # nobody else gets it: not signed in, another user, the same user's other session
            async with aiohttp.ClientSession() as stranger:
                async with stranger.get(f"{url}/tui/download/{text_key}", allow_redirects=False) as r:
                    assert r.status == 401
                async with stranger.get(
                    f"{url}/download/{text_key}", headers=HTML, allow_redirects=False
                ) as r:
                    assert r.status == 303 and r.headers["Location"].startswith("/signin?next=")
            for other in (vic, ada2):
                async with other.get(f"{url}/tui/download/{text_key}") as r:
                    assert r.status == 404
                    assert "no such download" in await r.text()

            # textual.js opens /download/<key>?instance=<the server process> at the root: it is sent below /tui
            asked = f"{url}/download/{text_key}?instance={instance}"
            async with ada.get(asked, allow_redirects=False) as r:
                assert r.status == 303
                assert r.headers["Location"] == f"/tui/download/{text_key}?instance={instance}"
            async with ada.get(asked) as r:
                assert r.status == 200
                assert await r.read() == CSV.encode()
                assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
                assert r.headers["Content-Disposition"] == (
                    'attachment; filename="contacts __t___ x.csv"; '
                    "filename*=UTF-8''contacts%20%22%C3%A9t%C3%A9%22%3B%20x.csv"
                )
                assert r.headers["X-Content-Type-Options"] == "nosniff"
                assert r.headers["Cache-Control"] == "no-store"
                assert "sandbox" in r.headers["Content-Security-Policy"]
            async with ada.get(f"{url}/tui/download/{text_key}") as r:
                assert r.status == 404  # fetched once

            async with ada.get(f"{url}/tui/download/{blob_key}") as r:
                assert r.status == 200 and await r.read() == BLOB
                assert r.headers["Content-Type"] == "application/octet-stream"
                assert r.headers["Content-Disposition"].startswith('attachment; filename="blob.bin"')

            # shown in the browser as the app asked, but in a sandbox of no origin where nothing runs
            async with ada.get(f"{url}/tui/download/{page_key}") as r:
                assert r.status == 200 and await r.read() == b"<script>alert(1)</script>"
                assert r.headers["Content-Type"] == "text/html"
                assert r.headers["Content-Disposition"].startswith('inline; filename="page.html"')
                policy = r.headers["Content-Security-Policy"]
                assert "sandbox" in policy and "default-src 'none'" in policy and "script" not in policy

            for unknown in ("0" * 32, "no.such.key", "x" * 101):
                async with ada.get(f"{url}/tui/download/{unknown}") as r:
                    assert r.status == 404
            assert later_key in server.mount.downloads._active_downloads
        # the session has ended: what it did not fetch is gone, on the server too
        for _ in range(100):
            if not server.mount.sessions:
                break
            await asyncio.sleep(0.05)
        async with ada.get(f"{url}/tui/download/{later_key}") as r:
            assert r.status == 404
        assert server.mount.downloads._active_downloads == {}


class ProcessLike:
    """One of several servers taking connections from one listening socket, as ``crm serve --processes N``
    runs them (:func:`tinycrm.web.processes.shared_site`), each with an event loop of its own in a thread."""

    def __init__(self, db_url: str, app: Path, sock: socket.socket, port: int) -> None:
        self.own_port = free_port()  # and a port of its own, to reach this one for sure
        from tinycrm.web.server import make_app
        from tinycrm.web.settings import ServeOptions
        from tinycrm.web.tui import TUI_MOUNT

        self.sock = sock
        self.loop = asyncio.new_event_loop()
        options = ServeOptions.make(host="127.0.0.1", port=port, token="t" * 32, db_url=db_url)
        self.app = make_app(options)
        self.mount = self.app[TUI_MOUNT]
        self.mount.command = shlex.join([sys.executable, str(app)])
        self.runner = web.AppRunner(self.app)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._call(self._start())

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    async def _start(self) -> None:
        from tinycrm.web.processes import shared_site

        await self.runner.setup()
        await shared_site(self.runner, self.sock).start()
        await web.TCPSite(self.runner, "127.0.0.1", self.own_port).start()

    def stop(self) -> None:
        self._call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


async def test_downloads_are_found_whichever_server_process_a_connection_reaches(team_db, tmp_path):
    """As with ``crm serve --processes 2``: an app session lives in one server process; its downloads are
    fetched through either, for its browser session only."""
    from tinycrm.web.processes import bind

    app = tmp_path / "deliver.py"
    app.write_text(APP)
    port = free_port()
    (sock,) = bind("127.0.0.1", port)
    servers = [ProcessLike(team_db, app, sock, port) for _ in range(2)]
    url = f"http://127.0.0.1:{port}"
    instances = [server.mount.deliveries.instance for server in servers]
    try:
        async with browser() as ada, browser() as vic:
            await sign_in(ada, url, "ada", PASSWORD)
            await sign_in(vic, url, "vic", VIEWER_PASSWORD)
            async with ada.ws_connect(f"{url}/tui/ws", headers={"Origin": url}) as ws:
                instance, (text_key, blob_key, page_key, later_key) = await delivery_keys(ws, 4)
                holder = instances.index(instance)
                other = f"http://127.0.0.1:{servers[1 - holder].own_port}"
                # through the process that does not hold it: passed on, for this browser session only
                async with vic.get(f"{other}/download/{text_key}?instance={instance}") as r:
                    assert r.status == 404
                async with ada.get(f"{other}/download/{text_key}?instance={instance}") as r:
                    assert r.status == 200 and await r.read() == CSV.encode()
                    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
                    assert r.headers["Content-Disposition"].startswith(
                        'attachment; filename="contacts __t___'
                    )
                    assert "sandbox" in r.headers["Content-Security-Policy"]
                    assert r.headers["X-Content-Type-Options"] == "nosniff"
                async with ada.get(f"{other}/tui/download/{text_key}?instance={instance}") as r:
                    assert r.status == 404  # fetched once
                async with ada.get(f"{other}/tui/download/{blob_key}?instance={instance}") as r:
                    assert r.status == 200 and await r.read() == BLOB
                for wrong in (
                    "0123456789abcdef",
                    instances[1 - holder],
                    "../../x",
                ):  # none, or not its holder
                    async with ada.get(f"{other}/tui/download/{page_key}", params={"instance": wrong}) as r:
                        assert r.status == 404
            # and through the shared port, whichever process each new connection reaches
            async with browser(new_connections=True) as again:
                await sign_in(again, url, "ada", PASSWORD)
                async with again.ws_connect(f"{url}/tui/ws", headers={"Origin": url}) as ws:
                    instance, keys = await delivery_keys(ws, 4)
                    for key in keys:
                        async with again.get(f"{url}/download/{key}?instance={instance}") as r:
                            assert r.status == 200
                            body = await r.read()
                    assert body == b"not fetched"
    finally:
        for server in servers:
            server.stop()
        sock.close()


CHROMIUM = os.environ.get("TINYCRM_CHROMIUM", "/usr/bin/chromium")


@pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true", reason=f"no Chromium at {CHROMIUM}"
)
def test_chromium_saves_what_the_app_delivers(team_db, tmp_path):
    """The whole way in a real browser: textual.js hears of the file on the websocket and opens
    /download/<key>; Chromium follows to /tui/download/<key> and saves the attachment under its name."""
    from playwright.sync_api import sync_playwright
    from test_browser import ARGS, ARTIFACTS

    from tinycrm.web.processes import bind

    app = tmp_path / "deliver.py"
    app.write_text(APP)
    port = free_port()
    (sock,) = bind("127.0.0.1", port)
    server = ProcessLike(team_db, app, sock, port)
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = chromium.new_context(accept_downloads=True)
            page = context.new_page()
            page.goto(f"{url}/signin")
            page.fill("input[name=name]", "ada")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/")
            saved = {}  # Chromium reports a download in a page the app opened as the opener's
            page.on("download", lambda d: saved.setdefault(d.suggested_filename, d))
            dialogs: list[str] = []

            def watch(popup) -> None:  # noqa: ANN001
                popup.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

            context.on("page", watch)
            page.goto(f"{url}/tui")
            deadline = time.monotonic() + 60
            while len(saved) < 3 and time.monotonic() < deadline:
                page.wait_for_timeout(200)
            page.wait_for_timeout(500)
            # the exact name (filename*), with the quotes Chromium does not put in file names made safe
            assert set(saved) == {"contacts _été_; x.csv", "blob.bin", "later.txt"}, saved
            assert Path(saved["contacts _été_; x.csv"].path()).read_text() == CSV
            assert Path(saved["blob.bin"].path()).read_bytes() == BLOB
            shown = [pg for pg in context.pages if "/tui/download/" in pg.url]
            assert len(shown) == 1 and "alert(1)" in shown[0].content()  # shown as the app asked...
            assert dialogs == []  # ...but its script never ran
            ARTIFACTS.mkdir(exist_ok=True)
            shown[0].screenshot(path=str(ARTIFACTS / "tui-download-inline.png"))
            chromium.close()
    finally:
        server.stop()
        sock.close()
