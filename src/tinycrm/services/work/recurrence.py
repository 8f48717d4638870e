"""When tasks are due: local days, repeat rules and the next occurrence of a series.

Due dates. A task is due at a moment (``due_at``, UTC) or, when no time of day was given, on a day
(``all_day``; ``due_at`` is then that day's local midnight). A timed task is overdue once its moment has
passed; an all-day task once its day has.

Repeating. ``rrule`` is an RFC 5545 RRULE evaluated by ``dateutil.rrule`` in local wall-clock time, so a daily
09:00 task stays at 09:00 across daylight-saving changes. Completing a repeating task stores the next
occurrence as a new task: the first occurrence of the rule *after the completed task's due date* that is not
already in the past (for an all-day task: today or later; for a timed task: later than now). A task completed
late thus keeps its schedule (a Monday task stays on Mondays) without piling up missed occurrences; a task
completed early moves on by one occurrence. ``COUNT`` counts down through the series; ``UNTIL`` ends it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from tinycrm.domain import clock
from tinycrm.domain.dates import parse_when_detailed
from tinycrm.domain.errors import InvalidInput
from tinycrm.services.common import now

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


def first_due(rule: str) -> datetime:
    """Where a repeating task without a due date starts: its first occurrence from today (all-day)."""
    today = local_today()
    series = _build(rule, datetime.combine(today, time(0)))
    first = series.after(datetime.combine(today, time(0)), inc=True)
    if first is None:
        raise InvalidInput("repeat: the rule has no occurrence from today on; give --due", field="repeat")
    return day_start(first.date())
