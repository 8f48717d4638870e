"""The web app over real HTTP against ``crm serve``: signing in with a password (and the lock-out), CSRF on
every form, roles, escaping, the security headers, and the pages doing what they say, on both stores."""

from __future__ import annotations

import re

import aiohttp
import pytest
from web_support import PASSWORD, VIEWER_PASSWORD, Served, crm, seed_team

from tinycrm.web.auth import COOKIE

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("webapp")
    url = f"sqlite:///{folder / 'crm.sqlite3'}"
    ids = seed_team(url, folder)
    server = Served(folder, db_url=url)
    server.ids = ids
    yield server
    server.stop()


def browser() -> aiohttp.ClientSession:
    """A client that keeps cookies like a browser (aiohttp's jar skips IP-address hosts unless told)."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def signed_in(
    s: aiohttp.ClientSession, served: Served, name: str = "ada", password: str = PASSWORD
) -> str:
    """Sign ``s`` in with the form, as a browser does; the CSRF token of the signed-in session."""
    async with s.get(f"{served.url}/signin", headers=HTML) as r:
        token = csrf_of(await r.text())
    form = {"csrf": token, "name": name, "password": password, "next": "/"}
    async with s.post(f"{served.url}/signin", data=form, allow_redirects=False) as r:
        assert r.status == 303, await r.text()
    async with s.get(f"{served.url}/contacts", headers=HTML) as r:
        assert r.status == 200
        return csrf_of(await r.text())


async def test_every_page_needs_a_session(app_server):
    ids = app_server.ids
    paths = ["/", "/contacts?q=ada", f"/contacts/{ids['ada']}", "/contacts/new", "/today", "/pipeline"]
    paths += [f"/deals/{ids['deal']}", "/tui", f"/contacts/{ids['ada']}/vcard"]
    async with browser() as s:
        for path in paths:
            async with s.get(f"{app_server.url}{path}", allow_redirects=False) as r:
                assert r.status == 401, path
            async with s.get(f"{app_server.url}{path}", headers=HTML, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"].startswith("/signin?next="), path
        # a form with its CSRF token but no signed-in session changes nothing
        async with s.get(f"{app_server.url}/signin") as r:
            token = csrf_of(await r.text())
        for path in (f"/contacts/{ids['ada']}/log", f"/deals/{ids['deal']}/move", "/contacts"):
            async with s.post(f"{app_server.url}{path}", data={"csrf": token, "kind": "call"}) as r:
                assert r.status == 401, path


async def test_a_form_without_its_csrf_token_is_refused(app_server):
    async with browser() as s:
        token = await signed_in(s, app_server)
        url = f"{app_server.url}/contacts/{app_server.ids['ada']}/log"
        for data in ({"kind": "call"}, {"kind": "call", "csrf": "forged"}, {"kind": "call", "csrf": ""}):
            async with s.post(url, data=data, allow_redirects=False) as r:
                assert r.status == 403, data
                assert "CSRF" in await r.text()
        async with s.post(f"{app_server.url}/signin", data={"name": "ada", "password": PASSWORD}) as r:
            assert r.status == 403  # signing in is a form too (no login CSRF)
        async with s.post(url, data={"kind": "call", "csrf": token}, allow_redirects=False) as r:
            assert r.status == 303


async def test_signing_in_sets_a_lax_http_only_cookie_and_a_new_csrf_token(app_server):
    async with browser() as s:
        async with s.get(f"{app_server.url}/signin") as r:
            before = csrf_of(await r.text())
            assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Lax" in r.headers["Set-Cookie"]
            assert "Secure" not in r.headers["Set-Cookie"]  # plain http on loopback
        form = {"csrf": before, "name": "ada", "password": "wrong password", "next": "/"}
        async with s.post(f"{app_server.url}/signin", data=form) as r:
            assert r.status == 401
            assert "wrong user name or password" in await r.text()
        after = await signed_in(s, app_server)
        assert after != before
        async with s.post(f"{app_server.url}/signout", data={"csrf": after}, allow_redirects=False) as r:
            assert r.status == 303
        async with s.get(f"{app_server.url}/today", allow_redirects=False) as r:
            assert r.status == 401


async def test_lock_out_after_repeated_failures(serve, tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    seed_team(url, tmp_path)
    (tmp_path / "server0" / "home").mkdir(parents=True)
    config = '[web]\nmax_failures = 3\ntrusted_proxies = "127.0.0.1"\n'
    (tmp_path / "server0" / "home" / "config.toml").write_text(config)
    served = serve(db_url=url)
    async with browser() as s:
        # from a trusted proxy, X-Forwarded-Host is the Host that is checked
        async with s.get(f"{served.url}/healthz", headers={"X-Forwarded-Host": "evil.example"}) as r:
            assert r.status == 421
        async with s.get(f"{served.url}/signin") as r:
            token = csrf_of(await r.text())
        statuses = []
        for password in ("bad one", "bad two", "bad three", PASSWORD):
            form = {"csrf": token, "name": "ada", "password": password}
            async with s.post(f"{served.url}/signin", data=form, allow_redirects=False) as r:
                statuses.append(r.status)
                text = await r.text()
        assert statuses == [401, 401, 429, 429]  # locked: even the right password waits
        assert "too many failed sign-ins" in text and r.headers["Retry-After"]
    crm(url, tmp_path, "user", "unlock", "ada")
    async with browser() as s:
        await signed_in(s, served)


async def test_a_viewer_reads_but_cannot_write(app_server):
    ids = app_server.ids
    async with browser() as s:
        token = await signed_in(s, app_server, "vic", VIEWER_PASSWORD)
        async with s.get(f"{app_server.url}/contacts/{ids['ada']}") as r:
            page = await r.text()
            assert r.status == 200 and "Ada Lovelace" in page
            assert "/log" not in page  # no forms offered
        writes = [
            (f"/contacts/{ids['ada']}/log", {"kind": "call"}),
            ("/contacts", {"name": "Someone"}),
            (f"/deals/{ids['deal']}/move", {"stage": "2"}),
            (f"/tasks/{ids['task']}/done", {}),
        ]
        for path, data in writes:
            async with s.post(f"{app_server.url}{path}", data={"csrf": token, **data}) as r:
                assert r.status == 403, path
                assert "may only read" in await r.text()


async def test_a_contact_saved_to_the_phone_as_a_vcard(app_server):
    """The contact page links the contact as a vCard file (a phone offers to add it to its address book): a
    viewer may take it, its file name is quoted whatever the name holds, and a contact that is not there is a
    404 page."""
    import vobject

    ids = app_server.ids
    async with browser() as s:
        await signed_in(s, app_server, "vic", VIEWER_PASSWORD)
        async with s.get(f"{app_server.url}/contacts/{ids['ada']}") as r:
            assert f'href="/contacts/{ids["ada"]}/vcard" download' in await r.text()
        async with s.get(f"{app_server.url}/contacts/{ids['ada']}/vcard") as r:
            assert r.status == 200 and r.headers["Content-Type"] == "text/vcard; charset=utf-8"
            assert r.headers["Content-Disposition"] == (
                "attachment; filename=\"Ada Lovelace.vcf\"; filename*=UTF-8''Ada%20Lovelace.vcf"
            )
            assert r.headers["Cache-Control"] == "no-store"
            card = vobject.readOne(await r.text())
        assert card.fn.value == "Ada Lovelace" and "ada@example.com" in [e.value for e in card.email_list]
        async with s.get(f"{app_server.url}/contacts/{ids['evil']}/vcard") as r:
            disposition = r.headers["Content-Disposition"]
            assert disposition.startswith('attachment; filename="_script_alert(1)_script_ Mallory.vcf"; ')
            assert "<" not in disposition and disposition.count('"') == 2
        async with s.get(f"{app_server.url}/contacts/999999/vcard", headers=HTML) as r:
            assert r.status == 404 and "no contact with id 999999" in await r.text()


async def test_a_stored_script_is_shown_as_text(app_server):
    async with browser() as s:
        await signed_in(s, app_server)
        for path in (
            f"/contacts/{app_server.ids['evil']}",
            "/contacts?q=Mallory",
            "/contacts?q=Mallory&partial=1",
        ):
            async with s.get(f"{app_server.url}{path}") as r:
                page = await r.text()
                assert "&lt;script&gt;alert(1)&lt;/script&gt; Mallory" in page, path
                assert "<script>alert" not in page


async def test_headers_of_every_page(app_server):
    async with browser() as s:
        await signed_in(s, app_server)
        for path in ("/signin", "/contacts", "/today", "/static/app.css", "/manifest.webmanifest"):
            async with s.get(f"{app_server.url}{path}") as r:
                assert r.status == 200, path
                assert r.headers["X-Frame-Options"] == "DENY"
                assert r.headers["X-Content-Type-Options"] == "nosniff"
                assert r.headers["Referrer-Policy"] == "no-referrer"
                csp = r.headers["Content-Security-Policy"]
                assert "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp, path
        async with s.get(f"{app_server.url}/contacts") as r:
            page = await r.text()
        # every asset from this server, no inline script
        assert "http://" not in page.replace(app_server.url, "") and "https://" not in page
        assert "<script>" not in page and " on" + "click" not in page.lower()
        async with s.get(f"{app_server.url}/manifest.webmanifest") as r:
            manifest = await r.json(content_type=None)
        assert {i["sizes"] for i in manifest["icons"]} >= {"192x192", "512x512"}
        for icon in manifest["icons"]:
            async with s.get(f"{app_server.url}{icon['src']}") as r:
                assert r.status == 200 and r.content_type == icon["type"]


async def test_forwarded_headers_are_ignored_from_an_untrusted_peer(app_server):
    async with browser() as s:
        headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
        async with s.get(f"{app_server.url}/healthz", headers=headers) as r:
            assert r.status == 200  # the Host checked is the real one: 127.0.0.1
            assert "Secure" not in r.headers.get("Set-Cookie", "")


async def test_search_log_a_call_add_a_contact_and_move_a_deal(app_server):
    ids = app_server.ids
    async with browser() as s:
        token = await signed_in(s, app_server)
        async with s.get(f"{app_server.url}/contacts", params={"q": "lovelace"}) as r:
            page = await r.text()
            assert f'href="/contacts/{ids["ada"]}"' in page
        async with s.get(f"{app_server.url}/contacts/{ids['ada']}") as r:
            page = await r.text()
            assert 'href="tel:+442079460000"' in page and 'href="mailto:ada@example.com"' in page
            assert "Call Ada back" in page and "Analytical Engine" in page
        form = {"csrf": token, "kind": "call", "summary": "About the engine"}
        async with s.post(f"{app_server.url}/contacts/{ids['ada']}/log", data=form) as r:
            page = await r.text()
            assert "Logged: call." in page and "About the engine" in page
        form = {"csrf": token, "name": "Charles Babbage", "email": "charles@example.com"}
        async with s.post(f"{app_server.url}/contacts", data=form) as r:
            assert "Charles Babbage" in await r.text() and "/contacts/" in str(r.url)
        async with s.post(
            f"{app_server.url}/contacts", data={"csrf": token, "name": "X", "email": "nope"}
        ) as r:
            assert r.status == 400 and "email" in (await r.text()).lower()
        async with s.get(f"{app_server.url}/deals/{ids['deal']}") as r:
            stages = re.findall(r'<option value="(\d+)"', await r.text())
        form = {"csrf": token, "stage": stages[2], "back": "/pipeline"}
        async with s.post(f"{app_server.url}/deals/{ids['deal']}/move", data=form) as r:
            assert r.status == 200 and "Deal moved." in await r.text()
    out = crm(app_server.db_url, app_server.folder, "deal", "show", str(ids["deal"]), "--json")
    assert '"stage": "Proposal"' in out
    audit = crm(app_server.db_url, app_server.folder, "audit", "--json")
    assert '"user": "ada"' in audit or '"user_name": "ada"' in audit


async def test_a_problem_page_says_what_is_wrong_without_a_crm_command(app_server):
    """A contact that is not there, a company that is not there: the page says so, without the command line's
    "find one with: crm search NAME"."""
    async with browser() as s:
        token = await signed_in(s, app_server)
        async with s.get(f"{app_server.url}/contacts/999999") as r:
            assert r.status == 404
            assert re.findall(r'class="problem"[^>]*>([^<]*)<', await r.text()) == [
                "no contact with id 999999"
            ]
        form = {"csrf": token, "name": "Charles Babbage", "company": "#999999"}
        async with s.post(f"{app_server.url}/contacts", data=form) as r:
            assert r.status == 404
            assert re.findall(r'class="problem"[^>]*>([^<]*)<', await r.text()) == [
                "no company with id 999999"
            ]


async def test_today_done_and_snooze(app_server):
    async with browser() as s:
        token = await signed_in(s, app_server)
        async with s.get(f"{app_server.url}/today") as r:
            page = await r.text()
            assert r.status == 200 and "Call Ada back" in page
        url = f"{app_server.url}/tasks/{app_server.ids['task']}/snooze"
        async with s.post(url, data={"csrf": token, "until": "next monday 9am"}) as r:
            assert r.status == 200
            page = await r.text()
        # the task left the list its button was in: the page says what became of it
        assert re.search(
            r'role="status">Snoozed until <span class="when">[^<]+</span>: Call Ada back<', page
        ), page
        async with s.post(url, data={"csrf": token, "until": "in a thousand years"}) as r:
            assert r.status == 400
        done = f"{app_server.url}/tasks/{app_server.ids['task']}/done"
        async with s.post(done, data={"csrf": token}) as r:
            assert r.status == 200 and 'role="status">Done: Call Ada back<' in await r.text()


def test_public_without_any_password_refuses_to_start(tmp_path):
    import os
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'crm.sqlite3'}"
    env = {**os.environ, "TINYCRM_HOME": str(tmp_path / "home"), "TINYCRM_DB": url}
    run = [sys.executable, "-m", "tinycrm", "serve", "--port", "1"]
    done = subprocess.run([*run, "--host", "0.0.0.0"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "add --public" in done.stderr
    done = subprocess.run(
        [*run, "--host", "0.0.0.0", "--public"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "crm: error: --public: no user has a password yet, so nobody could sign in; set one first: "
        "crm user password NAME"
    )
    assert COOKIE  # the cookie's name is part of the contract the docs describe


async def test_sign_in_and_log_a_call_on_each_store(serve, store_url, tmp_path):
    ids = seed_team(store_url, tmp_path)
    served = serve(db_url=store_url)
    async with browser() as s:
        token = await signed_in(s, served)
        form = {"csrf": token, "kind": "meeting"}
        async with s.post(f"{served.url}/contacts/{ids['ada']}/log", data=form) as r:
            assert r.status == 200 and "Logged: meeting." in await r.text()
        async with s.get(f"{served.url}/pipeline") as r:
            assert "Analytical Engine" in await r.text()
    timeline = crm(store_url, tmp_path, "timeline", str(ids["ada"]), "--json")
    assert '"kind": "meeting"' in timeline
