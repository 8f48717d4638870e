"""Mail that answers a campaign, taken first by the mail pipeline (:mod:`tinycrm.services.mail.handlers`):

* a delivery status notification (RFC 3464) about an address we mailed: a permanent failure (action
  ``failed``, status 5.x.x) marks the recipient and the address ``bounced`` at once; a temporary one (action
  ``delayed``, status 4.x.x) counts a soft bounce, and the third in a row makes the address ``bounced``;
* an unsubscribe request: mail to ``[marketing] unsubscribe_address`` with a recipient's token after ``+`` in
  the local part or in the subject opts that address out (how: ``mail``); without a valid token, the sender's
  own address is opted out;
* a reply to one of our Message-IDs (In-Reply-To / References): the recipient becomes ``replied`` and the reply
  is logged on the contact's timeline. Automatic answers (out of office) are left to the other handlers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tinycrm.domain.mail import Handled, InboundMessage
from tinycrm.services.common import now
from tinycrm.services.marketing import consent, mailbuild, sequences
from tinycrm.store.sql import placeholders

if TYPE_CHECKING:
    from tinycrm.config import Settings
    from tinycrm.store.database import Tx

#: soft bounces in a row that make an address bounced
SOFT_LIMIT = 3
_TOKEN = re.compile(r"r\d+\.[0-9a-f]{16}")


def handle(tx: Tx, message: InboundMessage, settings: Settings) -> Handled | None:
    from tinycrm.config.marketing import Marketing

    if message.delivery_status:
        return _bounce(tx, message)
    unsubscribe = settings.get(Marketing).unsubscribe_address
    if unsubscribe:
        taken = _unsubscribe(tx, message, unsubscribe)
        if taken is not None:
            return taken
    if message.thread_ids and not message.is_automatic:
        return _reply(tx, message)
    return None


def _latest_recipient(tx: Tx, address: str) -> Any:
    return tx.one(
        "SELECT r.*, c.name AS campaign FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id "
        "WHERE r.address = :a AND r.state IN ('sent', 'sending', 'replied') ORDER BY r.id DESC LIMIT 1",
        {"a": address},
    )


def _bounce(tx: Tx, message: InboundMessage) -> Handled | None:
    done: list[str] = []
    for entry in message.delivery_status:
        address = (entry.get("recipient") or "").strip().casefold()
        if address.startswith("rfc822;"):
            address = address[7:].strip()
        action, status = (entry.get("action") or "").casefold(), entry.get("status") or ""
        if action not in ("failed", "delayed") or not address:
            continue
        known = tx.one("SELECT status, soft_bounces FROM consents WHERE address_key = :a", {"a": address})
        recipient = _latest_recipient(tx, address)
        if known is None and recipient is None:
            continue
        hard = action == "failed" and not status.startswith("4")
        if not hard:
            count = (known["soft_bounces"] if known else 0) + 1
            if count < SOFT_LIMIT:
                if known is None:
                    consent.record(
                        tx, address, "unknown", None, recipient["contact_id"] if recipient else None
                    )
                tx.execute(
                    "UPDATE consents SET soft_bounces = :n WHERE address_key = :a", {"n": count, "a": address}
                )
                done.append(f"{address} (soft bounce {count} of {SOFT_LIMIT})")
                continue
        consent.record(
            tx,
            address,
            "bounced",
            f"{'hard' if hard else 'soft'} bounce {status}".strip(),
            recipient["contact_id"] if recipient else None,
        )
        if recipient is not None:
            tx.execute(
                "UPDATE campaign_recipients SET state = 'bounced', error = :e, updated_at = :t WHERE id = :i",
                {
                    "e": f"{status} {entry.get('diagnostic') or ''}".strip()[:500],
                    "t": now(),
                    "i": recipient["id"],
                },
            )
        sequences.end_for_address(tx, address, "bounced")
        done.append(f"{address} bounced")
    if not done:
        return None
    return Handled("bounce", "; ".join(done), {"addresses": [d.split(" ")[0] for d in done]})


def _unsubscribe(tx: Tx, message: InboundMessage, unsubscribe: str) -> Handled | None:
    from email.utils import parseaddr

    base_local, _, domain = parseaddr(unsubscribe)[1].casefold().partition("@")
    tokens: list[str] = []
    to_us = False
    for address in message.recipients:
        local, _, dom = address.partition("@")
        if dom != domain:
            continue
        if local == base_local:
            to_us = True
        elif local.startswith(base_local + "+"):
            to_us = True
            tokens.append(local[len(base_local) + 1 :])
    if not to_us:
        return None
    tokens += _TOKEN.findall(message.subject.casefold())
    for tok in tokens:
        recipient = _from_token(tx, tok)
        if recipient is not None:
            return _opt_out(tx, recipient["address"], recipient["contact_id"], recipient["id"])
    if message.from_address:
        contact = tx.scalar(
            "SELECT contact_id FROM contact_emails WHERE value_key = :a LIMIT 1", {"a": message.from_address}
        )
        return _opt_out(tx, message.from_address, contact, None)
    return None


def _from_token(tx: Tx, tok: str) -> Any:
    match = re.fullmatch(r"r(\d+)\.[0-9a-f]{16}", tok)
    if not match:
        return None
    row = tx.one(
        "SELECT r.id, r.address, r.contact_id, c.uid FROM campaign_recipients r JOIN campaigns c "
        "ON c.id = r.campaign_id WHERE r.id = :i",
        {"i": int(match.group(1))},
    )
    return row if row is not None and mailbuild.check_token(row["uid"], tok) else None


def _opt_out(
    tx: Tx, address: str, contact_id: int | None, recipient_id: int | None, *, how: str = "mail"
) -> Handled:
    consent.record(tx, address, "opted-out", how, contact_id)
    sequences.end_for_address(tx, address, "opted out")
    if recipient_id is not None:
        tx.execute(
            "UPDATE campaign_recipients SET state = 'opted-out', updated_at = :t WHERE id = :i",
            {"t": now(), "i": recipient_id},
        )
    return Handled("unsubscribe", f"{address} opted out", {"contact": contact_id})


def _reply(tx: Tx, message: InboundMessage) -> Handled | None:
    ids = list(message.thread_ids)[:50]
    marks, params = placeholders("m", ids)
    row = tx.one(
        "SELECT r.*, c.name AS campaign FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id "
        f"WHERE r.message_id IN ({marks}) ORDER BY r.id LIMIT 1",
        params,
    )
    if row is None:
        return _sequence_reply(tx, message, ids)
    sequences.end_for_contact(tx, row["contact_id"], "replied")
    if row["state"] in ("sent", "sending"):
        tx.execute(
            "UPDATE campaign_recipients SET state = 'replied', updated_at = :t WHERE id = :i",
            {"t": now(), "i": row["id"]},
        )
    tx.execute("UPDATE consents SET soft_bounces = 0 WHERE address_key = :a", {"a": row["address"]})
    if row["contact_id"] is not None:
        from tinycrm.services.marketing.sending import log_mail

        when = message.date or now()
        log_mail(tx, row["contact_id"], f"Reply to campaign {row['campaign']}: {message.subject}", when, True)
    return Handled(
        "campaign.reply",
        f"reply to campaign {row['campaign']} from {message.from_address}",
        {"campaign_recipient": row["id"], "contact": row["contact_id"]},
    )


def _sequence_reply(tx: Tx, message: InboundMessage, ids: list[str]) -> Handled | None:
    member = sequences.member_of_message(tx, ids)
    if member is None:
        return None
    sequences.end_for_contact(tx, member["contact_id"], "replied")
    from tinycrm.services.marketing.sending import log_mail

    log_mail(
        tx,
        member["contact_id"],
        f"Reply to sequence {member['name']}: {message.subject}",
        message.date or now(),
        True,
    )
    return Handled(
        "sequence.reply",
        f"reply to sequence {member['name']} from {message.from_address}",
        {"contact": member["contact_id"]},
    )
