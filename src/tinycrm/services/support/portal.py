"""The customer portal: signed, expiring links that show a contact their tickets, and what they may do there.

A link is ``BASE/portal/?t=TOKEN``: ``TOKEN`` is ``{"c": contact id, "g": generation}`` signed with itsdangerous
(the key is the web server's ``web-secret`` in the data folder, salted for the portal) and stamped with the time
it was made. It opens the portal for ``[portal] link_days``; revoking a contact's links (:func:`revoke`) raises
the contact's generation in ``portal_access``, so every link made before stops working. Every ticket mail (the
acknowledgement, each reply) brings a fresh link when ``[web] base_url`` is set.

Through a link a customer sees only their own tickets, never the internal notes, and may reply (an inbound
message on the ticket, as a mail reply would be: a pending or resolved ticket opens again) or close one. Forms
of the portal carry a token bound to the link (:func:`form_token`), valid for a day.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput, NotFound, Refused
from tinycrm.domain.rows import Page
from tinycrm.domain.support import STATUSES, TicketRead, TicketRow
from tinycrm.services.common import audit, now
from tinycrm.store.database import Database, Tx

LINK_SALT = "tinycrm.portal.link"
FORM_SALT = "tinycrm.portal.form"
#: how long a portal page's form may be sent back
FORM_SECONDS = 24 * 3600
#: a customer's reply through the portal, at most
REPLY_MAX = 20_000
#: what a customer sees of a ticket's thread: mail in, our replies, acknowledgements (never internal notes)
SHOWN_KINDS = ("in", "out", "auto")


class LinkRefused(Refused):
    """A portal link that does not open the portal: tampered with, expired or revoked (``why``)."""

    def __init__(self, message: str, why: str) -> None:
        super().__init__(message)
        self.why = why


@dataclass(frozen=True)
class PortalVisitor:
    """Whom a valid link opens the portal for."""

    contact_id: int
    name: str
    token: str


def secret() -> bytes:
    """The web server's signing key (``web-secret`` in the data folder, made on first use, mode 0600)."""
    from tinycrm.paths import data_dir, private_dir

    path = private_dir(data_dir()) / "web-secret"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        text = path.read_text(encoding="ascii").strip()
        if len(text) < 32:
            raise InvalidInput(
                f"{path} is damaged (too short): delete it (links and browsers renew)"
            ) from None
        return text.encode()
    except OSError as exc:
        raise InvalidInput(f"cannot create {path}: {exc.strerror}") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key.encode()


def _signer(salt: str = LINK_SALT) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret(), salt=salt)


def generation(tx: Tx, contact_id: int) -> int:
    found = tx.scalar("SELECT generation FROM portal_access WHERE contact_id = :c", {"c": contact_id})
    return int(found or 0)


def base_url() -> str | None:
    from tinycrm import config
    from tinycrm.config.web import Web

    return config.get(Web).base_url


def token_in(tx: Tx, contact_id: int) -> str:
    return str(_signer().dumps({"c": contact_id, "g": generation(tx, contact_id)}))


