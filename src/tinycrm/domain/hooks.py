"""Read models of webhooks: a hook, and a delivery that was given up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class HookRead:
    id: int
    url: str
    events: list[str]
    #: where the signing secret comes from: "stored" or "env:NAME"
    secret: str
    created_at: datetime
    pending: int
    failed: int


@dataclass(frozen=True)
class NewHook:
    """A hook just added, with its signing secret when tinycrm made it (shown this once)."""

    hook: HookRead
    secret: str | None


@dataclass(frozen=True)
class FailedDelivery:
    id: int
    target: str
    event_id: int
    event_type: str
    record_kind: str
    record_id: int
    attempts: int
    last_error: str | None
    created_at: datetime
    given_up_at: datetime | None


@dataclass(frozen=True)
class TestResult:
    hook_id: int
    url: str
    ok: bool
    error: str | None
