"""Forms and dialogs (``ModalScreen[T]``; each dismisses with what it saved, or ``None`` when cancelled).

A form saves through one service call in a thread worker. When the service refuses (``CrmError``), the
message appears next to the field it names (``CrmError.field``) and nothing was stored: the service's
transaction is all or nothing.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from tinycrm.domain.errors import CrmError
from tinycrm.domain.people import INTERACTION_KINDS, ContactInput, ContactRead, Labeled
from tinycrm.tui import keys
from tinycrm.tui.format import escape
from tinycrm.tui.screens.base import CrmModal, ServiceFailed
from tinycrm.tui.widgets.fields import Field


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
    """A dialog with fields, Save and Cancel."""

    BINDINGS = keys.bindings("form")
    TITLE_TEXT = "Form"
    SAVE_LABEL = "Save"

    class Saved(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    def __init__(self) -> None:
        super().__init__()
        self.saving = False

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

    def field(self, name: str) -> Field:
        return self.query_one(f"#f-{name}", Field)

    def input(self, name: str) -> Any:
        return self.field(name).widget

    def text(self, name: str) -> str:
        w = self.input(name)
        if isinstance(w, TextArea):
            return w.text
        if isinstance(w, Select):
            return "" if w.value is Select.BLANK else str(w.value)
        return w.value

    # --- saving --------------------------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.saving:
            return
        for f in self.query(Field):
            f.set_error(None)
        self.query_one("#form-error", Static).update("")
        self.saving = True
        self.submit(self.values())

    @work(thread=True, group="form")
    def submit(self, values: dict[str, Any]) -> None:
        try:
            result = self.save(values)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, self.TITLE_TEXT))
            return
        self.post_message(self.Saved(result))

    def on_form_screen_saved(self, message: Saved) -> None:
        self.saving = False
        self.dismiss(message.result)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.prevent_default()
        self.saving = False
        error = message.error
        target = None
        if error.field:
            key = error.field.casefold()
            target = next((f for f in self.query(Field) if key in f.keys), None)
        if target is not None:
            target.set_error(error.message)
            target.widget.focus()
        else:
            self.query_one("#form-error", Static).update(escape(error.message))

    def action_cancel(self) -> None:
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


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\n", ",").split(",") if p.strip()]


def _fields_text(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in fields.items())


def _parse_fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise _FieldsError(f"custom field {line.strip()!r}: write KEY=VALUE, one per line")
        out[key.strip()] = value.strip()
    return out


class _FieldsError(CrmError):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="fields")


class ContactForm(FormScreen):
    """A new contact, or the fields of one to edit. Dismisses with the saved ``ContactRead``."""

    SAVE_LABEL = "Save"

    def __init__(self, contact: ContactRead | None = None) -> None:
        super().__init__()
        self.contact = contact
        self.TITLE_TEXT = f"Edit {contact.display_name}" if contact else "New contact"

    def fields(self) -> list[Field]:
        c = self.contact
        return [
            Field(
                "Name",
                Input(c.display_name if c else "", placeholder="Ada Lovelace", id="name"),
                keys=("name", "display_name", "given name", "family name"),
                id="f-name",
            ),
            Field(
                "Email",
                Input(
                    ", ".join(e.value for e in c.emails) if c else "",
                    placeholder="ada@example.com, several separated by commas",
                    id="emails",
                ),
                keys=("email", "emails"),
                id="f-emails",
            ),
            Field(
                "Phone",
                Input(
                    ", ".join(p.value for p in c.phones) if c else "",
                    placeholder="+44 20 7946 0000",
                    id="phones",
                ),
                keys=("phone", "phones"),
                id="f-phones",
            ),
            Field(
                "Company",
                Input(
                    c.company.name if c and c.company else "",
                    placeholder="Acme (found or created)",
                    id="company",
                ),
                keys=("company", "company name"),
                id="f-company",
            ),
            Field(
                "Job title",
                Input((c.job_title or "") if c else "", id="job_title"),
                keys=("job title",),
                id="f-job_title",
            ),
            Field(
                "Birthday",
                Input(
                    (c.birthday or "") if c else "",
                    placeholder="1815-12-10, or 12-10 without a year",
                    id="birthday",
                ),
                keys=("birthday",),
                id="f-birthday",
            ),
            Field(
                "Tags",
                Input(", ".join(c.tags) if c else "", placeholder="client, vip", id="tags"),
                keys=("tag", "tags"),
                id="f-tags",
            ),
            Field(
                "Stay in touch every (days)",
                Input(str(c.cadence_days or "") if c else "", placeholder="30", id="cadence"),
                keys=("cadence (days)", "cadence"),
                id="f-cadence",
            ),
            Field(
                "Custom fields",
                TextArea(_fields_text(c.fields) if c else "", id="custom", classes="short"),
                keys=("fields", "field"),
                hint="[dim]KEY=VALUE, one per line[/dim]",
                id="f-custom",
            ),
            Field(
                "Notes",
                TextArea((c.notes or "") if c else "", id="notes", classes="short"),
                keys=("notes",),
                id="f-notes",
            ),
        ]

    def on_mount(self) -> None:
        self.input("name").focus()

    def values(self) -> dict[str, Any]:
        return {
            "display_name": self.text("name").strip() or None,
            "emails": _split(self.text("emails")),
            "phones": _split(self.text("phones")),
            "company": self.text("company").strip() or None,
            "job_title": self.text("job_title").strip() or None,
            "birthday": self.text("birthday").strip() or None,
            "tags": _split(self.text("tags")),
            "cadence_days": self.text("cadence").strip() or None,
            "fields": self.text("custom"),
            "notes": self.text("notes").strip() or None,
        }

    def save(self, values: dict[str, Any]) -> ContactRead:
        from tinycrm.services.people import contacts

        values = dict(values)
        values["fields"] = _parse_fields(values["fields"])
        cadence = values["cadence_days"]
        if cadence is not None:
            try:
                values["cadence_days"] = int(cadence)
            except ValueError:
                raise CrmError(f"cadence: {cadence!r} is not a number of days", field="cadence") from None
        c = self.contact
        if c is None:
            data = ContactInput(
                display_name=values["display_name"],
                emails=[Labeled(e) for e in values["emails"]],
                phones=[Labeled(p) for p in values["phones"]],
                company=values["company"],
                job_title=values["job_title"],
                birthday=values["birthday"],
                tags=values["tags"],
                cadence_days=values["cadence_days"],
                fields=values["fields"],
                notes=values["notes"],
            )
            return self.service(contacts.create, data)
        changes: dict[str, Any] = {}
        if values["display_name"] != c.display_name:
            changes["display_name"] = values["display_name"]
        if values["emails"] != [e.value for e in c.emails]:
            old = {e.value.casefold(): e for e in c.emails}
            changes["emails"] = [old.get(e.casefold(), Labeled(e)) for e in values["emails"]]
        if values["phones"] != [p.value for p in c.phones]:
            old_p = {p.value: p for p in c.phones}
            changes["phones"] = [old_p.get(p, Labeled(p)) for p in values["phones"]]
        if values["company"] != (c.company.name if c.company else None):
            changes["company"] = values["company"]
        for key in ("job_title", "birthday", "cadence_days", "notes"):
            if values[key] != getattr(c, key):
                changes[key] = values[key]
        if values["tags"] != c.tags:
            changes["tags"] = values["tags"]
        if values["fields"] != c.fields:
            changes["fields"] = values["fields"]
        if not changes:
            return c
        return self.service(contacts.update, c.id, changes, expected_version=c.version)


class InteractionForm(FormScreen):
    """Log a call, email, meeting... with a contact. Dismisses with the ``InteractionRead``."""

    TITLE_TEXT = "Log an interaction"
    SAVE_LABEL = "Log"

    def __init__(self, contact_id: int, contact_name: str, kind: str = "call") -> None:
        super().__init__()
        self.contact_id = contact_id
        self.contact_name = contact_name
        self.kind = kind if kind in INTERACTION_KINDS else "call"

    def subtitle(self) -> str:
        return f"with {escape(self.contact_name)}"

    def fields(self) -> list[Field]:
        return [
            Field(
                "Kind",
                Select([(k, k) for k in INTERACTION_KINDS], value=self.kind, allow_blank=False, id="kind"),
                keys=("kind",),
                id="f-kind",
            ),
            Field(
                "When",
                Input(placeholder="now, yesterday 15:00, last friday, 2026-03-01 10:30", id="when"),
                keys=("when", "date"),
                hint=when_preview(""),
                id="f-when",
            ),
            Field(
                "Summary",
                Input(placeholder="Intro call about the proposal", id="summary"),
                keys=("summary",),
                id="f-summary",
            ),
            Field("Notes", TextArea(id="body", classes="short"), keys=("body",), id="f-body"),
        ]

    def on_mount(self) -> None:
        self.input("summary").focus()

    @on(Input.Changed, "#when")
    def _when_changed(self, event: Input.Changed) -> None:
        self.field("when").set_hint(when_preview(event.value))

    def values(self) -> dict[str, Any]:
        return {
            "kind": self.text("kind"),
            "when": self.text("when"),
            "summary": self.text("summary"),
            "body": self.text("body"),
        }

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.people import interactions

        return self.service(
            interactions.log,
            contact_ids=[self.contact_id],
            kind_=values["kind"],
            summary=values["summary"],
            when=values["when"] or None,
            body=values["body"] or None,
        )


class FollowUpForm(FormScreen):
    """A task to follow up with a contact. Dismisses with the ``TaskRead``."""

    TITLE_TEXT = "Add a follow-up"
    SAVE_LABEL = "Add"

    def __init__(self, contact_id: int, contact_name: str) -> None:
        super().__init__()
        self.contact_id = contact_id
        self.contact_name = contact_name

    def subtitle(self) -> str:
        return f"with {escape(self.contact_name)}"

    def fields(self) -> list[Field]:
        return [
            Field(
                "When",
                Input("in 1 week", placeholder="tomorrow 9am, next monday, in 3 days", id="when"),
                keys=("due", "when", "date"),
                hint=when_preview("in 1 week", what="due"),
                id="f-when",
            ),
            Field(
                "Title",
                Input(placeholder=f"Follow up with {self.contact_name}", id="title"),
                keys=("title",),
                id="f-title",
            ),
        ]

    def on_mount(self) -> None:
        self.input("when").focus()

    @on(Input.Changed, "#when")
    def _when_changed(self, event: Input.Changed) -> None:
        self.field("when").set_hint(when_preview(event.value, what="due", empty="a date is needed"))

    def values(self) -> dict[str, Any]:
        return {"when": self.text("when"), "title": self.text("title")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.work import tasks

        return self.service(tasks.follow_up, self.contact_id, values["when"], values["title"] or None)


class TagsForm(FormScreen):
    """The tags of a contact. Dismisses with the saved ``ContactRead``."""

    TITLE_TEXT = "Tags"

    def __init__(self, contact: ContactRead) -> None:
        super().__init__()
        self.contact = contact

    def subtitle(self) -> str:
        return f"of {escape(self.contact.display_name)}"

    def fields(self) -> list[Field]:
        return [
            Field(
                "Tags",
                Input(
                    ", ".join(self.contact.tags), placeholder="client, vip", id="tags", select_on_focus=False
                ),
                keys=("tag", "tags"),
                hint="[dim]separated by commas; remove one to untag[/dim]",
                id="f-tags",
            )
        ]

    def on_mount(self) -> None:
        w = self.input("tags")
        w.focus()
        w.cursor_position = len(w.value)

    def values(self) -> dict[str, Any]:
        return {"tags": _split(self.text("tags"))}

    def save(self, values: dict[str, Any]) -> ContactRead:
        from tinycrm.services.people import contacts

        if values["tags"] == self.contact.tags:
            return self.contact
        return self.service(
            contacts.update, self.contact.id, {"tags": values["tags"]}, expected_version=self.contact.version
        )


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

        return self.service(tasks.snooze, self.task_id, values["until"])


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
