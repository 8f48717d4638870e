"""The one clock every service reads.

``TINYCRM_NOW`` (an ISO timestamp, e.g. ``2026-03-29T09:00:00+02:00``) fixes it, for tests and reproducible demos.
Times are stored in UTC and shown in local time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo

_frozen: datetime | None = None


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Let every service see ``at`` as now, inside this block (the demo builds its history this way)."""
    global _frozen
    before, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = before


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    if _frozen is not None:
        return _frozen
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
    return _system_zone()


def _system_zone() -> tzinfo:
    """The system's zone with its daylight-saving rules (a fixed offset would be wrong half the year)."""
    from zoneinfo import ZoneInfo

    try:
        target = os.path.realpath("/etc/localtime")
        if "/zoneinfo/" in target:
            return ZoneInfo(target.split("/zoneinfo/", 1)[1])
        with open("/etc/localtime", "rb") as fh:
            return ZoneInfo.from_file(fh, key="localtime")
    except (OSError, ValueError, KeyError):
        return datetime.now().astimezone().tzinfo or UTC


def local_now() -> datetime:
    return now().astimezone(local_tz())


def to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_tz())
