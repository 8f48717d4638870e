"""The last handler of the pipeline: mail from or to a known contact (any of their addresses) becomes an
``email`` interaction on their timeline, with the subject, the plain-text body and the Message-ID (the
interaction's UID is ``mail:`` and the Message-ID, so the same message is logged once however it arrives).
Anything else is passed on (``None``): the pipeline counts it as ignored."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from tinycrm.domain.mail import Handled, InboundMessage
from tinycrm.domain.validation import MAX_TEXT
from tinycrm.services.common import now
from tinycrm.services.people import interactions
from tinycrm.store.sql import placeholders

if TYPE_CHECKING:
    from tinycrm.config import Settings
    from tinycrm.store.database import Tx

#: the interactions column holding the summary is this long
MAX_SUMMARY = 500


def interaction_uid(message_id: str) -> str:
    """The UID of the interaction a message becomes (the column holds 100 characters)."""
    uid = f"mail:{message_id}"
    if len(uid) <= 100:
        return uid
    return "mail:sha256:" + hashlib.sha256(message_id.encode("utf-8", "replace")).hexdigest()[:64]


def known_contacts(tx: Tx, addresses: list[str]) -> list[tuple[int, str]]:
    """``(id, display name)`` of the contacts that have any of these addresses, in id order."""
    return _known(tx, addresses)[0]


def _known(tx: Tx, addresses: list[str], uid: str | None = None) -> tuple[list[tuple[int, str]], int | None]:
    """:func:`known_contacts`, and in the same query the interaction logged with ``uid`` if there is one
    (one round trip per message instead of two)."""
    keys = sorted({a.strip().lower() for a in addresses if a and "@" in a})
    if not keys:
        return [], None
    marks, params = placeholders("a", keys)
    logged = ", (SELECT i.id FROM interactions i WHERE i.uid = :uid) AS logged" if uid else ", NULL AS logged"
    rows = tx.all(
        f"SELECT DISTINCT c.id, c.display_name{logged} FROM contact_emails ce JOIN contacts c "
        f"ON c.id = ce.contact_id WHERE ce.value_key IN ({marks}) ORDER BY c.id",
        {**params, "uid": uid} if uid else params,
    )
    return [(r["id"], r["display_name"]) for r in rows], (rows[0]["logged"] if rows else None)


def _when(message: InboundMessage) -> datetime:
    """When it happened: the Date header, unless missing or ahead of this machine's clock."""
    current = now()
    if message.date is None or message.date > current + interactions.CLOCK_SKEW:
        return current
    return message.date


def _summary(message: InboundMessage) -> str:
    subject = " ".join(message.subject.split()) or "(no subject)"
    return subject if len(subject) <= MAX_SUMMARY else subject[: MAX_SUMMARY - 3] + "..."


def is_auto_reply(message: InboundMessage) -> bool:
    """An out-of-office or other automatic answer (RFC 3834), or a delivery report: not an interaction."""
    auto = message.headers.get("auto-submitted", "no").strip().lower()
    return bool(message.delivery_status) or (bool(auto) and auto != "no")


def handle(tx: Tx, message: InboundMessage, settings: Settings) -> Handled | None:
    if is_auto_reply(message):
        return None
    uid = interaction_uid(message.message_id)
    people, logged = _known(tx, [message.from_address, *message.recipients], uid)
    if not people:
        return None
    ids = [pid for pid, _ in people]
    names = ", ".join(f"{name} (#{pid})" for pid, name in people[:3]) + (
        " and more" if len(people) > 3 else ""
    )
    if logged is not None:
        return Handled("interaction", f"already on the timeline of {names}", {"interaction": logged})
    body = message.text[:MAX_TEXT] or None
    iid = interactions.insert(
        tx,
        contact_ids=ids,
        kind="email",
        summary=_summary(message),
        happened_at=_when(message),
        body=body,
        uid=uid,
    )
    return Handled("interaction", f"email on the timeline of {names}", {"interaction": iid, "contacts": ids})
