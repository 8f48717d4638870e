"""Dates and times as people write them: ISO, and natural forms through dateutil.

``parse_when("yesterday 15:00")``, ``parse_when("next friday 3pm")``, ``parse_when("in 2 weeks")``,
``parse_date("2026-12-01")``. A time without a zone is local time; results are aware datetimes in UTC.
An input that cannot be understood raises :class:`InvalidInput` naming the text.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from tinycrm.domain import clock
from tinycrm.domain.errors import InvalidInput

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WD_ABBR = {d[:3]: i for i, d in enumerate(WEEKDAYS)} | {d: i for i, d in enumerate(WEEKDAYS)}
_UNITS = {
    "minute": "minutes",
    "minutes": "minutes",
    "min": "minutes",
    "mins": "minutes",
    "hour": "hours",
    "hours": "hours",
    "h": "hours",
    "day": "days",
    "days": "days",
    "d": "days",
    "week": "weeks",
    "weeks": "weeks",
    "w": "weeks",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10}


def _shift(base: datetime, n: int, unit: str) -> datetime:
    if unit in ("months", "years"):
        from dateutil.relativedelta import relativedelta

        return base + relativedelta(**{unit: n})
    return base + timedelta(**{unit: n})


class _Parsed:
    def __init__(self, when: datetime, has_time: bool) -> None:
        self.when = when
        self.has_time = has_time


#: the years a date may fall in: outside, it is a typo (and Python's calendar ends at year 9999)
YEARS = (1800, 2999)


def _parse(text: str, now: datetime) -> _Parsed:
    try:
        parsed = _parse_text(text, now)
        parsed.when.astimezone(UTC)  # at the ends of the calendar this overflows
    except (OverflowError, ValueError):
        raise InvalidInput(f"the date {' '.join(text.split())!r} is out of range") from None
    if not YEARS[0] <= parsed.when.year <= YEARS[1]:
        raise InvalidInput(f"the date {' '.join(text.split())!r} is out of range ({YEARS[0]} to {YEARS[1]})")
    return parsed


def _parse_text(text: str, now: datetime) -> _Parsed:
    raw = " ".join(text.strip().split())
    if not raw:
        raise InvalidInput(
            "a date is empty; write e.g. 2026-05-01, tomorrow, 'next friday 3pm' or 'in 2 weeks'"
        )
    lower = raw.lower()
    local_now = now.astimezone(clock.local_tz())
    today = datetime.combine(local_now.date(), time(0), tzinfo=local_now.tzinfo)
    base: datetime | None = None
    rest = lower
    has_time = False

    m = re.fullmatch(r"now", lower)
    if m:
        return _Parsed(local_now, True)
    m = re.match(r"^in\s+(\d+|an?|one|two|three|four|five|six|ten)\s+([a-z]+)\b\s*(.*)$", lower)
    if m and m.group(2) in _UNITS:
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1)]
        unit = _UNITS[m.group(2)]
        start = local_now if unit in ("minutes", "hours") else today
        base, rest, has_time = _shift(start, n, unit), m.group(3), unit in ("minutes", "hours")
    if base is None:
        m = re.match(r"^(\d+|an?|one|two|three|four|five|six|ten)\s+([a-z]+)\s+ago\b\s*(.*)$", lower)
        if m and m.group(2) in _UNITS:
            n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1)]
            unit = _UNITS[m.group(2)]
            start = local_now if unit in ("minutes", "hours") else today
            base, rest, has_time = _shift(start, -n, unit), m.group(3), unit in ("minutes", "hours")
    if base is None:
        m = re.match(r"^(today|tonight|tomorrow|yesterday)\b\s*(.*)$", lower)
        if m:
            offset = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1}[m.group(1)]
            base, rest = today + timedelta(days=offset), m.group(2)
            if m.group(1) == "tonight" and not rest:
                rest = "20:00"
    if base is None:
        m = re.match(r"^(next|last|this|on)?\s*([a-z]+)\b\s*(.*)$", lower)
        if m and m.group(2) in _WD_ABBR and (m.group(1) or m.group(2) in WEEKDAYS):
            target = _WD_ABBR[m.group(2)]
            delta = (target - today.weekday()) % 7
            if m.group(1) == "last":
                delta = delta - 7 if delta else -7
            elif m.group(1) == "next" or delta == 0 and m.group(1) != "this":
                delta = delta or 7
            base, rest = today + timedelta(days=delta), m.group(3)
        elif m and m.group(1) in ("next", "last") and m.group(2) in ("week", "month", "year"):
            unit = _UNITS[m.group(2)]
            base, rest = _shift(today, 1 if m.group(1) == "next" else -1, unit), m.group(3)
    rest = re.sub(r"^(at|@)\s+", "", rest.strip())
    if base is not None and not rest:
        return _Parsed(base, has_time)
    if base is not None:
        tm = _parse_time(rest)
        if tm is None:
            raise InvalidInput(f"cannot understand the time {rest!r} in {raw!r}; write e.g. 15:00 or 3pm")
        return _Parsed(base.replace(hour=tm.hour, minute=tm.minute, second=0, microsecond=0), True)
    return _parse_absolute(raw, local_now)


def _parse_time(text: str) -> time | None:
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?", text.strip())
    if not m:
        return None
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), m.group(3)
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    elif m.group(2) is None:
        return None  # a bare number is not a time
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _parse_absolute(raw: str, local_now: datetime) -> _Parsed:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        has_time = "T" in raw or " " in raw or ":" in raw
    except ValueError:
        from dateutil import parser as du

        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        if raw.isdigit():  # dateutil would make "13" the 13th of this month and "99" a day in 1999
            raise InvalidInput(
                f"cannot understand the date {raw!r}: a number alone is not a date; write e.g. 2026-05-01"
            ) from None
        try:
            value, tokens = du.parse(raw, default=midnight, fuzzy_with_tokens=True)
        except (ValueError, OverflowError):
            raise InvalidInput(
                f"cannot understand the date {raw!r}; write e.g. 2026-05-01, tomorrow, 'next friday 3pm'"
            ) from None
        if any(t.strip(" ,.") for t in tokens):
            raise InvalidInput(
                f"cannot understand the date {raw!r}; write e.g. 2026-05-01, tomorrow, 'next friday 3pm'"
            ) from None
        has_time = bool(re.search(r"\d:\d|\d\s*(am|pm)\b|\bnoon\b|\bmidnight\b", raw.lower()))
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.local_tz())
    return _Parsed(value, has_time)


def parse_when(text: str | datetime | None, *, what: str = "date") -> datetime:
    """A point in time, aware, in UTC. ``None`` or ``""`` is now."""
    if isinstance(text, datetime):
        return (text if text.tzinfo else text.replace(tzinfo=clock.local_tz())).astimezone(UTC)
    now = clock.now()
    if text is None or not str(text).strip():
        return now
    try:
        return _parse(str(text), now).when.astimezone(UTC)
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", field=what, hint=exc.hint) from None


def parse_when_detailed(text: str, *, what: str = "date") -> tuple[datetime, bool]:
    """As :func:`parse_when`, and whether a time of day was given (``False``: a whole day)."""
    try:
        parsed = _parse(text, clock.now())
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", field=what, hint=exc.hint) from None
    return parsed.when.astimezone(UTC), parsed.has_time


def parse_date(text: str | date | None, *, what: str = "date") -> date | None:
    """A calendar day (natural forms allowed). ``None`` or ``""`` is no date."""
    if text is None or isinstance(text, date):
        return text
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        pass
    else:
        if not YEARS[0] <= day.year <= YEARS[1]:
            raise InvalidInput(
                f"{what}: the date {text.strip()!r} is out of range ({YEARS[0]} to {YEARS[1]})", field=what
            )
        return day
    try:
        return _parse(text, clock.now()).when.date()
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc.message}", field=what, hint=exc.hint) from None


def parse_birthday(text: str | None) -> str | None:
    """``YYYY-MM-DD``, or ``--MM-DD`` for a birthday without a year (``--04-15``, ``04-15``, ``15 April``)."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    m = re.fullmatch(r"(?:--)?(\d{2})-?(\d{2})", value)
    if m and not re.fullmatch(r"\d{4}", value):
        month, day = int(m.group(1)), int(m.group(2))
        try:
            date(2000, month, day)  # a leap year: 29 February is a birthday
        except ValueError:
            raise InvalidInput(
                f"birthday: {value!r} is not a day of the year (MM-DD)", field="birthday"
            ) from None
        return f"--{month:02d}-{day:02d}"
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None:
        has_year = bool(re.search(r"\b\d{4}\b", value))
        try:
            from dateutil import parser as du

            parsed = du.parse(value, default=datetime(2000, 1, 1))
            # what dateutil filled in from the default: a birthday needs its own month and day
            other = du.parse(value, default=datetime(2004, 2, 2))
        except (ValueError, OverflowError):
            raise InvalidInput(
                f"birthday: cannot understand {value!r}; write YYYY-MM-DD, or MM-DD without a year",
                field="birthday",
            ) from None
        if (parsed.month, parsed.day) != (other.month, other.day):
            raise InvalidInput(
                f"birthday: {value!r} has no day and month; write YYYY-MM-DD, or MM-DD without a year",
                field="birthday",
            )
        if not has_year:
            return f"--{parsed.month:02d}-{parsed.day:02d}"
        day = parsed.date()
    if day > clock.local_now().date():
        raise InvalidInput(f"birthday: {value} is in the future", field="birthday")
    if day.year < YEARS[0]:
        raise InvalidInput(
            f"birthday: {value} is before {YEARS[0]}; without a year, write MM-DD", field="birthday"
        )
    return day.isoformat()


def to_iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC (``...Z``), for JSON."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def show(value: datetime | date | None, *, with_time: bool = True) -> str:
    """A stored time in local time, for people; a day (a birthday, a due date without a time) as it is."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    local = clock.to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if with_time else local.strftime("%Y-%m-%d")
