"""Mail to a support address: a new ticket, or a reply on the ticket it answers.

The mail pipeline (:mod:`tinycrm.services.mail.handlers`) calls :func:`handle` in its transaction for each
parsed message. A message threads onto a ticket when one of the ids it answers (``In-Reply-To``, then
``References``) is the Message-ID of a message of the ticket, else when its subject carries a ``[#N]`` token
of an existing ticket. A customer's reply on a pending or resolved ticket opens it again; one on a closed
ticket starts a new ticket. An unknown sender becomes a contact tagged ``support``.

A new ticket is acknowledged by mail unless the message is automatic (RFC 3834), at most once per sender per
day (``support_acks``, written in the same transaction), marked ``Auto-Submitted: auto-replied``. An
acknowledgement that cannot be sent is recorded as failed and said in the summary; the ticket stays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tinycrm.domain.mail import Handled, InboundMessage
from tinycrm.services.support.replies import one_line, token_of

if TYPE_CHECKING:
    from tinycrm.config import Settings
    from tinycrm.store.database import Tx

#: the acknowledgement's text; {number} and {subject} are filled in
ACK_TEXT = (
    "Hello,\n\nthank you for your message. We have received it as ticket #{number} ({subject}) and will "
    "answer as soon as we can.\n\nPlease keep [#{number}] in the subject of any further mail about it.\n"
)


def handle(tx: Tx, message: InboundMessage, settings: Settings) -> Handled | None:
    from tinycrm.config.support import Support

    support = settings.get(Support)
    ours = set(support.addresses)
    if not ours or not ours.intersection(a.lower() for a in message.recipients) or not message.from_address:
        return None
    if message.from_address.lower() in ours:
        return None  # our own mail coming back: never a ticket (a loop)
    found = _thread(tx, message)
    if found is not None:
        status = tx.scalar("SELECT status FROM tickets WHERE id = :i", {"i": found})
        if status != "closed":
            return _reply(tx, found, status, message)
    return _new(tx, message, support, settings, follows=found)


def _thread(tx: Tx, message: InboundMessage) -> int | None:
    from tinycrm.store.sql import placeholders

    ids = [i for i in message.thread_ids if i][:50]
    if ids:
        marks, params = placeholders("m", ids)
        rows = tx.all(
            f"SELECT ticket_id, message_id FROM ticket_messages WHERE message_id IN ({marks})", params
        )
        by_id = {r["message_id"]: r["ticket_id"] for r in rows}
        for i in ids:  # the nearest one wins
            if i in by_id:
                return _followed(tx, by_id[i])
    number = token_of(message.subject)
    if number is not None and number < 2**31:
        if tx.scalar("SELECT id FROM tickets WHERE id = :i", {"i": number}) is not None:
            return _followed(tx, number)
    return None


def _followed(tx: Tx, ticket_id: int) -> int:
    """A merged ticket's mail goes to the ticket it was merged into."""
    seen = {ticket_id}
    while True:
        into = tx.scalar("SELECT merged_into_id FROM tickets WHERE id = :i", {"i": ticket_id})
        if into is None or into in seen:
            return ticket_id
        seen.add(into)
        ticket_id = into


def _store_message(tx: Tx, ticket_id: int, message: InboundMessage) -> list[str]:
    from tinycrm.services.support.thread import add_attachments, add_message

    mid = add_message(
        tx,
        ticket_id,
        kind="in",
        author=message.from_address,
        body=message.text or "",
        subject=one_line(message.subject)[:500] or None,
        message_id=message.message_id or None,
    )
    return add_attachments(tx, ticket_id, mid, message.attachments)


def _reply(tx: Tx, ticket_id: int, status: str, message: InboundMessage) -> Handled:
    from tinycrm.services.common import now
    from tinycrm.services.support.tickets import change_status

    dropped = _store_message(tx, ticket_id, message)
    reopened = status in ("pending", "resolved")
    if reopened:
        change_status(tx, ticket_id, "open", note="the customer replied")
    else:
        tx.execute(
            "UPDATE tickets SET updated_at = :t, version = version + 1 WHERE id = :i",
            {"t": now(), "i": ticket_id},
        )
    summary = f"reply on ticket #{ticket_id}" + (" (opened again)" if reopened else "")
    return Handled("ticket.reply", summary + _dropped(dropped), {"ticket": ticket_id, "dropped": dropped})


