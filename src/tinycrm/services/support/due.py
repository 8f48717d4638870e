"""The tickets ``crm remind`` reports: a user's open tickets whose SLA is breached or due within the hour."""

from __future__ import annotations

from tinycrm.domain.tasks import AgendaItem
from tinycrm.services.common import now
from tinycrm.services.support.tickets import SOON, wake
from tinycrm.store.database import Database, as_datetime


def ticket_items(db: Database, user: str) -> list[AgendaItem]:
    """Open tickets assigned to ``user`` past or within an hour of their next SLA target, soonest first."""
    at = now()
    wake(db)
    with db.read() as tx:
        uid = tx.scalar("SELECT id FROM users WHERE name = :n", {"n": user})
        if uid is None:
            return []
        rows = tx.all(
            "SELECT t.id, t.subject, t.sla_due, t.status, t.first_responded_at, t.contact_id, c.display_name "
            "FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id "
            "WHERE t.assignee_id = :u AND t.queue = 0 AND t.sla_due <= :soon ORDER BY t.sla_due, t.id",
            {"u": uid, "soon": at + SOON},
        )
    out = []
    for r in rows:
        due = as_datetime(r["sla_due"])
        assert due is not None
        late = due <= at
        target = "first response" if r["first_responded_at"] is None else "resolution"
        out.append(
            AgendaItem(
                kind="ticket",
                title=f"Ticket #{r['id']}: {r['subject']}",
                when=due,
                contact_id=r["contact_id"],
                detail=f"{target} {'breached' if late else 'due within the hour'}"
                + (f"; {r['display_name']}" if r["display_name"] else ""),
                section="overdue" if late else "today",
                key=f"ticket:{r['id']}",
                state=f"{target}:{'late' if late else 'soon'}:{due.isoformat()}",
                owner=user,
            )
        )
    return out
