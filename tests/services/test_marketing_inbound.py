"""What the marketing handler of the mail pipeline makes of replies, unsubscribe mail and bounces (RFC 3464),
with InboundMessage objects built directly, on both stores."""

from __future__ import annotations

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm import config
from tinycrm.domain.mail import InboundMessage
from tinycrm.services.marketing import inbound
from tinycrm.services.marketing.mailbuild import token


@pytest.fixture
def sent(db, _isolated_home):
    """A campaign 'news' whose recipients ada and bob were sent their mail (state as a send leaves it)."""
    (_isolated_home / "config.toml").write_text('[marketing]\nunsubscribe_address = "leave@acme.example"\n')
    config.reset()
    with db.write() as tx:
        ids = {}
        for name, address in (("Ada", "ada@example.com"), ("Bob", "bob@example.com")):
            cid = tx.insert(
                "INSERT INTO contacts (uid, display_name, sort_name, archived, created_at, updated_at, version) "
                "VALUES (:u, :n, :k, false, :t, :t, 1) RETURNING id",
                {"u": f"uid-{name}", "n": name, "k": name.lower(), "t": "2026-03-01 00:00:00"},
            )
            tx.execute(
                "INSERT INTO contact_emails (contact_id, position, value, value_key) VALUES (:c, 0, :v, :v)",
                {"c": cid, "v": address},
            )
            ids[address] = cid
        tx.execute(
            "INSERT INTO campaigns (uid, name, name_key, subject, template, allow_unknown, state, created_at) "
            "VALUES ('secret', 'news', 'news', 'Hi', 'Hi', false, 'done', :t)",
            {"t": "2026-03-01 00:00:00"},
        )
        for n, (address, cid) in enumerate(ids.items(), 1):
            tx.execute(
                "INSERT INTO campaign_recipients (id, campaign_id, contact_id, address, state, message_id, attempts) "
                "VALUES (:i, 1, :c, :a, 'sent', :m, 1)",
                {"i": n, "c": cid, "a": address, "m": f"c1.{token('secret', n)}@acme.example"},
            )
            tx.execute(
                "INSERT INTO consents (address_key, contact_id, status, changed_at, soft_bounces) "
                "VALUES (:a, :c, 'opted-in', :t, 0)",
                {"a": address, "c": cid, "t": "2026-03-01 00:00:00"},
            )
    return db


def handle(db, message: InboundMessage):  # noqa: ANN201
    with db.write() as tx:
        return inbound.handle(tx, message, config.load())


def states(db) -> dict[str, tuple[str, str]]:
    with db.read() as tx:
        return {
            r["address"]: (r["state"], r["status"])
            for r in tx.all(
                "SELECT r.address, r.state, k.status FROM campaign_recipients r "
                "JOIN consents k ON k.address_key = r.address"
            )
        }


def test_a_reply_marks_replied_and_lands_on_the_timeline(sent):
    mid = f"c1.{token('secret', 1)}@acme.example"
    got = handle(
        sent,
        InboundMessage(
            "x1@example.com", "Re: Hi", "ada@example.com", "Ada", to=("news@acme.example",), in_reply_to=mid
        ),
    )
    assert got.kind == "campaign.reply"
    assert states(sent)["ada@example.com"] == ("replied", "opted-in")
    with sent.read() as tx:
        assert tx.column("SELECT summary FROM interactions") == ["Reply to campaign news: Re: Hi"]
    # an out-of-office answer is not a reply
    auto = InboundMessage(
        "x2@example.com",
        "Away",
        "bob@example.com",
        "Bob",
        in_reply_to=f"c1.{token('secret', 2)}@acme.example",
        headers={"auto-submitted": "auto-replied"},
    )
    assert handle(sent, auto) is None and states(sent)["bob@example.com"][0] == "sent"
    # mail that answers nothing of ours is left to the other handlers
    assert (
        handle(sent, InboundMessage("x3@example.com", "Hi", "ada@example.com", "Ada", in_reply_to="other@x"))
        is None
    )


def test_unsubscribe_by_token_in_the_address_or_subject(sent):
    got = handle(
        sent,
        InboundMessage(
            "u1@example.com",
            "unsubscribe",
            "someone@else.example",
            "",
            to=(f"leave+{token('secret', 1)}@acme.example",),
        ),
    )
    assert got.kind == "unsubscribe"
    assert states(sent)["ada@example.com"] == ("opted-out", "opted-out")
    got = handle(
        sent,
        InboundMessage(
            "u2@example.com",
            f"unsubscribe {token('secret', 2)}",
            "bob@example.com",
            "",
            to=("leave@acme.example",),
        ),
    )
    assert states(sent)["bob@example.com"] == ("opted-out", "opted-out")
    # a forged token opts out nobody but the sender
    forged = "r1.0000000000000000"
    got = handle(
        sent,
        InboundMessage("u3@example.com", "x", "carl@example.com", "", to=(f"leave+{forged}@acme.example",)),
    )
    with sent.read() as tx:
        assert tx.scalar("SELECT status FROM consents WHERE address_key = 'carl@example.com'") == "opted-out"
        assert tx.scalar("SELECT count(*) FROM consent_log WHERE source = 'mail'") == 3


def dsn(n: int, address: str, action: str, status: str) -> InboundMessage:
    return InboundMessage(
        f"d{n}@mx.example",
        "Delivery Status Notification",
        "mailer-daemon@mx.example",
        "",
        delivery_status=(
            {"recipient": f"rfc822; {address}", "action": action, "status": status, "diagnostic": "x"},
        ),
    )


def test_hard_bounce_at_once_soft_after_three(sent):
    assert handle(sent, dsn(1, "ada@example.com", "failed", "5.1.1")).kind == "bounce"
    assert states(sent)["ada@example.com"] == ("bounced", "bounced")
    for n in (2, 3):
        handle(sent, dsn(n, "bob@example.com", "delayed", "4.2.2"))
        assert states(sent)["bob@example.com"] == ("sent", "opted-in")
    handle(sent, dsn(4, "bob@example.com", "delayed", "4.2.2"))
    assert states(sent)["bob@example.com"] == ("bounced", "bounced")
    # a bounce about an address we never mailed is not ours
    assert handle(sent, dsn(5, "stranger@example.com", "failed", "5.1.1")) is None
