"""The customer portal over real HTTP against ``crm serve``: the signed link in the acknowledgement opens a
customer's own tickets (never another's, never the internal notes); replying and closing through the service;
forged, expired and withdrawn links are 403 with a page that says what to do; the forms' token and the rate
limit; the public knowledge base (published articles only, Markdown made safe); ``crm portal link|revoke``."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from portal_support import (
    BASE,
    LINK,
    client,
    form_token_of,
    link_token,
    outbox,  # noqa: F401 - the SMTP server fixture
    seed_desk,
    ticket_json,
)
from web_support import Served, crm

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, outbox):  # noqa: F811
    folder = tmp_path_factory.mktemp("portal")
    url = f"sqlite:///{folder / 'crm.sqlite3'}"
    ids = seed_desk(url, folder, outbox[1], extra="[portal]\nreplies_per_hour = 7\n")
    server = Served(folder, db_url=url)
    server.ids, server.folder_, server.db = ids, folder, url
    yield server
    server.stop()


def run(desk, *args: str) -> subprocess.CompletedProcess:
    import os

    env = {
        **os.environ,
        "TINYCRM_HOME": str(desk.folder_ / "home"),
        "TINYCRM_DB": desk.db,
        "TINYCRM_USER": "ada",
    }
    return subprocess.run([sys.executable, "-m", "tinycrm", *args], env=env, capture_output=True, text=True)


async def test_the_acknowledgement_carries_a_link_to_the_customers_own_tickets(desk, outbox):  # noqa: F811
    ack = [m for _, rcpt, m, _ in outbox[0].messages if rcpt == ["ada@example.com"]]
    assert ack, "no acknowledgement was sent"
    text = ack[0].get_content()
    found = LINK.search(text)
    assert found and found.group(0).startswith(f"{BASE}/portal/?t="), text
    async with client() as s:
        async with s.get(f"{desk.url}/portal/", params={"t": found.group(1)}) as r:
            page = await r.text()
            assert r.status == 200
            assert r.headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self';")
    assert "Engine &lt;script&gt;x&lt;/script&gt; jammed" in page and "<script>x" not in page
    assert "Bob" not in page and "roof" not in page


async def test_a_customer_never_sees_nor_changes_another_contacts_ticket(desk):
    ids = desk.ids
    token = link_token(desk.db, desk.folder_, ids["ada"])
    async with client() as s:
        async with s.get(f"{desk.url}/portal/tickets/{ids['ada_ticket']}", params={"t": token}) as r:
            own = await r.text()
            assert r.status == 200
        form = {"t": token, "csrf": form_token_of(own), "body": "I am Bob now"}
        async with s.get(f"{desk.url}/portal/tickets/{ids['bob_ticket']}", params={"t": token}) as r:
            assert r.status == 404 and "Leaks" not in await r.text()
        for action in ("reply", "close"):
            url = f"{desk.url}/portal/tickets/{ids['bob_ticket']}/{action}"
            async with s.post(url, data=form, allow_redirects=False) as r:
                assert r.status == 404, action
        async with s.get(f"{desk.url}/portal/tickets/999999", params={"t": token}) as r:
            assert r.status == 404
    bob = ticket_json(desk.db, desk.folder_, ids["bob_ticket"])
    assert bob["status"] == "new" and [m["body"] for m in bob["messages"]] == ["Leaks"]
    # the internal note stays internal
    assert "Internal:" not in own and "grumpy" not in own and "It jams." in own


async def test_reply_and_close_through_the_portal(desk):
    ids = desk.ids
    number = ids["ada_ticket"]
    crm(desk.db, desk.folder_, "ticket", "status", str(number), "resolved")
    token = link_token(desk.db, desk.folder_, ids["ada"])
    async with client() as s:
        async with s.get(f"{desk.url}/portal/tickets/{number}", params={"t": token}) as r:
            csrf = form_token_of(await r.text())
        data = {"t": token, "csrf": csrf, "body": "Still jams <b>after</b> cranking"}
        async with s.post(f"{desk.url}/portal/tickets/{number}/reply", data=data) as r:
            page = await r.text()
            assert r.status == 200 and "your reply is on the ticket" in page
            assert "Still jams &lt;b&gt;after&lt;/b&gt; cranking" in page
        after = ticket_json(desk.db, desk.folder_, number)
        assert after["status"] == "open"  # a customer's reply opens a resolved ticket again, as a mail would
        last = after["messages"][-1]
        assert last["kind"] == "in" and last["author"] == "ada@example.com"
        async with s.post(f"{desk.url}/portal/tickets/{number}/reply", data={**data, "body": "  "}) as r:
            assert r.status == 400 and "must not be empty" in await r.text()
        async with s.post(f"{desk.url}/portal/tickets/{number}/close", data=data) as r:
            assert r.status == 200 and "The ticket is closed" in await r.text()
        assert ticket_json(desk.db, desk.folder_, number)["status"] == "closed"
        async with s.post(f"{desk.url}/portal/tickets/{number}/reply", data=data) as r:
            assert r.status == 400 and "is closed" in await r.text()


def _key(desk) -> bytes:
    return next((desk.folder_ / "home").rglob("web-secret")).read_text().strip().encode()


def _form_token(desk, link: str) -> str:
    """A form token signed with the server's key, but bound to another link."""
    from itsdangerous import URLSafeTimedSerializer

    from tinycrm.services.support.portal import FORM_SALT, _digest

    return URLSafeTimedSerializer(_key(desk), salt=FORM_SALT).dumps(_digest(link))


