"""Tickets: add, read, list (open work first, by SLA due time), notes, status, assignee, close, merge.

A ticket's number is its id. Each write is one transaction, audited; the SLA columns follow every change of
status (:mod:`tinycrm.services.support.sla`). A pending ticket whose until-date has passed is open again: the
next list or read of tickets wakes it (:func:`wake`), in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.rows import Page, Ref
from tinycrm.domain.support import CHANNELS, PRIORITIES, QUEUE, STATUSES, TicketRead, TicketRow
from tinycrm.services.common import MAX_ID, actor, audit, now, owner_filter, user_id
from tinycrm.services.support import sla
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page, page_sql, placeholders, where

SUBJECT_MAX = 500
#: the columns of a ticket that are times
TIMES = (
    "pending_until",
    "paused_at",
    "first_response_due",
    "resolution_due",
    "sla_due",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
)
#: "breaching" in lists and reminders: breached, or due within this time
SOON = timedelta(hours=1)


def number(ref: str | int) -> int:
    """A ticket number as given (``12``, ``#12``)."""
    text = str(ref).strip().removeprefix("#")
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise InvalidInput(f"{ref!r} is not a ticket number", hint="crm ticket list shows them")
    return int(text)


def priority(value: str | None) -> str:
    p = (value or "normal").strip().lower()
    if p not in PRIORITIES:
        raise InvalidInput(f"priority {value!r} is not one of: {', '.join(PRIORITIES)}", field="priority")
    return p


def status(value: str) -> str:
    s = (value or "").strip().lower()
    if s not in STATUSES:
        raise InvalidInput(f"status {value!r} is not one of: {', '.join(STATUSES)}", field="status")
    return s


def subject(value: str | None) -> str:
    text = " ".join((value or "").split())  # CR, LF and runs of space: one space (a subject is one line)
    if not text:
        raise InvalidInput("the subject is empty; give the ticket a subject", field="subject")
    if len(text) > SUBJECT_MAX:
        raise InvalidInput(
            f"the subject is {len(text)} characters long; shorten it to at most {SUBJECT_MAX}",
            field="subject",
        )
    return text


def tag_names(tags: Sequence[str]) -> list[str]:
    out: list[str] = []
    for t in tags:
        name = v.line(t, "tag", max_len=100, required=True) or ""
        if name.casefold() not in (o.casefold() for o in out):
            out.append(name)
    return out


# --- reading --------------------------------------------------------------------------------------------


def load(tx: Tx, ticket_id: int, *, lock: bool = False) -> dict[str, Any]:
    """The stored columns of a ticket, times as datetimes; :class:`NotFound` when there is none."""
    if lock:
        tx.lock_rows("tickets", [ticket_id])
    row = tx.one("SELECT * FROM tickets WHERE id = :i", {"i": ticket_id})
    if row is None:
        raise NotFound(f"no ticket #{ticket_id}", hint="crm ticket list shows the tickets")
    out = {k: row[k] for k in row.keys()}
    for k in TIMES:
        out[k] = as_datetime(out[k])
    return out


def get(db: Database, ticket_id: int) -> TicketRead:
    wake(db)
    with db.read() as tx:
        return read_in(tx, ticket_id)


def read_in(tx: Tx, ticket_id: int) -> TicketRead:
    from tinycrm.services.support.thread import messages_of

    row = load(tx, ticket_id)
    first, resolution = sla.breaches(row, now())
    contact = company = None
    email = None
    if row["contact_id"] is not None:
        c = tx.one("SELECT id, display_name FROM contacts WHERE id = :i", {"i": row["contact_id"]})
        contact = Ref(c["id"], c["display_name"]) if c else None
        email = tx.scalar(
            "SELECT value FROM contact_emails WHERE contact_id = :i ORDER BY position, id LIMIT 1",
            {"i": row["contact_id"]},
        )
    if row["company_id"] is not None:
        c = tx.one("SELECT id, name FROM companies WHERE id = :i", {"i": row["company_id"]})
        company = Ref(c["id"], c["name"]) if c else None
    assignee = None
    if row["assignee_id"] is not None:
        assignee = tx.scalar("SELECT name FROM users WHERE id = :i", {"i": row["assignee_id"]})
    tags = tx.column("SELECT name FROM ticket_tags WHERE ticket_id = :i ORDER BY name", {"i": ticket_id})
    return TicketRead(
        id=row["id"],
        subject=row["subject"],
        status=row["status"],
        priority=row["priority"],
        channel=row["channel"],
        contact=contact,
        contact_email=email,
        company=company,
        assignee=assignee,
        tags=tags,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        first_response_due=row["first_response_due"],
        resolution_due=row["resolution_due"],
        sla_due=row["sla_due"],
        first_responded_at=row["first_responded_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
        pending_until=row["pending_until"],
        first_response_breached=first,
        resolution_breached=resolution,
        merged_into=row["merged_into_id"],
        version=row["version"],
        messages=messages_of(tx, ticket_id),
    )


_LIST = (
    "SELECT t.id, t.subject, t.status, t.priority, t.sla_due, t.created_at, t.pending_until, "
    "t.first_response_due, t.resolution_due, t.first_responded_at, t.resolved_at, t.paused_at, "
    "c.id AS contact_id, c.display_name AS contact_name, u.name AS assignee "
    "FROM tickets t LEFT JOIN contacts c ON c.id = t.contact_id LEFT JOIN users u ON u.id = t.assignee_id"
)

#: what ``ticket list`` shows without --status: the work that is not done
DEFAULT_STATUSES = ("new", "open", "pending")


def list_page(
    db: Database,
    *,
    statuses: Sequence[str] = (),
    owner: str | None = None,
    breaching: bool = False,
    contact_id: int | None = None,
    unassigned: bool = False,
    limit: int | None = 20,
    offset: int = 0,
) -> Page[TicketRow]:
    """Tickets, open work first, each group by SLA due time; paged in SQL. ``unassigned``: only those
    nobody is assigned to."""
    check_page(limit, offset)
    if unassigned and owner:
        raise InvalidInput("give --unassigned or an assignee (--mine, --owner NAME), not both")
    wanted = [status(s) for s in statuses] or list(DEFAULT_STATUSES)
    wake(db)
    at = now()
    with db.read() as tx:
        cond, params = _filters(tx, wanted, owner, breaching, contact_id, at)
        if unassigned:
            cond += " AND t.assignee_id IS NULL"
        params.update({"limit": limit, "offset": offset})
        total = tx.scalar(f"SELECT count(*) FROM tickets t WHERE {cond}", params)
        rows = tx.all(f"{_LIST} WHERE {cond} ORDER BY t.queue, t.sla_due, t.id{page_sql(limit)}", params)
        items = [_row(r, at) for r in rows]
    return Page(items, total, limit, offset)


def _filters(
    tx: Tx, wanted: list[str], owner: str | None, breaching: bool, contact_id: int | None, at: datetime
) -> tuple[str, dict[str, Any]]:
    queues = sorted({QUEUE[s] for s in wanted})
    marks, params = placeholders("q", queues)
    conds = [f"t.queue IN ({marks})"]
    if {s for s in STATUSES if QUEUE[s] in queues} != set(wanted):
        smarks, sparams = placeholders("s", wanted)
        conds.append(f"t.status IN ({smarks})")
        params.update(sparams)
    if owner:
        cond, oparams = owner_filter(tx, owner, "t.assignee_id")
        conds.append(cond)
        params.update(oparams)
    if breaching:
        conds.append("t.queue = 0 AND t.sla_due <= :soon")
        params["soon"] = at + SOON
    if contact_id is not None:
        conds.append("t.contact_id = :contact")
        params["contact"] = contact_id
    return where(conds), params


def _row(r: Any, at: datetime) -> TicketRow:
    row = {k: r[k] for k in r.keys()}
    for k in ("sla_due", "created_at", "pending_until", "first_response_due", "resolution_due"):
        row[k] = as_datetime(row[k])
    for k in ("first_responded_at", "resolved_at", "paused_at"):
        row[k] = as_datetime(row[k])
    first, resolution = sla.breaches(row, at)
    return TicketRow(
        id=row["id"],
        subject=row["subject"],
        status=row["status"],
        priority=row["priority"],
        contact=Ref(row["contact_id"], row["contact_name"]) if row["contact_id"] is not None else None,
        assignee=row["assignee"],
        sla_due=row["sla_due"],
        breached=first or resolution,
        created_at=row["created_at"],
        pending_until=row["pending_until"],
    )


def wake(db: Database) -> int:
    """Open again the pending tickets whose until-date has passed; how many. Inside a read of several services
    (a page read in one snapshot) it wakes none: that read's snapshot must not change under it, and a write
    nested in it is refused (SQLite) or undone with it (PostgreSQL). Such a page wakes them before its read."""
    if db.in_transaction():
        return 0
    at = now()
    with db.read() as tx:
        due = tx.scalar(
            "SELECT count(*) FROM tickets WHERE status = 'pending' AND pending_until <= :at", {"at": at}
        )
    if not due:
        return 0
    with db.write() as tx:
        ids = tx.column(
            "SELECT id FROM tickets WHERE status = 'pending' AND pending_until <= :at ORDER BY id", {"at": at}
        )
        for tid in ids:
            change_status(tx, tid, "open", note="pending until-date passed")
        return len(ids)


# --- writing --------------------------------------------------------------------------------------------


def insert(
    tx: Tx,
    *,
    subject_: str,
    contact_id: int | None,
    priority_: str = "normal",
    channel: str = "manual",
    assignee_id: int | None = None,
    tags: Sequence[str] = (),
    at: datetime | None = None,
) -> int:
    """Store a validated ticket inside an open transaction, on its contact's timeline; give its number."""
    from tinycrm.services.people import interactions

    if channel not in CHANNELS:
        raise InvalidInput(f"channel {channel!r} is not one of: {', '.join(CHANNELS)}")
    stamp = at or now()
    fr_due, res_due = sla.targets(priority_, stamp)
    company_id = None
    if contact_id is not None:
        company_id = tx.scalar("SELECT company_id FROM contacts WHERE id = :i", {"i": contact_id})
    tid = tx.insert(
        "INSERT INTO tickets (subject, contact_id, company_id, status, queue, priority, channel, assignee_id, "
        "first_response_due, resolution_due, sla_due, owner_id, created_at, updated_at, version) VALUES "
        "(:s, :c, :co, 'new', 0, :p, :ch, :a, :fr, :res, :fr, :o, :t, :t, 1) RETURNING id",
        {
            "s": subject_,
            "c": contact_id,
            "co": company_id,
            "p": priority_,
            "ch": channel,
            "a": assignee_id,
            "fr": fr_due,
            "res": res_due,
            "o": user_id(tx),
            "t": stamp,
        },
    )
    if tags:
        tx.executemany(
            "INSERT INTO ticket_tags (ticket_id, name) VALUES (:t, :n)", [{"t": tid, "n": n} for n in tags]
        )
    if contact_id is not None:
        interactions.insert(
            tx,
            contact_ids=[contact_id],
            kind="email" if channel == "mail" else "note",
            summary=f"Ticket #{tid}: {subject_}"[:500],
            happened_at=stamp,
        )
    audit(tx, "create", "ticket", tid, {"subject": (None, subject_), "priority": (None, priority_)})
    return tid


def create(
    db: Database,
    *,
    subject_: str,
    contact_id: int,
    priority_: str | None = None,
    body: str | None = None,
    assignee: str | None = None,
    tags: Sequence[str] = (),
    channel: str = "manual",
) -> TicketRead:
    """Add a ticket (``ticket add``): its first message is ``body``, as from the contact."""
    from tinycrm.services.support.thread import add_message

    text = subject(subject_)
    p = priority(priority_)
    body = v.text(body, "body")
    names = tag_names(tags)
    with db.write() as tx:
        if tx.scalar("SELECT id FROM contacts WHERE id = :i", {"i": contact_id}) is None:
            raise NotFound(f"no contact with id {contact_id}")
        aid = user_id(tx, assignee) if assignee else None
        tid = insert(
            tx,
            subject_=text,
            contact_id=contact_id,
            priority_=p,
            channel=channel,
            assignee_id=aid,
            tags=names,
        )
        if body:
            author = tx.scalar(
                "SELECT value FROM contact_emails WHERE contact_id = :i ORDER BY position, id LIMIT 1",
                {"i": contact_id},
            )
            add_message(tx, tid, kind="in", author=author or actor(db), body=body, subject=text)
        made = read_in(tx, tid)
        announce(tx, "ticket.created", made)
        return made


def announce(tx: Tx, type_: str, ticket: TicketRead | int) -> None:
    """Write a ``ticket.*`` event in ``tx``, with the ticket as ``crm ticket show --json`` shows it."""
    from tinycrm.services.hooks import outbox

    read = read_in(tx, ticket) if isinstance(ticket, int) else ticket
    outbox.emit(tx, type_, "ticket", read.id, read)


def change_status(
    tx: Tx, ticket_id: int, new: str, *, until: datetime | None = None, note: str | None = None
) -> dict[str, Any]:
    """Move a ticket to status ``new`` inside an open transaction (SLA clock included); give the changes."""
    row = load(tx, ticket_id, lock=True)
    if row["merged_into_id"] is not None and new != "closed":
        raise InvalidInput(f"ticket #{ticket_id} was merged into #{row['merged_into_id']}; work on that one")
    changes = sla.move(row, new, now(), until=until)
    sets = "".join(f"{k} = :{k}, " for k in changes)
    tx.execute(
        f"UPDATE tickets SET {sets}updated_at = :w_at, version = version + 1 WHERE id = :w_id",
        {**changes, "w_at": now(), "w_id": ticket_id},
    )
    audit(
        tx,
        "update",
        "ticket",
        ticket_id,
        {"status": (row["status"], new), **({"why": (None, note)} if note else {})},
    )
    return changes


def set_status(db: Database, ticket_id: int, new: str, *, until: str | None = None) -> TicketRead:
    """``ticket status N STATUS [--until DATE]``."""
    s, when = status_change(new, until)
    with db.write() as tx:
        change_status(tx, ticket_id, s, until=when)
        return read_in(tx, ticket_id)


def status_change(new: str, until: str | None) -> tuple[str, datetime | None]:
    """A status a ticket may be moved to, and the time ``--until`` means (pending only)."""
    s = status(new)
    if s == "new":
        raise InvalidInput("a ticket cannot go back to new; use open")
    when = None
    if until is not None:
        if s != "pending":
            raise InvalidInput("a date to wait until goes with the status pending")
        from tinycrm.domain.dates import parse_when

        when = parse_when(until, what="until")
        if when <= now():
            raise InvalidInput(
                "the date to wait until is not in the future; give a later date or leave it out"
            )
    return s, when


def close(db: Database, ticket_id: int) -> TicketRead:
    return set_status(db, ticket_id, "closed")


def assign(db: Database, ticket_id: int, user: str | None) -> TicketRead:
    """``ticket assign N USER`` ('' or None: unassigned)."""
    with db.write() as tx:
        assign_in(tx, ticket_id, user)
        return read_in(tx, ticket_id)


def assign_in(tx: Tx, ticket_id: int, user: str | None) -> None:
    row = load(tx, ticket_id, lock=True)
    aid = user_id(tx, user) if user else None
    if aid != row["assignee_id"]:
        tx.execute(
            "UPDATE tickets SET assignee_id = :a, updated_at = :t, version = version + 1 WHERE id = :i",
            {"a": aid, "t": now(), "i": ticket_id},
        )
        audit(tx, "update", "ticket", ticket_id, {"assignee": (row["assignee_id"], aid)})


def set_priority(db: Database, ticket_id: int, new: str) -> TicketRead:
    """``ticket priority N P``: the SLA targets become those of ``new``, counted from when the ticket was
    opened, still moved on by the time the clock stood (pending, resolved)."""
    with db.write() as tx:
        priority_in(tx, ticket_id, priority(new))
        return read_in(tx, ticket_id)


def priority_in(tx: Tx, ticket_id: int, p: str) -> None:
    row = load(tx, ticket_id, lock=True)
    if p != row["priority"]:
        sets = sla.retarget(row, p)
        assignments = "".join(f"{k} = :{k}, " for k in sets)
        tx.execute(
            f"UPDATE tickets SET {assignments}updated_at = :w_at, version = version + 1 WHERE id = :w_id",
            {**sets, "w_at": now(), "w_id": ticket_id},
        )
        audit(tx, "update", "ticket", ticket_id, {"priority": (row["priority"], p)})


#: what :func:`update` changes
EDITABLE = ("status", "until", "priority", "assignee")


def update(
    db: Database, ticket_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> TicketRead:
    """Change a ticket's status (with ``until`` for pending), priority and assignee in one transaction, at the
    version read (a :class:`Conflict` naming who changed it since)."""
    from tinycrm.services.common import check_version

    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"cannot change {unknown[0]} of a ticket; it takes {', '.join(EDITABLE)}")
    if "until" in changes and "status" not in changes:
        raise InvalidInput("until goes with the status pending", field="until")
    wanted = status_change(str(changes["status"]), changes.get("until")) if "status" in changes else None
    p = priority(changes["priority"]) if "priority" in changes else None
    with db.write() as tx:
        load(tx, ticket_id, lock=True)
        check_version(tx, "tickets", "ticket", ticket_id, expected_version)
        if p is not None:
            priority_in(tx, ticket_id, p)
        if "assignee" in changes:
            assign_in(tx, ticket_id, str(changes["assignee"] or "").strip() or None)
        if wanted is not None and (wanted[1] is not None or wanted[0] != load(tx, ticket_id)["status"]):
            change_status(tx, ticket_id, wanted[0], until=wanted[1])
        return read_in(tx, ticket_id)


def merge(db: Database, source: int, target: int) -> TicketRead:
    """``ticket merge N M``: N's thread, attachments and tags go to M; N is closed, pointing at M."""
    if source == target:
        raise InvalidInput("a ticket cannot be merged into itself; give two different numbers")
    with db.write() as tx:
        tx.lock_rows("tickets", sorted([source, target]))
        src, dst = load(tx, source), load(tx, target)
        if dst["merged_into_id"] is not None:
            raise InvalidInput(
                f"ticket #{target} was merged into #{dst['merged_into_id']}; merge into that one"
            )
        if src["merged_into_id"] is not None:
            raise InvalidInput(f"ticket #{source} was already merged into #{src['merged_into_id']}")
        p = {"s": source, "d": target}
        tx.execute("UPDATE ticket_messages SET ticket_id = :d WHERE ticket_id = :s", p)
        tx.execute("UPDATE ticket_attachments SET ticket_id = :d WHERE ticket_id = :s", p)
        tx.execute(
            "INSERT INTO ticket_tags (ticket_id, name) SELECT :d, name FROM ticket_tags WHERE ticket_id = :s "
            "ON CONFLICT (ticket_id, name) DO NOTHING",
            p,
        )
        if dst["first_responded_at"] is None and src["first_responded_at"] is not None:
            tx.execute(
                "UPDATE tickets SET first_responded_at = :f WHERE id = :d",
                {"f": src["first_responded_at"], **p},
            )
        tx.execute("UPDATE tickets SET merged_into_id = :d WHERE id = :s", p)
        change_status(tx, source, "closed", note=f"merged into #{target}")
        tx.execute(
            "UPDATE tickets SET sla_due = :due WHERE id = :d", {"due": sla.next_due(load(tx, target)), **p}
        )
        audit(tx, "merge", "ticket", target, {"merged": (source, target)})
        return read_in(tx, target)
