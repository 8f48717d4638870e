"""Forms of a ticket: a reply (from a canned template or written), a note, status, priority, assignee, and a
new ticket. Each saves through one call of :mod:`tinycrm.services.support` and dismisses with the
``TicketRead`` it gave back, or ``None`` when cancelled."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.widgets import Input, Select, TextArea

from tinycrm.domain.errors import CrmError
from tinycrm.tui.format import escape
from tinycrm.tui.screens.base import ServiceFailed
from tinycrm.tui.screens.forms import FormScreen, when_preview
from tinycrm.tui.widgets.fields import Field, status_field


def _subtitle(ticket: Any) -> str:
    return f"#{ticket.id} {escape(ticket.subject)}"


class TicketForm(FormScreen):
    """A form about one ticket, which its subtitle names."""

    def __init__(self, ticket: Any) -> None:
        super().__init__()
        self.ticket = ticket

    def subtitle(self) -> str:
        return _subtitle(self.ticket)


class ReplyForm(TicketForm):
    """A reply by mail to the ticket's contact, sent like ``crm ticket reply``: choosing a template puts its
    text in the editor, to send as it is or changed."""

    TITLE_TEXT = "Reply"
    SAVE_LABEL = "Send"
    AUTO_FOCUS = "#body"

    def subtitle(self) -> str:
        to = self.ticket.contact_email or (self.ticket.contact.name if self.ticket.contact else "")
        return f"{_subtitle(self.ticket)} → {escape(to)}"

    def fields(self) -> list[Field]:
        from tinycrm.services.support import replies

        names = replies.templates()
        return [
            Field(
                "Template",
                Select(
                    [(n, n) for n in names],
                    prompt="No template" if names else "No templates (config folder's templates/)",
                    id="template",
                ),
                keys=("template",),
                id="f-template",
            ),
            Field(
                "Message",
                TextArea("", id="body", classes="short" if self.app.has_class("-short") else "tall"),
                keys=("body",),
                id="f-body",
            ),
            Field(
                "Then",
                Select(
                    [
                        ("leave open", "open"),
                        ("pending (waiting on the customer)", "pending"),
                        ("resolved", "resolved"),
                    ],
                    value="open",
                    allow_blank=False,
                    id="then",
                ),  # fmt: skip
                keys=("status",),
                id="f-then",
            ),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("body").focus()

    @on(Select.Changed, "#template")
    def _template(self, event: Select.Changed) -> None:
        if event.value not in (Select.BLANK, Select.NULL):
            self.render_template(str(event.value))

    @work(thread=True, exclusive=True, group="template")
    def render_template(self, name: str) -> None:
        from tinycrm.services.support import replies

        try:
            text = self.service(replies.render_template, self.ticket, name)
        except CrmError as exc:
            self.post_message(ServiceFailed(CrmError(exc.message, field="template"), "Template"))
            return
        self.app.call_from_thread(self._fill, text)

    def _fill(self, text: str) -> None:
        self.input("body").load_text(text)
        self.field("template").set_error(None)

    def values(self) -> dict[str, Any]:
        return {"body": self.text("body"), "then": self.text("then")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.support import replies

        then = values["then"] if values["then"] != "open" else None
        result = self.service(replies.reply, self.ticket.id, body=values["body"], new_status=then)
        return result.ticket


class NoteForm(TicketForm):
    """An internal note: on the thread, never sent."""

    TITLE_TEXT = "Internal note"
    SAVE_LABEL = "Add"
    AUTO_FOCUS = "#note"

    def fields(self) -> list[Field]:
        return [
            Field("Note (not sent)", TextArea("", id="note", classes="tall"), keys=("note",), id="f-note")
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("note").focus()

    def values(self) -> dict[str, Any]:
        return {"note": self.text("note")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.support import thread

        return self.service(thread.note, self.ticket.id, values["note"])


class StatusForm(TicketForm):
    """Open, pending (until a date, then open again), resolved or closed."""

    TITLE_TEXT = "Status"
    AUTO_FOCUS = "#status"

    def subtitle(self) -> str:
        return f"{_subtitle(self.ticket)} · now {self.ticket.status}"

    def fields(self) -> list[Field]:
        current = self.ticket.status if self.ticket.status != "new" else "open"
        return [
            status_field(("open", "pending", "resolved", "closed"), current),
            Field(
                "Pending until",
                Input("", placeholder="monday 9am, in 3 days; empty: until the customer writes", id="until"),
                keys=("until", "--until"),
                hint="[dim]only for pending[/dim]",
                id="f-until",
            ),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("status").focus()

    @on(Input.Changed, "#until")
    def _until(self, event: Input.Changed) -> None:
        self.field("until").set_hint(when_preview(event.value, what="until", empty="no date"))

    def values(self) -> dict[str, Any]:
        return {"status": self.text("status"), "until": self.text("until").strip() or None}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.support import tickets

        until = values["until"] if values["status"] == "pending" else None
        return self.service(tickets.set_status, self.ticket.id, values["status"], until=until)


class PriorityForm(TicketForm):
    """Low, normal, high or urgent: the SLA targets follow."""

    TITLE_TEXT = "Priority"
    AUTO_FOCUS = "#priority"

    def fields(self) -> list[Field]:
        from tinycrm.domain.support import PRIORITIES

        return [
            Field(
                "Priority",
                Select(
                    [(p, p) for p in PRIORITIES], value=self.ticket.priority, allow_blank=False, id="priority"
                ),
                keys=("priority",),
                hint="[dim]the SLA targets follow the priority[/dim]",
                id="f-priority",
            )
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("priority").focus()

    def values(self) -> dict[str, Any]:
        return {"priority": self.text("priority")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.support import tickets

        return self.service(tickets.set_priority, self.ticket.id, values["priority"])


class AssignForm(TicketForm):
    """Who works on the ticket: a user's name, or nobody."""

    TITLE_TEXT = "Assign"
    AUTO_FOCUS = "#user"

    def fields(self) -> list[Field]:
        return [
            Field(
                "User",
                Input(self.ticket.assignee or "", placeholder="a user's name (crm user list)", id="user"),
                keys=("user", "owner", "assignee"),
                hint="[dim]empty: nobody[/dim]",
                id="f-user",
            )
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("user").focus()

    def values(self) -> dict[str, Any]:
        return {"user": self.text("user").strip() or None}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.support import tickets

        return self.service(tickets.assign, self.ticket.id, values["user"])


class NewTicketForm(FormScreen):
    """A ticket taken by phone or by hand: subject, contact (name, email or id), priority, what they said."""

    TITLE_TEXT = "New ticket"
    SAVE_LABEL = "Add"
    AUTO_FOCUS = "#subject"

    def __init__(self, contact: tuple[int, str] | None = None) -> None:
        super().__init__()
        self.contact = contact

    def fields(self) -> list[Field]:
        from tinycrm.domain.support import PRIORITIES

        return [
            Field("Subject", Input("", placeholder="The printer is on fire", id="subject"), keys=("subject",),
                  id="f-subject"),
            Field(
                "Contact",
                Input(self.contact[1] if self.contact else "", placeholder="a name, email or id", id="contact"),
                keys=("contact",),
                id="f-contact",
            ),
            Field(
                "Priority",
                Select([(p, p) for p in PRIORITIES], value="normal", allow_blank=False, id="priority"),
                keys=("priority",),
                id="f-priority",
            ),
            Field("What they said", TextArea("", id="body", classes="short"), keys=("body",), id="f-body"),
        ]  # fmt: skip

    def on_mount(self) -> None:
        super().on_mount()
        self.input("subject").focus()

    def values(self) -> dict[str, Any]:
        return {n: self.text(n).strip() for n in ("subject", "contact", "priority", "body")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.people import contact_search
        from tinycrm.services.support import tickets

        if self.contact and values["contact"] == self.contact[1]:
            contact_id = self.contact[0]
        elif not values["contact"]:
            raise CrmError("whose ticket is it? give a contact's name, email or id", field="contact")
        else:
            try:
                contact_id = self.service(contact_search.resolve, values["contact"])
            except CrmError as exc:
                raise CrmError(exc.message, field="contact") from None
        return self.service(
            tickets.create,
            subject_=values["subject"],
            contact_id=contact_id,
            priority_=values["priority"],
            body=values["body"] or None,
        )
