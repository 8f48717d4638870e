"""Leads and tickets in the JSON API over real HTTP against ``crm serve``, on both stores: lists with their
filters, versions and conflicts that name who changed the record, status changes and conversion, a reply by
mail through a real SMTP server, a viewer refused, and the events each change wrote in its transaction."""

from __future__ import annotations

import json

import pytest
from api_support import call, seed_accounts
from web_support import Served

from crm_testkit import pg_database
from mail_testkit import Inbox, free_port, support_config


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A server with an SMTP server for ticket replies: (base URL, tokens, inbox, db URL)."""
    from aiosmtpd.controller import Controller

    folder = tmp_path_factory.mktemp(f"api-desk-{request.param}")
    urls = iter([f"sqlite:///{folder / 'crm.sqlite3'}"]) if request.param == "sqlite" else pg_database()
    url = next(urls)
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    (folder / "home").mkdir()
    support_config(folder / "home", port, '\n[sales]\ncurrency = "EUR"\n')
    tokens = seed_accounts(url)
    server = Served(folder, db_url=url, env={"TINYCRM_USER": "ada"})
    yield server.url, tokens, inbox, url
    server.stop()
    smtp.stop()
    for _ in urls:  # drops the PostgreSQL database
        pass


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
    base, t, _, url = desk
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
    base, t, inbox, url = desk
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