def _old_token(desk, contact: int, days: int) -> str:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from tinycrm.services.support.portal import LINK_SALT

    key = _key(desk)

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - days * 86400

    return URLSafeTimedSerializer(key, salt=LINK_SALT, signer=Then).dumps({"c": contact, "g": 0})


async def test_forged_expired_and_withdrawn_links_are_refused_with_a_friendly_page(desk):
    ids = desk.ids
    token = link_token(desk.db, desk.folder_, ids["evil"])
    head, _, sig = token.rpartition(".")
    forged_other = token.replace(token.split(".")[0], "eyJjIjoxLCJnIjowfQ")  # another contact, same signature
    cases = {
        "": "Open the link from your mail",
        head + "." + sig[::-1]: "This link does not work",
        forged_other: "This link does not work",
        "x" * 600: "Open the link from your mail",
        _old_token(desk, ids["evil"], 31): "This link has expired",
    }
    async with client() as s:
        async with s.get(f"{desk.url}/portal/", params={"t": _old_token(desk, ids["evil"], 29)}) as r:
            assert r.status == 200  # within [portal] link_days (30)
        for given, words in cases.items():
            async with s.get(f"{desk.url}/portal/", params={"t": given}) as r:
                assert r.status == 403 and words in await r.text(), given[:40]
        async with s.get(f"{desk.url}/portal/", params={"t": token}) as r:
            assert r.status == 200 and "&lt;script&gt;alert(1)&lt;/script&gt; Mallory" in await r.text()
        assert run(desk, "portal", "revoke", str(ids["evil"])).returncode == 0
        async with s.get(f"{desk.url}/portal/", params={"t": token}) as r:
            assert r.status == 403 and "This link was withdrawn" in await r.text()
        fresh = link_token(desk.db, desk.folder_, ids["evil"])
        async with s.get(f"{desk.url}/portal/", params={"t": fresh}) as r:
            assert r.status == 200
        assert run(desk, "portal", "revoke", "--all").returncode == 0
        async with s.get(f"{desk.url}/portal/", params={"t": fresh}) as r:
            assert r.status == 403


async def test_portal_forms_need_their_token_and_a_same_site_origin_and_are_rate_limited(desk):
    ids = desk.ids
    token = link_token(desk.db, desk.folder_, ids["bob"])
    other = link_token(desk.db, desk.folder_, ids["ada"])
    url = f"{desk.url}/portal/tickets/{ids['bob_ticket']}/reply"
    async with client() as s:
        async with s.get(f"{desk.url}/portal/tickets/{ids['bob_ticket']}", params={"t": token}) as r:
            csrf = form_token_of(await r.text())
        csrf_of_other_link = _form_token(desk, other)
        for bad in ({}, {"csrf": "forged"}, {"csrf": csrf_of_other_link}):
            async with s.post(url, data={"t": token, "body": "x", **bad}) as r:
                assert r.status == 403 and "out of date" in await r.text(), bad
        headers = {"Origin": "https://evil.example"}
        async with s.post(url, data={"t": token, "csrf": csrf, "body": "x"}, headers=headers) as r:
            assert r.status == 403
        statuses = []
        for n in range(8):
            async with s.post(url, data={"t": token, "csrf": csrf, "body": f"reply {n}"}) as r:
                statuses.append(r.status)
                retry = r.headers.get("Retry-After")
        assert statuses == [200] * 7 + [429] and retry and int(retry) > 0
    bodies = [m["body"] for m in ticket_json(desk.db, desk.folder_, ids["bob_ticket"])["messages"]]
    assert bodies == ["Leaks"] + [f"reply {n}" for n in range(7)]


async def test_the_knowledge_base_shows_published_articles_only_and_safely(desk):
    async with client() as s:
        async with s.get(f"{desk.url}/portal/kb") as r:
            page = await r.text()
            assert r.status == 200 and "Unjam the engine" in page and "Secret draft" not in page
        async with s.get(f"{desk.url}/portal/kb", params={"q": "cran"}) as r:
            assert "Unjam the engine" in await r.text()
        async with s.get(f"{desk.url}/portal/kb", params={"q": "plans"}) as r:
            page = await r.text()
            assert r.status == 200 and "Secret draft" not in page and "No article matches" in page
        async with s.get(f"{desk.url}/portal/kb/unjam-the-engine") as r:
            page = await r.text()
            assert r.status == 200 and "<strong>crank</strong>" in page and "<h1>Steps</h1>" in page
            assert "<script>alert" not in page and "&lt;script&gt;" in page and 'href="javascript' not in page
        async with s.get(f"{desk.url}/portal/kb/secret-draft-plans") as r:
            assert r.status == 404 and "not for customers" not in await r.text()


def test_portal_link_and_revoke_on_the_command_line(desk, tmp_path):
    ok = run(desk, "portal", "link", "bob@example.com", "--json")
    assert ok.returncode == 0 and f'"url": "{BASE}/portal/?t=' in ok.stdout
    piped = run(desk, "portal", "link", str(desk.ids["bob"]), "--base-url", "http://127.0.0.1:9/")
    assert piped.returncode == 0 and piped.stdout.startswith("http://127.0.0.1:9/portal/?t=")
    for args, words in (
        (("portal", "revoke"), "give a CONTACT or --all"),
        (("portal", "revoke", "1", "--all"), "give a CONTACT or --all"),
        (("portal", "link", "nobody-at-all"), "no contact"),
        (("portal", "link", "1", "--base-url", "ftp://x"), "--base-url must be an http(s) address"),
    ):
        bad = run(desk, *args)
        assert bad.returncode == 2 and words in bad.stderr and "Traceback" not in bad.stderr, args
