"""``crm report support``: tickets opened and resolved per week, first-response and resolution times in
business hours (median, 90th percentile), SLA breaches, and the backlog by status and assignee.

The weekly counts and times read the tickets opened or resolved since the start day (one pass over those,
not the whole table); the backlog is counted in SQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tinycrm.domain import clock
from tinycrm.domain.support import SupportReport, Times, WeekRow
from tinycrm.services.support import hours, sla
from tinycrm.store.database import Database, as_datetime

DEFAULT_WEEKS = 12


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
    resolution: list[int] = []
    breached = [0, 0]
    with db.read() as tx:
        for r in tx.all(
            "SELECT created_at, first_responded_at, resolved_at, paused_at, first_response_due, resolution_due "
            "FROM tickets WHERE (created_at >= :s OR resolved_at >= :s) AND merged_into_id IS NULL",
            {"s": start},
        ):
            row = {k: as_datetime(r[k]) for k in r.keys()}
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
                resolution.append(hours.between(created, done, cal))
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
