"""Done (``d``) and snooze (``z``) for the task highlighted on a contact's or a deal's page, as on the agenda,
each with a toast that ``u`` undoes."""

from __future__ import annotations

from typing import Any

from textual import work

from tinycrm.domain.errors import CrmError
from tinycrm.tui.format import when
from tinycrm.tui.screens.base import ServiceFailed


def highlighted_index(lst: Any, prefix: str) -> int | None:
    """The number N of the highlighted option of ``lst`` when its id is ``PREFIX + N`` (a timeline's entries are
    so named), else ``None``."""
    if lst.highlighted is None:
        return None
    oid = lst.get_option_at_index(lst.highlighted).id or ""
    rest = oid[len(prefix) :]
    return int(rest) if oid.startswith(prefix) and rest.isdigit() else None


class TaskKeys:
    """For a screen with a timeline of tasks: it gives :meth:`highlighted_task` and :meth:`reload`."""

    def highlighted_task(self) -> tuple[int, str, bool] | None:
        """The highlighted task's id, title and whether it is done; ``None`` when no task is highlighted."""
        raise NotImplementedError

    def _task_or_hint(self) -> tuple[int, str] | None:
        task = self.highlighted_task()
        screen: Any = self
        if task is None:
            screen.notify("Highlight a task in the timeline first (↑ ↓), then d marks it done, z snoozes it.")
            return None
        if task[2]:
            screen.notify(f"Already done: {task[1]}", timeout=3)
            return None
        return task[0], task[1]

    def action_task_done(self) -> None:
        task = self._task_or_hint()
        if task is not None:
            self._complete_task(task[0])

    @work(thread=True, group="task-write")
    def _complete_task(self, task_id: int) -> None:
        from tinycrm.services.work import tasks

        screen: Any = self
        try:
            task, nxt = screen.service(tasks.complete, task_id)
        except CrmError as exc:
            screen.post_message(ServiceFailed(exc, "Done"))
            return
        screen.app.call_from_thread(self._task_done, task, nxt)

    def _task_done(self, task: Any, nxt: Any) -> None:
        from tinycrm.tui import undo

        screen: Any = self
        text = f"Done: {task.title}"
        if nxt is not None:
            text += f" · next {when(nxt.when, with_time=not nxt.all_day)}"
        undo.offer(screen.app, text, undo.reopen_task(task.id, nxt.id if nxt else None))
        screen.reload()

    def action_task_snooze(self) -> None:
        task = self._task_or_hint()
        if task is None:
            return
        from tinycrm.tui import undo
        from tinycrm.tui.screens.work_forms import SnoozeForm

        screen: Any = self
        form = SnoozeForm(*task)

        def snoozed(done: Any) -> None:
            if done is not None:
                text = f"Snoozed until {when(done.snoozed_until)}: {done.title}"
                undo.offer(screen.app, text, undo.unsnooze_task(done.id, form.previous))
                screen.reload()

        screen.app.push_screen(form, snoozed)
