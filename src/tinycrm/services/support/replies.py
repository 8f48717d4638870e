"""Answering a ticket by mail: ``ticket reply``, canned replies (templates), the outgoing message.

A reply goes out through ``[smtp]`` From the first ``[support] address``, with ``In-Reply-To``,
``References``, a ``[#N]`` subject token and a Message-ID the ticket remembers, so the customer's answer
threads back. It is sent inside the transaction that stores it: a send the server did not accept raises
(:class:`~tinycrm.services.mail.mailer.MailUnavailable` exits 75) and nothing is stored. Every header value
made from data (a contact's name, a subject) is folded to one line first: nothing a customer typed can add a
header.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.support import ReplyResult, TicketRead
from tinycrm.services.common import actor, audit, now
from tinycrm.store.database import Database

#: references kept in a reply (the nearest ones): a long thread must not make a huge header
MAX_REFERENCES = 20
TEMPLATE_SUFFIXES = ("", ".txt", ".j2", ".jinja", ".md")
#: the line above the portal link at the end of a ticket mail
PORTAL_TEXT = "Your tickets with us, to read and answer on the web:"
_TOKEN = re.compile(r"\[#(\d{1,10})\]")


def one_line(text: str | None) -> str:
    """A header value from data: CR, LF and every other run of white space become one space."""
    return " ".join((text or "").split())


def token_of(subject: str) -> int | None:
    """The ticket number of a ``[#N]`` token in a subject."""
    m = _TOKEN.search(subject or "")
    return int(m.group(1)) if m else None


def reply_subject(ticket: TicketRead) -> str:
    base = one_line(ticket.subject)
    while base.lower().startswith(("re:", "aw:", "fwd:")):
        base = base.split(":", 1)[1].strip()
    if token_of(base) != ticket.id:
        base = f"{base} [#{ticket.id}]"
    return f"Re: {base}"


def sender(support: Any) -> str:
    from email.headerregistry import Address

    if not support.addresses:
        raise InvalidInput(
            "[support] address is not set; set it to the support address in the config file (crm config show)"
        )
    local, _, domain = support.addresses[0].partition("@")
    return str(Address(display_name=one_line(support.name), username=local, domain=domain))


def recipient(name: str | None, address: str) -> str:
    from email.headerregistry import Address

    local, _, domain = address.partition("@")
    return str(Address(display_name=one_line(name), username=local, domain=domain))


def build(
    ticket: TicketRead, body: str, support: Any, *, automatic: bool = False, portal_link: str | None = None
) -> EmailMessage:
    """The reply to ``ticket`` as a message ready to send (ending with the customer's portal link, if any)."""
    from email.utils import format_datetime, make_msgid

    if not ticket.contact_email:
        raise InvalidInput(
            f"ticket #{ticket.id} has no contact e-mail address to reply to; add one to the contact "
            "(crm contact edit) or write a note instead"
        )
    message = EmailMessage()
    message["From"] = sender(support)
    message["To"] = recipient(ticket.contact.name if ticket.contact else None, ticket.contact_email)
    message["Subject"] = reply_subject(ticket)
    message["Date"] = format_datetime(now())
    message["Message-ID"] = make_msgid(domain=support.addresses[0].partition("@")[2])
    ids = [m.message_id for m in ticket.messages if m.message_id and m.kind != "note"]
    incoming = [m.message_id for m in ticket.messages if m.message_id and m.kind == "in"]
    if ids:
        message["In-Reply-To"] = f"<{(incoming or ids)[-1]}>"
        message["References"] = " ".join(f"<{i}>" for i in ids[-MAX_REFERENCES:])
    if automatic:
        message["Auto-Submitted"] = "auto-replied"
    if portal_link:
        body = f"{body.rstrip()}\n\n-- \n{PORTAL_TEXT}\n{portal_link}\n"
    message.set_content(body)
    return message


# --- templates ------------------------------------------------------------------------------------------


def template_dir() -> Path:
    from tinycrm import paths

    return paths.config_dir() / "templates"


def templates() -> list[str]:
    """The names of the canned replies in the config folder's ``templates/``."""
    folder = template_dir()
    if not folder.is_dir():
        return []
    return sorted(
        {
            p.name.removesuffix(p.suffix) if p.suffix in TEMPLATE_SUFFIXES else p.name
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".")
        }
    )


def template_source(name: str) -> tuple[str, Path]:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise InvalidInput(f"{name!r} is not a template name", hint="crm template list shows them")
    folder = template_dir()
    for suffix in TEMPLATE_SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8"), path
            except UnicodeDecodeError:
                raise InvalidInput(f"{path} is not UTF-8 text; re-encode it") from None
    raise NotFound(f"no template named {name!r} in {folder}", hint="crm template list shows them")


