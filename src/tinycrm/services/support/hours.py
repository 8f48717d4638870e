"""Business time: SLA targets count only within ``[support] hours``, in its time zone, outside holidays.

:func:`add` moves a moment forward by a number of business minutes; :func:`between` counts the business
minutes from one moment to another. Both walk day by day (a year of days at most), never minute by minute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from tinycrm.config.support import Support

#: how far ahead a target may lie: a calendar with almost no working time still ends
MAX_DAYS = 3660


@dataclass(frozen=True)
class Calendar:
    spans: dict[int, list[tuple[time, time]]]
    zone: tzinfo
    holidays: frozenset[date]

    @classmethod
    def of(cls, settings: Support) -> Calendar:
        from tinycrm.domain import clock

        spans: dict[int, list[tuple[time, time]]] = {}
        for day, start, end in settings.spans:
            spans.setdefault(day, []).append((start, end))
        for day in spans:
            spans[day].sort()
        if settings.timezone:
            from zoneinfo import ZoneInfo

            zone: tzinfo = ZoneInfo(settings.timezone)
        else:
            zone = clock.local_tz()
        return cls(spans, zone, frozenset(settings.holidays))

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        out = []
        for start, end in self.spans.get(day.weekday(), []):
            begin = datetime.combine(day, start, self.zone).astimezone(UTC)
            finish = (
                datetime.combine(day + timedelta(days=1), time(0), self.zone)
                if end == time.max
                else datetime.combine(day, end, self.zone)
            ).astimezone(UTC)
            out.append((begin, finish))
        return out


def add(start: datetime, minutes: int, cal: Calendar) -> datetime:
    """The moment ``minutes`` of business time after ``start``."""
    left = timedelta(minutes=minutes)
    day = start.astimezone(cal.zone).date()
    for _ in range(MAX_DAYS):
        for begin, finish in cal._windows(day):
            begin = max(begin, start)
            if finish <= begin:
                continue
            if finish - begin >= left:
                return begin + left
            left -= finish - begin
        day += timedelta(days=1)
    return start + timedelta(days=MAX_DAYS)


def between(start: datetime, end: datetime, cal: Calendar) -> int:
    """Whole business minutes from ``start`` to ``end`` (0 when ``end`` is not later)."""
    if end <= start:
        return 0
    total = timedelta()
    day = start.astimezone(cal.zone).date()
    last = end.astimezone(cal.zone).date()
    while day <= last:
        for begin, finish in cal._windows(day):
            begin, finish = max(begin, start), min(finish, end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)
