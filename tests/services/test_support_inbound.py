"""Mail to the support address, as the mail pipeline hands it over (``handle(tx, message, settings)``), on both
stores: new tickets and their contacts, replies threaded by Message-ID or ``[#N]``, reopening, attachments,
and the acknowledgement through a real SMTP server: never for automatic mail, once per sender per day."""

import email
import email.policy
from email.message import EmailMessage

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from mail_testkit import smtp, support_config  # noqa: F401 - the SMTP server fixture
from tinycrm import config
from tinycrm.domain.mail import Attachment, InboundMessage
from tinycrm.services.people import contacts
from tinycrm.services.support import inbound, tickets

MON = "2026-12-07T10:00:00+01:00"


@pytest.fixture
def desk(db, clock, smtp, _isolated_home):  # noqa: F811
    clock(MON)
    inbox, port = smtp
    support_config(_isolated_home, port)
    return db, inbox


def mail(**fields) -> InboundMessage:
    base = {
        "message_id": "m1@customer.example",
        "subject": "My printer is on fire",
        "from_address": "grace@customer.example",
        "from_name": "Grace Hopper",
        "to": ("help@example.com",),
        "text": "Please help.",
    }
    return InboundMessage(**{**base, **fields})


def run(db, message):
    with db.write() as tx:
        return inbound.handle(tx, message, config.load())


def test_a_new_mail_becomes_a_ticket_with_a_new_contact_and_is_acknowledged(desk):
    db, inbox = desk
    handled = run(db, mail())
    assert handled.kind == "ticket.new" and handled.refs["ticket"] == 1
    assert handled.summary == "new ticket #1; acknowledged"
    t = tickets.get(db, 1)
    assert (t.subject, t.channel, t.contact.name, t.contact_email) == (
        "My printer is on fire",
        "mail",
        "Grace Hopper",
        "grace@customer.example",
    )
    assert contacts.get(db, t.contact.id).tags == ["support"]
    assert [m.kind for m in t.messages] == ["in", "auto"]
    [(sender, rcpts, ack, _raw)] = inbox.messages
    assert (sender, rcpts) == ("help@example.com", ["grace@customer.example"])
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["Subject"] == "Re: My printer is on fire [#1]"
    assert ack["In-Reply-To"] == "<m1@customer.example>"
    # a second mail from her the same day: a ticket, but no second acknowledgement
    handled = run(db, mail(message_id="m2@customer.example", subject="Also the scanner"))
    assert handled.summary == "new ticket #2" and len(inbox.messages) == 1


def test_replies_thread_by_message_id_then_by_token_and_reopen(desk):
    db, inbox = desk
    run(db, mail())
    ack_id = tickets.get(db, 1).messages[-1].message_id
    tickets.set_status(db, 1, "pending")
    handled = run(db, mail(message_id="r1@customer.example", subject="Re: fire", in_reply_to=ack_id))
    assert (handled.kind, handled.refs["ticket"], handled.summary) == (
        "ticket.reply",
        1,
        "reply on ticket #1 (opened again)",
    )
    assert tickets.get(db, 1).status == "open"
    # no threading headers, but the token in the subject
    handled = run(db, mail(message_id="r2@customer.example", subject="Re: whatever [#1]"))
    assert (handled.kind, handled.summary) == ("ticket.reply", "reply on ticket #1")
    tickets.set_status(db, 1, "resolved")
    assert run(db, mail(message_id="r3@customer.example", references=("x@y", ack_id))).summary.endswith(
        "(opened again)"
    )
    # a token of a ticket that does not exist: a new ticket
    assert run(db, mail(message_id="r4@customer.example", subject="[#77] hello")).kind == "ticket.new"
    # on a closed ticket: a new ticket that says what it follows
    tickets.close(db, 1)
    handled = run(db, mail(message_id="r5@customer.example", subject="Re: [#1]"))
    assert handled.kind == "ticket.new"
    assert "closed ticket #1" in tickets.get(db, handled.refs["ticket"]).messages[-1].body


def test_the_sender_is_matched_by_address_and_attachments_are_kept_or_listed(desk):
    db, inbox = desk
    from tinycrm.domain.people import ContactInput, Labeled

    known = contacts.create(
        db, ContactInput(display_name="G. Hopper", emails=[Labeled("Grace@Customer.example")])
    )
    files = (
        Attachment("../../etc/log.txt", "text/plain", 5, b"hello"),
        Attachment("huge.iso", "application/octet-stream", 50 * 2**20, None),
    )
    handled = run(db, mail(attachments=files))
    assert handled.refs["contact"] == known.id
    assert handled.summary == "new ticket #1; attachments too large, not kept: huge.iso; acknowledged"
    t = tickets.get(db, 1)
    listed = [(a.filename, a.size, a.dropped) for a in t.messages[0].attachments]
    assert listed == [("log.txt", 5, False), ("huge.iso", 50 * 2**20, True)]
    from tinycrm.services.support import thread

    assert thread.attachment(db, 1, "log.txt")[1] == b"hello"


@pytest.mark.parametrize(
    "headers",
    [
        {"auto-submitted": "auto-replied"},
        {"precedence": "bulk"},
        {"return-path": "<>"},
        {"list-id": "<news.example.com>"},
    ],
)
def test_automatic_mail_makes_a_ticket_but_is_never_acknowledged(desk, headers):
    db, inbox = desk
    assert run(db, mail(headers=headers)).kind == "ticket.new"
    assert run(db, mail(message_id="x@y", from_address="noreply@shop.example")).kind == "ticket.new"
    assert inbox.messages == []


def test_mail_not_for_support_is_passed_on_and_a_failed_acknowledgement_is_said(desk, _isolated_home):
    db, inbox = desk
    assert run(db, mail(to=("sales@example.com",))) is None
    assert run(db, mail(from_address="")) is None
    assert run(db, mail(from_address="help@example.com")) is None  # our own mail: never a loop
    support_config(_isolated_home, None)  # nothing listens there
    handled = run(db, mail())
    assert handled.kind == "ticket.new"
    assert "acknowledgement not sent: cannot send mail through 127.0.0.1" in handled.summary
    with db.read() as tx:
        assert tx.scalar("SELECT state FROM support_acks") == "failed"


def test_a_long_subject_is_cut_and_raw_mail_parsed_end_to_end(desk):
    db, inbox = desk
    raw = EmailMessage()
    raw["From"] = "=?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@kunde.example>"
    raw["To"] = "Support <support@example.com>"
    raw["Subject"] = "Drucker " + "x" * 10_000
    raw["Message-ID"] = "<raw1@kunde.example>"
    raw.set_content("Grüße")
    parsed = email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
    message = mail(
        message_id=parsed["Message-ID"].strip("<>"),
        subject=str(parsed["Subject"]),
        from_address=parsed["From"].addresses[0].addr_spec,
        from_name=parsed["From"].addresses[0].display_name,
        to=tuple(a.addr_spec for a in parsed["To"].addresses),
        text=parsed.get_content(),
    )
    handled = run(db, message)
    t = tickets.get(db, handled.refs["ticket"])
    assert len(t.subject) == 500 and t.subject.startswith("Drucker xxx") and t.subject.endswith("…")
    assert t.contact.name == "Jürgen Müller" and t.messages[0].body.strip() == "Grüße"
