"""A labelled form field that shows the service's validation message under its input."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Label, Static


class Field(Vertical):
    """A label, an input widget, a hint, and the error message of the last save (hidden when there is none).

    ``keys`` are the ``CrmError.field`` names that belong to this field (``email`` and ``emails``...)."""

    DEFAULT_CSS = """
    Field { height: auto; }
    """

    def __init__(
        self, label: str, widget: Widget, *, keys: tuple[str, ...] = (), hint: str = "", id: str | None = None
    ) -> None:  # noqa: A002
        super().__init__(id=id, classes="field")
        self.label = label
        self.widget = widget
        self.keys = keys
        self.hint = hint

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield self.widget
        hint = Static(self.hint, classes="field-hint")
        hint.display = bool(self.hint)
        yield hint
        yield Static("", classes="field-error")

    def set_hint(self, text: str) -> None:
        hint = self.query_one(".field-hint", Static)
        hint.update(text)
        hint.display = bool(text)

    def set_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(message or "")
        self.set_class(bool(message), "-invalid")


def status_field(choices: tuple[str, ...], current: str) -> Field:
    """A form's "Status" choice among ``choices``, ``current`` chosen (a ticket's, a lead's)."""
    from textual.widgets import Select

    select: Select[str] = Select([(c, c) for c in choices], value=current, allow_blank=False, id="status")
    return Field("Status", select, keys=("status",), id="f-status")
