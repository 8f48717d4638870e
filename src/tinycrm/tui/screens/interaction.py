"""One interaction: its whole text (scrolling), who was there, and what it is linked to; ``e`` changes it in a
form, ``d`` deletes it after a question. Opened from a contact's timeline. Also the form that logs one."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Select, Static, TextArea

from tinycrm.domain.errors import CrmError, InvalidInput
from tinycrm.domain.people import INTERACTION_KINDS, InteractionRead
from tinycrm.tui import keys
from tinycrm.tui.format import KIND_ICONS, ago, escape, when
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.screens.forms import FormScreen, when_preview
from tinycrm.tui.widgets.fields import Field
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar


class InteractionForm(FormScreen):
    """Log a call, email, meeting... with a contact, or change a logged one (``interaction``). Dismisses with
    the saved ``InteractionRead``."""

    TITLE_TEXT = "Log an interaction"
    SAVE_LABEL = "Log"

    def __init__(
        self,
        contact_id: int,
        contact_name: str,
        kind: str = "call",
        *,
        interaction: InteractionRead | None = None,
    ) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.contact_name = contact_name
        self.interaction = interaction
        self.kind = kind if kind in INTERACTION_KINDS else "call"
        self.when_text = ""
        if interaction is not None:
            self.kind = interaction.kind
            self.when_text = when(interaction.happened_at)
            self.TITLE_TEXT = f"Edit the {interaction.kind}"
            self.SAVE_LABEL = "Save"

    def subtitle(self) -> str:
        people = [p.name for p in self.interaction.contacts] if self.interaction else [self.contact_name]
        return f"with {escape(', '.join(people))}" if people else ""

    def fields(self) -> list[Field]:
        i = self.interaction
        return [
            Field(
                "Kind",
                Select([(k, k) for k in INTERACTION_KINDS], value=self.kind, allow_blank=False, id="kind"),
                keys=("kind",),
                id="f-kind",
            ),
            Field(
                "When",
                Input(
                    self.when_text,
                    placeholder="now, yesterday 15:00, last friday, 2026-03-01 10:30",
                    id="when",
                ),
                keys=("when", "date"),
                hint=when_preview(self.when_text, empty=self._empty_when()),
                id="f-when",
            ),
            Field(
                "Summary",
                Input(i.summary if i else "", placeholder="Intro call about the proposal", id="summary"),
                keys=("summary",),
                id="f-summary",
            ),
            Field(
                "Notes",
                TextArea((i.body or "") if i else "", id="body", classes="tall" if i else "short"),
                keys=("body",),
                id="f-body",
            ),
        ]

    def _empty_when(self) -> str:
        return "as it was" if self.interaction else "now"

    def on_mount(self) -> None:
        self.input("summary").focus()

    @on(Input.Changed, "#when")
    def _when_changed(self, event: Input.Changed) -> None:
        self.field("when").set_hint(when_preview(event.value, empty=self._empty_when()))

    def values(self) -> dict[str, Any]:
        return {
            "kind": self.text("kind"),
            "when": self.text("when"),
            "summary": self.text("summary"),
            "body": self.text("body"),
        }

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.people import interactions

        try:
            return self._store(values)
        except InvalidInput as exc:
            if interactions.FUTURE_HINT in exc.message:  # say where that is in the app
                raise InvalidInput(f"{exc.message}: f on the contact's page", field=exc.field) from None
            raise

    def _store(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.people import interactions

        i = self.interaction
        if i is None:
            return self.service(
                interactions.log,
                contact_ids=[self.contact_id],
                kind_=values["kind"],
                summary=values["summary"],
                when=values["when"] or None,
                body=values["body"] or None,
            )
        changes: dict[str, Any] = {}
        if values["kind"] != i.kind:
            changes["kind"] = values["kind"]
        if values["when"].strip() and values["when"].strip() != self.when_text:
            changes["when"] = values["when"]
        if values["summary"] != i.summary:
            changes["summary"] = values["summary"]
        if (values["body"] or None) != i.body:
            changes["body"] = values["body"] or None
        if not changes:
            return i
        return self.service(interactions.update, i.id, changes, expected_version=i.version)


# --- the detail view ------------------------------------------------------------------------------------


class InteractionFetched(Message):
    def __init__(self, interaction: InteractionRead) -> None:
        super().__init__()
        self.interaction = interaction


class InteractionDeleted(Message):
    def __init__(self, interaction: InteractionRead) -> None:
        super().__init__()
        self.interaction = interaction


def about(i: InteractionRead) -> Group:
    """The lines under the summary: when, who, what it is linked to, and the record."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="dim", no_wrap=True, min_width=8)
    grid.add_column()
    grid.add_row("when", Text(f"{when(i.happened_at)} ({ago(i.happened_at)})"))
    grid.add_row(
        "with", Text(", ".join(p.name for p in i.contacts) or "nobody", style="" if i.contacts else "dim")
    )
    links = [f"company {i.company.name}" if i.company else "", f"deal {i.deal.name}" if i.deal else ""]
    if any(links):
        grid.add_row("about", Text(" · ".join(x for x in links if x)))
    record = f"#{i.id} · logged by {i.owner or 'someone'} {when(i.created_at, with_time=False)}"
    if i.version > 1:
        record += f" · changed {when(i.updated_at, with_time=False)} · v{i.version}"
    grid.add_row("record", Text(record, style="dim"))
    return Group(grid)


