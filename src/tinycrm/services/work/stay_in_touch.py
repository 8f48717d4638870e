"""Stay in touch: contacts with a cadence (``--cadence DAYS``) whose time is up, counted from their latest
interaction, or from when they were added."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tinycrm.domain.people import Page
from tinycrm.domain.tasks import StaleContact
from tinycrm.services.work.recurrence import day_start, local_date, local_today
from tinycrm.services.work.tasks import owner_filter
from tinycrm.store.database import Database, as_datetime
from tinycrm.store.sql import check_page, page_sql


def stale_base(db: Database) -> tuple[str, str]:
    """``FROM ... WHERE ...`` of active contacts with a cadence and their latest interaction, and the SQL of
    how many days past their due moment they are at ``:until`` (negative: not yet due)."""
    base = (
        "FROM contacts c LEFT JOIN (SELECT ic.contact_id, max(i.happened_at) AS last_at "
        "FROM interaction_contacts ic JOIN interactions i ON i.id = ic.interaction_id "
        "GROUP BY ic.contact_id) li ON li.contact_id = c.id "
        "LEFT JOIN users u ON u.id = c.owner_id "
        "WHERE NOT c.archived AND c.cadence_days IS NOT NULL AND c.cadence_days > 0"
    )
    late = f"({db.dialect.days_between('COALESCE(li.last_at, c.created_at)', ':until')} - c.cadence_days)"
    return base, late


def stale_from_row(row: Any, today: date) -> StaleContact:
    last = as_datetime(row["last_at"])
    created = as_datetime(row["created_at"])
    due_moment = (last or created) + timedelta(days=row["cadence_days"])
    due_day = local_date(due_moment)
    return StaleContact(
        id=row["id"],
        display_name=row["display_name"],
        cadence_days=row["cadence_days"],
        last_interaction_at=last,
        days_overdue=max((today - due_day).days, 0),
        due_date=due_day,
        created_at=created,
    )


def stale_contacts(
    db: Database, *, owner: str | None = None, limit: int | None = 20, offset: int = 0
) -> Page[StaleContact]:
    """Contacts with a stay-in-touch cadence whose time is up: nothing logged for that many days (counted from
    the latest interaction, or from when the contact was added), so they are due today or earlier. Longest
    overdue first."""
    check_page(limit, offset)
    base, late = stale_base(db)
    params: dict[str, Any] = {
        "until": day_start(local_today() + timedelta(days=1)),
        "limit": limit,
        "offset": offset,
    }
    cond = f" AND {late} > 0"
    page = page_sql(limit)
    with db.read() as tx:
        uid = owner_filter(tx, owner)
        if uid is not None:
            cond += " AND c.owner_id = :owner_id"
            params["owner_id"] = uid
        total = tx.scalar(f"SELECT count(*) {base}{cond}", params)
        rows = tx.all(
            f"SELECT c.id, c.display_name, c.cadence_days, c.created_at, li.last_at {base}{cond} "
            f"ORDER BY {late} DESC, c.sort_name, c.id{page}",
            params,
        )
    today = local_today()
    return Page([stale_from_row(r, today) for r in rows], total, limit, offset)
