"""Undo the last done, snooze, move or loss for a few seconds: a toast says what happened and that ``u`` undoes
it; the undo runs through the services like any other change."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

#: how long the last change can be undone, in seconds
WINDOW = 10.0

Undo = Callable[[Any], str]


def offer(app: Any, text: str, undo: Undo) -> None:
    """Show ``text`` with "u undoes"; remember ``undo(db)`` (which gives what it did) for :data:`WINDOW`."""
    app.last_undo = (undo, time.monotonic() + WINDOW)
    app.notify(f"{text}  ·  u undoes", timeout=WINDOW)


def take(app: Any) -> Undo | None:
    """The change that can still be undone, once."""
    last = getattr(app, "last_undo", None)
    app.last_undo = None
    if last is None or time.monotonic() > last[1]:
        return None
    return last[0]


def reopen_task(task_id: int, next_id: int | None) -> Undo:
    """Undo a done: open the task again (and drop the next occurrence a repeating task got)."""

    def run(db: Any) -> str:
        from tinycrm.services.work import tasks

        task = tasks.update(db, task_id, {"done": False})
        if next_id is not None:
            tasks.delete(db, next_id)
        return f"Open again: {task.title}"

    return run


def unsnooze_task(task_id: int, until: Any) -> Undo:
    """Undo a snooze: the task sleeps until what it did before (``None``: not at all)."""

    def run(db: Any) -> str:
        from tinycrm.services.work import tasks

        task = tasks.update(db, task_id, {"snoozed_until": until})
        return f"Snooze undone: {task.title}"

    return run


def move_deal_back(deal_id: int, stage_id: int) -> Undo:
    def run(db: Any) -> str:
        from tinycrm.services.sales import deals

        deal = deals.move(db, deal_id, stage_id)
        return f"“{deal.title}” back in {deal.stage}"

    return run


def reopen_deal(deal_id: int) -> Undo:
    def run(db: Any) -> str:
        from tinycrm.services.sales import deals

        deal = deals.reopen(db, deal_id)
        return f"“{deal.title}” is open again ({deal.stage})"

    return run
