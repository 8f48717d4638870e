"""Read models of marketing: segments, consent, campaigns. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: the consent of an address
CONSENT_STATES = ("unknown", "opted-in", "opted-out", "bounced")
#: the states of a campaign recipient
RECIPIENT_STATES = ("queued", "sending", "sent", "failed", "bounced", "replied", "opted-out")


@dataclass(frozen=True)
class SegmentRead:
    id: int
    name: str
    query: str
    members: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AddressConsent:
    address: str
    status: str
    source: str | None = None
    changed_at: datetime | None = None
    suppressed: bool = False


@dataclass(frozen=True)
class ConsentEntry:
    id: int
    address: str
    contact_id: int | None
    status: str
    source: str | None
    at: datetime
    user: str


@dataclass(frozen=True)
class CampaignRead:
    id: int
    name: str
    segment: str | None
    subject: str
    sender: str | None
    reply_to: str | None
    allow_unknown: bool
    state: str
    created_at: datetime
    frozen_at: datetime | None = None
    finished_at: datetime | None = None
    #: recipients per state (only once frozen)
    counts: dict[str, int] = field(default_factory=dict)
    recipients: int = 0
    reply_rate: float | None = None
    opt_outs: int = 0
    bounces: int = 0
    #: deals opened with recipients within 30 days of the send
    deals_opened: int = 0


@dataclass(frozen=True)
class RecipientRead:
    id: int
    contact_id: int | None
    address: str
    state: str
    message_id: str | None
    sent_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class SendReport:
    """What one ``crm campaign send`` did."""

    campaign: str
    frozen: int
    sent: int
    failed: int
    left: int
    #: the run stopped on a temporary failure (exit 75); its message
    stopped: str | None = None
    #: the run was paused between two recipients (the app's pause); a later send goes on
    paused: bool = False
