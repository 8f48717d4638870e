"""Tasks and follow-ups: due dates in natural language, repeating tasks (RFC 5545 RRULE), snoozing, and the
stay-in-touch list of contacts whose cadence has run out.

Due dates. A task is due at a moment (``due_at``, UTC) or, when no time of day was given, on a day
(``all_day``; ``due_at`` is then that day's local midnight). A timed task is overdue once its moment has
passed; an all-day task once its day has.

Snoozing. ``snoozed_until`` hides a task from reminders until then; the task is due again at the later of its
due date and the snooze. The due date itself (and so a repeating series) does not move.

Repeating. ``rrule`` is an RFC 5545 RRULE evaluated by ``dateutil.rrule`` in local wall-clock time, so a daily
09:00 task stays at 09:00 across daylight-saving changes. Completing a repeating task stores the next
occurrence as a new task: the first occurrence of the rule *after the completed task's due date* that is not
already in the past (for an all-day task: today or later; for a timed task: later than now). A task completed
late thus keeps its schedule (a Monday task stays on Mondays) without piling up missed occurrences; a task
completed early moves on by one occurrence. ``COUNT`` counts down through the series; ``UNTIL`` ends it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_when_detailed
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import Page, Ref
from tinycrm.domain.tasks import PRIORITIES, StaleContact, TaskInput, TaskRead
from tinycrm.services.common import (
    MAX_ID,
    actor,
    audit,
    check_version,
    delete_record,
    new_uid,
    now,
    update_versioned,
    user_id,
)
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page, escape_like, page_sql

#: rules more frequent than daily make no sense for a to-do and would make "next occurrence" loops long
_MAX_STEPS = 200_000

# --- local days -----------------------------------------------------------------------------------------


def local_today() -> date:
    return clock.local_now().date()


def day_start(day: date) -> datetime:
    """Local midnight of ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=clock.local_tz()).astimezone(UTC)


def local_date(value: datetime) -> date:
    return clock.to_local(value).date()


def rule_zone() -> tzinfo:
    """The zone repeating tasks are computed in: ``TZ``'s zone, else the system's (with its DST rules)."""
    zone = clock.local_tz()
    from zoneinfo import ZoneInfo

    if isinstance(zone, ZoneInfo):
        return zone
    from dateutil import tz

    return tz.tzlocal()


# --- repeat rules ---------------------------------------------------------------------------------------

_DAYS = {
    "monday": "MO",
    "mon": "MO",
    "tuesday": "TU",
    "tue": "TU",
    "tues": "TU",
    "wednesday": "WE",
    "wed": "WE",
    "thursday": "TH",
    "thu": "TH",
    "thur": "TH",
    "thurs": "TH",
    "friday": "FR",
    "fri": "FR",
    "saturday": "SA",
    "sat": "SA",
    "sunday": "SU",
    "sun": "SU",
}
_DAY_NAMES = {
    "MO": "monday",
    "TU": "tuesday",
    "WE": "wednesday",
    "TH": "thursday",
    "FR": "friday",
    "SA": "saturday",
    "SU": "sunday",
}
_WEEKDAYS = "MO,TU,WE,TH,FR"
_FREQ = {"day": "DAILY", "week": "WEEKLY", "month": "MONTHLY", "year": "YEARLY"}
_FREQ_UNIT = {v_: k for k, v_ in _FREQ.items()}
_ADVERB = {
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "yearly": "YEARLY",
    "annually": "YEARLY",
}
_COUNTS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "other": 2,
}
_ALLOWED_FREQ = {"YEARLY", "MONTHLY", "WEEKLY", "DAILY"}

REPEAT_HELP = (
    "write e.g. daily, weekly, monthly, yearly, 'every 2 weeks', 'every weekday', "
    "'every monday and thursday' or an RRULE such as FREQ=WEEKLY;BYDAY=MO,TH"
)


