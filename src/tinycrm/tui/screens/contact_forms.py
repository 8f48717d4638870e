"""Forms of a contact: the contact itself (new or edited), its tags, and a follow-up task."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import Input, TextArea

from tinycrm.domain.errors import CrmError
from tinycrm.domain.people import ContactInput, ContactRead, Labeled
from tinycrm.tui.format import escape
from tinycrm.tui.screens.forms import FormScreen, split_list, when_preview
from tinycrm.tui.widgets.fields import Field


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


def _line(label: str, name: str, value: str, keys: tuple[str, ...], placeholder: str = "") -> Field:
    """A one-line field: its input's id is ``name``, the field's ``f-NAME``."""
    return Field(label, Input(value, placeholder=placeholder, id=name), keys=keys, id=f"f-{name}")


class ContactForm(FormScreen):
    """A new contact, or the fields of one to edit. Dismisses with the saved ``ContactRead``."""

    SAVE_LABEL = "Save"

    def __init__(self, contact: ContactRead | None = None) -> None:
        super().__init__()
        self.contact = contact
        self.TITLE_TEXT = f"Edit {escape(contact.display_name)}" if contact else "New contact"

    def fields(self) -> list[Field]:
        c = self.contact
        return [
            _line(
                "Name",
                "name",
                c.display_name if c else "",
                ("name", "display_name", "given name", "family name"),
                "Ada Lovelace",
            ),
            _line(
                "Email",
                "emails",
                ", ".join(e.value for e in c.emails) if c else "",
                ("email", "emails"),
                "ada@example.com, several separated by commas",
            ),
            _line(
                "Phone",
                "phones",
                ", ".join(p.value for p in c.phones) if c else "",
                ("phone", "phones"),
                "+44 20 7946 0000",
            ),
            _line(
                "Company",
                "company",
                c.company.name if c and c.company else "",
                ("company", "company name"),
                "Acme (found or created)",
            ),
            _line("Job title", "job_title", (c.job_title or "") if c else "", ("job title",)),
            _line(
                "Birthday",
                "birthday",
                (c.birthday or "") if c else "",
                ("birthday",),
                "1815-12-10, or 12-10 without a year",
            ),
            _line("Tags", "tags", ", ".join(c.tags) if c else "", ("tag", "tags"), "client, vip"),
            _line(
                "Stay in touch every (days)",
                "cadence",
                str(c.cadence_days or "") if c else "",
                ("cadence (days)", "cadence"),
                "30",
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
            "emails": split_list(self.text("emails")),
            "phones": split_list(self.text("phones")),
            "company": self.text("company").strip() or None,
            "job_title": self.text("job_title").strip() or None,
            "birthday": self.text("birthday").strip() or None,
            "tags": split_list(self.text("tags")),
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
        return {"tags": split_list(self.text("tags"))}

    def save(self, values: dict[str, Any]) -> ContactRead:
        from tinycrm.services.people import contacts

        if values["tags"] == self.contact.tags:
            return self.contact
        return self.service(
            contacts.update, self.contact.id, {"tags": values["tags"]}, expected_version=self.contact.version
        )
