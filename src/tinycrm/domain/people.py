"""Read models and inputs: plain dataclasses, cheap to import, safe to keep after the transaction ends.

Services take inputs and return these; no live database object ever leaves a service. ``to_json`` turns any of
them into the stable JSON document of ``--json`` (times in UTC ISO 8601, dates ISO). The page of a list and the
rows of a contact list or search live in :mod:`tinycrm.domain.rows` and are named here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tinycrm.domain.rows import (  # noqa: F401 - the people's read models, named here as everywhere
    ContactSummary,
    Labeled,
    Page,
    Ref,
    TagCount,
    to_json,
)

INTERACTION_KINDS = ("call", "email", "meeting", "message", "note", "other")


@dataclass(frozen=True)
class Address:
    """A postal address, each part optional, with its type label (``home``, ``work``...)."""

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
class ContactRead:
    """Everything about one contact, as ``crm contact show`` and the app show it."""

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
    """A row of a company list: how many people work there, and its tags."""

    id: int
    name: str
    domain: str | None
    contacts: int
    tags: list[str]


@dataclass(frozen=True)
class CompanyRead:
    """Everything about one company, with its people."""

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
    """A logged call, email, meeting, message or note, with the people who were there."""

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
    """A new company."""

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
