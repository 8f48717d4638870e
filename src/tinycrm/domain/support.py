"""The support desk as the faces see it: tickets, their thread, attachments, knowledge-base articles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from tinycrm.domain.rows import Ref

STATUSES = ("new", "open", "pending", "resolved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("mail", "phone", "manual")
#: the list order of each status: open work first
QUEUE = {"new": 0, "open": 0, "pending": 1, "resolved": 2, "closed": 3}
#: what a ticket's thread holds: mail in, our replies, our acknowledgements, internal notes
MESSAGE_KINDS = ("in", "out", "auto", "note")


@dataclass(frozen=True)
class TicketRow:
    """One line of ``crm ticket list``."""

    id: int
    subject: str
    status: str
    priority: str
    contact: Ref | None
    assignee: str | None
    #: the next SLA target of open work (first response, else resolution); None when not open
    sla_due: datetime | None
    breached: bool
    created_at: datetime
    pending_until: datetime | None = None


@dataclass(frozen=True)
class AttachmentRead:
    id: int
    filename: str
    content_type: str
    size: int
    #: larger than the limit: listed, not kept
    dropped: bool
    message_id: int | None = None


@dataclass(frozen=True)
class TicketMessageRead:
    id: int
    #: in, out, auto or note
    kind: str
    author: str
    body: str
    created_at: datetime
    subject: str | None = None
    message_id: str | None = None
    attachments: list[AttachmentRead] = field(default_factory=list)


@dataclass(frozen=True)
class TicketRead:
    id: int
    subject: str
    status: str
    priority: str
    channel: str
    contact: Ref | None
    contact_email: str | None
    company: Ref | None
    assignee: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    sla_due: datetime | None
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    pending_until: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    merged_into: int | None
    version: int
    messages: list[TicketMessageRead] = field(default_factory=list)

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached


@dataclass(frozen=True)
class ReplyResult:
    """What ``ticket reply`` did: the ticket after it, and the mail as sent (or, with --dry-run, as it would
    be)."""

    ticket: TicketRead | None
    message: str
    sent: bool


@dataclass(frozen=True)
class ArticleRead:
    id: int
    slug: str
    title: str
    body: str
    tags: list[str]
    published: bool
    created_at: datetime
    updated_at: datetime
    version: int
    url: str | None = None


@dataclass(frozen=True)
class WeekRow:
    """Tickets opened and resolved in the week starting ``week`` (a Monday)."""

    week: str
    opened: int
    resolved: int


@dataclass(frozen=True)
class Times:
    """Business minutes from opening to an event, over the tickets that reached it."""

    count: int
    median_minutes: int | None
    p90_minutes: int | None


@dataclass(frozen=True)
class SupportReport:
    since: str
    weeks: list[WeekRow]
    first_response: Times
    resolution: Times
    breached_first_response: int
    breached_resolution: int
    backlog_by_status: dict[str, int]
    backlog_by_assignee: dict[str, int]
