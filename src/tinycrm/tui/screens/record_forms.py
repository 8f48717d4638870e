"""Forms of deals, companies and tasks: new or edited. Each dismisses with what it saved (``DealRead``,
``CompanyRead``, ``TaskRead``), or ``None`` when cancelled."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import Input, TextArea

from tinycrm.domain.errors import CrmError
from tinycrm.tui.format import escape
from tinycrm.tui.screens.forms import FormScreen, split_list, when_preview
from tinycrm.tui.widgets.fields import Field


def line(label: str, name: str, value: str = "", keys: tuple[str, ...] = (), placeholder: str = "") -> Field:
    """A one-line field: its input's id is ``name``, the field's ``f-NAME``."""
    return Field(label, Input(value, placeholder=placeholder, id=name), keys=keys or (name,), id=f"f-{name}")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _company_id(db: Any, name: str) -> int | None:
    """The id of the company named ``name`` (``None`` for no name); refused by the company field."""
    from tinycrm.services.people import companies

    if not name:
        return None
    try:
        return companies.resolve(db, name)
    except CrmError as exc:
        raise CrmError(exc.message, field="company") from None


def _default_currency() -> str:
    """The configured currency for new deals ([sales] currency), else EUR; the field shows it and can change."""
    from tinycrm.services.sales import deals

    return deals.default_currency() or "EUR"


class DealForm(FormScreen):
    """A new deal (with the contact or company it comes from, in the stage given), or one to edit."""

    def __init__(
        self,
        deal: Any = None,
        *,
        pipeline_id: int | None = None,
        stage: str | None = None,
        contact: tuple[int, str] | None = None,
        company: str | None = None,
    ) -> None:
        super().__init__()
        self.deal = deal
        self.pipeline_id = pipeline_id
        self.stage = stage
        self.contact = contact
        self.company = company
        self.TITLE_TEXT = f"Edit {escape(deal.title)}" if deal else "New deal"

    def subtitle(self) -> str:
        if self.deal is None and self.contact:
            return f"with {escape(self.contact[1])}"
        return ""

    def fields(self) -> list[Field]:
        d = self.deal
        return [
            line("Title", "title", d.title if d else "", ("title",), "Website redesign"),
            line("Value", "value", _text(d.value) if d else "", ("value", "amount"), "12000"),
            line(
                "Currency",
                "currency",
                d.currency if d else _default_currency(),
                ("currency",),
                "EUR, USD, GBP…",
            ),
            line("Stage", "stage", d.stage if d else (self.stage or ""), ("stage",), "the first stage"),
            line(
                "Company",
                "company",
                (d.company or "") if d else (self.company or ""),
                ("company", "company_id"),
                "an existing company's name",
            ),
            line(
                "Expected close",
                "close",
                _text(d.expected_close) if d else "",
                ("close date", "expected_close"),
                "2026-06-30",
            ),
            line(
                "Next step",
                "next_step",
                (d.next_step or "") if d else "",
                ("next step", "next_step"),
                "Send the quote",
            ),
            line(
                "Next step due",
                "next_due",
                _text(d.next_step_due) if d else "",
                ("next step due", "next_step_due"),
                "friday",
            ),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("title").focus()

    def values(self) -> dict[str, Any]:
        names = ("title", "value", "currency", "stage", "company", "close", "next_step", "next_due")
        return {n: self.text(n).strip() for n in names}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.domain.sales import DealInput
        from tinycrm.services.sales import deals

        company_id = self.service(_company_id, values["company"])
        d = self.deal
        if d is None:
            data = DealInput(
                title=values["title"],
                value=values["value"] or None,
                currency=values["currency"] or None,
                contact_ids=[self.contact[0]] if self.contact else [],
                company_id=company_id,
                pipeline=str(self.pipeline_id) if self.pipeline_id else None,
                stage=values["stage"] or None,
                expected_close=values["close"] or None,
                next_step=values["next_step"] or None,
                next_step_due=values["next_due"] or None,
            )
            return self.service(deals.create, data)
        changes: dict[str, Any] = {}
        pairs = {
            "title": (values["title"], d.title),
            "value": (values["value"], _text(d.value)),
            "currency": (values["currency"], d.currency),
            "stage": (values["stage"], d.stage),
            "expected_close": (values["close"], _text(d.expected_close)),
            "next_step": (values["next_step"], d.next_step or ""),
            "next_step_due": (values["next_due"], _text(d.next_step_due)),
        }
        for key, (new, old) in pairs.items():
            if new != old:
                changes[key] = new or None
        if company_id != d.company_id:
            changes["company_id"] = company_id
        if not changes:
            return d
        return self.service(deals.update, d.id, changes, expected_version=d.version)


class CompanyForm(FormScreen):
    """A new company, or the fields of one to edit."""

    def __init__(self, company: Any = None) -> None:
        super().__init__()
        self.company = company
        self.TITLE_TEXT = f"Edit {escape(company.name)}" if company else "New company"

    def fields(self) -> list[Field]:
        c = self.company
        return [
            line("Name", "name", c.name if c else "", ("name",), "Acme Corporation"),
            line("Domain", "domain", (c.domain or "") if c else "", ("domain",), "acme.com"),
            line("Website", "website", (c.website or "") if c else "", ("website",), "https://acme.com"),
            line("Phone", "phone", (c.phone or "") if c else "", ("phone",)),
            line("Address", "address", (c.address or "") if c else "", ("address",)),
            line("Tags", "tags", ", ".join(c.tags) if c else "", ("tag", "tags"), "client, partner"),
            Field(
                "Notes",
                TextArea((c.notes or "") if c else "", id="notes", classes="short"),
                keys=("notes",),
                id="f-notes",
            ),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("name").focus()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            n: self.text(n).strip() or None
            for n in ("name", "domain", "website", "phone", "address", "notes")
        }
        out["tags"] = split_list(self.text("tags"))
        return out

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.domain.people import CompanyInput
        from tinycrm.services.people import companies

        c = self.company
        if c is None:
            return self.service(companies.create, CompanyInput(**{**values, "name": values["name"] or ""}))
        changes = {k: v for k, v in values.items() if v != getattr(c, k)}
        if not changes:
            return c
        return self.service(companies.update, c.id, changes, expected_version=c.version)


class TaskForm(FormScreen):
    """A new task: on its own, or for a contact, company or deal (``link``: ``("deal_id", 3, "Acme")``)."""

    TITLE_TEXT = "New task"
    SAVE_LABEL = "Add"

    def __init__(self, link: tuple[str, int, str] | None = None) -> None:
        super().__init__()
        self.link = link

    def subtitle(self) -> str:
        return f"for {escape(self.link[2])}" if self.link else ""

    def fields(self) -> list[Field]:
        return [
            line("Title", "title", "", ("title",), "Renew the domain"),
            Field(
                "Due",
                Input(
                    "tomorrow", placeholder="tomorrow 9am, next monday, in 3 days; empty: no date", id="due"
                ),
                keys=("due", "when", "date"),
                hint=when_preview("tomorrow", what="due"),
                id="f-due",
            ),
            line("Priority", "priority", "", ("priority",), "low, normal, high (or 1-3)"),
            Field("Notes", TextArea("", id="notes", classes="short"), keys=("notes",), id="f-notes"),
        ]

    def on_mount(self) -> None:
        super().on_mount()
        self.input("title").focus()

    @on(Input.Changed, "#due")
    def _due_changed(self, event: Input.Changed) -> None:
        self.field("due").set_hint(when_preview(event.value, what="due", empty="no due date"))

    def values(self) -> dict[str, Any]:
        return {n: self.text(n).strip() or None for n in ("title", "due", "priority", "notes")}

    def save(self, values: dict[str, Any]) -> Any:
        from tinycrm.domain.tasks import TaskInput
        from tinycrm.services.work import tasks

        link = {self.link[0]: self.link[1]} if self.link else {}
        data = TaskInput(
            title=values["title"] or "",
            due=values["due"],
            priority=values["priority"],
            notes=values["notes"],
            contact_id=link.get("contact_id"),
            company_id=link.get("company_id"),
            deal_id=link.get("deal_id"),
        )
        return self.service(tasks.create, data)
