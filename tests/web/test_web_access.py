"""``crm serve`` over real HTTP: who gets in (Host, Origin, the access token and its cookie) and what the
full-screen app's page at /tui says. Passwords, CSRF and the web app: test_web_app.py."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from tinycrm.web.auth import COOKIE, Gate, fingerprint


def cookie_of(response: aiohttp.ClientResponse) -> str:
    morsel = response.cookies[COOKIE]
    return morsel.value


async def sign_in(session: aiohttp.ClientSession, served) -> str:  # noqa: ANN001
    async with session.get(f"{served.url}/?token={served.token}", allow_redirects=False) as r:
        assert r.status == 303
        return cookie_of(r)


def with_cookie(value: str, **headers: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={value}", **headers}


async def test_healthz_answers_without_a_token(served):
    async with aiohttp.ClientSession() as s, s.get(f"{served.url}/healthz") as r:
        assert r.status == 200
        assert await r.text() == "ok\n"
        assert r.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/tui", "/healthz", "/signin", "/tui/ws", "/tui/static/js/textual.js"])
async def test_a_host_name_the_server_does_not_serve_is_misdirected(served, path):
    # a page of evil.example whose name was rebound to 127.0.0.1 sends Host: evil.example
    async with aiohttp.ClientSession() as s:
        cookie = await sign_in(s, served)
        headers = with_cookie(cookie, Host=f"evil.example:{served.port}")
        async with s.get(f"{served.url}{path}", headers=headers, allow_redirects=False) as r:
            assert r.status == 421
            text = await r.text()
            assert "does not answer to that host name" in text and "evil" not in text


async def test_a_page_of_another_site_cannot_open_the_websocket(served):
    async with aiohttp.ClientSession() as s:
        cookie = await sign_in(s, served)
        for origin in ("http://evil.example", f"http://127.0.0.1:{served.port + 1}", "null"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
                await s.ws_connect(f"{served.url}/tui/ws", headers=with_cookie(cookie, Origin=origin))
            assert caught.value.status == 403, origin
        # the browser says the request is cross-site although it sent no Origin
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await s.ws_connect(
                f"{served.url}/tui/ws", headers=with_cookie(cookie, **{"Sec-Fetch-Site": "cross-site"})
            )
        assert caught.value.status == 403


async def test_a_form_of_another_site_cannot_sign_in(served):
    async with aiohttp.ClientSession() as s:
        data = {"name": "ada", "password": "whatever it is"}
        headers = {"Origin": "http://evil.example"}
        async with s.post(f"{served.url}/signin", data=data, headers=headers, allow_redirects=False) as r:
            assert r.status == 403
            assert COOKIE not in r.cookies


async def test_without_a_token_nothing_but_the_sign_in_page(served):
    async with aiohttp.ClientSession() as s:
        for path in ("/", "/tui", "/tui/static/js/textual.js", "/tui/assets/tui.js", "/tui/ws", "/today"):
            async with s.get(f"{served.url}{path}", allow_redirects=False) as r:
                assert r.status == 401, path
        # a browser is sent to the sign-in page, which says where the token is
        html = {"Accept": "text/html,application/xhtml+xml"}
        async with s.get(f"{served.url}/tui", headers=html, allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"] == "/signin?next=/tui"
        async with s.get(f"{served.url}/signin?next=/tui", headers=html) as r:
            assert r.status == 200
            page = await r.text()
            assert '<form method="post" action="/signin"' in page and 'name="password"' in page
            assert 'value="/tui"' in page and "<script>" not in page
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await s.ws_connect(f"{served.url}/tui/ws", headers={"Origin": served.url})
        assert caught.value.status == 401


async def test_a_wrong_token_or_a_forged_cookie_gets_nothing(served):
    forged = Gate(b"a key of another server" * 2, served.token)
    other = web.Response()
    forged.save(other, {"c": "x", "t": fingerprint(served.token)})
    cookie_from_another_key = other.cookies[COOKIE].value
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{served.url}/tui?token=wrong", allow_redirects=False) as r:
            assert r.status == 401
            assert COOKIE not in r.cookies
            assert "That token is not valid." in await r.text()
        for value in ("garbage", cookie_from_another_key, cookie_from_another_key[:-2] + "xx"):
            async with s.get(f"{served.url}/tui", headers=with_cookie(value), allow_redirects=False) as r:
                assert r.status == 401, value


async def test_the_token_is_exchanged_for_a_lax_http_only_cookie(served):
    async with aiohttp.ClientSession() as s:
        url = f"{served.url}/tui?fontsize=20&token={served.token}"
        async with s.get(url, allow_redirects=False) as r:
            assert r.status == 303
            assert r.headers["Location"] == "/tui?fontsize=20"  # the token leaves the address bar
            set_cookie = r.headers["Set-Cookie"]
            assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/" in set_cookie
            assert served.token not in set_cookie
            cookie = cookie_of(r)
        async with s.get(f"{served.url}/tui?fontsize=20", headers=with_cookie(cookie)) as r:
            assert r.status == 200
            page = await r.text()
            csp = r.headers["Content-Security-Policy"]
        assert f'data-session-websocket-url="ws://127.0.0.1:{served.port}/tui/ws"' in page
        assert 'data-font-size="20"' in page
        assert "<div>tinycrm</div>" in page
        # everything the page loads comes from this server, and no script is inline
        assert "https://" not in page and "<script>" not in page and "onclick" not in page.lower()
        assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
        async with s.get(f"{served.url}/tui/static/js/textual.js", headers=with_cookie(cookie)) as r:
            assert r.status == 200


async def test_the_page_points_at_the_address_the_browser_used(served):
    async with aiohttp.ClientSession() as s:
        cookie = await sign_in(s, served)
        headers = with_cookie(cookie, Host=f"localhost:{served.port}")
        async with s.get(f"{served.url}/tui", headers=headers) as r:
            assert r.status == 200
            assert f'data-session-websocket-url="ws://localhost:{served.port}/tui/ws"' in await r.text()


def test_the_server_listens_on_loopback_only(served):
    # /proc/net/tcp lists listening sockets (state 0A) as hex address:port; 0100007F is 127.0.0.1
    port = f"{served.port:04X}"
    listening = [
        line.split()[1]
        for name in ("/proc/net/tcp", "/proc/net/tcp6")
        if Path(name).exists()
        for line in Path(name).read_text().splitlines()[1:]
        if line.split()[3] == "0A" and line.split()[1].endswith(":" + port)
    ]
    assert listening == [f"0100007F:{port}"]
