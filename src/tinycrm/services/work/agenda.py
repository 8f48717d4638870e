"""The agenda: what is overdue, what is due today and what comes in the next days.

Four kinds of items:

- ``task``: open tasks by the day they are due again (the later of due date and snooze);
- ``stale``: contacts whose stay-in-touch cadence runs out (on the day it does, then overdue);
- ``birthday``: birthdays within ``Settings.birthday_lead_days`` (29 February is kept on 28 February in
  years without one); never overdue;
- ``deal``: idle deals, as :func:`tinycrm.services.sales.deals.idle_deals` defines them; shown as overdue.

Also the data of the iCalendar feed (:func:`calendar_data`).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tinycrm import config
from tinycrm.domain import clock
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.tasks import Agenda, AgendaItem, BirthdayEntry, CalendarData, DealDate, TaskRead
from tinycrm.services.common import now
from tinycrm.services.work import recurrence, stay_in_touch
from tinycrm.services.work import tasks as task_service
from tinycrm.store.database import Database, Tx, as_date, as_datetime

MAX_DAYS = 366


def _task_item(t: TaskRead, moment: datetime, today_start: datetime, tomorrow_start: datetime) -> AgendaItem:
    eff = t.due_at
    if t.snoozed_until is not None and (eff is None or t.snoozed_until > eff):
        eff = t.snoozed_until
    assert eff is not None
    day_based = t.all_day or t.due_at is None
    if (day_based and eff < today_start) or (not day_based and eff < moment):
        section = "overdue"
    elif eff < tomorrow_start:
        section = "today"
    else:
        section = "upcoming"
    when: datetime | date = recurrence.local_date(eff) if day_based else eff
    bits = []
    if t.snoozed_until is not None and t.snoozed_until > moment:
        from tinycrm.domain.dates import show

        bits.append(f"snoozed until {show(t.snoozed_until, with_time=not day_based)}")
    if eff != t.due_at and t.due_at is not None:
        from tinycrm.domain.dates import show

        bits.append(f"was due {show(t.due_at, with_time=not t.all_day)}")
    if t.contact:
        bits.append(t.contact.name)
    if t.company:
        bits.append(t.company.name)
    if t.deal:
        bits.append(f"deal: {t.deal.name}")
    if t.repeat:
        bits.append(f"repeats {t.repeat}")
    if t.priority >= 3:
        bits.append("high priority")
    return AgendaItem(
        kind="task",
        title=t.title,
        when=when,
        contact_id=t.contact.id if t.contact else None,
        task_id=t.id,
        deal_id=t.deal.id if t.deal else None,
        detail="; ".join(bits) or None,
        section=section,
        key=f"task:{t.id}",
        state=f"v{t.version}:{section}",
        owner=t.belongs_to,
    )


def _tasks(
    tx: Tx, *, owner_id: int | None, end: datetime, moment: datetime, include_snoozed: bool
) -> list[AgendaItem]:
    today_start = recurrence.day_start(recurrence.local_today())
    tomorrow_start = recurrence.day_start(recurrence.local_today() + timedelta(days=1))
    eff = task_service.EFFECTIVE_DUE
    cond = f"t.done_at IS NULL AND {eff} IS NOT NULL AND {eff} < :end"
    params: dict[str, Any] = {"end": end, "now": moment}
    if not include_snoozed:
        cond += " AND (t.snoozed_until IS NULL OR t.snoozed_until <= :now)"
    if owner_id is not None:
        cond += f" AND {task_service.BELONGS_TO} = :owner_id"
        params["owner_id"] = owner_id
    rows = tx.all(f"{task_service.select_sql()} WHERE {cond} ORDER BY {eff}, t.priority DESC, t.id", params)
    return [
        _task_item(t, moment, today_start, tomorrow_start) for t in task_service.rows_to_reads(rows, moment)
    ]


def _stale(tx: Tx, *, owner_id: int | None, end: datetime, today: date) -> list[AgendaItem]:
    base, late = stay_in_touch.stale_base(tx.db)
    params: dict[str, Any] = {"until": end}
    cond = f" AND {late} > 0"
    if owner_id is not None:
        cond += " AND c.owner_id = :owner_id"
        params["owner_id"] = owner_id
    rows = tx.all(
        f"SELECT c.id, c.display_name, c.cadence_days, c.created_at, li.last_at, u.name AS owner_name "
        f"{base}{cond} ORDER BY {late} DESC, c.sort_name, c.id",
        params,
    )
    from tinycrm.domain.dates import show

    items = []
    for row in rows:
        s = stay_in_touch.stale_from_row(row, today)
        assert s.due_date is not None
        section = "overdue" if s.due_date < today else ("today" if s.due_date == today else "upcoming")
        if s.last_interaction_at:
            since = f"last contact {show(s.last_interaction_at, with_time=False)}"
        else:
            since = f"nothing logged since added {show(s.created_at, with_time=False)}"
        late = f", {s.days_overdue} day{'s' if s.days_overdue != 1 else ''} overdue" if s.days_overdue else ""
        items.append(
            AgendaItem(
                kind="stale",
                title=f"Get in touch with {s.display_name}",
                when=s.due_date,
                contact_id=s.id,
                detail=f"every {s.cadence_days} days; {since}{late}",
                section=section,
                key=f"stale:{s.id}",
                state=f"{s.due_date.isoformat()}:{s.cadence_days}",
                owner=row["owner_name"],
            )
        )
    return items


def birthday_on(birthday: str, year: int) -> date:
    """The day a ``YYYY-MM-DD`` / ``--MM-DD`` birthday falls on in ``year`` (29 February: the 28th in years
    without one)."""
    month, day = int(birthday[-5:-3]), int(birthday[-2:])
    if month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return date(year, month, day)


def _birthdays(tx: Tx, *, owner_id: int | None, today: date, last: date) -> list[AgendaItem]:
    days = [today + timedelta(days=i) for i in range((last - today).days + 1)]
    keys = {d.strftime("%m-%d") for d in days}
    keys |= {"02-29" for d in days if d.month == 2 and d.day == 28 and not calendar.isleap(d.year)}
    if not keys:
        return []
    from tinycrm.store.sql import placeholders

    marks, params = placeholders("md", sorted(keys))
    month_day = "substr(c.birthday, length(c.birthday) - 4)"  # MM-DD of YYYY-MM-DD and --MM-DD
    cond = f"NOT c.archived AND c.birthday IS NOT NULL AND {month_day} IN ({marks})"
    if owner_id is not None:
        cond += " AND c.owner_id = :owner_id"
        params["owner_id"] = owner_id
    rows = tx.all(
        f"SELECT c.id, c.display_name, c.birthday, u.name AS owner_name FROM contacts c "
        f"LEFT JOIN users u ON u.id = c.owner_id WHERE {cond} ORDER BY c.sort_name, c.id",
        params,
    )
    items = []
    for row in rows:
        bday = row["birthday"]
        on = next((d for d in days if birthday_on(bday, d.year) == d), None)
        if on is None:  # 29 February in a leap year, outside the window
            continue
        detail = None
        if not bday.startswith("--"):
            age = on.year - int(bday[:4])
            detail = f"turns {age}" if age > 0 else None
        items.append(
            AgendaItem(
                kind="birthday",
                title=f"Birthday: {row['display_name']}",
                when=on,
                contact_id=row["id"],
                detail=detail,
                section="today" if on == today else "upcoming",
                key=f"birthday:{row['id']}:{on.year}",
                state=on.isoformat(),
                owner=row["owner_name"],
            )
        )
    items.sort(key=lambda i: (i.when, i.title))
    return items


# --- idle deals (owned by services.deals) ---------------------------------------------------------------


def _deal_item(d: Any) -> AgendaItem:
    """An agenda line for one of :func:`tinycrm.services.sales.deals.idle_deals`' ``DealSummary`` rows."""
    bits = [b for b in (d.idle_reason, d.company) if b]
    state = f"{d.stage_id}:{d.status}:{d.next_step_due.isoformat() if d.next_step_due else ''}"
    return AgendaItem(
        kind="deal",
        title=f"Idle deal: {d.title}",
        when=d.next_step_due,
        deal_id=d.id,
        detail="; ".join(bits) or None,
        section="overdue",
        key=f"deal:{d.id}",
        state=state,
        owner=d.owner,
    )


