"""New leads nobody answered within ``[leads] respond_within``: agenda lines (overdue) and reminders.

Found through the partial index ``ix_leads_untouched`` (status 'new', by when last touched): the cost follows
the lines shown, not the number of leads."""

from __future__ import annotations

from datetime import datetime, timedelta

from tinycrm.domain.tasks import AgendaItem
from tinycrm.store.database import Tx, as_datetime


def _cutoff(now: datetime) -> tuple[datetime, int]:
    from tinycrm import config
    from tinycrm.config.leads import Leads

    hours = config.get(Leads).respond_hours
    return now - timedelta(hours=hours), hours


def _where(owner_id: int | None) -> str:
    return "l.status = 'new' AND l.touched_at < :cut" + (
        " AND l.owner_id = :owner_id" if owner_id is not None else ""
    )


def items(tx: Tx, now: datetime, owner_id: int | None, limit: int | None) -> list[AgendaItem]:
    cut, hours = _cutoff(now)
    page = "" if limit is None else " LIMIT :n"
    rows = tx.all(
        "SELECT l.id, l.name, l.source, l.score, l.touched_at, u.name AS owner FROM leads l "
        f"LEFT JOIN users u ON u.id = l.owner_id WHERE {_where(owner_id)} ORDER BY l.touched_at, l.id{page}",
        {"cut": cut, "owner_id": owner_id, "n": limit},
    )
    out = []
    for r in rows:
        touched = as_datetime(r["touched_at"])
        assert touched is not None
        out.append(
            AgendaItem(
                kind="lead",
                title=f"New lead: {r['name']}",
                when=touched + timedelta(hours=hours),
                detail=f"score {r['score']}, from {r['source']}; not answered within {hours} hours",
                section="overdue",
                key=f"lead:{r['id']}",
                state=f"new:{touched.isoformat()}",
                owner=r["owner"],
            )
        )
    return out


def count(tx: Tx, now: datetime, owner_id: int | None) -> int:
    cut, _ = _cutoff(now)
    return int(
        tx.scalar(
            f"SELECT count(*) FROM leads l WHERE {_where(owner_id)}", {"cut": cut, "owner_id": owner_id}
        )
    )