def _day_list(text: str) -> str | None:
    words = [w for w in re.split(r"\s*(?:,|\band\b|&|\+)\s*|\s+", text.strip()) if w]
    out = []
    for w in words:
        code = _DAYS.get(w.rstrip("s")) or _DAYS.get(w)
        if code is None:
            return None
        if code not in out:
            out.append(code)
    return ",".join(sorted(out, key=list(_DAY_NAMES).index)) if out else None


def _phrase(text: str) -> str | None:
    """The RRULE of a plain phrase, or ``None``."""
    t = " ".join(text.lower().replace("-", " ").split())
    if t in _ADVERB:
        return f"FREQ={_ADVERB[t]}"
    if t in ("fortnightly", "biweekly"):
        return "FREQ=WEEKLY;INTERVAL=2"
    if t in ("every weekday", "weekdays", "every working day", "every work day", "every business day"):
        return f"FREQ=WEEKLY;BYDAY={_WEEKDAYS}"
    if t in ("every weekend", "weekends"):
        return "FREQ=WEEKLY;BYDAY=SA,SU"
    m = re.fullmatch(r"every(?:\s+(\d+|[a-z]+))?\s+(day|week|month|year)s?(?:\s+on\s+(.+))?", t)
    if m:
        count = m.group(1)
        if count is None:
            n = 1
        elif count.isdigit():
            n = int(count)
        elif count in _COUNTS:
            n = _COUNTS[count]
        else:
            return None
        if n < 1 or n > 1000:
            return None
        rule = f"FREQ={_FREQ[m.group(2)]}" + (f";INTERVAL={n}" if n > 1 else "")
        if m.group(3):
            if m.group(2) != "week":
                return None
            days = _day_list(m.group(3))
            if days is None:
                return None
            rule += f";BYDAY={days}"
        return rule
    m = re.fullmatch(r"(?:every|each|on)\s+(.+)", t)
    if m:
        days = _day_list(m.group(1))
        if days:
            return f"FREQ=WEEKLY;BYDAY={days}"
    return None


def _build(rule: str, dtstart: datetime) -> Any:
    from dateutil.rrule import rrulestr

    return rrulestr(rule, dtstart=dtstart, ignoretz=True)


def parse_repeat(text: str | None) -> str | None:
    """An RRULE (without ``RRULE:``) from a phrase or a raw rule; ``None`` for no repetition.

    Raises :class:`InvalidInput` naming what was not understood."""
    if text is None:
        return None
    raw = " ".join(str(text).split())
    if not raw or raw.lower() in ("never", "none", "no", "off"):
        return None
    if "FREQ=" in raw.upper():
        rule = re.sub(r"^RRULE:", "", raw.replace(" ", "").upper())
        if "\n" in str(text).strip() or ":" in rule:
            raise InvalidInput(
                f"repeat: give one RRULE without DTSTART or other lines (got {raw!r})", field="repeat"
            )
    else:
        phrase = _phrase(raw)
        if phrase is None:
            raise InvalidInput(f"repeat: cannot understand {raw!r}; {REPEAT_HELP}", field="repeat")
        rule = phrase
    try:
        parsed = _build(rule, datetime(2000, 1, 1))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "not a valid RRULE"
        raise InvalidInput(
            f"repeat: cannot understand the rule {raw!r} ({detail}); {REPEAT_HELP}", field="repeat"
        ) from None
    freq = re.search(r"FREQ=([A-Z]+)", rule)
    if freq is None or freq.group(1) not in _ALLOWED_FREQ:
        raise InvalidInput(
            f"repeat: {raw!r} repeats more often than daily; tasks repeat daily, weekly, monthly or yearly",
            field="repeat",
        )
    del parsed
    if len(rule) > 500:
        raise InvalidInput("repeat: the rule is longer than 500 characters", field="repeat")
    return rule