def idle_deal_items(db: Database, owner: str | None) -> list[AgendaItem]:
    """Idle deals, as :func:`tinycrm.services.sales.deals.idle_deals` finds them."""
    from tinycrm.services.sales import deals

    return [_deal_item(d) for d in deals.idle_deals(db, owner=owner)]


# --- the agenda -----------------------------------------------------------------------------------------


def build(
    db: Database,
    *,
    days: int = 7,
    owner: str | None = None,
    include_snoozed: bool = True,
    lead_days: int | None = None,
) -> Agenda:
    """The agenda, with the knobs reminders need (see :func:`agenda`)."""
    if not 0 <= days <= MAX_DAYS:
        raise InvalidInput(f"--days must be between 0 and {MAX_DAYS} (got {days})")
    lead = config.get(config.Core).birthday_lead_days if lead_days is None else lead_days
    lead = max(0, min(lead, MAX_DAYS))
    moment = now()
    today = recurrence.local_today()
    end = recurrence.day_start(today + timedelta(days=days + 1))
    with db.read() as tx:
        owner_id = task_service.owner_filter(tx, owner)
        items = _tasks(tx, owner_id=owner_id, end=end, moment=moment, include_snoozed=include_snoozed)
        items += _stale(tx, owner_id=owner_id, end=end, today=today)
        items += _birthdays(tx, owner_id=owner_id, today=today, last=today + timedelta(days=max(days, lead)))
    items += idle_deal_items(db, owner)
    order = {"task": 0, "stale": 1, "birthday": 2, "deal": 3}

    def key(item: AgendaItem) -> tuple:
        when = item.when
        if isinstance(when, datetime):
            stamp = when
        elif isinstance(when, date):
            stamp = recurrence.day_start(when)
        else:
            stamp = datetime.min.replace(tzinfo=UTC)
        return (stamp, order[item.kind], item.title)

    sections: dict[str, list[AgendaItem]] = {"overdue": [], "today": [], "upcoming": []}
    for item in items:
        sections[item.section].append(item)
    for group in sections.values():
        group.sort(key=key)
    return Agenda(
        overdue=sections["overdue"],
        today=sections["today"],
        upcoming=sections["upcoming"],
        day=today,
        days=days,
    )


