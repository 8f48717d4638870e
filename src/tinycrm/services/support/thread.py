"""A ticket's thread: messages in and out, acknowledgements, internal notes, and their attachments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.mail import Attachment
from tinycrm.domain.support import MESSAGE_KINDS, AttachmentRead, TicketMessageRead, TicketRead
from tinycrm.services.common import actor, audit, now, user_id
from tinycrm.store.database import Database, Tx, as_datetime

#: an attachment's name as stored: no folders, no control characters
NAME_MAX = 300


def add_message(
    tx: Tx,
    ticket_id: int,
    *,
    kind: str,
    author: str,
    body: str,
    subject: str | None = None,
    message_id: str | None = None,
    at: datetime | None = None,
) -> int:
    assert kind in MESSAGE_KINDS
    return tx.insert(
        "INSERT INTO ticket_messages (ticket_id, kind, author, subject, body, message_id, user_id, created_at) "
        "VALUES (:t, :k, :a, :s, :b, :m, :u, :at) RETURNING id",
        {
            "t": ticket_id,
            "k": kind,
            "a": author[:320],
            "s": subject[:500] if subject else None,
            "b": body,
            "m": message_id[:998] if message_id else None,
            "u": user_id(tx) if kind in ("out", "note") else None,
            "at": at or now(),
        },
    )


def safe_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "attachment"
    return base[:NAME_MAX]


def add_attachments(tx: Tx, ticket_id: int, message_id: int, files: Sequence[Attachment]) -> list[str]:
    """Store the attachments of a message (a dropped one, ``data`` None, is listed without its bytes); give
    the names of those dropped."""
    dropped = []
    for f in files:
        tx.execute(
            "INSERT INTO ticket_attachments (ticket_id, message_id, filename, content_type, size, data) "
            "VALUES (:t, :m, :f, :c, :s, :d)",
            {
                "t": ticket_id,
                "m": message_id,
                "f": safe_name(f.filename),
                "c": (f.content_type or "application/octet-stream")[:200],
                "s": f.size,
                "d": f.data,
            },
        )
        if f.data is None:
            dropped.append(safe_name(f.filename))
    return dropped


def messages_of(tx: Tx, ticket_id: int) -> list[TicketMessageRead]:
    files: dict[int | None, list[AttachmentRead]] = {}
    for a in tx.all(
        "SELECT id, message_id, filename, content_type, size, data IS NULL AS dropped FROM ticket_attachments "
        "WHERE ticket_id = :t ORDER BY id",
        {"t": ticket_id},
    ):
        files.setdefault(a["message_id"], []).append(
            AttachmentRead(
                a["id"], a["filename"], a["content_type"], a["size"], bool(a["dropped"]), a["message_id"]
            )
        )
    return [
        TicketMessageRead(
            id=r["id"],
            kind=r["kind"],
            author=r["author"],
            body=r["body"],
            created_at=as_datetime(r["created_at"]),  # type: ignore[arg-type]
            subject=r["subject"],
            message_id=r["message_id"],
            attachments=files.get(r["id"], []),
        )
        for r in tx.all(
            "SELECT id, kind, author, subject, body, message_id, created_at FROM ticket_messages "
            "WHERE ticket_id = :t ORDER BY created_at, id",
            {"t": ticket_id},
        )
    ]


def note(db: Database, ticket_id: int, text: str) -> TicketRead:
    """``ticket note N TEXT``: an internal note, never sent."""
    from tinycrm.services.support.tickets import load, read_in

    body = v.text(text, "note", required=True) or ""
    with db.write() as tx:
        load(tx, ticket_id, lock=True)
        add_message(tx, ticket_id, kind="note", author=actor(db), body=body)
        tx.execute(
            "UPDATE tickets SET updated_at = :t, version = version + 1 WHERE id = :i",
            {"t": now(), "i": ticket_id},
        )
        audit(tx, "note", "ticket", ticket_id, {"note": (None, body[:200])})
        return read_in(tx, ticket_id)


def attachment(db: Database, ticket_id: int, name: str) -> tuple[AttachmentRead, bytes]:
    """The attachment of a ticket named ``name`` (or given by its id), with its bytes."""
    with db.read() as tx:
        if tx.scalar("SELECT id FROM tickets WHERE id = :i", {"i": ticket_id}) is None:
            raise NotFound(f"no ticket #{ticket_id}", hint="crm ticket list shows the tickets")
        rows = tx.all(
            "SELECT id, message_id, filename, content_type, size, data FROM ticket_attachments "
            "WHERE ticket_id = :t ORDER BY id",
            {"t": ticket_id},
        )
    found = [r for r in rows if r["filename"] == name] or [r for r in rows if str(r["id"]) == name]
    if not found:
        names = ", ".join(sorted({r["filename"] for r in rows})) or "none"
        raise NotFound(f"ticket #{ticket_id} has no attachment named {name!r}; it has: {names}")
    r = found[-1]
    if r["data"] is None:
        raise InvalidInput(
            f"{r['filename']} was larger than [mail] max_attachment_mb and was not kept; ask the sender for it"
        )
    read = AttachmentRead(r["id"], r["filename"], r["content_type"], r["size"], False, r["message_id"])
    return read, bytes(r["data"])