def _dropped(names: list[str]) -> str:
    return f"; attachments too large, not kept: {', '.join(names)}" if names else ""


def _contact(tx: Tx, message: InboundMessage) -> int:
    from tinycrm.domain.people import ContactInput
    from tinycrm.domain.rows import Labeled
    from tinycrm.services.people import contacts

    found = tx.scalar(
        "SELECT contact_id FROM contact_emails WHERE value_key = :k ORDER BY contact_id LIMIT 1",
        {"k": message.from_address.lower()},
    )
    if found is not None:
        return int(found)
    name = one_line(message.from_name)[:200] or message.from_address
    return contacts.insert(
        tx, ContactInput(display_name=name, emails=[Labeled(message.from_address)], tags=["support"])
    )


def _new(
    tx: Tx, message: InboundMessage, support: Any, settings: Settings, *, follows: int | None
) -> Handled:
    from tinycrm.services.support.thread import add_message
    from tinycrm.services.support.tickets import insert

    contact_id = _contact(tx, message)
    subject = one_line(message.subject)
    if len(subject) > 500:
        subject = subject[:499] + "…"
    tid = insert(tx, subject_=subject or "(no subject)", contact_id=contact_id, channel="mail")
    dropped = _store_message(tx, tid, message)
    if follows is not None:
        add_message(
            tx, tid, kind="note", author="tinycrm", body=f"A follow-up of the closed ticket #{follows}."
        )
    from tinycrm.services.support.tickets import announce

    announce(tx, "ticket.created", tid)
    summary = f"new ticket #{tid}" + _dropped(dropped)
    refs: dict[str, Any] = {"ticket": tid, "contact": contact_id, "dropped": dropped}
    if support.acknowledge and not message.is_automatic:
        ack = acknowledge(tx, tid, message, support, settings)
        if ack:
            summary += f"; {ack}"
            refs["ack"] = ack
    return Handled("ticket.new", summary, refs)


def acknowledge(tx: Tx, ticket_id: int, message: InboundMessage, support: Any, settings: Settings) -> str:
    """Send the acknowledgement of a new ticket, at most one per sender per day; say what happened."""
    from tinycrm.config import Smtp
    from tinycrm.domain import clock
    from tinycrm.domain.errors import CrmError
    from tinycrm.services.mail import mailer
    from tinycrm.services.support.portal import mail_link
    from tinycrm.services.support.replies import build
    from tinycrm.services.support.thread import add_message
    from tinycrm.services.support.tickets import read_in

    day = clock.local_now().date()
    claimed = tx.execute(
        "INSERT INTO support_acks (address, day, ticket_id, state, at) VALUES (:a, :d, :t, 'sent', :at) "
        "ON CONFLICT (address, day) DO NOTHING",
        {"a": message.from_address.lower()[:320], "d": day, "t": ticket_id, "at": clock.now()},
    )
    if claimed != 1:
        return ""
    ticket = read_in(tx, ticket_id)
    body = ACK_TEXT.format(number=ticket_id, subject=ticket.subject)
    try:
        link = mail_link(tx, ticket.contact.id if ticket.contact else None)
        mail = build(ticket, body, support, automatic=True, portal_link=link)
        mailer.check_ready(settings.get(Smtp))
        mailer.send(mail, settings.get(Smtp))
    except CrmError as exc:
        tx.execute(
            "UPDATE support_acks SET state = 'failed', error = :e WHERE address = :a AND day = :d",
            {"e": str(exc)[:500], "a": message.from_address.lower()[:320], "d": day},
        )
        return f"acknowledgement not sent: {exc}"
    add_message(
        tx,
        ticket_id,
        kind="auto",
        author=support.addresses[0],
        body=body,
        subject=str(mail["Subject"]),
        message_id=str(mail["Message-ID"]).strip("<>"),
    )
    return "acknowledged"
