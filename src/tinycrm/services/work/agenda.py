"""The agenda: what is overdue, what is due today and what comes in the next days.

Four kinds of items:

- ``task``: open tasks by the day they are due again (the later of due date and snooze);
- ``stale``: contacts whose stay-in-touch cadence runs out (on the day it does, then overdue);
- ``birthday``: birthdays within ``Settings.birthday_lead_days`` (29 February is kept on 28 February in
  years without one); never overdue;
- ``deal``: idle deals, as :func:`tinycrm.services.sales.deals.idle_deals` defines them; shown as overdue.

Each kind is read through its index (:mod:`tinycrm.services.work.due`), a section at a time, up to the end of
the page asked for.

Also the data of the iCalendar feed (:func:`calendar_data`).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tinycrm import config
from tinycrm.domain import clock
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.tasks import (
    Agenda,
    AgendaGroup,
    AgendaItem,
    BirthdayEntry,
    CalendarData,
    DealDate,
    TaskRead,
)
from tinycrm.services.common import now
from tinycrm.services.leads import due as lead_due
from tinycrm.services.work import due, stay_in_touch
from tinycrm.services.work import tasks as task_service
from tinycrm.store.database import Database, Tx, as_date, as_datetime
from tinycrm.store.sql import check_page

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
    when: datetime | date = task_service.local_date(eff) if day_based else eff
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


def _tasks(tx: Tx, section: str, w: due.Window, owner_id: int | None, snoozed: bool, n: int | None) -> list:
    rows = due.task_rows(tx, section, w, owner_id=owner_id, include_snoozed=snoozed, limit=n)
    return [
        _task_item(t, w.now, w.today_start, w.tomorrow_start) for t in task_service.rows_to_reads(rows, w.now)
    ]


#: each section of the agenda as a range of the moment a stay-in-touch cadence runs out
_STALE_RANGES = {
    "overdue": lambda w: (None, w.today_start),
    "today": lambda w: (w.today_start, w.tomorrow_start),
    "upcoming": lambda w: (w.tomorrow_start, w.end),
}


def _stale(tx: Tx, section: str, w: due.Window, owner_id: int | None, n: int | None) -> list[AgendaItem]:
    from tinycrm.domain.dates import show

    low, high = _STALE_RANGES[section](w)
    items = []
    for row in due.stale_rows(tx, low, high, owner_id=owner_id, limit=n):
        s = stay_in_touch.stale_from_row(row, w.today)
        assert s.due_date is not None
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


def _birthday_days(today: date, last: date, section: str) -> list[date]:
    if section == "today":
        return [today]
    return [today + timedelta(days=i) for i in range(1, (last - today).days + 1)]


def _birthdays(tx: Tx, days: list[date], owner_id: int | None, n: int | None) -> list[AgendaItem]:
    items = []
    for row in due.birthday_rows(tx, days, owner_id=owner_id, limit=n):
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
                section="today" if on == days[0] and len(days) == 1 else "upcoming",
                key=f"birthday:{row['id']}:{on.year}",
                state=on.isoformat(),
                owner=row["owner_name"],
            )
        )
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


def _deals(tx: Tx, w: due.Window, owner_id: int | None, n: int | None) -> list[AgendaItem]:
    """Idle deals (see :func:`due.idle_deal_ids`), next step first."""
    from tinycrm.services.sales import deals

    where, params = ("", {}) if owner_id is None else (" AND d.owner_id = :owner_id", {"owner_id": owner_id})
    ids = due.idle_deal_ids(tx, w.now, w.today, where, params, order="next_step", limit=n)
    return [_deal_item(d) for d in deals.summaries(tx, ids)]


def _deal_total(tx: Tx, w: due.Window, owner_id: int | None) -> int:
    where, params = ("", {}) if owner_id is None else (" AND d.owner_id = :owner_id", {"owner_id": owner_id})
    return due.idle_deal_count(tx, w.now, w.today, where, params)


# --- the agenda -----------------------------------------------------------------------------------------


_ORDER = {"task": 0, "stale": 1, "birthday": 2, "deal": 3, "lead": 4}


def _sort_key(item: AgendaItem) -> tuple:
    when = item.when
    if isinstance(when, datetime):
        stamp = when
    elif isinstance(when, date):
        stamp = task_service.day_start(when)
    else:  # an idle deal has no time: after what is due at a time, so the tasks a user ticks off come first
        stamp = datetime.max.replace(tzinfo=UTC)
    if item.kind == "deal":  # as due.IDLE_ORDERS["next_step"] reads them: by id within a day
        return (stamp, _ORDER[item.kind], "", item.deal_id or 0)
    return (stamp, _ORDER[item.kind], item.title, 0)


def build(
    db: Database,
    *,
    days: int = 7,
    owner: str | None = None,
    include_snoozed: bool = True,
    lead_days: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Agenda:
    """The agenda, with the knobs reminders need (see :func:`agenda`). ``limit``/``offset``: a page of each
    section (``Agenda.totals`` has how many each holds); each kind is read up to the page's end through its
    index, so the cost follows the page, not the database."""
    if not 0 <= days <= MAX_DAYS:
        raise InvalidInput(f"--days must be between 0 and {MAX_DAYS} (got {days})")
    check_page(limit, offset)
    lead = config.get(config.Core).birthday_lead_days if lead_days is None else lead_days
    lead = max(0, min(lead, MAX_DAYS))
    w = due.Window.of(now(), days)
    last = w.today + timedelta(days=max(days, lead))
    n = None if limit is None else offset + limit
    sections: dict[str, list[AgendaItem]] = {}
    totals: dict[str, int] = {}
    with db.read() as tx:
        owner_id = task_service.owner_filter(tx, owner)
        for section in ("overdue", "today", "upcoming"):
            items = _tasks(tx, section, w, owner_id, include_snoozed, n)
            items += _stale(tx, section, w, owner_id, n)
            if section != "overdue":
                items += _birthdays(tx, _birthday_days(w.today, last, section), owner_id, n)
            else:
                items += _deals(tx, w, owner_id, n)
                items += lead_due.items(tx, w.now, owner_id, n)  # new leads nobody answered in time
            items.sort(key=_sort_key)
            end = None if limit is None else offset + limit
            sections[section] = items[offset:end]
            totals[section] = (
                len(items) if n is None else _total(tx, section, w, owner_id, include_snoozed, last)
            )
    return Agenda(
        overdue=sections["overdue"],
        today=sections["today"],
        upcoming=sections["upcoming"],
        day=w.today,
        days=days,
        totals=totals,
    )


def _total(
    tx: Tx, section: str, w: due.Window, owner_id: int | None, include_snoozed: bool, last: date
) -> int:
    """How many items a section holds, counted in the indexes."""
    total = due.task_count(tx, section, w, owner_id=owner_id, include_snoozed=include_snoozed)
    total += due.stale_count(tx, *_STALE_RANGES[section](w), owner_id=owner_id)
    if section == "overdue":
        return total + _deal_total(tx, w, owner_id) + lead_due.count(tx, w.now, owner_id)
    days = _birthday_days(w.today, last, section)
    return total + due.birthday_count(tx, days, owner_id=owner_id)


def agenda(
    db: Database, *, days: int = 7, owner: str | None = None, limit: int | None = None, offset: int = 0
) -> Agenda:
    """What is overdue, due today, and due in the next ``days`` days (tasks, stay-in-touch contacts, birthdays
    within the configured lead days, idle deals). ``owner``: only that user's (tasks: the assignee's, else the
    owner's; contacts and deals: the owner's). ``limit``/``offset``: a page of each section (``None``: all)."""
    return build(db, days=days, owner=owner, limit=limit, offset=offset)


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


# --- the app's agenda: groups, capped, with totals ---------------------------------------------------------

#: the app's groups, in the order shown, with the kinds of item each holds
GROUPS = {
    "overdue_tasks": ("Overdue tasks", {"task"}),
    "idle_deals": ("Idle deals", {"deal"}),
    "stale": ("Get back in touch", {"stale"}),
    "dates": ("Coming up", {"task", "stale", "birthday"}),
}
KINDS = ("task", "deal", "stale", "birthday")


def groups(
    db: Database,
    *,
    days: int = 7,
    kinds: set[str] | frozenset[str] | None = None,
    limit: int = 12,
    limits: dict[str, int] | None = None,
    owner: str | None = None,
) -> tuple[date, list[AgendaGroup]]:
    """The agenda as the app shows it: overdue tasks, idle deals, contacts to get back in touch with (due today
    or earlier), then the dates of today and the next ``days`` days (tasks, contacts coming due, birthdays).
    Each group lists its first ``limit`` items (``limits[group]`` for a group shown further) and counts all it
    holds in the indexes: the cost follows what is shown. ``kinds``: only these kinds of item (:data:`KINDS`)."""
    if not 0 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be between 0 and {MAX_DAYS} (got {days})")
    wanted = set(KINDS if kinds is None else kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise InvalidInput(f"unknown agenda kind {sorted(unknown)[0]!r}; use one of: {', '.join(KINDS)}")
    caps = {key: max(0, (limits or {}).get(key, limit)) for key in GROUPS}
    lead = max(0, min(config.get(config.Core).birthday_lead_days, MAX_DAYS))
    w = due.Window.of(now(), days)
    last = w.today + timedelta(days=max(days, lead))
    out: list[AgendaGroup] = []
    with db.read() as tx:
        owner_id = task_service.owner_filter(tx, owner)
        for key, (title, holds) in GROUPS.items():
            if not holds & wanted:
                continue
            items, total = _group(tx, key, wanted, w, owner_id, caps[key], last)
            out.append(AgendaGroup(key=key, title=title, items=items, total=total))
    return w.today, out


def _group(
    tx: Tx, key: str, kinds: set[str], w: due.Window, owner_id: int | None, n: int, last: date
) -> tuple[list[AgendaItem], int]:
    if key == "overdue_tasks":
        return _tasks(tx, "overdue", w, owner_id, True, n), due.task_count(
            tx, "overdue", w, owner_id=owner_id
        )
    if key == "idle_deals":
        return _deals(tx, w, owner_id, n), _deal_total(tx, w, owner_id)
    if key == "stale":
        items = _stale(tx, "overdue", w, owner_id, n)
        items += _stale(tx, "today", w, owner_id, n)
        total = due.stale_count(tx, None, w.tomorrow_start, owner_id=owner_id)
        return items[:n], total
    items, total = [], 0
    for section in ("today", "upcoming"):
        if "task" in kinds:
            items += _tasks(tx, section, w, owner_id, True, n)
            total += due.task_count(tx, section, w, owner_id=owner_id)
        if "stale" in kinds and section == "upcoming":
            items += _stale(tx, section, w, owner_id, n)
            total += due.stale_count(tx, *_STALE_RANGES[section](w), owner_id=owner_id)
        if "birthday" in kinds:
            days = _birthday_days(w.today, last, section)
            items += _birthdays(tx, days, owner_id, n)
            total += due.birthday_count(tx, days, owner_id=owner_id)
    items.sort(key=_sort_key)
    return items[:n], total
