"""The iCalendar (RFC 5545) feed: tasks as VTODO, birthdays and expected deal closes as all-day VEVENTs.

UIDs are derived from the records' own UIDs (``task-UID@tinycrm``, ``birthday-UID@tinycrm``,
``deal-UID@tinycrm``), so a calendar application that reads the file again updates its entries instead of
adding copies; ``SEQUENCE`` and ``LAST-MODIFIED`` follow the record's version.

- A task due on a day has ``DUE;VALUE=DATE``; a task due at a time has a UTC ``DUE``, or, when it repeats and
  the local zone is known, a local ``DUE;TZID=...`` with its VTIMEZONE, so that the series keeps its local
  time across daylight-saving changes. A repeating task carries its RRULE with ``DTSTART`` = ``DUE``.
- A birthday repeats yearly from the birth date (year 2000 when the year is unknown); 29 February repeats on
  the last day of February, so it shows on the 28th in other years.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from tinycrm.domain.tasks import BirthdayEntry, CalendarData, DealDate, TaskRead

DOMAIN = "tinycrm"
#: our priorities (0 none, 1 low, 2 normal, 3 high) as iCalendar's (0 undefined, 1 highest ... 9 lowest)
PRIORITY = {0: 0, 1: 9, 2: 5, 3: 1}


def task_uid(t: TaskRead) -> str:
    return f"task-{t.uid}@{DOMAIN}"


def birthday_uid(b: BirthdayEntry) -> str:
    return f"birthday-{b.contact_uid}@{DOMAIN}"


def deal_uid(d: DealDate) -> str:
    return f"deal-{d.uid}@{DOMAIN}"


def _zone(name: str | None) -> Any:
    """A zone vobject names by its IANA key (it would otherwise use the abbreviation, e.g. CET)."""
    if not name:
        return None
    from zoneinfo import ZoneInfo

    class NamedZone(ZoneInfo):
        @property
        def tzid(self) -> str:
            return self.key

    try:
        return NamedZone(name)
    except Exception:  # noqa: BLE001 - an unknown zone: fall back to UTC times
        return None


def _utc(value: datetime) -> datetime:
    """In UTC as vobject recognises it (it writes ``...Z`` only for its own UTC object)."""
    from vobject.icalendar import utc

    return value.astimezone(UTC).astimezone(utc)


def _add(component: Any, name: str, value: Any) -> Any:
    prop = component.add(name)
    prop.value = value
    return prop


def _task(cal: Any, t: TaskRead, stamp: datetime, zone: Any) -> None:
    todo = cal.add("vtodo")
    _add(todo, "uid", task_uid(t))
    _add(todo, "dtstamp", _utc(stamp))
    _add(todo, "summary", t.title)
    due: date | datetime | None = None
    if t.due_at is not None:
        if t.all_day:
            due = t.due_date
        elif t.rrule and zone is not None:
            due = t.due_at.astimezone(zone)
        else:
            due = _utc(t.due_at)
        if t.rrule:
            _add(todo, "dtstart", due)
        _add(todo, "due", due)
        if t.rrule:
            _add(todo, "rrule", t.rrule)
    if PRIORITY.get(t.priority):
        _add(todo, "priority", str(PRIORITY[t.priority]))
    _add(todo, "status", "COMPLETED" if t.done_at else "NEEDS-ACTION")
    if t.done_at:
        _add(todo, "completed", _utc(t.done_at))
    lines = []
    if t.contact:
        lines.append(f"Contact: {t.contact.name}")
    if t.company:
        lines.append(f"Company: {t.company.name}")
    if t.deal:
        lines.append(f"Deal: {t.deal.name}")
    if t.notes:
        lines += ["", t.notes] if lines else [t.notes]
    if lines:
        _add(todo, "description", "\n".join(lines))
    _add(todo, "created", _utc(t.created_at))
    _add(todo, "last-modified", _utc(t.updated_at))
    _add(todo, "sequence", str(max(t.version - 1, 0)))


def _all_day_event(cal: Any, uid: str, summary: str, day: date, stamp: datetime) -> Any:
    event = cal.add("vevent")
    _add(event, "uid", uid)
    _add(event, "dtstamp", _utc(stamp))
    _add(event, "summary", summary)
    _add(event, "dtstart", day)
    _add(event, "dtend", day + timedelta(days=1))
    _add(event, "transp", "TRANSPARENT")
    return event


def _birthday(cal: Any, b: BirthdayEntry, stamp: datetime) -> None:
    month, day = int(b.birthday[-5:-3]), int(b.birthday[-2:])
    known_year = not b.birthday.startswith("--")
    start = date(int(b.birthday[:4]) if known_year else 2000, month, day)
    event = _all_day_event(cal, birthday_uid(b), f"Birthday: {b.display_name}", start, stamp)
    rule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1" if (month, day) == (2, 29) else "FREQ=YEARLY"
    _add(event, "rrule", rule)
    _add(event, "categories", ["Birthday"])
    if known_year:
        _add(event, "description", f"Born {start.isoformat()}")


def _deal(cal: Any, d: DealDate, stamp: datetime) -> None:
    event = _all_day_event(cal, deal_uid(d), f"Expected close: {d.title}", d.expected_close, stamp)
    _add(
        event, "description", f"Deal {d.id} ({d.status}), expected to close on {d.expected_close.isoformat()}"
    )
    _add(event, "sequence", str(max(d.version - 1, 0)))
    if d.updated_at:
        _add(event, "last-modified", _utc(d.updated_at))


def to_ical(data: CalendarData, *, name: str = "tinycrm") -> str:
    """The calendar as iCalendar text (CRLF line ends, folded lines)."""
    import vobject

    from tinycrm import __version__

    cal = vobject.iCalendar()
    _add(cal, "prodid", f"-//tinycrm//tinycrm {__version__}//EN")
    _add(cal, "x-wr-calname", name)
    _add(cal, "calscale", "GREGORIAN")
    zone = _zone(data.tz_name)
    for t in data.tasks:
        _task(cal, t, data.generated_at, zone)
    for b in data.birthdays:
        _birthday(cal, b, data.generated_at)
    for d in data.deals:
        _deal(cal, d, data.generated_at)
    text = cal.serialize()
    return text if isinstance(text, str) else text.decode("utf-8")
