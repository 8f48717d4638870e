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
    message = _parsed(raw, source, settings)
    if isinstance(message, Outcome):
        if also is not None:
            with db.write() as tx:
                also(tx, message)
        return message
    return _ingest_parsed(db, message, source, settings, handlers, also)


def _parsed(raw: bytes, source: str, settings: Settings) -> InboundMessage | Outcome:
    """The message, or the outcome of one that cannot be parsed."""
    try:
        return parse(raw, settings)
    except MailParseError as exc:
        return Outcome(source, "failed", "unparsable", exc.message, message_id=_fallback_id(raw))


def _ingest_parsed(
    db: Database,
    message: InboundMessage,
    source: str,
    settings: Settings,
    handlers: Sequence[Handler],
    also: Callable[[Tx, Outcome], None] | None,
) -> Outcome:
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
        return Outcome(source, "failed", "failed", str(exc), notes=notes, **base)
    except Exception as exc:  # noqa: BLE001 - one message's fault must not stop the rest; it is reported
        what = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:300]
        return Outcome(source, "failed", "failed", f"handling failed ({what})", notes=notes, **base)


def _fallback_id(raw: bytes) -> str | None:
    return f"{stable_hash(raw)}@no-id.tinycrm.invalid" if raw.strip() else None


_CLAIM = (
    "INSERT INTO mail_messages (message_id, kind, subject, from_address, handled_at, source) "
    "VALUES (:m, 'ignored', :s, :f, :t, :src) ON CONFLICT (message_id) DO NOTHING RETURNING id"
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
            "SELECT kind, refs FROM mail_messages WHERE message_id = :m", {"m": message.message_id}
        )
        return _duplicate(source, message, before)
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
    if handled is not None:  # claimed as ignored: what no handler takes needs no second statement
        tx.execute(
            "UPDATE mail_messages SET kind = :k, refs = :r WHERE id = :i",
            {
                "k": outcome.kind[:50],
                "r": json.dumps(outcome.refs, default=str) if outcome.refs else None,
                "i": row_id,
            },
        )
    return outcome


def _duplicate(source: str, message: InboundMessage, before: Any) -> Outcome:
    kind = before["kind"] if before else "duplicate"
    refs = json.loads(before["refs"]) if before and before["refs"] else {}
    return Outcome(
        source,
        "duplicate",
        kind,
        f"already handled ({kind})",
        message_id=message.message_id,
        subject=message.subject,
        from_address=message.from_address,
        refs=refs,
    )


def _ignored_why(message: InboundMessage) -> str:
    if not message.from_address:
        return "ignored: no sender, and no known contact among the recipients"
    if message.delivery_status:
        return "ignored: a delivery status notification"
    auto = message.headers.get("auto-submitted", "no").strip().lower()
    if auto and auto != "no":
        return f"ignored: sent automatically (Auto-Submitted: {auto[:40]})"
    return "ignored: not from or to a known contact"


#: messages read, parsed and looked up together (their Message-IDs in one query), and at most this many bytes
CHUNK, CHUNK_BYTES = 200, 16 * 1024 * 1024


def ingest(
    db: Database,
    messages: Iterable[tuple[str, bytes]],
    *,
    settings: Settings,
    handlers: Sequence[Handler] | None = None,
) -> Iterator[Outcome]:
    """Handle ``(source, raw bytes)`` pairs, yielding what became of each, in order. They are taken in chunks:
    one query finds which were handled before (reported as duplicates without a transaction of their own);
    each of the others is handled in a transaction of its own, so a broken one never takes others with it."""
    from tinycrm.services.mail.handlers import load

    chosen = load() if handlers is None else handlers
    with batch_durability(db):
        for chunk in _chunks(messages):
            parsed = [(source, _parsed(raw, source, settings)) for source, raw in chunk]
            before = _handled_before(db, [m.message_id for _, m in parsed if isinstance(m, InboundMessage)])
            for source, message in parsed:
                if isinstance(message, Outcome):
                    yield message
                elif message.message_id in before:
                    yield _duplicate(source, message, before[message.message_id])
                else:
                    yield _ingest_parsed(db, message, source, settings, chosen, None)


def _chunks(messages: Iterable[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
    chunk: list[tuple[str, bytes]] = []
    size = 0
    for item in messages:
        chunk.append(item)
        size += len(item[1])
        if len(chunk) >= CHUNK or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _handled_before(db: Database, message_ids: list[str]) -> dict[str, Any]:
    """The ``mail_messages`` rows (kind, refs) of those of ``message_ids`` handled before, in one query."""
    from tinycrm.store.sql import placeholders

    wanted = sorted({m for m in message_ids if m})
    if not wanted:
        return {}
    marks, params = placeholders("m", wanted)
    with db.read() as tx:
        rows = tx.all(
            f"SELECT message_id, kind, refs FROM mail_messages WHERE message_id IN ({marks})",
            params,
        )
    return {r["message_id"]: r for r in rows}


@contextmanager
def batch_durability(db: Database) -> Iterator[None]:
    """Commit each message's transaction without waiting for the disk, and make all of it durable at the end
    (:func:`make_durable`). On SQLite that is ``synchronous = NORMAL`` (which in WAL mode keeps the file
    consistent) and a checkpoint; on PostgreSQL ``synchronous_commit = off`` for this connection, then one
    commit that waits. After a power cut (or a crash of the server) the last messages' transactions may be
    gone, and only whole: the next run handles them again (nothing was recorded of them, so nothing twice).
    Waiting for the disk at every message would cap an mbox import at the disk's flushes per second."""
    conn = db.connection()
    conn.execute("PRAGMA synchronous = NORMAL" if db.is_sqlite else "SET synchronous_commit = off")
    try:
        yield
    finally:
        try:
            conn.execute("PRAGMA synchronous = FULL" if db.is_sqlite else "RESET synchronous_commit")
            make_durable(db)
        except Exception:  # noqa: BLE001 - a connection lost meanwhile: its error has been raised already
            pass


def make_durable(db: Database) -> None:
    """Make every transaction this connection committed so far durable, before something outside the
    database depends on them (``crm mail fetch`` marking or moving the messages it handled)."""
    if db.is_sqlite:
        try:
            db.connection().execute("PRAGMA wal_checkpoint(PASSIVE)")  # syncs the log first
        except Exception:  # noqa: BLE001 - a busy checkpoint is done later by SQLite itself
            pass
        return
    with db.write() as tx:  # a commit that waits for the disk flushes the log of every commit before it
        tx.execute("SET LOCAL synchronous_commit = on")
        tx.scalar("SELECT txid_current()")


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Counts for the closing line and ``--json``: messages, handled, ignored, duplicate, failed, and per kind."""
    counts = {status: 0 for status in STATUSES}
    kinds: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.status == "handled":
            kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
    return {"messages": len(outcomes), **counts, "kinds": kinds}