def url_of(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/portal/?t={token}"


def mail_link(tx: Tx, contact_id: int | None) -> str | None:
    """The portal link a ticket mail to ``contact_id`` carries; None when ``[web] base_url`` is not set."""
    base = base_url()
    if not base or contact_id is None:
        return None
    return url_of(base, token_in(tx, contact_id))


def link(db: Database, contact_id: int, *, base: str | None = None) -> str:
    """``crm portal link CONTACT``: a fresh link for a support agent to send by hand."""
    base = base or base_url()
    if not base:
        raise InvalidInput(
            "[web] base_url is not set: set it to where crm serve is reached (https://crm.example.com), "
            "or give --base-url"
        )
    with db.read() as tx:
        if tx.scalar("SELECT id FROM contacts WHERE id = :c", {"c": contact_id}) is None:
            raise NotFound(f"no contact with id {contact_id}")
        return url_of(base, token_in(tx, contact_id))


def revoke(db: Database, contact_id: int) -> int:
    """Every portal link of the contact made so far stops working; the new generation."""
    with db.write() as tx:
        if tx.scalar("SELECT id FROM contacts WHERE id = :c", {"c": contact_id}) is None:
            raise NotFound(f"no contact with id {contact_id}")
        tx.execute(
            "INSERT INTO portal_access (contact_id, generation, revoked_at) VALUES (:c, 1, :t) "
            "ON CONFLICT (contact_id) DO UPDATE SET generation = portal_access.generation + 1, revoked_at = :t",
            {"c": contact_id, "t": now()},
        )
        new = generation(tx, contact_id)
        audit(tx, "update", "contact", contact_id, {"portal_generation": (new - 1, new)})
        return new


def revoke_all(db: Database) -> int:
    """Every portal link of every contact stops working; how many contacts there are."""
    at = now()
    with db.write() as tx:
        tx.execute("UPDATE portal_access SET generation = generation + 1, revoked_at = :t", {"t": at})
        tx.execute(
            "INSERT INTO portal_access (contact_id, generation, revoked_at) SELECT c.id, 1, :t FROM contacts c "
            "WHERE NOT EXISTS (SELECT 1 FROM portal_access p WHERE p.contact_id = c.id)",
            {"t": at},
        )
        count = int(tx.scalar("SELECT count(*) FROM portal_access") or 0)
        audit(tx, "update", "portal", 0, {"revoked": (None, "all")})
        return count


def _link_days() -> int:
    from tinycrm import config
    from tinycrm.config.portal import Portal

    return config.get(Portal).link_days


def open_link(db: Database, token: str) -> PortalVisitor:
    """Whom ``token`` opens the portal for; :class:`LinkRefused` when it is forged, expired or revoked."""
    from itsdangerous import BadSignature, SignatureExpired

    try:
        data = _signer().loads(token, max_age=_link_days() * 24 * 3600)
    except SignatureExpired:
        raise LinkRefused("this link has expired", "expired") from None
    except BadSignature:
        raise LinkRefused("this link is not valid", "invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("g"), int):
        raise LinkRefused("this link is not valid", "invalid")
    with db.read() as tx:
        name = tx.scalar("SELECT display_name FROM contacts WHERE id = :c", {"c": data["c"]})
        if name is None:
            raise LinkRefused("this link is not valid", "invalid")
        if generation(tx, data["c"]) != data["g"]:
            raise LinkRefused("this link was withdrawn", "revoked")
    return PortalVisitor(data["c"], name, token)


def form_token(token: str) -> str:
    """The token a portal form carries: bound to the link, signed, good for :data:`FORM_SECONDS`."""
    return str(_signer(FORM_SALT).dumps(_digest(token)))


def form_ok(token: str, given: str) -> bool:
    from itsdangerous import BadSignature

    try:
        bound = _signer(FORM_SALT).loads(given, max_age=FORM_SECONDS)
    except BadSignature:
        return False
    return isinstance(bound, str) and hmac.compare_digest(bound, _digest(token))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


# --- what a customer sees and does ----------------------------------------------------------------------


def tickets(db: Database, contact_id: int, *, limit: int = 20, offset: int = 0) -> Page[TicketRow]:
    """The contact's tickets, every status, open work first."""
    from tinycrm.services.support import tickets as t

    return t.list_page(db, statuses=STATUSES, contact_id=contact_id, limit=limit, offset=offset)


def _own(tx: Tx, contact_id: int, ticket_id: int, *, lock: bool = False) -> dict[str, Any]:
    """The ticket when it is the contact's; otherwise the same answer as a ticket that does not exist."""
    from tinycrm.services.support.tickets import load

    try:
        row = load(tx, ticket_id, lock=lock)
    except NotFound:
        row = None
    if row is None or row["contact_id"] != contact_id:
        raise NotFound(f"you have no ticket #{ticket_id}")
    return row


def ticket(db: Database, contact_id: int, ticket_id: int) -> TicketRead:
    """One of the contact's tickets, its thread without the internal notes."""
    from tinycrm.services.support.tickets import read_in, wake

    wake(db)
    with db.read() as tx:
        _own(tx, contact_id, ticket_id)
        read = read_in(tx, ticket_id)
    return dataclasses.replace(read, messages=[m for m in read.messages if m.kind in SHOWN_KINDS])


def reply(db: Database, contact_id: int, ticket_id: int, text: str) -> TicketRead:
    """The customer's reply: an inbound message on the ticket, as their mail would be (a pending or resolved
    ticket opens again). A closed ticket takes no more replies."""
    from tinycrm.domain.mail import InboundMessage
    from tinycrm.services.support import inbound
    from tinycrm.services.support.replies import one_line

    body = v.text(text, "your reply", max_len=REPLY_MAX, required=True) or ""
    with db.write() as tx:
        row = _own(tx, contact_id, ticket_id, lock=True)
        if row["merged_into_id"] is not None:
            raise InvalidInput(f"ticket #{ticket_id} was merged into #{row['merged_into_id']}; reply there")
        if row["status"] == "closed":
            raise InvalidInput(
                f"ticket #{ticket_id} is closed; write to us again and it becomes a new ticket"
            )
        email = tx.scalar(
            "SELECT value FROM contact_emails WHERE contact_id = :c ORDER BY position, id LIMIT 1",
            {"c": contact_id},
        )
        name = tx.scalar("SELECT display_name FROM contacts WHERE id = :c", {"c": contact_id})
        message = InboundMessage(
            message_id="",
            subject=f"Re: {one_line(row['subject'])} [#{ticket_id}]",
            from_address=(email or f"contact {contact_id} (portal)").lower(),
            from_name=name or "",
            text=body,
        )
        inbound._reply(tx, ticket_id, row["status"], message)  # noqa: SLF001 - the mail reply's own path
        audit(tx, "reply", "ticket", ticket_id, {"portal": (None, "the customer replied")})
    return ticket(db, contact_id, ticket_id)


def close(db: Database, contact_id: int, ticket_id: int) -> TicketRead:
    """The customer closes their ticket (they need nothing more)."""
    from tinycrm.services.support.tickets import change_status

    with db.write() as tx:
        row = _own(tx, contact_id, ticket_id, lock=True)
        if row["status"] != "closed":
            change_status(tx, ticket_id, "closed", note="closed by the customer in the portal")
    return ticket(db, contact_id, ticket_id)


def articles(db: Database, query: str, *, limit: int = 20, offset: int = 0) -> Page[Any]:
    """Published knowledge-base articles: all of them (newest first), or those matching ``query``."""
    from tinycrm.services.support import kb

    if query.strip():
        return kb.search(db, query, drafts=False, limit=limit, offset=offset)
    return kb.list_page(db, drafts=False, limit=limit, offset=offset)


def article(db: Database, slug: str) -> Any:
    """A published article by its slug; a draft is as unknown as a missing one."""
    from tinycrm.services.support import kb

    with db.read() as tx:
        found = tx.scalar(
            "SELECT id FROM kb_articles WHERE slug = :s AND published", {"s": (slug or "").lower()[:200]}
        )
    if found is None:
        raise NotFound(f"no article {slug!r}")
    return kb.get(db, str(found))
