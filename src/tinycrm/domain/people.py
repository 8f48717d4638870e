"""Read models and inputs: plain dataclasses, cheap to import, safe to keep after the transaction ends.

Services take inputs and return these; no live database object ever leaves a service. ``to_json`` turns any of
them into the stable JSON document of ``--json`` (times in UTC ISO 8601, dates ISO).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

T = TypeVar("T")

INTERACTION_KINDS = ("call", "email", "meeting", "message", "note", "other")


def to_json(value: Any) -> Any:
    """A JSON-ready structure (dicts, lists, strings, numbers) for any read model."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value) if not f.name.startswith("_")}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, datetime):
        from tinycrm.domain.dates import to_iso

        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    return value


@dataclass(frozen=True)
class Labeled:
    """An email address or phone number with its type label (``work``, ``home``, ``mobile``...)."""

    value: str
    label: str | None = None


@dataclass(frozen=True)
class Address:
    label: str | None = None
    street: str | None = None
    locality: str | None = None
    region: str | None = None
    postcode: str | None = None
    country: str | None = None
    po_box: str | None = None
    extended: str | None = None

    def one_line(self) -> str:
        parts = [
            self.po_box,
            self.extended,
            self.street,
            self.locality,
            self.region,
            self.postcode,
            self.country,
        ]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Ref:
    """A pointer to another record, with what a person needs to recognise it."""

    id: int
    name: str


@dataclass(frozen=True)
class ContactSummary:
    """A row of a contact list or search result."""

    id: int
    display_name: str
    company: str | None
    email: str | None
    phone: str | None
    tags: list[str]
    archived: bool
    job_title: str | None = None


@dataclass(frozen=True)
class ContactRead:
    id: int
    uid: str
    display_name: str
    given_name: str | None
    family_name: str | None
    job_title: str | None
    company: Ref | None
    company_role: str | None
    birthday: str | None
    notes: str | None
    cadence_days: int | None
    archived: bool
    emails: list[Labeled]
    phones: list[Labeled]
    addresses: list[Address]
    tags: list[str]
    fields: dict[str, str]
    owner: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    last_interaction_at: datetime | None = None


@dataclass(frozen=True)
class CompanySummary:
    id: int
    name: str
    domain: str | None
    contacts: int
    tags: list[str]


@dataclass(frozen=True)
class CompanyRead:
    id: int
    uid: str
    name: str
    domain: str | None
    website: str | None
    phone: str | None
    address: str | None
    notes: str | None
    tags: list[str]
    fields: dict[str, str]
    people: list[Ref]
    owner: str | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class InteractionRead:
    id: int
    uid: str
    kind: str
    happened_at: datetime
    summary: str
    body: str | None
    contacts: list[Ref]
    company: Ref | None
    deal: Ref | None
    owner: str | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class TagCount:
    name: str
    contacts: int
    companies: int


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list: ``items`` from ``offset``, of ``total`` in all."""

    items: list[T]
    total: int
    limit: int | None
    offset: int
    #: ``total`` is an estimate (a search the app asked not to count exactly)
    estimate: bool = False
    #: how search results are ordered: ``relevance``; ``name`` or ``newest`` for a query matching thousands
    order: str = ""

    @property
    def more(self) -> bool:
        return self.offset + len(self.items) < self.total


@dataclass(frozen=True)
class Status:
    """What ``crm`` with no arguments shows."""

    database: str
    contacts: int
    archived: int
    companies: int
    interactions: int
    tags: int
    due: dict[str, int] = field(default_factory=dict)


# --- inputs ---------------------------------------------------------------------------------------------


@dataclass
class ContactInput:
    """A new contact. ``company_id`` is an existing company; else ``company`` names one: ``contacts.create``
    takes it as a reference (id, domain, name or a fragment of one; a new name adds the company), imports as
    a name matched exactly (a new name adds the company)."""

    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    emails: list[Labeled] = field(default_factory=list)
    phones: list[Labeled] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    job_title: str | None = None
    company: str | None = None
    company_id: int | None = None
    company_role: str | None = None
    birthday: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    cadence_days: int | None = None
    uid: str | None = None
    archived: bool = False
    owner: str | None = None


@dataclass
class CompanyInput:
    name: str
    domain: str | None = None
    website: str | None = None
    phone: str | None = None
    address: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    uid: str | None = None
    owner: str | None = None
