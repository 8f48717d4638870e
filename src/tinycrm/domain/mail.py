"""Mail as the services see it: one parsed incoming message, and what handling it made of it.

The mail pipeline (:mod:`tinycrm.services.mail.inbound`) parses RFC 5322 bytes into an :class:`InboundMessage`
once; the handlers listed in :data:`tinycrm.services.mail.handlers.HANDLERS` each look at it in turn and the
first that takes it returns a :class:`Handled`. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: senders that are machines, not people: never acknowledged automatically (RFC 3834 section 2)
MACHINE_LOCAL_PARTS = (
    "noreply",
    "no-reply",
    "no_reply",
    "donotreply",
    "do-not-reply",
    "mailer-daemon",
    "postmaster",
)


@dataclass(frozen=True)
class Attachment:
    """One attached file. ``data`` is None when it was larger than ``[mail] max_attachment_mb`` (dropped)."""

    filename: str
    content_type: str
    size: int
    data: bytes | None


@dataclass(frozen=True)
class InboundMessage:
    """A parsed incoming message. Addresses are lower-cased ``local@domain``; ids are without ``<>``."""

    message_id: str
    subject: str
    from_address: str
    from_name: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    date: datetime | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    #: the body as plain text (an HTML-only message converted to text)
    text: str = ""
    #: header name (lower case) -> first value, unfolded; e.g. "auto-submitted", "precedence", "return-path"
    headers: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    #: a delivery status notification (multipart/report; report-type=delivery-status), parsed per recipient:
    #: [{"recipient": addr, "action": "failed|delayed|delivered|...", "status": "5.1.1", "diagnostic": str}]
    delivery_status: tuple[Mapping[str, str], ...] = ()
    raw: bytes = b""
    #: what was wrong with the message's structure and was worked around ("broken MIME: ..."), for the report
    defects: tuple[str, ...] = ()

    @property
    def dropped(self) -> tuple[Attachment, ...]:
        """The attachments not kept: larger than ``[mail] max_attachment_mb``."""
        return tuple(a for a in self.attachments if a.data is None)

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """The ids this message answers, nearest first (In-Reply-To, then References from the end)."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [ref for ref in reversed(self.references) if ref not in ids]
        return tuple(ids)

    @property
    def is_automatic(self) -> bool:
        """Machine-sent mail that must never get an automatic answer (RFC 3834, and list/bulk conventions)."""
        auto = self.headers.get("auto-submitted", "no").strip().lower()
        if auto and auto != "no":
            return True
        if self.headers.get("precedence", "").strip().lower() in ("bulk", "junk", "list"):
            return True
        if "return-path" in self.headers and self.headers["return-path"].strip() in ("", "<>"):
            return True
        if "list-id" in self.headers or self.delivery_status:
            return True
        local = self.from_address.partition("@")[0]
        return not self.from_address or local.startswith(MACHINE_LOCAL_PARTS)


@dataclass(frozen=True)
class Handled:
    """What one message became. ``kind`` is a short word for the summary and --json (``ticket.new``,
    ``ticket.reply``, ``interaction``, ``unsubscribe``, ``bounce``, ``campaign.reply``, ``lead``, ...);
    ``summary`` one line for people; ``refs`` the ids of what was made or changed (``{"ticket": 12}``)."""

    kind: str
    summary: str
    refs: Mapping[str, Any] = field(default_factory=dict)
