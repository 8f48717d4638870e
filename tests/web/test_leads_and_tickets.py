"""Leads and tickets through the web face, over real HTTP against ``crm serve`` with a real SMTP server, on both
stores. The JSON API: lists with their filters, versions and conflicts that name who changed the record, status
changes and conversion, a reply by mail, a viewer refused, and the events each change wrote in its transaction.
Double opt-in forms: a post makes no lead and sends one confirmation mail (never a second for the same address),
the signed link shows a button, confirming makes the lead and records consent once; a forged link gets nothing."""

from __future__ import annotations

import json
import re
import time

import aiohttp
import pytest
from api_support import call, seed_accounts
from web_support import Served, crm, module_store

from mail_testkit import Inbox, free_port, support_config


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A server with an SMTP server for ticket replies and form confirmations, and a double opt-in form:
    (base URL, tokens, inbox, db URL, server, form)."""
    from aiosmtpd.controller import Controller

    folder = tmp_path_factory.mktemp(f"api-desk-{request.param}")
    urls = module_store(request.param, folder)
    url = next(urls)
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    (folder / "home").mkdir()
    support_config(folder / "home", port, '\n[sales]\ncurrency = "EUR"\n')
    tokens = seed_accounts(url)
    form = add_form(url)
    server = Served(folder, db_url=url, env={"TINYCRM_USER": "ada"})
    yield server.url, tokens, inbox, url, server, form
    server.stop()
    smtp.stop()
    for _ in urls:  # drops the PostgreSQL database
        pass


def add_form(url: str) -> dict:
    from tinycrm.services import forms
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        return forms.add_form(db, "News", ["name", "email"], tags=["news"], double_opt_in=True).as_json()
    finally:
        db.close()


def leads(served, address: str) -> list[dict]:  # noqa: ANN001
    """The leads of ``address``, as the API and crm lead list --json give them."""
    from tinycrm.domain.rows import to_json
    from tinycrm.services.leads import records
    from tinycrm.store.database import open_db

    db = open_db(served.db_url)
    try:
        found = records.list_leads(db, status="all", limit=100).items
    finally:
        db.close()
    return [to_json(x) for x in found if x.email == address]


def mails_to(inbox: Inbox, address: str, at_least: int = 0, wait: float = 15.0) -> list:
    deadline = time.monotonic() + wait
    while True:
        got = [m for _, rcpts, m, _ in inbox.messages if address in rcpts]
        if len(got) >= at_least or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


async def post(served, path: str, data: dict, **headers: str) -> tuple[int, str]:  # noqa: ANN001
    async with (
        aiohttp.ClientSession() as s,
        s.post(f"{served.url}{path}", data=data, headers=headers, allow_redirects=False) as r,
    ):
        return r.status, await r.text()


def events(url: str, kind: str, record_id: int) -> list[str]:
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            return tx.column(
                "SELECT type FROM events WHERE record_kind = :k AND record_id = :i ORDER BY id",
                {"k": kind, "i": record_id},
            )
    finally:
        db.close()


def test_leads_round_trip_status_conversion_and_conflicts(desk):
    base, t, _, url = desk[:4]
    made = call(
        base,
        "POST",
        "/api/v1/leads",
        t.write,
        {"name": "Mary Jackson", "email": "mary@nasa.example", "source": "referral", "value": 5000},
    )
    assert made.status == 201, made.doc
    lead = made.doc
    assert (lead["status"], lead["source"], lead["value"], lead["version"]) == (
        "new",
        "referral",
        "5000.00",
        1,
    )
    assert made.headers["Location"] == f"/api/v1/leads/{lead['id']}"
    call(base, "POST", "/api/v1/leads", t.write, {"name": "Cold Caller", "source": "event"})

    listed = call(base, "GET", "/api/v1/leads?source=referral", t.read).doc
    assert [x["id"] for x in listed["items"]] == [lead["id"]] and listed["total"] == 1
    assert call(base, "GET", "/api/v1/leads?status=all&limit=1", t.read).doc["more"] is True
    assert call(base, "GET", "/api/v1/leads?sort=sideways", t.read).status == 400
    shown = call(base, "GET", f"/api/v1/leads/{lead['id']}", t.read).doc
    assert shown["score_lines"] and shown["name"] == "Mary Jackson"  # as crm lead show --json

    changed = call(base, "PATCH", f"/api/v1/leads/{lead['id']}", t.write, {"title": "Engineer", "version": 1})
    assert (changed.status, changed.doc["title"], changed.doc["version"]) == (200, "Engineer", 2)
    stale = call(base, "PATCH", f"/api/v1/leads/{lead['id']}", t.write, {"title": "Boss", "version": 1})
    assert stale.status == 409 and "changed by ada" in stale.doc["error"]["message"]
    assert call(base, "PATCH", f"/api/v1/leads/{lead['id']}", t.write, {"title": "Boss"}).status == 400
    assert (
        call(base, "PATCH", f"/api/v1/leads/{lead['id']}", t.viewer, {"title": "X", "version": 2}).status
        == 403
    )

    mixed = call(base, "PATCH", f"/api/v1/leads/{lead['id']}", t.write, {"status": "contacted", "title": "X"})
    assert mixed.status == 400
    contacted = call(
        base, "PATCH", f"/api/v1/leads/{lead['id']}", t.write, {"status": "contacted", "version": 2}
    )
    assert contacted.status == 200 and contacted.doc["status"] == "contacted"
    converted = call(
        base,
        "PATCH",
        f"/api/v1/leads/{lead['id']}",
        t.write,
        {"status": "converted", "deal": "Wind tunnel", "version": contacted.doc["version"]},
    )
    assert converted.status == 200, converted.doc
    assert converted.doc["status"] == "converted" and converted.doc["converted_deal_id"]
    deal = call(base, "GET", f"/api/v1/deals/{converted.doc['converted_deal_id']}", t.read).doc
    assert deal["title"] == "Wind tunnel" and deal["forecast_category"] == "pipeline"
    again = call(
        base,
        "PATCH",
        f"/api/v1/leads/{lead['id']}",
        t.write,
        {"status": "converted", "version": converted.doc["version"]},
    )
    assert again.status == 400 and "converted already" in again.doc["error"]["message"]
    assert events(url, "lead", lead["id"]) == ["lead.created", "lead.converted"]

    gone = call(base, "DELETE", f"/api/v1/leads/{lead['id']}", t.write)
    assert gone.status == 200 and gone.doc["name"] == "Mary Jackson"
    assert call(base, "GET", f"/api/v1/leads/{lead['id']}", t.read).status == 404


def test_tickets_round_trip_reply_by_mail_and_conflicts(desk):
    base, t, inbox, url = desk[:4]
    ada = call(
        base,
        "POST",
        "/api/v1/contacts",
        t.write,
        {"display_name": "Ada Customer", "emails": ["ada@customer.example"]},
    ).doc
    made = call(
        base,
        "POST",
        "/api/v1/tickets",
        t.write,
        {
            "subject": "The engine stalls",
            "contact_id": ada["id"],
            "body": "It stops at 3 rpm.",
            "tags": ["engine"],
        },
    )
    assert made.status == 201, made.doc
    ticket = made.doc
    assert ticket["status"] == "new" and ticket["messages"][0]["body"] == "It stops at 3 rpm."
    assert call(base, "POST", "/api/v1/tickets", t.write, {"subject": "No one"}).doc["error"]["field"] == (
        "contact_id"
    )
    listed = call(base, "GET", f"/api/v1/tickets?contact={ada['id']}", t.read).doc
    assert [x["id"] for x in listed["items"]] == [ticket["id"]]
    assert call(base, "GET", f"/api/v1/tickets?contact={ada['id']}&status=closed", t.read).doc["total"] == 0
    nobody = f"/api/v1/tickets?contact={ada['id']}&unassigned=true"
    assert [x["id"] for x in call(base, "GET", nobody, t.read).doc["items"]] == [ticket["id"]]

    raised = call(
        base,
        "PATCH",
        f"/api/v1/tickets/{ticket['id']}",
        t.write,
        {"priority": "high", "status": "open", "version": ticket["version"]},
    )
    assert raised.status == 200, raised.doc
    assert (raised.doc["priority"], raised.doc["status"]) == ("high", "open")
    stale = call(
        base,
        "PATCH",
        f"/api/v1/tickets/{ticket['id']}",
        t.write,
        {"priority": "low", "version": ticket["version"]},
    )
    assert stale.status == 409 and "changed by ada" in stale.doc["error"]["message"]
    assert (
        call(base, "PATCH", f"/api/v1/tickets/{ticket['id']}", t.write, {"subject": "x", "version": 9}).status
        == 400
    )
    assert call(base, "DELETE", f"/api/v1/tickets/{ticket['id']}", t.write).status in (404, 405)

    refused = call(base, "POST", f"/api/v1/tickets/{ticket['id']}/replies", t.viewer, {"body": "Hi"})
    assert refused.status == 403 and not inbox.messages
    assert call(base, "POST", f"/api/v1/tickets/{ticket['id']}/replies", t.write, {}).status == 400
    replied = call(
        base,
        "POST",
        f"/api/v1/tickets/{ticket['id']}/replies",
        t.write,
        {"body": "Oil it, please.", "status": "pending"},
    )
    assert replied.status == 201, replied.doc
    assert replied.doc["status"] == "pending" and replied.doc["messages"][-1]["body"] == "Oil it, please."
    (sender, rcpts, message, _raw) = inbox.messages[-1]
    assert rcpts == ["ada@customer.example"] and "Oil it, please." in message.get_content()
    assert events(url, "ticket", ticket["id"]) == ["ticket.created", "ticket.replied"]
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            payload = tx.scalar(
                "SELECT payload FROM events WHERE type = 'ticket.replied' AND record_id = :i",
                {"i": ticket["id"]},
            )
    finally:
        db.close()
    assert json.loads(payload)["messages"][-1]["body"] == "Oil it, please."
    current = call(base, "GET", f"/api/v1/tickets/{ticket['id']}", t.read).doc
    taken = {"assignee": "ada", "version": current["version"]}
    assert call(base, "PATCH", f"/api/v1/tickets/{ticket['id']}", t.write, taken).status == 200
    assert call(base, "GET", nobody, t.read).doc["total"] == 0
    assert [
        x["id"] for x in call(base, "GET", f"/api/v1/tickets?contact={ada['id']}", t.read).doc["items"]
    ] == [ticket["id"]]


async def test_a_double_opt_in_post_waits_for_its_mail_and_the_link_makes_the_lead(desk):
    _, _, inbox, _, served, form = desk
    address = "mae@example.com"
    status, page = await post(served, form["path"], {"name": "Mae Jemison", "email": address})
    assert status == 200 and "check your mail" in page
    assert not leads(served, address)  # no lead before the confirmation
    (mail,) = mails_to(inbox, address, at_least=1)
    assert mail["Subject"] == "Please confirm: News" and mail["Auto-Submitted"] == "auto-generated"

    # the same address again: still one mail, also after a cron run
    assert (await post(served, form["path"], {"name": "Mae J.", "email": address}))[0] == 200
    assert crm(served.db_url, served.folder, "form", "send") == ""
    time.sleep(0.5)
    assert len(mails_to(inbox, address, wait=0)) == 1

    link = re.search(r"(http://\S+/f/confirm/\S+)", mail.get_content()).group(1)
    path = link.split("127.0.0.1", 1)[1].split("/", 1)[1]
    async with aiohttp.ClientSession() as s, s.get(f"{served.url}/{path}") as r:
        assert r.status == 200 and "Confirm?" in await r.text() and "m***@example.com" in await r.text()
    assert not leads(served, address)  # a GET (a mail scanner) changes nothing
    status, page = await post(served, f"/{path}", {})
    assert status == 200 and "is confirmed" in page
    (lead,) = leads(served, address)
    assert lead["name"] == "Mae Jemison" and lead["source"] == "web" and lead["tags"] == ["news"]
    assert (await post(served, f"/{path}", {}, Accept="application/json"))[0] == 200  # again: nothing new
    assert len(leads(served, address)) == 1
    from tinycrm.store.database import open_db

    db = open_db(served.db_url)
    try:
        with db.read() as tx:
            consent = tx.one("SELECT status, source FROM consents WHERE address_key = :a", {"a": address})
            created = tx.column(
                "SELECT type FROM events WHERE record_kind = 'lead' AND record_id = :i", {"i": lead["id"]}
            )
    finally:
        db.close()
    assert (consent["status"], consent["source"]) == ("opted-in", "web form News (double opt-in)")
    assert created == ["lead.created"]

    forged = path.rsplit(".", 1)[0] + ".forged"
    assert (await post(served, f"/{forged}", {}))[0] == 404
    assert (await post(served, "/f/confirm/12345", {}))[0] == 404


async def test_a_double_opt_in_post_needs_a_good_address(desk):
    _, _, inbox, _, served, form = desk
    before = len(inbox.messages)
    assert (await post(served, form["path"], {"name": "No Mail"}))[0] == 400
    assert (await post(served, form["path"], {"name": "Bad", "email": "not an address"}))[0] == 400
    status, _ = await post(
        served, form["path"], {"name": "Bot", "email": "bot@example.com", "website_url": "x"}
    )
    assert status == 200  # a bot is answered as if all went well; nothing is stored or sent
    time.sleep(0.3)
    assert len(inbox.messages) == before
