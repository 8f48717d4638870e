"""The support desk's settings: ``[support]`` (the addresses, business hours, acknowledgements) and ``[sla]``
(the targets per priority). See docs/support.md.

::

    [support]
    address = ["help@example.com", "support@example.com"]   # or one address as text
    name = "Example Support"
    hours = "mon-fri 09:00-17:00"          # several spans: "mon-thu 09:00-17:00, fri 09:00-13:00"
    timezone = "Europe/Berlin"
    holidays = ["2026-12-25", "2026-12-26"]

    [sla]
    urgent = { first_response = "1h", resolution = "8h" }
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from tinycrm.config.base import Section, setting, shown
from tinycrm.config.sections import one_line

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("low", "normal", "high", "urgent")
_SPAN = re.compile(r"^([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DURATION = re.compile(r"^(?:(\d+)h)?\s*(?:(\d+)m)?$")


def addresses(value: str | list[Any]) -> tuple[str, ...]:
    from tinycrm.domain import validation
    from tinycrm.domain.errors import InvalidInput

    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        if not isinstance(item, str):
            raise ValueError(f"must be e-mail addresses (got {shown(item)})")
        try:
            out.append(validation.email(item.strip(), "address").lower())
        except InvalidInput:
            raise ValueError(
                f"must be e-mail addresses such as help@example.com (got {shown(item)})"
            ) from None
    return tuple(out)


def parse_hours(value: str) -> tuple[tuple[int, time, time], ...]:
    """``"mon-fri 09:00-17:00, sat 10:00-12:00"`` -> ((weekday, start, end), ...); 0 is Monday."""
    spans: list[tuple[int, time, time]] = []
    for part in value.lower().split(","):
        m = _SPAN.match(part.strip())
        if not m or m.group(1) not in DAYS or (m.group(2) and m.group(2) not in DAYS):
            raise ValueError(f'must be spans such as "mon-fri 09:00-17:00" (got {shown(value)})')
        first = DAYS.index(m.group(1))
        last = DAYS.index(m.group(2)) if m.group(2) else first
        try:
            start = time(int(m.group(3)), int(m.group(4)))
            end = time(int(m.group(5)), int(m.group(6))) if m.group(5) != "24" else time.max
        except ValueError:
            raise ValueError(f"has a time that does not exist (got {shown(value)})") from None
        if end <= start or last < first:
            raise ValueError(f"has a span that ends before it starts (got {shown(value)})")
        spans += [(day, start, end) for day in range(first, last + 1)]
    return tuple(spans)


def hours(value: str) -> str:
    parse_hours(value)
    return value


def zone(value: str) -> str:
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(value)
    except Exception:  # noqa: BLE001 - any refusal means: not a zone name
        raise ValueError(f"must be a time zone name such as Europe/Berlin (got {shown(value)})") from None
    return value


def dates(value: list[Any]) -> tuple[date, ...]:
    out = []
    for item in value:
        try:
            out.append(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError:
            raise ValueError(f"must be dates such as 2026-12-25 (got {shown(item)})") from None
    return tuple(out)


def minutes(text: str) -> int:
    """``"1h"``, ``"30m"``, ``"1h30m"`` -> minutes of business time."""
    m = _DURATION.match(str(text).strip().lower())
    if not m or not (m.group(1) or m.group(2)):
        raise ValueError(f'must be a duration such as "1h", "30m" or "1h30m" (got {shown(text)})')
    total = int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
    if total <= 0:
        raise ValueError(f"must be longer than nothing (got {shown(text)})")
    return total


def target(defaults: tuple[str, str]) -> Any:
    def check(value: Mapping[str, Any]) -> dict[str, int]:
        unknown = set(value) - {"first_response", "resolution"}
        if unknown:
            raise ValueError(
                f"has {', '.join(sorted(unknown))}; only first_response and resolution are known"
            )
        return {
            "first_response": minutes(value.get("first_response", defaults[0])),
            "resolution": minutes(value.get("resolution", defaults[1])),
        }

    return check


@dataclass(frozen=True)
class Support(Section):
    """The support desk: where customers write, and when the team works."""

    #: the support address(es): mail to one of them becomes a ticket; replies come from the first
    address: str | list[Any] = setting(default_factory=list, check=addresses)
    #: the display name of the support address in replies
    name: str = setting("Support", check=one_line("a name", 100))
    #: business hours, e.g. "mon-fri 09:00-17:00"; SLA times count only within them
    hours: str = setting("mon-fri 09:00-17:00", check=hours)
    #: the time zone of the business hours; unset: the local time zone
    timezone: str | None = setting(None, check=zone)
    #: days off (ISO dates), no business hours on them
    holidays: list[Any] = setting(default_factory=list, check=dates)
    #: answer a new ticket by mail with an acknowledgement (at most one per sender per day)
    acknowledge: bool = True
    #: where the knowledge base is published; an article's link is this URL + its slug
    kb_url: str | None = setting(None, check=one_line("a URL", 300))

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(self.address)

    @property
    def spans(self) -> tuple[tuple[int, time, time], ...]:
        return parse_hours(self.hours)


@dataclass(frozen=True)
class Sla(Section):
    """Service-level targets per priority, in business hours: ``urgent = { first_response = "1h",
    resolution = "8h" }``."""

    #: first response and resolution targets of low-priority tickets
    low: Mapping[str, Any] = setting(default_factory=lambda: {}, check=target(("24h", "80h")))
    #: of normal tickets
    normal: Mapping[str, Any] = setting(default_factory=lambda: {}, check=target(("8h", "40h")))
    #: of high-priority tickets
    high: Mapping[str, Any] = setting(default_factory=lambda: {}, check=target(("4h", "16h")))
    #: of urgent tickets
    urgent: Mapping[str, Any] = setting(default_factory=lambda: {}, check=target(("1h", "8h")))

    def minutes(self, priority: str, which: str) -> int:
        value: Mapping[str, int] = getattr(self, priority)
        return int(value[which])
