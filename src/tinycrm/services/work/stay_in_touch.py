"""Stay in touch: a contact with a cadence (``--cadence DAYS``) is due when that many days have passed since its
latest interaction, or since it was added. The lists are read through the index in
:mod:`tinycrm.services.work.due`; this module turns a row into a :class:`StaleContact`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tinycrm.domain.tasks import StaleContact
from tinycrm.services.work.recurrence import local_date
from tinycrm.store.database import as_datetime


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