def variables(db: Database, ticket: TicketRead) -> dict[str, Any]:
    """What a template can use: ``ticket``, ``contact``, ``user``, and ``article(slug)`` (the knowledge base)."""
    from tinycrm.services.support import kb

    with db.read() as tx:
        me = tx.one("SELECT name, full_name, email FROM users WHERE name = :n", {"n": actor(db)})
    name = ticket.contact.name if ticket.contact else ""
    return {
        "ticket": {
            "number": ticket.id,
            "subject": ticket.subject,
            "status": ticket.status,
            "priority": ticket.priority,
            "assignee": ticket.assignee or "",
        },
        "contact": {
            "name": name,
            "first_name": name.split(" ")[0] if name else "",
            "email": ticket.contact_email,
        },
        "user": {
            "name": me["name"] if me else actor(db),
            "full_name": (me["full_name"] if me else None) or actor(db),
            "email": (me["email"] if me else None) or "",
        },
        "article": lambda slug: kb.for_template(db, slug),
    }


def render_template(db: Database, ticket: TicketRead, name: str) -> str:
    from tinycrm.services.mail.templating import render

    source, path = template_source(name)
    return render(source, variables(db, ticket), name=f"template {name}")


# --- the reply ------------------------------------------------------------------------------------------


def quoted_last(db: Database, ticket_id: int) -> str:
    """The text an editor opens on for a reply: the last message from the customer, quoted."""
    from tinycrm.services.support.tickets import get

    ticket = get(db, ticket_id)
    last = [m for m in ticket.messages if m.kind in ("in", "out")]
    if not last:
        return "\n"
    m = last[-1]
    from tinycrm.domain.dates import show

    quoted = "\n".join(f"> {line}" if line else ">" for line in m.body.splitlines())
    return f"\n\nOn {show(m.created_at)}, {m.author} wrote:\n{quoted}\n"


def reply(
    db: Database,
    ticket_id: int,
    *,
    body: str | None = None,
    template: str | None = None,
    new_status: str | None = None,
    dry_run: bool = False,
) -> ReplyResult:
    """Send a reply to the ticket's contact and store it on the ticket (see the module's text)."""
    from tinycrm import config
    from tinycrm.config import Smtp
    from tinycrm.config.support import Support
    from tinycrm.services.mail import mailer
    from tinycrm.services.support import tickets

    if new_status is not None and new_status not in ("pending", "resolved", "open"):
        raise InvalidInput(f"status {new_status!r}: a reply leaves a ticket open, pending or resolved")
    if body is not None and template is not None:
        raise InvalidInput("give --body or --template, not both")
    support = config.get(Support)
    ticket = tickets.get(db, ticket_id)
    if ticket.merged_into is not None:
        raise InvalidInput(f"ticket #{ticket_id} was merged into #{ticket.merged_into}; reply there")
    text = render_template(db, ticket, template) if template else v.text(body, "body")
    if not text or not text.strip():
        raise InvalidInput("the reply is empty; write a body (--body TEXT, --template NAME or the editor)")
    from tinycrm.services.support import portal

    with db.read() as tx:
        link = portal.mail_link(tx, ticket.contact.id if ticket.contact else None)
    message = build(ticket, text, support, portal_link=link)
    if dry_run:
        return ReplyResult(ticket, message.as_string(), False)
    smtp = config.get(Smtp)
    mailer.check_ready(smtp)
    with db.write() as tx:
        row = tickets.load(tx, ticket_id, lock=True)
        mailer.send(message, smtp)
        _store(tx, row, message, text, new_status)
        return ReplyResult(tickets.read_in(tx, ticket_id), message.as_string(), True)


def _store(tx: Any, row: dict[str, Any], message: EmailMessage, text: str, new_status: str | None) -> None:
    from tinycrm.services.support import sla, tickets
    from tinycrm.services.support.thread import add_message

    tid = row["id"]
    at = now()
    add_message(
        tx,
        tid,
        kind="out",
        author=actor(tx.db),
        body=text,
        subject=str(message["Subject"]),
        message_id=str(message["Message-ID"]).strip("<>"),
        at=at,
    )
    if row["first_responded_at"] is None:
        tx.execute("UPDATE tickets SET first_responded_at = :t WHERE id = :i", {"t": at, "i": tid})
        row["first_responded_at"] = at
    target = new_status or ("open" if row["status"] == "new" else None)
    if target and target != row["status"]:
        tickets.change_status(tx, tid, target)
    else:
        tx.execute(
            "UPDATE tickets SET sla_due = :d, updated_at = :t, version = version + 1 WHERE id = :i",
            {"d": sla.next_due(row), "t": at, "i": tid},
        )
    audit(tx, "reply", "ticket", tid, {"message_id": (None, str(message["Message-ID"]))})
    tickets.announce(tx, "ticket.replied", tid)
