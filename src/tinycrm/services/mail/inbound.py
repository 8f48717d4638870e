"""The one pipeline every incoming message goes through, from ``crm mail ingest`` and ``crm mail fetch``.

Each message is parsed once (:func:`parse`, RFC 5322 with the standard library's ``email``), then handled in ONE
transaction: its Message-ID is claimed in ``mail_messages`` (a message handled before is skipped and reported
as a duplicate), the handlers of :mod:`tinycrm.services.mail.handlers` are asked in order, and what the first
one that takes it returns is recorded (``ignored`` when none does, which is never an error). A message that
cannot be parsed, or whose handler fails, is reported and rolled back; the next one goes on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tinycrm.domain.errors import CrmError, StoreUnavailable
from tinycrm.domain.mail import Handled, InboundMessage
from tinycrm.formats.mailparse import MailParseError, stable_hash
from tinycrm.services.common import now
from tinycrm.store.database import Database, Tx

if TYPE_CHECKING:
    from tinycrm.config import Settings
    from tinycrm.services.mail.handlers import Handler

__all__ = ["MailParseError", "Outcome", "ingest", "ingest_one", "parse", "summary"]

#: what an outcome's ``status`` may be; the first three count as handled
STATUSES = ("handled", "ignored", "duplicate", "failed")


@dataclass(frozen=True)
class Outcome:
    """What became of one message: ``status`` is handled, ignored, duplicate (handled before) or failed;
    ``kind`` what it became (``interaction``, ``ticket.new``, ..., ``ignored``), ``summary`` one line."""

    source: str
    status: str
    kind: str
    summary: str
    message_id: str | None = None
    subject: str = ""
    from_address: str = ""
    refs: Mapping[str, Any] = field(default_factory=dict)
    #: what was worked around: a broken structure, attachments too large to keep
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def max_attachment_bytes(settings: Settings | None) -> int:
    from tinycrm.config.mail import Mail

    if settings is None:
        return Mail().max_attachment_bytes
    return settings.get(Mail).max_attachment_bytes


def parse(raw: bytes, settings: Settings | None = None) -> InboundMessage:
    """One message from its bytes, attachments kept up to ``[mail] max_attachment_mb``."""
    from tinycrm.formats.mailparse import parse as parse_bytes

    return parse_bytes(raw, max_attachment_bytes=max_attachment_bytes(settings))


def _notes(message: InboundMessage) -> tuple[str, ...]:
    dropped = [
        f"attachment {a.filename} dropped ({a.size / 1048576:.1f} MB, over [mail] max_attachment_mb)"
        for a in message.dropped
    ]
    return (*message.defects, *dropped)


def ingest_one(
    db: Database,
    raw: bytes,
    source: str,
    *,
    settings: Settings,
    handlers: Sequence[Handler],
    also: Callable[[Tx, Outcome], None] | None = None,
) -> Outcome:
    """Parse and handle one message in one transaction. ``also(tx, outcome)`` runs in that transaction once
    the message is handled (``crm mail fetch`` records how far it has read there)."""
    try:
        message = parse(raw, settings)
    except MailParseError as exc:
        failed = Outcome(source, "failed", "unparsable", exc.message, message_id=_fallback_id(raw))
        if also is not None:
            with db.write() as tx:
                also(tx, failed)
        return failed
    notes = _notes(message)
    base: dict[str, Any] = {
        "message_id": message.message_id,
        "subject": message.subject,
        "from_address": message.from_address,
    }
    try:
        with db.write() as tx:
            outcome = _handle(tx, message, source, settings, handlers, notes)
            if also is not None:
                also(tx, outcome)
            return outcome
    except StoreUnavailable:
        raise
    except CrmError as exc:
        return Outcome(source, "failed", "failed", exc.message, notes=notes, **base)
    except Exception as exc:  # noqa: BLE001 - one message's fault must not stop the rest; it is reported
        what = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
        return Outcome(source, "failed", "failed", f"handling failed ({what})", notes=notes, **base)


def _fallback_id(raw: bytes) -> str | None:
    return f"{stable_hash(raw)}@no-id.tinycrm.invalid" if raw.strip() else None


_CLAIM = (
    "INSERT INTO mail_messages (message_id, kind, subject, from_address, handled_at, source) "
    "VALUES (:m, 'pending', :s, :f, :t, :src) ON CONFLICT (message_id) DO NOTHING RETURNING id"
)


def _handle(
    tx: Tx,
    message: InboundMessage,
    source: str,
    settings: Settings,
    handlers: Sequence[Handler],
    notes: tuple[str, ...],
) -> Outcome:
    base: dict[str, Any] = {
        "message_id": message.message_id,
        "subject": message.subject,
        "from_address": message.from_address,
    }
    row_id = tx.scalar(
        _CLAIM,
        {
            "m": message.message_id,
            "s": message.subject[:500],
            "f": message.from_address[:320] or None,
            "t": now(),
            "src": source[:500],
        },
    )
    if row_id is None:  # handled before (or at this moment by another process, which then won)
        before = tx.one(
            "SELECT kind, refs, handled_at FROM mail_messages WHERE message_id = :m",
            {"m": message.message_id},
        )
        kind = before["kind"] if before else "duplicate"
        refs = json.loads(before["refs"]) if before and before["refs"] else {}
        return Outcome(source, "duplicate", kind, f"already handled ({kind})", refs=refs, **base)
    handled: Handled | None = None
    for handler in handlers:
        handled = handler(tx, message, settings)
        if handled is not None:
            break
    if handled is None:
        outcome = Outcome(source, "ignored", "ignored", _ignored_why(message), notes=notes, **base)
    else:
        outcome = Outcome(
            source, "handled", handled.kind, handled.summary, refs=dict(handled.refs), notes=notes, **base
        )
    tx.execute(
        "UPDATE mail_messages SET kind = :k, refs = :r WHERE id = :i",
        {
            "k": outcome.kind[:50],
            "r": json.dumps(outcome.refs, default=str) if outcome.refs else None,
            "i": row_id,
        },
    )
    return outcome


def _ignored_why(message: InboundMessage) -> str:
    if not message.from_address:
        return "ignored: no sender, and no known contact among the recipients"
    if message.delivery_status:
        return "ignored: a delivery status notification"
    auto = message.headers.get("auto-submitted", "no").strip().lower()
    if auto and auto != "no":
        return f"ignored: sent automatically (Auto-Submitted: {auto[:40]})"
    return "ignored: not from or to a known contact"


def ingest(
    db: Database,
    messages: Iterable[tuple[str, bytes]],
    *,
    settings: Settings,
    handlers: Sequence[Handler] | None = None,
) -> Iterator[Outcome]:
    """Handle ``(source, raw bytes)`` pairs one by one, yielding what became of each."""
    from tinycrm.services.mail.handlers import load

    chosen = load() if handlers is None else handlers
    with batch_durability(db):
        for source, raw in messages:
            yield ingest_one(db, raw, source, settings=settings, handlers=chosen)


@contextmanager
def batch_durability(db: Database) -> Iterator[None]:
    """On SQLite, commit each message's transaction without waiting for the disk (``synchronous = NORMAL``,
    which in WAL mode keeps the file consistent), then make all of it durable at the end with a checkpoint.
    After a power cut the last messages' transactions may be gone, and only whole: the next run handles them
    again (nothing was recorded of them, so nothing twice). Waiting for the disk at every message would cap
    an mbox import at the disk's flushes per second."""
    if not db.is_sqlite:
        yield
        return
    conn = db.connection()
    conn.execute("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        conn.execute("PRAGMA synchronous = FULL")
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # noqa: BLE001 - a busy checkpoint is done later by SQLite itself
            pass


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts for the closing line and ``--json``: messages, handled, ignored, duplicate, failed, and per kind."""
    counts = {status: 0 for status in STATUSES}
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status == "handled":
            kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
    return {"messages": len(outcomes), **counts, "kinds": kinds}