def describe_rule(rule: str | None) -> str | None:
    """How people read a rule: ``every 2 weeks on monday``; the rule itself when it has no plain phrase."""
    if not rule:
        return None
    parts = dict(p.split("=", 1) for p in rule.split(";") if "=" in p)
    freq = parts.pop("FREQ", "")
    interval = int(parts.pop("INTERVAL", "1") or 1)
    byday = parts.pop("BYDAY", None)
    count = parts.pop("COUNT", None)
    until = parts.pop("UNTIL", None)
    parts.pop("WKST", None)
    if (
        freq not in _FREQ_UNIT
        or parts
        or (byday and (freq != "WEEKLY" or not re.fullmatch(r"[A-Z,]+", byday)))
    ):
        return rule
    unit = _FREQ_UNIT[freq]
    if byday and interval == 1:
        text = (
            "every weekday"
            if byday == _WEEKDAYS
            else "every " + " and ".join(_DAY_NAMES.get(d, d) for d in byday.split(","))
        )
    else:
        adverb = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly", "YEARLY": "yearly"}[freq]
        text = adverb if interval == 1 else f"every {interval} {unit}s"
        if byday:
            text += " on " + " and ".join(_DAY_NAMES.get(d, d) for d in byday.split(","))
    if count:
        text += f", {count} times"
    if until:
        text += f", until {until[:4]}-{until[4:6]}-{until[6:8]}"
    return text


def next_occurrence(
    rule: str, due_at: datetime, all_day: bool, *, after: datetime | None = None, zone: tzinfo | None = None
) -> tuple[datetime, str] | None:
    """The next occurrence of a series whose current task is due at ``due_at``, and the rule for it.

    The first occurrence after ``due_at`` that is not in the past as of ``after`` (default now): for an
    all-day task its day is today or later, for a timed task it is later than ``after``. Computed in local
    wall-clock time (``zone``), so 09:00 stays 09:00 across DST changes. ``None`` when the series has ended.
    The returned rule has ``COUNT`` reduced by the occurrences used up."""
    zone = zone or rule_zone()
    moment = after or now()
    start = due_at.astimezone(zone).replace(tzinfo=None)
    today = moment.astimezone(zone).date()
    series = _build(rule, start)
    for index, occ in enumerate(series):
        if index > _MAX_STEPS:
            return None
        if occ <= start:
            continue
        if all_day:
            if occ.date() < today:
                continue
            when = datetime.combine(occ.date(), time(0), tzinfo=zone)
        else:
            when = occ.replace(tzinfo=zone)
            if when.astimezone(UTC) <= moment:
                continue
        new_rule = rule
        m = re.search(r"COUNT=(\d+)", rule)
        if m:
            new_rule = rule.replace(m.group(0), f"COUNT={max(int(m.group(1)) - index, 1)}")
        return when.astimezone(UTC), new_rule
    return None


# --- input checks ---------------------------------------------------------------------------------------


def parse_priority(value: int | str | None) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip().lower()
        if text in PRIORITIES:
            return PRIORITIES[text]
        if not text.isdigit():
            raise InvalidInput(
                f"priority: {value!r} is not one of none, low, normal, high (or 0-3)", field="priority"
            )
        number = int(text)
    if not 0 <= number <= 3:
        raise InvalidInput(f"priority must be 0-3 or none, low, normal, high (got {value})", field="priority")
    return number


