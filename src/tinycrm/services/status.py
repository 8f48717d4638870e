"""The short status ``crm`` prints with no arguments."""

from __future__ import annotations

from tinycrm.domain.people import Status
from tinycrm.store.database import Database, redact


def status(db: Database, *, with_due: bool = False) -> Status:
    """Counts of what the database holds; with ``with_due``, also what is overdue and due today, by kind."""
    with db.read() as tx:
        row = tx.one(
            "SELECT (SELECT count(*) FROM contacts WHERE NOT archived) AS contacts, "
            "(SELECT count(*) FROM contacts WHERE archived) AS archived, "
            "(SELECT count(*) FROM companies) AS companies, "
            "(SELECT count(*) FROM interactions) AS interactions, "
            "(SELECT count(*) FROM tags) AS tags"
        )
    due: dict[str, int] = {}
    if with_due:
        from tinycrm.services.work.agenda import agenda

        plan = agenda(db, days=0)
        for section, items in (("overdue", plan.overdue), ("due today", plan.today)):
            for item in items:
                key = f"tasks {section}" if item.kind == "task" else KINDS.get(item.kind, item.kind)
                due[key] = due.get(key, 0) + 1
    return Status(
        database=redact(db.url),
        contacts=row["contacts"],
        archived=row["archived"],
        companies=row["companies"],
        interactions=row["interactions"],
        tags=row["tags"],
        due=due,
    )


KINDS = {"stale": "people to get in touch with", "birthday": "birthdays today", "deal": "idle deals"}
