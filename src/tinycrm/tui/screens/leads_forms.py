"""Forms of a lead: new or edited, its status (a reason when disqualified), and a logged touch. Each saves
through one call of :mod:`tinycrm.services.leads` and dismisses with what it gave back, or ``None``."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import Input, Select, TextArea

from tinycrm.tui.format import escape
from tinycrm.tui.screens.forms import FormScreen, split_list, when_preview
from tinycrm.tui.screens.record_forms import line
from tinycrm.tui.widgets.fields import Field, status_field


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class LeadForm(FormScreen):
    """A new lead, or one to edit (dismisses with the ``LeadRead``)."""

    AUTO_FOCUS = "#name"
    NAMES = ("name", "email", "phone", "company", "title", "source", "value", "currency", "tags", "notes")

    def __init__(self, lead: Any = None) -> None:
        super().__init__()
        self.lead = lead
        self.TITLE_TEXT = f"Edit {escape(lead.name)}" if lead else "New lead"

    def fields(self) -> list[Field]:
        from tinycrm.domain.leads import SOURCES

        x = self.lead
        source = x.source if x else "other"
        sources = [(s, s) for s in SOURCES] + ([(source, source)] if source not in SOURCES else [])
        return [
            line("Name", "name", x.name if x else "", ("name",), "Jane Doe"),
            line("Email", "email", _text(x.email) if x else "", ("email",), "jane@example.com"),
            line("Phone", "phone", _text(x.phone) if x else "", ("phone",)),
            line("Company", "company", _text(x.company) if x else "", ("company",), "Example Ltd"),
            line("Title", "title", _text(x.title) if x else "", ("title",), "CEO"),
            Field(
                "Source",
                Select(sources, value=source, allow_blank=False, id="source"),
                keys=("source",),
                id="f-source",
            ),
            line("Value", "value", _text(x.value) if x else "", ("value", "amount"), "5000"),
            line("Currency", "currency", _text(x.currency) if x else "", ("currency",), "EUR"),
            line("Tags", "tags", ", ".join(x.tags) if x else "", ("tag", "tags"), "newsletter, fair"),
            Field(
                "Notes",
                TextArea(_text(x.notes) if x else "", id="notes", classes="short"),
                keys=("notes",),
                id="f-notes",
            ),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("name").focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {n: self.text(n).strip() or None for n in self.NAMES if n != "tags"}
        out["tags"] = split_list(self.text("tags"))
        return out

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.domain.leads import LeadInput
        from tinycrm.services.leads import records

        x = self.lead
        if x is None:
            return self.service(records.create, LeadInput(**values))

        def old(key: str) -> Any:
            return x.tags if key == "tags" else _text(getattr(x, key)) or None

        changes = {k: v for k, v in values.items() if v != old(k)}
        if not changes:
            return x
        return self.service(records.update, x.id, changes, expected_version=x.version)


class LeadStatusForm(FormScreen):
    """new, contacted, qualified, or disqualified with a reason (converted: by converting)."""

    TITLE_TEXT = "Lead status"
    AUTO_FOCUS = "#status"

    def __init__(self, lead: Any) -> None:
        super().__init__()
        self.lead = lead

    def subtitle(self) -> str:
        return f"{escape(self.lead.name)} · now {self.lead.status}"

    def fields(self) -> list[Field]:
        current = self.lead.status if self.lead.status != "converted" else "qualified"
        return [
            status_field(("new", "contacted", "qualified", "disqualified"), current),
            line(
                "Reason", "reason", _text(self.lead.reason), ("reason",), "only when disqualified: no budget"
            ),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("status").focus()

    def values(self) -> dict[str, Any]:
        return {"status": self.text("status"), "reason": self.text("reason").strip() or None}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.leads import records

        return self.service(records.set_status, self.lead.id, values["status"], reason=values["reason"])


class LeadLogForm(FormScreen):
    """A call, mail or meeting with the lead: it counts as touched and is scored again."""

    TITLE_TEXT = "Log"
    AUTO_FOCUS = "#summary"

    def __init__(self, lead: Any) -> None:
        super().__init__()
        self.lead = lead

    def subtitle(self) -> str:
        return f"with {escape(self.lead.name)}"

    def fields(self) -> list[Field]:
        from tinycrm.domain.people import INTERACTION_KINDS

        return [
            line("Summary", "summary", "", ("summary",), "Called about the quote"),
            Field(
                "Kind",
                Select([(k, k) for k in INTERACTION_KINDS], value="call", allow_blank=False, id="kind"),
                keys=("kind",),
                id="f-kind",
            ),
            Field(
                "When",
                Input("", placeholder="now; yesterday 15:00, last friday", id="when"),
                keys=("when", "date"),
                hint=when_preview(""),
                id="f-when",
            ),
            Field("Notes", TextArea("", id="body", classes="short"), keys=("body",), id="f-body"),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("summary").focus()

    @on(Input.Changed, "#when")
    def _when(self, event: Input.Changed) -> None:
        self.field("when").set_hint(when_preview(event.value))

    def values(self) -> dict[str, Any]:
        return {n: self.text(n).strip() or None for n in ("summary", "kind", "when", "body")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.services.leads import records

        return self.service(
            records.log,
            self.lead.id,
            kind=values["kind"] or "call",
            summary=values["summary"] or "",
            when=values["when"],
            body=values["body"],
        )
