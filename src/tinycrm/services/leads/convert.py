"""Converting a lead: in one transaction, the contact (reused when one has the lead's email address, or the
contact the lead is linked to), the company, a deal with the lead's value, and the lead's notes, tags, custom
fields and interactions moved onto the contact; the lead is marked ``converted`` with links to what it became.
A converted or disqualified lead is refused, and nothing is changed.
"""

from __future__ import annotations

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.leads import Converted, LeadRead
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.domain.sales import DealInput
from tinycrm.services.common import audit, now, tag_ids
from tinycrm.services.leads.records import read_in
from tinycrm.store.database import Database, Tx


def _contact(tx: Tx, lead: LeadRead, company_id: int | None) -> tuple[int, bool]:
    """The contact the lead becomes, and whether it existed: the linked one, else one with its email."""
    from tinycrm.services.people import contacts

    if lead.contact_id is not None:
        return lead.contact_id, True
    if lead.email:
        found = tx.scalar(
            "SELECT min(e.contact_id) FROM contact_emails e JOIN contacts c ON c.id = e.contact_id "
            "WHERE e.value_key = :k",
            {"k": lead.email.lower()},
        )
        if found is not None:
            return int(found), True
    data = ContactInput(
        display_name=lead.name,
        emails=[Labeled(lead.email, "work")] if lead.email else [],
        phones=[Labeled(lead.phone, "work")] if lead.phone else [],
        job_title=lead.title,
        company_id=company_id,
        owner=lead.owner,
    )
    return contacts.insert(tx, data), False


def _move(tx: Tx, lead: LeadRead, contact_id: int, deal_id: int | None) -> tuple[int, int, bool]:
    """Notes, tags, custom fields and interactions of the lead onto the contact (and the deal)."""
    from tinycrm.services.people.contact_loader import reindex
    from tinycrm.services.people.interactions import refresh_last_interaction

    moved_notes = bool(lead.notes)
    if moved_notes:
        tx.execute(
            "UPDATE contacts SET notes = CASE WHEN notes IS NULL OR notes = '' THEN :n "
            "ELSE notes || :sep || :n END WHERE id = :c",
            {"n": lead.notes, "sep": "\n\n", "c": contact_id},
        )
    tags = [t for t in lead.tags]
    tx.executemany(
        "INSERT INTO contact_tags (contact_id, tag_id) VALUES (:c, :t) ON CONFLICT DO NOTHING",
        [{"c": contact_id, "t": t} for t in tag_ids(tx, tags)],
    )
    tx.executemany(
        "INSERT INTO contact_fields (contact_id, key, value) VALUES (:c, :k, :v) ON CONFLICT DO NOTHING",
        [{"c": contact_id, "k": k, "v": val} for k, val in lead.fields.items()],
    )
    ids = tx.column(
        "SELECT interaction_id FROM lead_interactions WHERE lead_id = :l ORDER BY interaction_id",
        {"l": lead.id},
    )
    tx.executemany(
        "INSERT INTO interaction_contacts (interaction_id, contact_id) VALUES (:i, :c) ON CONFLICT DO NOTHING",
        [{"i": i, "c": contact_id} for i in ids],
    )
    if deal_id is not None and ids:
        tx.executemany(
            "UPDATE interactions SET deal_id = :d WHERE id = :i AND deal_id IS NULL",
            [{"d": deal_id, "i": i} for i in ids],
        )
    refresh_last_interaction(tx, [contact_id])
    reindex(tx, [contact_id])
    return len(ids), len(tags), moved_notes


def convert(
    db: Database,
    lead_id: int,
    *,
    deal_title: str | None = None,
    pipeline: str | None = None,
    stage: str | None = None,
    no_deal: bool = False,
) -> Converted:
    from tinycrm.services.people import companies
    from tinycrm.services.sales import deals

    with db.write() as tx:
        tx.lock_rows("leads", [lead_id])
        lead = read_in(tx, lead_id)
        if lead.status == "converted":
            raise InvalidInput(
                f"lead {lead_id} was converted already (contact {lead.converted_contact_id}"
                + (f", deal {lead.converted_deal_id}" if lead.converted_deal_id else "")
                + "); nothing was changed"
            )
        if lead.status == "disqualified":
            raise InvalidInput(
                f"lead {lead_id} is disqualified ({lead.reason}); requalify it first",
                hint=f": crm lead status {lead_id} qualified",
            )
        if no_deal and (deal_title or pipeline or stage):
            raise InvalidInput("--no-deal and --deal/--pipeline/--stage exclude each other")
        company_id = companies.find_or_create(tx, lead.company) if lead.company else None
        contact_id, reused = _contact(tx, lead, company_id)
        existing_company = tx.scalar("SELECT company_id FROM contacts WHERE id = :c", {"c": contact_id})
        if reused and existing_company is not None:
            company_id = int(existing_company)
        elif reused and company_id is not None:
            tx.execute(
                "UPDATE contacts SET company_id = :co WHERE id = :c", {"co": company_id, "c": contact_id}
            )
        deal_id = None
        if not no_deal:
            code = lead.currency or deals.default_currency()
            if not code:
                raise InvalidInput(
                    f"lead {lead_id} has no value or currency for its deal",
                    hint=f"give it one (crm lead edit {lead_id} --value V --currency CUR), set [sales] currency, "
                    "or use --no-deal",
                )
            deal_id = deals.insert(
                tx,
                DealInput(
                    title=deal_title or (f"{lead.company}: {lead.name}" if lead.company else lead.name)[:300],
                    value=lead.value,
                    currency=code,
                    contact_ids=[contact_id],
                    company_id=company_id,
                    pipeline=pipeline,
                    stage=stage,
                    owner=lead.owner,
                ),
            )
        moved = _move(tx, lead, contact_id, deal_id)
        at = now()
        tx.execute(
            "UPDATE leads SET status = 'converted', converted_contact_id = :c, converted_company_id = :co, "
            "converted_deal_id = :d, converted_at = :t, updated_at = :t, touched_at = :t, version = version + 1 "
            "WHERE id = :l",
            {"c": contact_id, "co": company_id, "d": deal_id, "t": at, "l": lead_id},
        )
        audit(
            tx,
            "convert",
            "lead",
            lead_id,
            {
                "status": (lead.status, "converted"),
                "contact_id": (None, contact_id),
                "deal_id": (None, deal_id),
            },
        )
        _announce(tx, lead_id, None if reused else contact_id, deal_id)
        return Converted(lead_id, contact_id, reused, company_id, deal_id, *moved)


def _announce(tx: Tx, lead_id: int, new_contact: int | None, deal_id: int | None) -> None:
    """The events of a conversion, in its transaction: the contact it made (not one it reused) and the deal, as
    adding them any other way tells them, then the lead itself."""
    from tinycrm.services.hooks import outbox
    from tinycrm.services.people import contact_loader
    from tinycrm.services.sales import deal_reads

    if new_contact is not None:
        outbox.emit(tx, "contact.created", "contact", new_contact, contact_loader.read_in(tx, new_contact))
    if deal_id is not None:
        outbox.emit(tx, "deal.created", "deal", deal_id, deal_reads.read_in(tx, deal_id))
    outbox.emit(tx, "lead.converted", "lead", lead_id, read_in(tx, lead_id))
