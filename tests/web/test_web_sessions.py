"""App sessions of ``crm serve``: the app answers over the websocket, sessions are capped, terminal sizes are
bounded, and neither the database password nor the token shows up where other people can read it (the app
processes' command lines, the server's log)."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import aiohttp
import pytest
from web_support import descendants, seed

from tinycrm.web.auth import COOKIE
from tinycrm.web.settings import HEIGHT_RANGE, WIDTH_RANGE
from tinycrm.web.tui import TuiAppService

pytestmark = pytest.mark.slow


async def sign_in(s: aiohttp.ClientSession, served) -> dict[str, str]:  # noqa: ANN001
    async with s.get(f"{served.url}/?token={served.token}", allow_redirects=False) as r:
        assert r.status == 303
        return {"Cookie": f"{COOKIE}={r.cookies[COOKIE].value}", "Origin": served.url}


async def screen_until(ws: aiohttp.ClientWebSocketResponse, text: bytes, timeout: float = 60) -> bytes:
    """What the app drew until ``text`` appeared in it."""
    seen = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in seen:
        message = await ws.receive(timeout=max(0.1, deadline - loop.time()))
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
        elif message.type != aiohttp.WSMsgType.TEXT:
            pytest.fail(f"the websocket closed before {text!r} appeared: {message!r}")
    return seen


def app_processes(server_pid: int) -> list[int]:
    """The app processes (``python -m tinycrm tui``) under the server."""
    found = []
    for pid in descendants(server_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"tinycrm" in argv and b"tui" in argv:
            found.append(pid)
    return found


def environment_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode(errors="replace").split("=", 1) for p in pairs if b"=" in p)


async def wait_for_app(server_pid: int, before: list[int] | None = None) -> int:
    """The app process the latest session started (one not in ``before``)."""
    for _ in range(200):
        found = [pid for pid in app_processes(server_pid) if pid not in (before or [])]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    pytest.fail("no app process was started")


async def test_the_app_answers_over_the_websocket(served):
    async with aiohttp.ClientSession() as s:
        headers = await sign_in(s, served)
        async with s.ws_connect(f"{served.url}/tui/ws?width=120&height=40", headers=headers) as ws:
            await ws.send_str(json.dumps(["ping", "hello"]))
            screen = await screen_until(ws, b"Ada Lovelace")
            assert b"Contacts" in screen
            # typing reaches the app: "2" opens the companies area
            await ws.send_str(json.dumps(["stdin", "2"]))
            await screen_until(ws, b"compan")


async def test_sessions_beyond_the_cap_are_refused(serve, tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    seed(url, tmp_path)
    served = serve(db_url=url, args=("--max-sessions", "1"))
    async with aiohttp.ClientSession() as s:
        headers = await sign_in(s, served)
        async with s.ws_connect(f"{served.url}/tui/ws", headers=headers) as first:
            await screen_until(first, b"Ada Lovelace")
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await s.ws_connect(f"{served.url}/tui/ws", headers=headers)
            assert caught.value.status == 503
            async with s.get(f"{served.url}/tui", headers=headers) as r:
                assert r.status == 503
                assert "--max-sessions" in await r.text()
                assert r.headers["Retry-After"]
        # the first session closed: its place is free again once its app has quit
        for _ in range(200):
            async with s.get(f"{served.url}/tui", headers=headers) as r:
                if r.status == 200:
                    break
            await asyncio.sleep(0.05)
        async with s.ws_connect(f"{served.url}/tui/ws", headers=headers) as again:
            await screen_until(again, b"Ada Lovelace")


async def test_an_oversized_terminal_is_cut_to_the_bounds(served):
    async with aiohttp.ClientSession() as s:
        headers = await sign_in(s, served)
        before = app_processes(served.proc.pid)
        async with s.ws_connect(f"{served.url}/tui/ws?width=20000&height=20000", headers=headers) as ws:
            pid = await wait_for_app(served.proc.pid, before)
            env = environment_of(pid)
            assert (env["COLUMNS"], env["ROWS"]) == (str(WIDTH_RANGE[1]), str(HEIGHT_RANGE[1]))
            await ws.send_str(json.dumps(["resize", {"width": 20000, "height": 20000}]))
            await screen_until(ws, b"Ada Lovelace")
            before.append(pid)
        async with s.ws_connect(f"{served.url}/tui/ws?width=1&height=abc", headers=headers) as ws:
            pid = await wait_for_app(served.proc.pid, before)
            env = environment_of(pid)
            assert (env["COLUMNS"], env["ROWS"]) == (str(WIDTH_RANGE[0]), "24")


async def test_a_resize_message_is_cut_to_the_bounds():
    sent: list[dict] = []

    class Recorded(TuiAppService):
        async def send_meta(self, data):  # noqa: ANN001, ANN202 - what would go to the app's stdin
            sent.append(data)
            return True

    service = Recorded(
        "true", environment={}, write_bytes=None, write_str=None, close=None, download_manager=None
    )
    await service.set_terminal_size(20000, 20000)
    await service.set_terminal_size(-5, "12")
    await service.set_terminal_size(None, [1])
    assert [(m["width"], m["height"]) for m in sent] == [
        (WIDTH_RANGE[1], HEIGHT_RANGE[1]),
        (WIDTH_RANGE[0], 12),
        (80, 24),
    ]


async def test_the_database_url_is_on_no_command_line_and_no_password_in_the_log(serve, store_url, tmp_path):
    seed(store_url, tmp_path)
    served = serve(db_url=store_url)
    password = re.findall(r"^[a-z+]+://[^:/@]*:([^@]*)@", store_url)
    async with aiohttp.ClientSession() as s:
        headers = await sign_in(s, served)
        async with s.ws_connect(f"{served.url}/tui/ws", headers=headers) as ws:
            await screen_until(ws, b"Ada Lovelace")  # the app found the database...
            pid = await wait_for_app(served.proc.pid)
            assert environment_of(pid)["TINYCRM_DB"] == store_url  # ...through its environment
            for child in descendants(served.proc.pid):
                try:
                    argv = Path(f"/proc/{child}/cmdline").read_bytes().decode(errors="replace")
                except OSError:
                    continue
                assert store_url not in argv and "TINYCRM_DB" not in argv, argv
                for secret in password:
                    assert f":{secret}@" not in argv, argv
    served.stop()
    output = served.output()
    assert "serving " in output
    for secret in password:
        assert f":{secret}@" not in output, output
    if password:
        assert ":***@" in output


async def test_the_token_is_printed_once_and_never_logged(serve, tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    seed(url, tmp_path)
    served = serve(db_url=url, random_token=True)
    async with aiohttp.ClientSession() as s:
        headers = await sign_in(s, served)
        async with s.get(f"{served.url}/?token=wrong-{served.token}", headers=headers) as r:
            assert r.status == 401
        async with s.ws_connect(f"{served.url}/tui/ws", headers=headers) as ws:
            await screen_until(ws, b"Ada Lovelace")
    served.stop()
    assert served.stdout().count(served.token) == 1  # the address to open, printed at start
    assert f"open {served.url}/?token={served.token}" in served.stdout()
    log = served.stderr_path.read_text()
    assert served.token not in log
    assert "GET / 303" in log and "GET /tui/ws 101" in log  # the access log is there, without query strings
    assert "?" not in "".join(ln for ln in log.splitlines() if "aiohttp.access" in ln)


async def test_with_a_token_file_the_token_is_never_printed(serve, tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    served = serve(db_url=url)
    assert served.token_file.stat().st_mode & 0o777 == 0o600
    async with aiohttp.ClientSession() as s:
        await sign_in(s, served)
    served.stop()
    assert served.token not in served.output()
    assert f"sign in with the token in {served.token_file}" in served.output()
