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
    due = due_counts(db) if with_due else {}
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


def due_counts(db: Database) -> dict[str, int]:
    """What is overdue or due today, by kind (only the kinds that have some): counted in the indexes of
    :mod:`tinycrm.services.work.due`, nothing listed or built."""
    from tinycrm.services.common import now
    from tinycrm.services.work import due

    w = due.Window.of(now(), 0)
    with db.read() as tx:
        counts = {
            "tasks overdue": due.task_count(tx, "overdue", w),
            "tasks due today": due.task_count(tx, "today", w),
            KINDS["stale"]: due.stale_count(tx, None, w.tomorrow_start),
            KINDS["birthday"]: due.birthday_count(tx, [w.today]),
            KINDS["deal"]: due.idle_deal_count(tx, w.now, w.today),
        }
    return {key: n for key, n in counts.items() if n}
