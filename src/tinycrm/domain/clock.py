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

#: the zone :func:`local_tz` found, and the ``TZ`` value it was found for: resolved once per process (it costs
#: a file look-up and a parse; a list of thousands of dates asks for it several times per row)
_zone: tuple[str | None, tzinfo] | None = None
#: ``TINYCRM_NOW`` as read last, and the moment it gives
_fixed: tuple[str, datetime] | None = None


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
        global _fixed
        if _fixed is not None and _fixed[0] == fixed:
            return _fixed[1]
        try:
            value = datetime.fromisoformat(fixed)
        except ValueError:
            from tinycrm.domain.errors import InvalidInput

            raise InvalidInput(
                f"TINYCRM_NOW={fixed!r} is not a date and time such as 2026-03-29T09:00:00+02:00; fix or unset it"
            ) from None
        naive = value.tzinfo is None
        if naive:
            value = value.replace(tzinfo=local_tz())
        value = value.astimezone(UTC)
        if not naive:  # a naive value depends on TZ, which may change: not kept
            _fixed = (fixed, value)
        return value
    return datetime.now(UTC)


def local_tz() -> tzinfo:
    """The local time zone (``TZ`` is honoured). Resolved once for each value of ``TZ``."""
    global _zone
    name = os.environ.get("TZ")
    if _zone is not None and _zone[0] == name:
        return _zone[1]
    zone = _resolve(name)
    _zone = (name, zone)
    return zone


def _resolve(name: str | None) -> tzinfo:
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
