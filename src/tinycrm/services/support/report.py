"""``crm report support``: tickets opened and resolved per week, first-response and resolution times in
business hours (median, 90th percentile), SLA breaches, and the backlog by status and assignee.

The weekly counts and times read the tickets opened or resolved since the start day (one pass over those,
not the whole table); the backlog is counted in SQL.

A resolution time leaves out the business time the ticket stood still, as its SLA clock does: while it waited
on the customer (``pending``) and while it stood resolved or closed before it was opened again. Those spans
come from the status changes each ticket's audit entries record (one indexed query per 500 resolved tickets).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from tinycrm.domain import clock
from tinycrm.domain.support import SupportReport, Times, WeekRow
from tinycrm.services.support import hours, sla
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import placeholders

DEFAULT_WEEKS = 12
#: the statuses in which a ticket's clock stands still
STOPPED = ("pending", "resolved", "closed")
#: tickets whose status history is read in one query
CHUNK = 500


def stopped_spans(tx: Tx, ticket_ids: list[int]) -> dict[int, list[tuple[datetime, datetime | None]]]:
    """For each ticket, the spans it stood still (pending, or resolved or closed before it was opened
    again), from the status changes in the audit log, oldest first; the last one open (``None``) if it is
    still stopped."""
    spans: dict[int, list[tuple[datetime, datetime | None]]] = {}
    for start in range(0, len(ticket_ids), CHUNK):
        marks, params = placeholders("i", ticket_ids[start : start + CHUNK])
        rows = tx.all(
            "SELECT record_id, at, changes FROM audit_log WHERE record_type = 'ticket' AND action = 'update' "
            f"AND record_id IN ({marks}) ORDER BY record_id, at, id",
            params,
        )
        since: dict[int, datetime] = {}
        for r in rows:
            status = _new_status(r["changes"])
            if status is None:
                continue
            tid, at = int(r["record_id"]), as_datetime(r["at"])
            assert at is not None
            if status in STOPPED:
                since.setdefault(tid, at)
            elif tid in since:
                spans.setdefault(tid, []).append((since.pop(tid), at))
        for tid, at in since.items():
            spans.setdefault(tid, []).append((at, None))
    return spans


def _new_status(changes: str | None) -> str | None:
    if not changes or '"status"' not in changes:
        return None
    try:
        value = json.loads(changes).get("status")
    except (ValueError, AttributeError):
        return None
    return value[1] if isinstance(value, list) and len(value) == 2 else None


def working_minutes(
    created: datetime, done: datetime, spans: list[tuple[datetime, datetime | None]], cal: hours.Calendar
) -> int:
    """Business minutes from ``created`` to ``done`` less those inside the ``spans`` the clock stood still."""
    total = hours.between(created, done, cal)
    for begin, end in spans:
        total -= hours.between(max(begin, created), min(end or done, done), cal)
    return max(total, 0)


def _percentile(values: list[int], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(share * (len(ordered) - 1)))))
    return ordered[rank]


def _times(values: list[int]) -> Times:
    return Times(len(values), _percentile(values, 0.5), _percentile(values, 0.9))


def _monday(value: datetime | date) -> date:
    day = clock.to_local(value).date() if isinstance(value, datetime) else value
    return day - timedelta(days=day.weekday())


def build(db: Database, *, since: str | None = None) -> SupportReport:
    from tinycrm.domain.dates import parse_when

    start_day = (
        _monday(parse_when(since, what="--since"))
        if since
        else _monday(clock.local_now().date()) - timedelta(weeks=DEFAULT_WEEKS - 1)
    )
    start = datetime.combine(start_day, datetime.min.time(), clock.local_tz())
    cal = hours.Calendar.of(sla.settings()[0])
    now = clock.now()
    opened: dict[date, int] = {}
    resolved: dict[date, int] = {}
    first: list[int] = []
    finished: list[tuple[int, datetime, datetime]] = []
    breached = [0, 0]
    with db.read() as tx:
        for r in tx.all(
            "SELECT id, created_at, first_responded_at, resolved_at, paused_at, first_response_due, resolution_due "
            "FROM tickets WHERE (created_at >= :s OR resolved_at >= :s) AND merged_into_id IS NULL",
            {"s": start},
        ):
            row = {k: as_datetime(r[k]) for k in r.keys() if k != "id"}
            created = row["created_at"]
            assert created is not None
            if created >= start:
                opened[_monday(created)] = opened.get(_monday(created), 0) + 1
                if row["first_responded_at"]:
                    first.append(hours.between(created, row["first_responded_at"], cal))
                fr, res = sla.breaches(row, now)
                breached[0] += fr
                breached[1] += res
            done = row["resolved_at"]
            if done is not None and done >= start:
                resolved[_monday(done)] = resolved.get(_monday(done), 0) + 1
                finished.append((int(r["id"]), created, done))
        still = stopped_spans(tx, [tid for tid, _, _ in finished])
        resolution = [working_minutes(c, d, still.get(tid, []), cal) for tid, c, d in finished]
        by_status = {
            r["status"]: r["n"]
            for r in tx.all("SELECT status, count(*) AS n FROM tickets WHERE queue < 2 GROUP BY status")
        }
        by_assignee = {
            (r["name"] or "(nobody)"): r["n"]
            for r in tx.all(
                "SELECT u.name, count(*) AS n FROM tickets t LEFT JOIN users u ON u.id = t.assignee_id "
                "WHERE t.queue < 2 GROUP BY u.name ORDER BY count(*) DESC, u.name"
            )
        }
    weeks = []
    week = start_day
    last = _monday(clock.local_now().date())
    while week <= last:
        weeks.append(WeekRow(week.isoformat(), opened.get(week, 0), resolved.get(week, 0)))
        week += timedelta(weeks=1)
    return SupportReport(
        since=start_day.isoformat(),
        weeks=weeks,
        first_response=_times(first),
        resolution=_times(resolution),
        breached_first_response=breached[0],
        breached_resolution=breached[1],
        backlog_by_status={s: by_status.get(s, 0) for s in ("new", "open", "pending")},
        backlog_by_assignee=by_assignee,
    )
