"""How values look on screen: money, dates, counts. Pure functions, no widgets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tinycrm.domain import clock

KIND_ICONS = {
    "call": "☎",
    "email": "✉",
    "meeting": "◉",
    "message": "✎",
    "note": "▤",
    "other": "•",
    "task": "☐",
    "done": "☑",
    "deal": "◆",
    "stale": "◷",
    "birthday": "✿",
    "ticket": "⚑",
}
CURRENCY_SIGNS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}


def money(value: Decimal | int | float | None, currency: str | None = None, *, short: bool = False) -> str:
    """``€12,500`` / ``12,500 DKK``; ``short`` gives ``€12.5k``."""
    if value is None:
        return ""
    amount = Decimal(value)
    if short and abs(amount) >= 1000:
        for limit, suffix in ((Decimal(1_000_000_000), "G"), (Decimal(1_000_000), "M"), (Decimal(1000), "k")):
            if abs(amount) >= limit:
                text = f"{amount / limit:.1f}".rstrip("0").rstrip(".") + suffix
                break
    else:
        text = f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"
    if not currency:
        return text
    sign = CURRENCY_SIGNS.get(currency)
    return f"{sign}{text}" if sign else f"{text} {currency}"


def totals(values: dict[str, Decimal] | None, *, short: bool = True) -> str:
    """Sums per currency, never added across currencies: ``€12k + $3k``."""
    if not values:
        return "—"
    return " + ".join(money(v, c, short=short) for c, v in sorted(values.items()) if v) or "—"


def when(value: datetime | date | None, *, with_time: bool = True) -> str:
    """A stored time in local time: ``2026-03-29 09:00``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = clock.to_local(value)
        return local.strftime("%Y-%m-%d %H:%M") if with_time else local.strftime("%Y-%m-%d")
    return value.isoformat()


def ago(value: datetime | date | None) -> str:
    """``today``, ``3 days ago``, ``in 2 days``, relative to the app's clock."""
    if value is None:
        return ""
    today = clock.local_now().date()
    day = clock.to_local(value).date() if isinstance(value, datetime) else value
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    if days < 0:
        return f"{-days} days ago" if days > -60 else f"{-days // 30} months ago"
    return f"in {days} days" if days < 60 else f"in {days // 30} months"


def count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def escape(text: str | None) -> str:
    """Text safe to put inside Textual content markup."""
    from rich.markup import escape as rich_escape

    return rich_escape(text or "")
