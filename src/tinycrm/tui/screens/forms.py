"""Forms and dialogs (``ModalScreen[T]``; each dismisses with what it saved, or ``None`` when cancelled).

A form saves through one service call in a thread worker. When the service refuses (``CrmError``), the
message appears next to the field it names (``CrmError.field``) and nothing was stored: the service's
transaction is all or nothing. While another process holds the database's write lock (SQLite), the form says
how long it has been waiting and Cancel gives up: nothing is written and the form stays open with its input.

Here: the form every other builds on (:class:`FormScreen`), the yes/no question (:class:`ConfirmDialog`) and
what several forms share. The forms themselves live with what they edit: ``contact_forms`` (a contact, its
tags, a follow-up), ``interaction`` (log or change an interaction), ``work_forms`` (lose a deal, snooze a
task).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tinycrm.domain.errors import CrmError
from tinycrm.store import pool
from tinycrm.tui import keys
from tinycrm.tui.format import escape
from tinycrm.tui.screens.base import CrmModal, ServiceFailed
from tinycrm.tui.widgets.fields import Field
from tinycrm.tui.widgets.footer import CrmFooter


def when_preview(text: str, *, what: str = "when", empty: str = "now") -> str:
    """What a natural-language date means, shown under the field as it is typed."""
    from tinycrm.domain import clock
    from tinycrm.domain.dates import parse_when

    if not text.strip():
        return f"[dim]empty: {empty}[/dim]"
    try:
        moment = clock.to_local(parse_when(text, what=what))
    except CrmError:
        return "[dim]? e.g. yesterday 15:00, last friday, 2026-03-01 10:30[/dim]"
    return f"[dim]→ {moment:%a %d %b %Y %H:%M}[/dim]"


class FormScreen(CrmModal):
    """A dialog with fields, Save and Cancel. Tab and shift+tab move between the fields as soon as they are read
    (priority bindings), so what is typed after a Tab lands in the next field, however fast."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *keys.bindings("form"),
        Binding("tab", "move_focus(1)", "Next field", show=False, priority=True),
        Binding("shift+tab", "move_focus(-1)", "Previous field", show=False, priority=True),
    ]
    TITLE_TEXT = "Form"
    SAVE_LABEL = "Save"
    #: the first field has the focus from the start (not the scrolling body), so keys typed ahead land there
    AUTO_FOCUS = "#dialog Input, #dialog TextArea, #dialog Select"

    class Saved(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Waiting(Message):
        """The save has waited ``seconds`` for another process's write lock."""

        def __init__(self, seconds: float) -> None:
            super().__init__()
            self.seconds = seconds

    class GaveUp(Message):
        """The person cancelled while the save waited for the lock: nothing was written."""

    def __init__(self) -> None:
        super().__init__()
        self.saving = False
        #: the save is waiting for the database's write lock (Cancel gives up then)
        self.waiting = False
        #: set by Cancel while the save waits; the saving thread sees it at its next try
        self.give_up = threading.Event()
        self._saving_thread: int | None = None

    @property
    def footer_labels(self) -> dict[str, str]:
        """The footer names ctrl+s as the Save button does ("Send", "Log", "Snooze"...)."""
        return {"form.save": self.SAVE_LABEL}

    def fields(self) -> list[Field]:
        raise NotImplementedError

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def save(self, values: dict[str, Any]) -> Any:
        """Store the values through a service (runs in a worker thread); give what to dismiss with."""
        raise NotImplementedError

    def subtitle(self) -> str:
        return ""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes=f"form {type(self).__name__}"):
            yield Label(self.TITLE_TEXT, classes="dialog-title")
            if self.subtitle():
                yield Label(self.subtitle(), classes="dialog-subtitle")
            with VerticalScroll(classes="form-body"):
                yield from self.fields()
            yield Static("", id="form-error")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.SAVE_LABEL}  ^s", variant="primary", id="save")
                yield Button("Cancel  esc", id="cancel")
        yield CrmFooter()

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_field_in_view)

    @on(events.Mount)
    @on(events.Resize)
    def _fit_later(self) -> None:  # also for forms with their own on_mount
        self.call_after_refresh(self.fit_body)

    #: the share of the screen's lines the fields may take (app.tcss: ``.form-body``), on a short one less
    BODY_SHARE, SHORT_BODY_SHARE = 0.6, 0.5

    def fit_body(self) -> None:
        """Give the fields the lines the dialog has left once its title, error line and buttons have theirs:
        the fields scroll, Save and Cancel stay in view at any height, with or without an error."""
        dialog = self.query_one("#dialog")
        body = self.query_one(".form-body", VerticalScroll)
        height = self.size.height - sum(f.outer_size.height for f in self.query(CrmFooter))
        room = int(height * 0.9) - dialog.styles.gutter.height  # #dialog: max-height 90%, border, padding
        others = sum(w.outer_size.height for w in dialog.children if w is not body and w.display)
        buttons = list(dialog.query(".buttons Button").results(Button))
        compact = buttons[0].compact
        tight = room - others < (4 if compact else 2)
        if tight != compact:  # very few lines: one-line buttons leave room for a field
            for button in buttons:
                button.compact = tight
            self.call_after_refresh(self.fit_body)
            return
        share = self.SHORT_BODY_SHARE if self.app.has_class("-short") else self.BODY_SHARE
        lines = max(1, min(int(self.size.height * share), room - others))
        if body.styles.max_height is None or body.styles.max_height.cells != lines:
            body.styles.max_height = lines

    def _first_field_in_view(self) -> None:
        """Focusing the first field scrolls its label out of view: show the top of the form, unless the field
        with the focus would leave the view."""
        body = self.query_one(".form-body", VerticalScroll)
        focused = self.focused
        if focused is None:
            return
        bottom = focused.region.bottom - body.content_region.y + body.scroll_y  # in the body, from its top
        if bottom <= body.content_region.height:
            body.scroll_home(animate=False)

    def show_error(self, text: str) -> None:
        """The form's own error line (markup) under its fields; the fields make room for it."""
        self.query_one("#form-error", Static).update(text)
        self.call_after_refresh(self.fit_body)

    def action_move_focus(self, step: int) -> None:
        self.focus_next() if step > 0 else self.focus_previous()

    def field(self, name: str) -> Field:
        return self.query_one(f"#f-{name}", Field)

    def input(self, name: str) -> Any:
        return self.field(name).widget

    def text(self, name: str) -> str:
        w = self.input(name)
        if isinstance(w, TextArea):
            return w.text
        if isinstance(w, Select):
            return "" if w.value in (Select.BLANK, Select.NULL) else str(w.value)
        return w.value

    # --- saving --------------------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.saving:
            return
        for f in self.query(Field):
            f.set_error(None)
        self.show_error("")
        self.busy(True)
        self.submit(self.values())

    def busy(self, saving: bool) -> None:
        """While a save runs: "Saving…", and neither button can be pressed again (until it waits for a lock:
        then Cancel gives up)."""
        self.saving = saving
        self.waiting = False
        save = self.query_one("#save", Button)
        save.label = "Saving…" if saving else f"{self.SAVE_LABEL}  ^s"
        save.disabled = saving
        self.query_one("#cancel", Button).disabled = saving

    def service(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """In the save's worker, a call that another process's write lock keeps waiting says so (the form
        shows it) and gives up when the person cancels."""
        if self._saving_thread != threading.get_ident():
            return super().service(fn, *args, **kwargs)

        def waited(seconds: float) -> bool:
            if self.give_up.is_set():
                return False
            self.post_message(self.Waiting(seconds))
            return True

        return pool.call_waiting(self.db, fn, *args, on_wait=waited, **kwargs)

    @work(thread=True, group="form")
    def submit(self, values: dict[str, Any]) -> None:
        self.give_up.clear()
        self._saving_thread = threading.get_ident()
        try:
            result = self.save(values)
        except CrmError as exc:
            self.post_message(self.GaveUp() if self.give_up.is_set() else ServiceFailed(exc, self.TITLE_TEXT))
            return
        finally:
            self._saving_thread = None
        self.post_message(self.Saved(result))

    def on_form_screen_waiting(self, message: Waiting) -> None:
        if not self.saving or self.give_up.is_set():
            return
        self.waiting = True
        self.query_one("#save", Button).label = "Waiting…"
        self.query_one("#cancel", Button).disabled = False
        # one line, so that Save and Cancel stay in view
        self.show_error(
            f"Waiting for the database… ({int(message.seconds)} s) · esc gives up, keeps your input"
        )

    def on_form_screen_gave_up(self, message: GaveUp) -> None:
        self.busy(False)
        self.show_error("Not saved: another program holds the database. Save again later.")

    def on_form_screen_saved(self, message: Saved) -> None:
        self.busy(False)
        self.dismiss(message.result)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.prevent_default()
        self.busy(False)
        error = message.error
        target = None
        if error.field:
            key = error.field.casefold()
            target = next((f for f in self.query(Field) if key in f.keys), None)
        if target is not None:
            target.set_error(error.message)
            target.widget.focus()
        else:
            self.show_error(escape(error.message))

    def action_cancel(self) -> None:
        if self.waiting:  # give up waiting for the lock; the form stays, with its input
            self.give_up.set()
            self.query_one("#cancel", Button).disabled = True
            self.show_error("Cancelling…")
        elif not self.saving:
            self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()


def split_list(text: str) -> list[str]:
    """``a, b`` or one per line: the items, trimmed."""
    return [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]


class ConfirmDialog(CrmModal):
    """A yes/no question. Dismisses with ``True`` or ``False``."""

    BINDINGS = [
        *keys.bindings("form"),
        ("y", "answer(True)", "Yes"),
        ("n", "answer(False)", "No"),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = "Yes", danger: bool = False) -> None:
        super().__init__()
        self.question = question
        self.detail = detail
        self.yes = yes
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="confirm"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, classes="dialog-detail")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes}  y", variant="error" if self.danger else "success", id="yes")
                yield Button("Cancel  n", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_save(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")
