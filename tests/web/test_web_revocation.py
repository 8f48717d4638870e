"""A new password or a revoked token reaches browsers and programs already signed in within about a second
(the accounts' generation), not when a remembered session runs out: over real HTTP against ``crm serve``."""

from __future__ import annotations

import time

import aiohttp
from api_support import call
from web_support import PASSWORD, Served, seed_admin

from tinycrm.web.generation import EVERY

HTML = {"Accept": "text/html"}


def change(url: str, fn, *args) -> None:  # noqa: ANN001
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        db.actor = "ada"  # type: ignore[attr-defined]
        fn(db, *args)
    finally:
        db.close()


async def refused_within(check, limit: float) -> float:  # noqa: ANN001
    """Seconds until ``await check()`` is False, asserting it happens within ``limit``."""
    import asyncio

    start = time.monotonic()
    while await check():
        assert time.monotonic() - start < limit, "still let in"
        await asyncio.sleep(0.1)
    return time.monotonic() - start


async def test_a_new_password_and_a_revoked_token_end_sessions_at_once(tmp_path):
    from tinycrm.services.team import accounts

    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    token = seed_admin(url)
    server = Served(tmp_path / "server", db_url=url, env={"TINYCRM_USER": "ada"})
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            async with s.get(f"{server.url}/signin", headers=HTML) as r:
                csrf = (await r.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
            form = {"csrf": csrf, "name": "ada", "password": PASSWORD, "next": "/"}
            async with s.post(f"{server.url}/signin", data=form, allow_redirects=False) as r:
                assert r.status == 303

            async def browser_in() -> bool:
                async with s.get(f"{server.url}/contacts", headers=HTML, allow_redirects=False) as r:
                    return r.status == 200

            async def program_in() -> bool:
                return call(server.url, "GET", "/api/v1/contacts", token).status == 200

            assert await browser_in() and await program_in()  # both remembered by the server now
            change(url, accounts.set_password, "ada", PASSWORD + " new")
            assert await refused_within(browser_in, 2 * EVERY + 0.5) < 2 * EVERY + 0.5
            change(url, lambda db: accounts.revoke_token(db, accounts.list_tokens(db)[0].id))
            assert await refused_within(program_in, 2 * EVERY + 0.5) < 2 * EVERY + 0.5
            assert call(server.url, "GET", "/api/v1/contacts", token).status == 401
    finally:
        server.stop()