class InteractionScreen(CrmScreen):
    """A logged interaction in full. Dismisses with True when it was changed or deleted."""

    AREA = "interaction"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("interaction")]
    AUTO_FOCUS = "#interaction-text"

    def __init__(self, interaction_id: int, contact_name: str = "") -> None:
        super().__init__()
        self.interaction_id = interaction_id
        self.contact_name = contact_name
        self.interaction: InteractionRead | None = None
        self.changed = False

    def compose(self) -> ComposeResult:
        yield NavBar(
            "contacts", f"Contacts › {escape(self.contact_name)}" if self.contact_name else "Contacts ›"
        )
        with Vertical(id="interaction-head"):
            yield Static("Loading…", id="interaction-title")
            yield Static("", id="interaction-about")
        with VerticalScroll(id="interaction-text"):
            yield Static("", id="interaction-body")
        with Horizontal(id="interaction-actions"):
            yield Button("Edit  e", id="edit", compact=True)
            yield Button("Delete  d", id="delete", variant="error", compact=True)
            yield Button("Back  esc", id="back", compact=True)
        yield CrmFooter()

    def on_mount(self) -> None:
        self.query_one("#interaction-text").border_title = "Notes"
        self.reload()

    @work(thread=True, exclusive=True, group="interaction")
    def reload(self) -> None:
        from tinycrm.services.people import interactions

        try:
            found = self.service(interactions.get, self.interaction_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Interaction"))
            return
        if not self.cancelled():
            self.post_message(InteractionFetched(found))

    def on_interaction_fetched(self, message: InteractionFetched) -> None:
        self.show(message.interaction)

    def show(self, i: InteractionRead) -> None:
        self.interaction = i
        title = Text(f"{KIND_ICONS.get(i.kind, '•')} ", style="bold")
        title.append(i.summary, style="bold")
        title.append(f"  {i.kind}", style="dim italic")
        self.query_one("#interaction-title", Static).update(title)
        self.query_one("#interaction-about", Static).update(about(i))
        body = Text(i.body) if i.body else Text("No notes: press e to add some.", style="dim italic")
        self.query_one("#interaction-body", Static).update(body)
        where = f"Contacts › {escape(self.contact_name)}" if self.contact_name else "Contacts"
        self.query_one(NavBar).set_crumb(f"{where} › {i.kind}")

    # --- actions ---------------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(self.changed)

    def action_edit(self) -> None:
        i = self.interaction
        if i is None:
            return

        def saved(result: Any) -> None:
            if result is not None and result != i:
                self.changed = True
                self.show(result)
                self.notify("Saved", timeout=2)

        self.app.push_screen(InteractionForm(0, self.contact_name, interaction=i), saved)

    def action_delete(self) -> None:
        i = self.interaction
        if i is None:
            return
        from tinycrm.tui.screens.forms import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(i)

        detail = f"{escape(i.summary)} · {escape(when(i.happened_at))}\nIt is gone for good (the audit log keeps a note)."
        self.app.push_screen(
            ConfirmDialog(f"Delete this {i.kind}?", detail, yes="Delete", danger=True), answered
        )

    @work(thread=True, group="interaction-write")
    def delete(self, i: InteractionRead) -> None:
        from tinycrm.services.people import interactions

        try:
            gone = self.service(interactions.delete, i.id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Delete"))
            return
        self.post_message(InteractionDeleted(gone))

    def on_interaction_deleted(self, message: InteractionDeleted) -> None:
        self.notify(f"Deleted the {message.interaction.kind} “{message.interaction.summary}”", timeout=3)
        self.dismiss(True)

    @on(Button.Pressed, "#edit")
    def _edit_pressed(self) -> None:
        self.action_edit()

    @on(Button.Pressed, "#delete")
    def _delete_pressed(self) -> None:
        self.action_delete()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()