def parse_due(value: str | datetime | date | None, *, what: str = "due") -> tuple[datetime | None, bool]:
    """``(due_at, all_day)`` from natural language; a day without a time of day is an all-day due date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=clock.local_tz())
        return aware.astimezone(UTC), False
    if isinstance(value, date):
        return day_start(value), True
    when, has_time = parse_when_detailed(value, what=what)
    if has_time:
        return when, False
    return day_start(local_date(when)), True


def _title(value: str | None) -> str:
    out = v.line(value, "title", max_len=500, required=True)
    assert out is not None
    return out


def _check_link(tx: Tx, table: str, what: str, record_id: int | None) -> int | None:
    if record_id is None:
        return None
    if (
        not 0 < record_id <= MAX_ID
        or tx.scalar(f"SELECT id FROM {table} WHERE id = :i", {"i": record_id}) is None
    ):
        raise NotFound(f"no {what} with id {record_id}")
    return record_id


def _first_due(rule: str) -> datetime:
    """Where a repeating task without a due date starts: its first occurrence from today (all-day)."""
    today = local_today()
    series = _build(rule, datetime.combine(today, time(0)))
    first = series.after(datetime.combine(today, time(0)), inc=True)
    if first is None:
        raise InvalidInput("repeat: the rule has no occurrence from today on; give --due", field="repeat")
    return day_start(first.date())


# --- reading --------------------------------------------------------------------------------------------

_SELECT = (
    "SELECT t.*, c.display_name AS contact_name, co.name AS company_name, d.title AS deal_title, "
    "uo.name AS owner_name, ua.name AS assignee_name FROM tasks t "
    "LEFT JOIN contacts c ON c.id = t.contact_id LEFT JOIN companies co ON co.id = t.company_id "
    "LEFT JOIN deals d ON d.id = t.deal_id LEFT JOIN users uo ON uo.id = t.owner_id "
    "LEFT JOIN users ua ON ua.id = t.assignee_id"
)

#: when a task is due again: the later of its due date and its snooze
EFFECTIVE_DUE = (
    "(CASE WHEN t.snoozed_until IS NOT NULL AND (t.due_at IS NULL OR t.snoozed_until > t.due_at) "
    "THEN t.snoozed_until ELSE t.due_at END)"
)
#: tasks that are due on a day rather than at a moment
DAY_BASED = "(t.all_day OR t.due_at IS NULL)"
#: whose a task is
BELONGS_TO = "COALESCE(t.assignee_id, t.owner_id)"


def overdue_sql() -> str:
    """Open tasks past due (``:today_start`` local midnight, ``:now``)."""
    return (
        f"t.done_at IS NULL AND {EFFECTIVE_DUE} IS NOT NULL AND "
        f"(({DAY_BASED} AND {EFFECTIVE_DUE} < :today_start) OR (NOT {DAY_BASED} AND {EFFECTIVE_DUE} < :now))"
    )


def _row_to_read(row: Any, moment: datetime) -> TaskRead:
    due = as_datetime(row["due_at"])
    all_day = bool(row["all_day"])
    done = as_datetime(row["done_at"])
    snoozed = as_datetime(row["snoozed_until"])
    status = "done" if done else ("snoozed" if snoozed and snoozed > moment else "open")
    return TaskRead(
        id=row["id"],
        uid=row["uid"],
        title=row["title"],
        due_at=due,
        due_date=local_date(due) if due else None,
        all_day=all_day,
        rrule=row["rrule"],
        repeat=describe_rule(row["rrule"]),
        priority=row["priority"],
        notes=row["notes"],
        contact=Ref(row["contact_id"], row["contact_name"]) if row["contact_id"] else None,
        company=Ref(row["company_id"], row["company_name"]) if row["company_id"] else None,
        deal=Ref(row["deal_id"], row["deal_title"]) if row["deal_id"] else None,
        done_at=done,
        snoozed_until=snoozed,
        owner=row["owner_name"],
        assignee=row["assignee_name"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        version=row["version"],
        status=status,
    )


def read_in(tx: Tx, task_id: int) -> TaskRead:
    row = tx.one(f"{_SELECT} WHERE t.id = :i", {"i": task_id})
    if row is None:
        raise NotFound(f"no task with id {task_id}; list them with: crm task list")
    return _row_to_read(row, now())


def get(db: Database, task_id: int) -> TaskRead:
    with db.read() as tx:
        return read_in(tx, task_id)


def rows_to_reads(rows: list, moment: datetime | None = None) -> list[TaskRead]:
    moment = moment or now()
    return [_row_to_read(r, moment) for r in rows]


def select_sql() -> str:
    """The task query (alias ``t``) read models are built from, for other services (agenda, calendar)."""
    return _SELECT


def owner_filter(tx: Tx, owner: str | None) -> int | None:
    """The user id to filter by (``-1`` matches nothing); ``None``: no filter."""
    if owner is None:
        return None
    name = v.line(owner, "owner", max_len=100, required=True)
    found = user_id(tx, name, create=False)
    if found is not None:
        return found
    if name == actor(tx.db):
        return -1  # the acting user has not been registered yet: they own nothing
    raise InvalidInput(f"no user named {name!r}; add one with: crm user add {name}", field="owner")


def resolve(db: Database, ref: str | int) -> int:
    """A task id from a reference: an id (``12`` or ``#12``) or a fragment of its title.

    Open tasks are searched first; an exact title wins over fragments; several matches raise
    :class:`Ambiguous` with the candidates."""
    text = str(ref or "").strip()
    if not text:
        raise InvalidInput("a task reference is empty; give an id or words of its title")
    v.line(text, "task reference")
    with db.read() as tx:
        if re.fullmatch(r"#?\d+", text):
            tid = int(text.lstrip("#"))
            if tid > MAX_ID or tx.scalar("SELECT id FROM tasks WHERE id = :i", {"i": tid}) is None:
                raise NotFound(f"no task with id {tid}; list them with: crm task list")
            return tid
        like = "%" + escape_like(text) + "%"
        match = tx.db.dialect.like_ci("title", "p")
        for open_only in (True, False):
            state = " AND done_at IS NULL" if open_only else ""
            rows = tx.all(
                f"SELECT id, title FROM tasks WHERE lower(title) = lower(:t){state} ORDER BY id LIMIT 11",
                {"t": text},
            ) or tx.all(f"SELECT id, title FROM tasks WHERE {match}{state} ORDER BY id LIMIT 11", {"p": like})
            if len(rows) == 1:
                return rows[0]["id"]
            if rows:
                raise Ambiguous(
                    f"{text!r} matches {'more than 10' if len(rows) > 10 else len(rows)} tasks; give an id",
                    [Ref(r["id"], r["title"]) for r in rows[:10]],
                )
    raise NotFound(f"no task matches {text!r}; list them with: crm task list")


STATUSES = ("open", "done", "snoozed", "all")


def list_tasks(
    db: Database,
    *,
    status: str = "open",
    contact_id: int | None = None,
    deal_id: int | None = None,
    company_id: int | None = None,
    owner: str | None = None,
    overdue: bool = False,
    limit: int | None = 20,
    offset: int = 0,
) -> Page[TaskRead]:
    """A page of tasks. Open ones (snoozed included) by due date, soonest first, then by priority; done ones
    most recently done first. ``overdue`` keeps open tasks past due; ``owner`` a user's tasks (the assignee's,
    else the owner's)."""
    if status not in STATUSES:
        raise InvalidInput(f"unknown task status {status!r}; use one of: {', '.join(STATUSES)}")
    check_page(limit, offset)
    moment = now()
    where: list[str] = []
    params: dict[str, Any] = {
        "now": moment,
        "today_start": day_start(local_today()),
        "limit": limit,
        "offset": offset,
    }
    if status == "open":
        where.append("t.done_at IS NULL")
    elif status == "done":
        where.append("t.done_at IS NOT NULL")
    elif status == "snoozed":
        where.append("t.done_at IS NULL AND t.snoozed_until > :now")
    if overdue:
        where.append(overdue_sql())
    for column, value in (("contact_id", contact_id), ("deal_id", deal_id), ("company_id", company_id)):
        if value is not None:
            where.append(f"t.{column} = :{column}")
            params[column] = value
    order = (
        "t.done_at DESC, t.id DESC"
        if status == "done"
        else f"CASE WHEN t.done_at IS NULL THEN 0 ELSE 1 END, "
        f"CASE WHEN {EFFECTIVE_DUE} IS NULL THEN 1 ELSE 0 END, {EFFECTIVE_DUE}, t.priority DESC, t.id"
    )
    page = page_sql(limit)
    with db.read() as tx:
        uid = owner_filter(tx, owner)
        if uid is not None:
            where.append(f"{BELONGS_TO} = :owner_id")
            params["owner_id"] = uid
        cond = " AND ".join(where) or "1=1"
        total = tx.scalar(f"SELECT count(*) FROM tasks t WHERE {cond}", params)
        rows = tx.all(f"{_SELECT} WHERE {cond} ORDER BY {order}{page}", params)
        return Page(rows_to_reads(rows, moment), total, limit, offset)


# --- writing --------------------------------------------------------------------------------------------


_INSERT = (
    "INSERT INTO tasks (uid, title, due_at, all_day, rrule, priority, notes, contact_id, company_id, "
    "deal_id, owner_id, assignee_id, created_at, updated_at, version) VALUES (:uid, :title, :due, :all_day, "
    ":rule, :priority, :notes, :contact, :company, :deal, :owner, :assignee, :t, :t, 1) RETURNING id"
)


def insert(tx: Tx, data: TaskInput) -> int:
    """Store a new task inside an open transaction; give its id."""
    title = _title(data.title)
    due_at, all_day = parse_due(data.due)
    rule = parse_repeat(data.repeat)
    if rule and due_at is None:
        due_at, all_day = _first_due(rule), True
    priority = parse_priority(data.priority)
    notes = v.text(data.notes, "notes")
    contact_id = _check_link(tx, "contacts", "contact", data.contact_id)
    company_id = _check_link(tx, "companies", "company", data.company_id)
    deal_id = _check_link(tx, "deals", "deal", data.deal_id)
    owner_id = user_id(tx, v.line(data.owner, "owner", max_len=100))
    assignee_id = user_id(tx, v.line(data.assignee, "assignee", max_len=100)) if data.assignee else None
    uid = v.line(data.uid, "uid", max_len=100) or new_uid()
    if tx.scalar("SELECT id FROM tasks WHERE uid = :u", {"u": uid}) is not None:
        raise Conflict(f"a task with UID {uid} exists already")
    stamp = now()
    tid = tx.insert(
        _INSERT,
        {
            "uid": uid,
            "title": title,
            "due": due_at,
            "all_day": all_day,
            "rule": rule,
            "priority": priority,
            "notes": notes,
            "contact": contact_id,
            "company": company_id,
            "deal": deal_id,
            "owner": owner_id,
            "assignee": assignee_id,
            "t": stamp,
        },
    )
    values = {
        "title": title,
        "due_at": due_at,
        "all_day": all_day or None,
        "rrule": rule,
        "priority": priority or None,
        "notes": notes,
        "contact_id": contact_id,
        "company_id": company_id,
        "deal_id": deal_id,
        "assignee": data.assignee,
    }
    audit(tx, "create", "task", tid, {k: (None, val) for k, val in values.items() if val is not None})
    return tid


def create(db: Database, data: TaskInput) -> TaskRead:
    with db.write() as tx:
        return read_in(tx, insert(tx, data))


def follow_up(
    db: Database,
    contact_id: int,
    when: str,
    title: str | None = None,
    *,
    notes: str | None = None,
    priority: int | str | None = None,
    repeat: str | None = None,
) -> TaskRead:
    """A task linked to a contact, due ``when`` (default title: "Follow up with NAME")."""
    if when is None or not str(when).strip():
        raise InvalidInput(
            "a follow-up needs a date: e.g. 'next monday', 'in 3 days', 'tomorrow 9am'", field="due"
        )
    with db.write() as tx:
        row = tx.one("SELECT id, display_name FROM contacts WHERE id = :i", {"i": contact_id})
        if row is None:
            raise NotFound(f"no contact with id {contact_id}; find one with: crm search NAME")
        text = title if title and title.strip() else f"Follow up with {row['display_name']}"
        data = TaskInput(
            title=text, due=when, contact_id=contact_id, notes=notes, priority=priority, repeat=repeat
        )
        return read_in(tx, insert(tx, data))


EDITABLE = {
    "title",
    "due",
    "repeat",
    "priority",
    "notes",
    "contact_id",
    "company_id",
    "deal_id",
    "owner",
    "assignee",
    "snoozed_until",
    "done",
}


def update(
    db: Database, task_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> TaskRead:
    """Change the given fields: ``title``, ``due`` (natural language; ``None`` for no due date), ``repeat``
    (``None`` to stop repeating), ``priority``, ``notes``, ``contact_id`` / ``company_id`` / ``deal_id``
    (``None`` unlinks), ``owner``, ``assignee``, ``snoozed_until`` (``None`` wakes the task), ``done``
    (``False`` reopens it). ``expected_version`` guards against overwriting someone else's edit."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a task")
    with db.write() as tx:
        tx.lock_rows("tasks", [task_id])  # PostgreSQL: other writers of this task wait for us
        before = read_in(tx, task_id)
        check_version(tx, "tasks", "task", task_id, expected_version)
        sets: dict[str, Any] = {}
        changed: dict[str, tuple[Any, Any]] = {}

        def put(column: str, old: Any, new: Any, label: str | None = None) -> None:
            if old != new:
                sets[column] = new
                changed[label or column] = (old, new)

        if "title" in changes:
            put("title", before.title, _title(changes["title"]))
        rule = before.rrule
        if "repeat" in changes:
            rule = parse_repeat(changes["repeat"])
            put("rrule", before.rrule, rule)
        due_at, all_day = before.due_at, before.all_day
        if "due" in changes:
            due_at, all_day = parse_due(changes["due"])
            put("due_at", before.due_at, due_at)
            put("all_day", before.all_day, all_day)
        if rule and due_at is None:
            if "due" in changes:
                raise InvalidInput(
                    "a repeating task needs a due date; stop it repeating first (--repeat never)", field="due"
                )
            due_at = _first_due(rule)
            put("due_at", before.due_at, due_at)
            put("all_day", before.all_day, True)
        if "priority" in changes:
            put("priority", before.priority, parse_priority(changes["priority"]))
        if "notes" in changes:
            put("notes", before.notes, v.text(changes["notes"], "notes"))
        for key, table, what, ref in (
            ("contact_id", "contacts", "contact", before.contact),
            ("company_id", "companies", "company", before.company),
            ("deal_id", "deals", "deal", before.deal),
        ):
            if key in changes:
                put(key, ref.id if ref else None, _check_link(tx, table, what, changes[key]))
        if "owner" in changes:
            name = v.line(changes["owner"], "owner", max_len=100)
            if name is None:
                raise InvalidInput("a task always has an owner; give a user name", field="owner")
            new_id = user_id(tx, name)
            if name != before.owner:
                sets["owner_id"] = new_id
                changed["owner"] = (before.owner, name)
        if "assignee" in changes:
            name = v.line(changes["assignee"], "assignee", max_len=100)
            new_id = user_id(tx, name) if name else None
            if name != before.assignee:
                sets["assignee_id"] = new_id
                changed["assignee"] = (before.assignee, name)
        if "snoozed_until" in changes:
            value = changes["snoozed_until"]
            if value is not None and not isinstance(value, datetime):
                raise InvalidInput("snoozed_until takes a datetime; use snooze() for natural language")
            put("snoozed_until", before.snoozed_until, value.astimezone(UTC) if value else None)
        if "done" in changes:
            if changes["done"]:
                raise InvalidInput("complete a task with complete(), which also schedules a repeating one")
            put("done_at", before.done_at, None)
        if not changed:
            return before
        update_versioned(tx, "tasks", "task", task_id, before.version, sets)
        audit(tx, "update", "task", task_id, changed)
        return read_in(tx, task_id)


def complete(
    db: Database, task_id: int, *, expected_version: int | None = None
) -> tuple[TaskRead, TaskRead | None]:
    """Mark a task done; for a repeating task also store its next occurrence (see the module docstring).

    Gives the completed task and the next occurrence (``None``: it does not repeat, or the series ended)."""
    with db.write() as tx:
        tx.lock_rows("tasks", [task_id])
        before = read_in(tx, task_id)
        check_version(tx, "tasks", "task", task_id, expected_version)
        if before.done_at is not None:
            from tinycrm.domain.dates import show

            raise Conflict(
                f"task {task_id} is already done (at {show(before.done_at)}); "
                f"reopen it with: crm task edit {task_id} --reopen"
            )
        stamp = now()
        update_versioned(tx, "tasks", "task", task_id, before.version, {"done_at": stamp})
        audit(tx, "complete", "task", task_id, {"done_at": (None, stamp)})
        nxt = None
        if before.rrule and before.due_at is not None:
            found = next_occurrence(before.rrule, before.due_at, before.all_day, after=stamp)
            if found is not None:
                due_at, rule = found
                ids = tx.one("SELECT owner_id, assignee_id FROM tasks WHERE id = :i", {"i": task_id})
                nid = tx.insert(
                    _INSERT,
                    {
                        "uid": new_uid(),
                        "title": before.title,
                        "due": due_at,
                        "all_day": before.all_day,
                        "rule": rule,
                        "priority": before.priority,
                        "notes": before.notes,
                        "contact": before.contact.id if before.contact else None,
                        "company": before.company.id if before.company else None,
                        "deal": before.deal.id if before.deal else None,
                        "owner": ids["owner_id"],
                        "assignee": ids["assignee_id"],
                        "t": stamp,
                    },
                )
                created = {
                    "title": (None, before.title),
                    "due_at": (None, due_at),
                    "rrule": (None, rule),
                    "repeats": (None, task_id),
                }
                audit(tx, "create", "task", nid, created)
                nxt = read_in(tx, nid)
        return read_in(tx, task_id), nxt


def snooze(db: Database, task_id: int, when: str, *, expected_version: int | None = None) -> TaskRead:
    """Hide a task from reminders until ``when`` (natural language). A day without a time of day snoozes a
    timed task to its usual time on that day, an all-day task to that day."""
    if when is None or not str(when).strip():
        raise InvalidInput(
            "snooze: give until when, e.g. tomorrow, 'in 2 hours', 'next monday 9am'", field="until"
        )
    moment, has_time = parse_when_detailed(str(when), what="snooze")
    with db.write() as tx:
        tx.lock_rows("tasks", [task_id])
        before = read_in(tx, task_id)
        check_version(tx, "tasks", "task", task_id, expected_version)
        if before.done_at is not None:
            raise Conflict(f"task {task_id} is done; reopen it first with: crm task edit {task_id} --reopen")
        current = now()
        if has_time:
            until = moment
            if until <= current:
                raise InvalidInput(f"snooze: {when!r} is not in the future", field="until")
        else:
            day = local_date(moment)
            if day < local_today():
                raise InvalidInput(f"snooze: {when!r} is in the past", field="until")
            if before.due_at is not None and not before.all_day:
                at = clock.to_local(before.due_at).time()
                until = datetime.combine(day, at, tzinfo=clock.local_tz()).astimezone(UTC)
            else:
                until = day_start(day)
        update_versioned(tx, "tasks", "task", task_id, before.version, {"snoozed_until": until})
        audit(tx, "snooze", "task", task_id, {"snoozed_until": (before.snoozed_until, until)})
        return read_in(tx, task_id)


def delete(db: Database, task_id: int) -> TaskRead:
    return delete_record(db, "tasks", "task", task_id, read_in, "title")


# --- stay in touch --------------------------------------------------------------------------------------


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
