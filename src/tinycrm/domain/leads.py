"""Leads: people who might buy, before anyone knows if there is a deal. Read models and inputs; no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

#: where a lead came from; any other word is kept as free text
SOURCES = ("web", "referral", "event", "import", "mail", "other")
#: new -> contacted -> qualified -> converted, or disqualified (with a reason)
STATUSES = ("new", "contacted", "qualified", "converted", "disqualified")
#: statuses of a lead still being worked on
OPEN_STATUSES = ("new", "contacted", "qualified")
SORTS = ("score", "created")


@dataclass
class LeadInput:
    """A new lead (``crm lead add``, ``--json -``, a CSV row, a web form, a mail)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    title: str | None = None
    source: str | None = None
    source_detail: str | None = None
    value: str | int | Decimal | None = None
    currency: str | None = None
    notes: str | None = None
    owner: str | None = None
    tags: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    #: an existing contact this lead is about
    contact_id: int | None = None
    uid: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One rule that counted in a score: ``rule`` (as in ``[leads.score]``), how often, the points it gave."""

    rule: str
    times: int
    points: int


@dataclass(frozen=True, slots=True)
class LeadRead:
    id: int
    uid: str
    name: str
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    source: str
    source_detail: str | None
    status: str
    reason: str | None
    value: Decimal | None
    currency: str | None
    notes: str | None
    score: int
    tags: list[str]
    fields: dict[str, str]
    owner: str | None
    contact_id: int | None
    converted_contact_id: int | None
    converted_company_id: int | None
    converted_deal_id: int | None
    converted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    touched_at: datetime
    version: int
    #: what this lead may duplicate: ``contact 12``, ``lead 7`` (an address a contact or an open lead has)
    duplicate_of: list[str] = field(default_factory=list)
    #: the rules that made the score (``crm lead show``); empty in lists
    score_lines: list[ScoreLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Converted:
    """What converting a lead made: the contact (``contact_reused``: it existed, found by email), the
    company (or None), the deal (or None with ``--no-deal``), and what was moved onto the contact."""

    lead_id: int
    contact_id: int
    contact_reused: bool
    company_id: int | None
    deal_id: int | None
    moved_interactions: int
    moved_tags: int
    moved_notes: bool


@dataclass(frozen=True, slots=True)
class LeadDuplicate:
    """An open lead whose email address a contact or another open lead has too."""

    lead_id: int
    lead_name: str
    email: str
    other_kind: str
    other_id: int
    other_name: str
