"""The web app's ticket pages over real HTTP against ``crm serve``: the queue (filters, paging in the service), a
ticket (thread, SLA, internal notes), replying by mail with a canned reply (the mail carries the customer's portal
link), notes, status/priority/assignee; viewers read and members write; CSRF on every form; escaping; a contact
lists their tickets; the same on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from portal_support import (
    BASE,
    LINK,
    client,
    outbox,  # noqa: F401 - the SMTP server fixture
    quick_desk,
    seed_desk,
    ticket_json,
)
from web_support import PASSWORD, VIEWER_PASSWORD, Served, crm

from mail_testkit import smtp  # noqa: F401 - the SMTP server fixture

HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, outbox):  # noqa: F811
    folder = tmp_path_factory.mktemp("tickets")
    url = f"sqlite:///{folder / 'crm.sqlite3'}"
    ids = seed_desk(url, folder, outbox[1])
    server = Served(folder, db_url=url)
    server.ids, server.folder_, server.db, server.inbox = ids, folder, url, outbox[0]
    yield server
    server.stop()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the page has no CSRF field"
    return found.group(1)


async def signed_in(s, url: str, name: str = "ada", password: str = PASSWORD) -> str:  # noqa: ANN001
    async with s.get(f"{url}/signin", headers=HTML) as r:
        token = csrf_of(await r.text())
    form = {"csrf": token, "name": name, "password": password, "next": "/"}
    async with s.post(f"{url}/signin", data=form, allow_redirects=False) as r:
        assert r.status == 303, await r.text()
    async with s.get(f"{url}/tickets", headers=HTML) as r:
        assert r.status == 200
        return csrf_of(await r.text())


async def test_ticket_pages_need_a_session_and_viewers_only_read(desk):
    ids = desk.ids
    number = ids["ada_ticket"]
    async with client() as s:
        for path in ("/tickets", f"/tickets/{number}"):
            async with s.get(f"{desk.url}{path}", headers=HTML, allow_redirects=False) as r:
                assert r.status == 303 and r.headers["Location"].startswith("/signin?next="), path
        token = await signed_in(s, desk.url, "vic", VIEWER_PASSWORD)
        async with s.get(f"{desk.url}/tickets/{number}") as r:
            page = await r.text()
            assert r.status == 200 and "It jams." in page
            assert "Send reply" not in page and "Add note" not in page  # no forms for a viewer
        for action, data in (
            ("reply", {"body": "hi"}),
            ("note", {"note": "n"}),
            ("change", {"status": "open"}),
        ):
            async with s.post(f"{desk.url}/tickets/{number}/{action}", data={"csrf": token, **data}) as r:
                assert r.status == 403 and "may only read" in await r.text(), action
    assert ticket_json(desk.db, desk.folder_, number)["status"] == "new"


async def test_the_queue_filters_and_pages_and_escapes(desk):
    ids = desk.ids
    async with client() as s:
        await signed_in(s, desk.url)
        async with s.get(f"{desk.url}/tickets") as r:
            page = await r.text()
        assert "Engine &lt;script&gt;x&lt;/script&gt; jammed" in page and "<script>x" not in page
        assert "Bob&#39;s roof" in page and "SLA due" in page
        async with s.get(f"{desk.url}/tickets", params={"status": "closed"}) as r:
            assert "No tickets here." in await r.text()
        crm(desk.db, desk.folder_, "ticket", "assign", str(ids["bob_ticket"]), "vic")
        async with s.get(f"{desk.url}/tickets", params={"assignee": "vic"}) as r:
            page = await r.text()
            assert "Bob&#39;s roof" in page and "jammed" not in page and "1 of 1" in page
        async with s.get(f"{desk.url}/tickets", params={"assignee": ":unassigned"}) as r:
            page = await r.text()  # Bob's is vic's now: only the others, which nobody has
            assert "jammed" in page and "Bob&#39;s roof" not in page
            assert '<option value=":unassigned" selected>Nobody (unassigned)</option>' in page
        async with s.get(f"{desk.url}/tickets", params={"status": "bogus"}) as r:
            assert r.status == 400
        async with s.get(f"{desk.url}/contacts/{ids['ada']}") as r:
            page = await r.text()
            assert f'href="/tickets/{ids["ada_ticket"]}"' in page and "Bob&#39;s roof" not in page


async def test_a_ticket_page_shows_the_thread_notes_and_sla(desk):
    async with client() as s:
        await signed_in(s, desk.url)
        async with s.get(f"{desk.url}/tickets/{desk.ids['ada_ticket']}") as r:
            page = await r.text()
    assert "It jams." in page and "Internal: customer is grumpy" in page and "internal note" in page
    assert "SLA due" in page and "ada@example.com" in page
    assert "thank you for your message" in page  # the acknowledgement, in the thread


async def test_reply_with_a_canned_reply_sends_mail_with_the_portal_link(desk):
    number = desk.ids["ada_ticket"]
    before = len(desk.inbox.messages)
    async with client() as s:
        token = await signed_in(s, desk.url)
        async with s.get(f"{desk.url}/tickets/{number}", params={"template": "thanks"}) as r:
            page = await r.text()
        assert f"Hello Ada,\n\nthank you, ticket #{number} is in hand." in page
        async with s.post(f"{desk.url}/tickets/{number}/reply", data={"body": "x"}) as r:
            assert r.status == 403  # no CSRF token
        body = f"Hello Ada,\n\nthank you, ticket #{number} is in hand. <b>Crank</b> it.\n"
        form = {"csrf": token, "body": body, "after": "pending"}
        async with s.post(f"{desk.url}/tickets/{number}/reply", data=form) as r:
            page = await r.text()
            assert r.status == 200 and "Reply sent." in page and "&lt;b&gt;Crank&lt;/b&gt;" in page
    sent = desk.inbox.messages[before:]
    assert len(sent) == 1 and sent[0][1] == ["ada@example.com"]
    text = sent[0][2].get_content()
    assert "<b>Crank</b> it." in text and LINK.search(text) and f"{BASE}/portal/?t=" in text
    after = ticket_json(desk.db, desk.folder_, number)
    assert after["status"] == "pending" and after["messages"][-1]["kind"] == "out"
    assert "/portal/" not in after["messages"][-1]["body"]  # the link goes in the mail, not the thread
    # the link in the mail opens that customer's portal
    async with client() as s:
        async with s.get(f"{desk.url}/portal/", params={"t": LINK.search(text).group(1)}) as r:
            assert r.status == 200 and "Hello, Ada Lovelace" in await r.text()


async def test_an_empty_reply_or_a_refused_send_keeps_the_text_and_stores_nothing(desk):
    number = desk.ids["bob_ticket"]
    async with client() as s:
        token = await signed_in(s, desk.url)
        async with s.post(f"{desk.url}/tickets/{number}/reply", data={"csrf": token, "body": " "}) as r:
            assert r.status == 400 and "the reply is empty" in await r.text()
        desk.inbox.refuse = True
        try:
            form = {"csrf": token, "body": "Keep <this> text"}
            async with s.post(f"{desk.url}/tickets/{number}/reply", data=form) as r:
                page = await r.text()
                assert r.status == 503 and "Keep &lt;this&gt; text</textarea>" in page
        finally:
            desk.inbox.refuse = False
    assert [m["kind"] for m in ticket_json(desk.db, desk.folder_, number)["messages"]] == ["in"]


async def test_note_status_priority_and_assignee(desk):
    number = desk.ids["bob_ticket"]
    async with client() as s:
        token = await signed_in(s, desk.url)
        async with s.post(
            f"{desk.url}/tickets/{number}/note", data={"csrf": token, "note": "Call the <roofer>"}
        ) as r:
            assert r.status == 200 and "Note added." in await r.text()
        form = {"csrf": token, "status": "resolved", "priority": "urgent", "assignee": "ada"}
        async with s.post(f"{desk.url}/tickets/{number}/change", data=form) as r:
            assert r.status == 200 and "Saved." in await r.text()
        async with s.post(f"{desk.url}/tickets/{number}/change", data={**form, "status": "nonsense"}) as r:
            assert r.status == 400
    t = ticket_json(desk.db, desk.folder_, number)
    assert (t["status"], t["priority"], t["assignee"]) == ("resolved", "urgent", "ada")
    assert t["messages"][-1] == {**t["messages"][-1], "kind": "note", "body": "Call the <roofer>"}


async def test_the_desk_on_each_store(serve, store_url, tmp_path, smtp):  # noqa: F811
    """On each store: a member replies on the web (the mail goes out), the customer answers in the portal
    (never reaching another's ticket), the links are withdrawn, the knowledge base is searched."""
    from portal_support import desk_config, form_token_of

    inbox, port = smtp
    desk_config(tmp_path / "server0", port)
    ids = quick_desk(store_url, tmp_path / "server0" / "home")
    served = serve(db_url=store_url)
    async with client() as s:
        token = await signed_in(s, served.url)
        form = {"csrf": token, "body": "On it."}
        async with s.post(f"{served.url}/tickets/{ids['ada_ticket']}/reply", data=form) as r:
            assert r.status == 200 and "Reply sent." in await r.text()
    link = LINK.search(inbox.messages[-1][2].get_content()).group(1)
    async with client() as s:
        async with s.get(f"{served.url}/portal/tickets/{ids['ada_ticket']}", params={"t": link}) as r:
            page = await r.text()
            assert "On it." in page
        data = {"t": link, "csrf": form_token_of(page), "body": "Thanks!"}
        async with s.post(f"{served.url}/portal/tickets/{ids['ada_ticket']}/reply", data=data) as r:
            assert r.status == 200
        async with s.get(f"{served.url}/portal/tickets/{ids['bob_ticket']}", params={"t": link}) as r:
            assert r.status == 404
    shown = ticket_json(store_url, tmp_path / "server0", ids["ada_ticket"])
    assert [m["kind"] for m in shown["messages"]] == ["in", "out", "in"] and shown["status"] == "open"
    crm(store_url, tmp_path / "server0", "portal", "revoke", str(ids["ada"]))
    crm(store_url, tmp_path / "server0", "portal", "revoke", "--all")
    async with client() as s:
        async with s.get(f"{served.url}/portal/", params={"t": link}) as r:
            assert r.status == 403 and "withdrawn" in await r.text()
        async with s.get(f"{served.url}/portal/", params={"t": str(ids["token"])}) as r:
            assert r.status == 403
        async with s.get(f"{served.url}/portal/kb", params={"q": "crank"}) as r:
            assert "Unjam the engine" in await r.text()
