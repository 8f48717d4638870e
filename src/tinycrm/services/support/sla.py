"""SLA bookkeeping of a ticket: when each target is due, the clock paused while pending (or resolved), and the
columns the queue is ordered by (``queue``, ``sla_due``). Every change of status goes through :func:`move`,
inside the transaction that changes the ticket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tinycrm.config.support import Sla, Support
from tinycrm.domain.support import QUEUE
from tinycrm.services.support import hours


def settings() -> tuple[Support, Sla]:
    from tinycrm import config

    return config.get(Support), config.get(Sla)


def calendar() -> hours.Calendar:
    return hours.Calendar.of(settings()[0])


def targets(priority: str, start: datetime) -> tuple[datetime, datetime]:
    """When the first response and the resolution of a ticket opened at ``start`` are due."""
    support, sla = settings()
    cal = hours.Calendar.of(support)
    return (
        hours.add(start, sla.minutes(priority, "first_response"), cal),
        hours.add(start, sla.minutes(priority, "resolution"), cal),
    )


def next_due(row: Any) -> datetime | None:
    """The target open work is ordered by: the first response until there is one, then the resolution."""
    if QUEUE[row["status"]] != 0:
        return None
    return row["first_response_due"] if row["first_responded_at"] is None else row["resolution_due"]


def _resumed(due: datetime | None, paused: datetime, at: datetime, cal: hours.Calendar) -> datetime | None:
    """A due time moved on by the business time the clock stood still (a breach stays a breach)."""
    if due is None or due <= paused:
        return due
    return hours.add(at, hours.between(paused, due, cal), cal)


def move(row: dict[str, Any], status: str, at: datetime, *, until: datetime | None = None) -> dict[str, Any]:
    """The columns that change when the ticket ``row`` (its current columns) goes to ``status`` at ``at``."""
    out: dict[str, Any] = {"status": status, "queue": QUEUE[status], "pending_until": None}
    was_open = QUEUE[row["status"]] == 0
    stopped = row.get("paused_at") or (row.get("resolved_at") if not was_open else None)
    if QUEUE[status] == 0:
        out["paused_at"] = None
        out["resolved_at"] = None
        out["closed_at"] = None
        if not was_open and stopped is not None:
            cal = calendar()
            out["first_response_due"] = (
                row["first_response_due"]
                if row["first_responded_at"] is not None
                else _resumed(row["first_response_due"], stopped, at, cal)
            )
            out["resolution_due"] = _resumed(row["resolution_due"], stopped, at, cal)
    elif status == "pending":
        out["pending_until"] = until
        out["paused_at"] = stopped or at
        out["resolved_at"] = None
        out["closed_at"] = None
    elif status == "resolved":
        out["resolved_at"] = row.get("resolved_at") or at
        out["paused_at"] = None
        out["closed_at"] = None
    else:  # closed
        out["resolved_at"] = row.get("resolved_at") or at
        out["closed_at"] = at
        out["paused_at"] = None
    merged = {**row, **out}
    out["sla_due"] = next_due(merged)
    return out


def retarget(row: dict[str, Any], priority: str) -> dict[str, Any]:
    """The SLA columns of ``row`` under another priority: the new targets from its opening, each moved on by
    the business time its old target had been moved on (the pauses)."""
    cal = calendar()
    old = targets(row["priority"], row["created_at"])
    new = targets(priority, row["created_at"])
    out: dict[str, Any] = {"priority": priority}
    for key, was, will in (("first_response_due", old[0], new[0]), ("resolution_due", old[1], new[1])):
        moved = hours.between(was, row[key], cal) if row[key] is not None else 0
        out[key] = hours.add(will, moved, cal) if moved else will
    out["sla_due"] = next_due({**row, **out})
    return out


def breaches(row: Any, now: datetime) -> tuple[bool, bool]:
    """Whether the first-response and the resolution targets are breached (as of ``now``)."""
    stopped = row["paused_at"] or row["resolved_at"] or now
    fr_due, res_due = row["first_response_due"], row["resolution_due"]
    first = fr_due is not None and (row["first_responded_at"] or stopped) > fr_due
    resolution = res_due is not None and stopped > res_due
    return first, resolution
