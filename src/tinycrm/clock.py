"""The one clock every service reads.

``TINYCRM_NOW`` (an ISO timestamp, e.g. ``2026-03-29T09:00:00+02:00``) fixes it, for tests and reproducible demos.
Times are stored in UTC and shown in local time.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timezone, tzinfo


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    fixed = os.environ.get("TINYCRM_NOW")
    if fixed:
        value = datetime.fromisoformat(fixed)
        if value.tzinfo is None:
            value = value.replace(tzinfo=local_tz())
        return value.astimezone(UTC)
    return datetime.now(UTC)


def local_tz() -> tzinfo:
    """The local time zone (``TZ`` is honoured)."""
    name = os.environ.get("TZ")
    if name:
        try:
            from zoneinfo import ZoneInfo

            return ZoneInfo(name)
        except Exception:  # noqa: BLE001 - an odd TZ value falls back to the system's idea
            pass
    return datetime.now().astimezone().tzinfo or timezone.utc


def local_now() -> datetime:
    return now().astimezone(local_tz())


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_tz())
