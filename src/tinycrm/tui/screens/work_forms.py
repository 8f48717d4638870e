"""Forms of the pipeline and the agenda: why a deal was lost, and until when a task sleeps."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import Input

from tinycrm.tui.format import escape
from tinycrm.tui.screens.forms import FormScreen, when_preview
from tinycrm.tui.widgets.fields import Field


class LoseForm(FormScreen):
    """Why a deal was lost. Dismisses with the ``DealRead``."""

    TITLE_TEXT = "Lose the deal"
    SAVE_LABEL = "Lose"

    def __init__(self, deal_id: int, title: str) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.deal_title = title

    def subtitle(self) -> str:
        return escape(self.deal_title)

    def fields(self) -> list[Field]:
        return [
            Field(
                "Reason",
                Input(placeholder="price, timing, went with a competitor…", id="reason"),
                keys=("reason",),
                id="f-reason",
            )
        ]

    def on_mount(self) -> None:
        self.input("reason").focus()

    def values(self) -> dict[str, Any]:
        return {"reason": self.text("reason")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.sales import deals

        return self.service(deals.lose, self.deal_id, values["reason"])


class SnoozeForm(FormScreen):
    """Snooze a task. Dismisses with the ``TaskRead``."""

    TITLE_TEXT = "Snooze"
    SAVE_LABEL = "Snooze"

    def __init__(self, task_id: int, title: str) -> None:
        super().__init__()
        self.task_id = task_id
        self.task_title = title
        #: until when the task slept before this snooze (what undo puts back)
        self.previous: Any = None

    def subtitle(self) -> str:
        return escape(self.task_title)

    def fields(self) -> list[Field]:
        return [
            Field(
                "Until",
                Input("tomorrow", placeholder="tomorrow, in 2 hours, next monday 9am", id="until"),
                keys=("until", "snooze"),
                hint=when_preview("tomorrow", what="snooze"),
                id="f-until",
            )
        ]

    def on_mount(self) -> None:
        self.input("until").focus()

    @on(Input.Changed, "#until")
    def _until_changed(self, event: Input.Changed) -> None:
        self.field("until").set_hint(when_preview(event.value, what="snooze", empty="a date is needed"))

    def values(self) -> dict[str, Any]:
        return {"until": self.text("until")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.work import tasks

        self.previous = self.service(tasks.get, self.task_id).snoozed_until
        return self.service(tasks.snooze, self.task_id, values["until"])