def agenda(db: Database, *, days: int = 7, owner: str | None = None) -> Agenda:
    """What is overdue, due today, and due in the next ``days`` days (tasks, stay-in-touch contacts, birthdays
    within the configured lead days, idle deals). ``owner``: only that user's (tasks: the assignee's, else the
    owner's; contacts and deals: the owner's)."""
    return build(db, days=days, owner=owner)


# --- the calendar feed ----------------------------------------------------------------------------------


def calendar_data(db: Database, *, owner: str | None = None, include_done: bool = False) -> CalendarData:
    """What the iCalendar feed holds: tasks with a due date (open ones; done ones too with ``include_done``),
    the birthdays of active contacts, and the expected close of open deals."""
    from zoneinfo import ZoneInfo

    moment = now()
    with db.read() as tx:
        owner_id = task_service.owner_filter(tx, owner)
        cond = "1=1" if include_done else "t.done_at IS NULL"
        params: dict[str, Any] = {}
        if owner_id is not None:
            cond += f" AND {task_service.BELONGS_TO} = :owner_id"
            params["owner_id"] = owner_id
        rows = tx.all(f"{task_service.select_sql()} WHERE {cond} ORDER BY t.id", params)
        tasks = task_service.rows_to_reads(rows, moment)
        ccond = "NOT archived AND birthday IS NOT NULL"
        if owner_id is not None:
            ccond += " AND owner_id = :owner_id"
        birthdays = [
            BirthdayEntry(r["id"], r["uid"], r["display_name"], r["birthday"])
            for r in tx.all(
                f"SELECT id, uid, display_name, birthday FROM contacts WHERE {ccond} ORDER BY id", params
            )
        ]
        dcond = "status = 'open' AND expected_close IS NOT NULL"
        if owner_id is not None:
            dcond += " AND owner_id = :owner_id"
        deals = [
            DealDate(
                id=r["id"],
                uid=r["uid"],
                title=r["title"],
                expected_close=as_date(r["expected_close"]),
                status=r["status"],
                updated_at=as_datetime(r["updated_at"]),
                version=r["version"],
            )
            for r in tx.all(
                f"SELECT id, uid, title, expected_close, status, updated_at, version FROM deals "
                f"WHERE {dcond} ORDER BY id",
                params,
            )
        ]
    zone = clock.local_tz()
    tz_name = zone.key if isinstance(zone, ZoneInfo) else None
    return CalendarData(tasks=tasks, birthdays=birthdays, deals=deals, generated_at=moment, tz_name=tz_name)
