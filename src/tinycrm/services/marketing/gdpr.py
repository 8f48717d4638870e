"""The rights of the people in the database (GDPR articles 15, 17 and 21): everything held about a person,
and erasing them while keeping what stops them being mailed again."""

from __future__ import annotations

from typing import Any

from tinycrm.domain.rows import to_json
from tinycrm.services.common import audit
from tinycrm.store.database import Database
from tinycrm.store.sql import placeholders


def export_personal(db: Database, contact_id: int) -> dict[str, Any]:
    """Everything tinycrm holds about a contact, as one JSON-ready document."""
    from tinycrm.services.marketing import consent
    from tinycrm.services.people import contacts, interactions

    person = contacts.get(db, contact_id)
    timeline = interactions.timeline(db, contact_id, limit=None).items
    with db.read() as tx:
        addresses = consent.addresses_of(tx, contact_id)
        marks, params = placeholders("a", addresses or [""])
        log = tx.all(
            f"SELECT address_key, status, source, at FROM consent_log WHERE contact_id = :c "
            f"OR address_key IN ({marks}) ORDER BY at, id",
            {**params, "c": contact_id},
        )
        mails = tx.all(
            "SELECT c.name AS campaign, r.address, r.state, r.sent_at FROM campaign_recipients r "
            "JOIN campaigns c ON c.id = r.campaign_id WHERE r.contact_id = :c ORDER BY r.id",
            {"c": contact_id},
        )
        deals = tx.all(
            "SELECT d.id, d.title, d.status FROM deals d JOIN deal_contacts dc ON dc.deal_id = d.id "
            "WHERE dc.contact_id = :c ORDER BY d.id",
            {"c": contact_id},
        )
        tasks = tx.all(
            "SELECT id, title, due_at, done_at FROM tasks WHERE contact_id = :c ORDER BY id",
            {"c": contact_id},
        )
    return {
        "contact": to_json(person),
        "consent": to_json(consent.of_contact(db, contact_id)),
        "consent_log": [to_json(dict(r)) for r in log],
        "interactions": to_json(timeline),
        "campaign_mails": [to_json(dict(r)) for r in mails],
        "deals": [to_json(dict(r)) for r in deals],
        "tasks": [to_json(dict(r)) for r in tasks],
    }


def erase(db: Database, contact_id: int) -> dict[str, Any]:
    """Remove a person: the contact with everything of theirs, the interactions that were theirs alone, their
    addresses in the consent tables and campaign lists, the names in the audit log's entries about them. What
    stays: an anonymous audit entry (``erase``, the id alone) and the suppression of each address, so a later
    import or segment never mails them again."""
    from tinycrm.services.marketing import consent
    from tinycrm.services.people.contact_loader import reindex

    with db.write() as tx:
        tx.lock_rows("contacts", [contact_id])
        addresses = consent.addresses_of(tx, contact_id)
        orphans = tx.column(
            "SELECT interaction_id FROM interaction_contacts WHERE contact_id = :i AND interaction_id NOT IN "
            "(SELECT interaction_id FROM interaction_contacts WHERE contact_id <> :i)",
            {"i": contact_id},
        )
        for address in addresses:
            consent.suppress_in(tx, address, "erased")
        if addresses:
            marks, params = placeholders("a", addresses)
            tx.execute(f"DELETE FROM consents WHERE address_key IN ({marks})", params)
            tx.execute(
                f"DELETE FROM consent_log WHERE address_key IN ({marks}) AND status <> 'suppressed'", params
            )
        tx.execute("DELETE FROM consent_log WHERE contact_id = :c", {"c": contact_id})
        tx.execute(
            "UPDATE campaign_recipients SET address = 'erased-' || CAST(id AS TEXT), contact_id = NULL "
            "WHERE contact_id = :c",
            {"c": contact_id},
        )
        tx.execute("DELETE FROM contacts WHERE id = :c", {"c": contact_id})
        if orphans:
            marks, params = placeholders("o", orphans)
            tx.execute(f"DELETE FROM interactions WHERE id IN ({marks})", params)
            tx.execute(
                f"UPDATE audit_log SET changes = NULL WHERE record_type = 'interaction' AND record_id IN ({marks})",
                params,
            )
        tx.execute(
            "UPDATE audit_log SET changes = NULL WHERE record_type = 'contact' AND record_id = :c",
            {"c": contact_id},
        )
        reindex(tx, [contact_id])
        audit(tx, "erase", "contact", contact_id)
        return {
            "erased": contact_id,
            "interactions_removed": len(orphans),
            "addresses_suppressed": len(addresses),
        }
