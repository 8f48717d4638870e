"""Open leads that may be someone already known: their email address is a contact's, or another open lead's.
Found through the email indexes (``leads.email_key``, ``contact_emails.value_key``); ``crm duplicates`` lists
them after the contact pairs."""

from __future__ import annotations

from tinycrm.domain.leads import LeadDuplicate
from tinycrm.store.database import Database

OPEN = "('new', 'contacted', 'qualified')"


def find(db: Database, *, limit: int | None = None) -> list[LeadDuplicate]:
    out: list[LeadDuplicate] = []
    with db.read() as tx:
        for r in tx.all(
            "SELECT l.id, l.name, l.email, c.id AS other, c.display_name AS other_name FROM leads l "
            "JOIN contact_emails e ON e.value_key = l.email_key JOIN contacts c ON c.id = e.contact_id "
            f"WHERE l.status IN {OPEN} GROUP BY l.id, l.name, l.email, c.id, c.display_name ORDER BY l.id, c.id"
        ):
            out.append(LeadDuplicate(r["id"], r["name"], r["email"], "contact", r["other"], r["other_name"]))
        for r in tx.all(
            "SELECT l.id, l.name, l.email, o.id AS other, o.name AS other_name FROM leads l "
            "JOIN leads o ON o.email_key = l.email_key AND o.id < l.id "
            f"WHERE l.status IN {OPEN} AND o.status IN {OPEN} ORDER BY l.id, o.id"
        ):
            out.append(LeadDuplicate(r["id"], r["name"], r["email"], "lead", r["other"], r["other_name"]))
    out.sort(key=lambda d: (d.lead_id, d.other_kind, d.other_id))
    return out[:limit] if limit is not None else out
