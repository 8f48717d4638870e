"""Interactions (calls, emails, meetings...) and the timeline of a contact.

An interaction is something that happened: its time may not lie in the future (beyond a few minutes of clock
skew between machines). What is planned is a task (``tasks.follow_up``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, cast, overload

from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_when
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import INTERACTION_KINDS, InteractionRead, Page, Ref
from tinycrm.domain.rows import Stream
from tinycrm.services.common import (
    MAX_ID,
    audit,
    check_version,
    new_uid,
    now,
    update_versioned,
    user_id,
)
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import batches, check_page, from_offset, missing_ids, page_sql, placeholders, streamed

#: how far ahead of this machine's clock an interaction may be (another machine's clock may run ahead)
CLOCK_SKEW = timedelta(minutes=5)

#: how the refusal of a time in the future ends (faces add how to do that where they are)
FUTURE_HINT = "for what is planned add a follow-up task instead"

#: what :func:`update` changes
EDITABLE = frozenset({"kind", "summary", "body", "when", "contact_ids", "company_id", "deal_id"})


def kind(value: str) -> str:
    k = (value or "").strip().lower()
    if k not in INTERACTION_KINDS:
        raise InvalidInput(f"kind {value!r} is not one of: {', '.join(INTERACTION_KINDS)}", field="kind")
    return k


def happened_at(when: str | datetime | None) -> datetime:
    """When an interaction happened: natural language or a datetime, default now; never in the future."""
    happened = parse_when(when, what="when")
    if happened > now() + CLOCK_SKEW:
        from tinycrm.domain.dates import show

        raise InvalidInput(
            f"when: {show(happened)} is in the future, and an interaction is something that happened; "
            + FUTURE_HINT,
            field="when",
        )
    return happened


def _summary(text: str | None) -> str:
    return cast(str, v.line(text, "summary", max_len=500, required=True))  # required: never None


def log(
    db: Database,
    *,
    contact_ids: Sequence[int],
    kind_: str,
    summary: str,
    when: str | datetime | None = None,
    body: str | None = None,
    company_id: int | None = None,
    deal_id: int | None = None,
) -> InteractionRead:
    """Log an interaction with one or more contacts. ``when`` takes natural language; default now."""
    k = kind(kind_)
    text = _summary(summary)
    body = v.text(body, "body")
    happened = happened_at(when)
    if not contact_ids and company_id is None:
        raise InvalidInput("an interaction needs a contact (or a company)", field="contact")
    with db.write() as tx:
        return _read(
            tx,
            insert(
                tx,
                contact_ids=contact_ids,
                kind=k,
                summary=text,
                happened_at=happened,
                body=body,
                company_id=company_id,
                deal_id=deal_id,
            ),
        )


def insert(
    tx: Tx,
    *,
    contact_ids: Sequence[int],
    kind: str,
    summary: str,
    happened_at: datetime,
    body: str | None = None,
    company_id: int | None = None,
    deal_id: int | None = None,
    uid: str | None = None,
) -> int:
    """Store a validated interaction inside an open transaction; give its id."""
    ids = _contacts(tx, contact_ids)
    _check_link(tx, "companies", "company", company_id)
    _check_link(tx, "deals", "deal", deal_id)
    if ids and company_id is None and len(ids) == 1:
        company_id = tx.scalar("SELECT company_id FROM contacts WHERE id = :i", {"i": ids[0]})
    stamp = now()
    iid = tx.insert(
        "INSERT INTO interactions (uid, kind, happened_at, summary, body, company_id, deal_id, owner_id, "
        "created_at, updated_at, version) VALUES (:uid, :k, :h, :s, :b, :co, :d, :o, :t, :t, 1) RETURNING id",
        {
            "uid": uid or new_uid(),
            "k": kind,
            "h": happened_at,
            "s": summary,
            "b": body,
            "co": company_id,
            "d": deal_id,
            "o": user_id(tx),
            "t": stamp,
        },
    )
    tx.executemany(
        "INSERT INTO interaction_contacts (interaction_id, contact_id) VALUES (:i, :c)",
        [{"i": iid, "c": c} for c in ids],
    )
    _touch(tx, ids, happened_at)
    audit(
        tx,
        "create",
        "interaction",
        iid,
        {"kind": (None, kind), "summary": (None, summary), "contacts": (None, ids)},
    )
    return iid


def _contacts(tx: Tx, contact_ids: Sequence[int]) -> list[int]:
    """The contact ids, once each, in the order given; :class:`NotFound` for one that does not exist."""
    ids = list(dict.fromkeys(contact_ids))
    if ids:
        too_big = [i for i in ids if not 0 < i <= MAX_ID]
        missing = too_big or missing_ids(tx, "contacts", ids)
        if missing:
            raise NotFound(
                f"no contact with id {missing[0]}", hint="find one with: crm search NAME", field="contact"
            )
    return ids


def _check_link(tx: Tx, table: str, what: str, record_id: int | None) -> int | None:
    if record_id is None:
        return None
    if (
        not 0 < record_id <= MAX_ID
        or tx.scalar(f"SELECT id FROM {table} WHERE id = :i", {"i": record_id}) is None
    ):
        raise NotFound(f"no {what} with id {record_id}", field=what)
    return record_id


_SELECT = (
    "SELECT i.*, co.name AS company_name, u.name AS owner_name, d.title AS deal_title FROM interactions i "
    "LEFT JOIN companies co ON co.id = i.company_id LEFT JOIN users u ON u.id = i.owner_id "
    "LEFT JOIN deals d ON d.id = i.deal_id"
)


def _hydrate(tx: Tx, rows: list) -> list[InteractionRead]:
    ids = [r["id"] for r in rows]
    people: dict[int, list[Ref]] = {i: [] for i in ids}
    if ids:
        marks, params = placeholders("i", ids)
        for r in tx.all(
            f"SELECT ic.interaction_id, c.id, c.display_name FROM interaction_contacts ic "
            f"JOIN contacts c ON c.id = ic.contact_id WHERE ic.interaction_id IN ({marks}) ORDER BY c.sort_name",
            params,
        ):
            people[r["interaction_id"]].append(Ref(r["id"], r["display_name"]))
    return [
        InteractionRead(
            id=r["id"],
            uid=r["uid"],
            kind=r["kind"],
            happened_at=as_datetime(r["happened_at"]),
            summary=r["summary"],
            body=r["body"],
            contacts=people[r["id"]],
            company=Ref(r["company_id"], r["company_name"]) if r["company_id"] else None,
            deal=Ref(r["deal_id"], r["deal_title"]) if r["deal_id"] else None,
            owner=r["owner_name"],
            created_at=cast(datetime, as_datetime(r["created_at"])),  # NOT NULL columns
            updated_at=cast(datetime, as_datetime(r["updated_at"])),
            version=r["version"],
        )
        for r in rows
    ]


def _read(tx: Tx, interaction_id: int) -> InteractionRead:
    rows = tx.all(f"{_SELECT} WHERE i.id = :i", {"i": interaction_id}) if 0 < interaction_id <= MAX_ID else []
    if not rows:
        raise NotFound(
            f"no interaction with id {interaction_id}",
            hint="a contact's timeline lists them: crm timeline NAME",
        )
    return _hydrate(tx, rows)[0]


def get(db: Database, interaction_id: int) -> InteractionRead:
    with db.read() as tx:
        return _read(tx, interaction_id)


@overload
def timeline(
    db: Database,
    contact_id: int,
    *,
    limit: int | None = 20,
    offset: int = 0,
    kind_: str | None = None,
    stream: Literal[False] = False,
) -> Page[InteractionRead]: ...


@overload
def timeline(
    db: Database,
    contact_id: int,
    *,
    limit: int | None = 20,
    offset: int = 0,
    kind_: str | None = None,
    stream: bool,
) -> Page[InteractionRead] | Stream[InteractionRead]: ...


def timeline(
    db: Database,
    contact_id: int,
    *,
    limit: int | None = 20,
    offset: int = 0,
    kind_: str | None = None,
    stream: bool = False,
) -> Page[InteractionRead] | Stream[InteractionRead]:
    """A contact's interactions, newest first. ``limit`` None and ``stream`` (``--all``): all of them from
    ``offset`` on, a :class:`Stream` read as it is shown (one cursor; each batch loads its people with one
    query)."""
    check_page(limit, offset)
    cond = "i.id IN (SELECT interaction_id FROM interaction_contacts WHERE contact_id = :c)"
    params: dict = {"c": contact_id, "limit": limit, "offset": offset}
    if kind_:
        cond += " AND i.kind = :k"
        params["k"] = kind(kind_)
    order = f"{_SELECT} WHERE {cond} ORDER BY i.happened_at DESC, i.id DESC"

    def read(tx: Tx) -> Any:
        if tx.scalar("SELECT id FROM contacts WHERE id = :c", {"c": contact_id}) is None:
            raise NotFound(f"no contact with id {contact_id}")
        total = tx.scalar(f"SELECT count(*) FROM interactions i WHERE {cond}", params)
        if limit is None and stream:
            return total, (
                i for rows in batches(tx, order + from_offset(offset), params) for i in _hydrate(tx, rows)
            )
        return Page(_hydrate(tx, tx.all(order + page_sql(limit), params)), total, limit, offset)

    if limit is None and stream:
        return streamed(db, offset, read)
    with db.read() as tx:
        return read(tx)  # type: ignore[no-any-return]


def for_company(
    db: Database, company_id: int, *, limit: int | None = 20, offset: int = 0
) -> Page[InteractionRead]:
    params = {"co": company_id, "limit": limit, "offset": offset}
    page = page_sql(limit)
    with db.read() as tx:
        total = tx.scalar("SELECT count(*) FROM interactions WHERE company_id = :co", params)
        rows = tx.all(
            f"{_SELECT} WHERE i.company_id = :co ORDER BY i.happened_at DESC, i.id DESC{page}", params
        )
        return Page(_hydrate(tx, rows), total, limit, offset)


def update(
    db: Database, interaction_id: int, changes: Mapping[str, Any], *, expected_version: int | None = None
) -> InteractionRead:
    """Change the given fields: ``kind``, ``summary``, ``body`` (``None`` clears it), ``when`` (natural
    language or a datetime; not in the future), ``contact_ids`` (the people, replacing them),
    ``company_id`` / ``deal_id`` (``None`` unlinks). ``expected_version`` guards against overwriting a
    change made since it was read. One transaction, audited; gives the interaction as it is now."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of an interaction")
    with db.write() as tx:
        tx.lock_rows("interactions", [interaction_id])  # PostgreSQL: other writers of it wait for us
        before = _read(tx, interaction_id)
        check_version(tx, "interactions", "interaction", interaction_id, expected_version)
        sets, changed = _changes(tx, before, changes)
        old_people = [p.id for p in before.contacts]
        people = old_people
        if changes.get("contact_ids") is not None:
            people = _contacts(tx, changes["contact_ids"])
            if sorted(people) != sorted(old_people):
                changed["contacts"] = (old_people, people)
        company = sets["company_id"] if "company_id" in sets else before.company and before.company.id
        if not people and company is None:
            raise InvalidInput("an interaction needs a contact (or a company)", field="contact")
        if not changed:
            return before
        update_versioned(tx, "interactions", "interaction", interaction_id, before.version, sets)
        if "contacts" in changed:
            tx.execute("DELETE FROM interaction_contacts WHERE interaction_id = :i", {"i": interaction_id})
            tx.executemany(
                "INSERT INTO interaction_contacts (interaction_id, contact_id) VALUES (:i, :c)",
                [{"i": interaction_id, "c": c} for c in people],
            )
        if "contacts" in changed or "happened_at" in sets:
            refresh_last_interaction(tx, [*old_people, *people])
        audit(tx, "update", "interaction", interaction_id, changed)
        return _read(tx, interaction_id)


def _changes(
    tx: Tx, before: InteractionRead, changes: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """The columns to set and the audit entry of the column changes (the people are the caller's)."""
    sets: dict[str, Any] = {}
    changed: dict[str, tuple[Any, Any]] = {}

    def put(column: str, old: Any, new: Any, label: str | None = None) -> None:
        if old != new:
            sets[column] = new
            changed[label or column] = (old, new)

    if "kind" in changes:
        put("kind", before.kind, kind(changes["kind"]))
    if "summary" in changes:
        put("summary", before.summary, _summary(changes["summary"]))
    if "body" in changes:
        put("body", before.body, v.text(changes["body"] or None, "body"))
    if "when" in changes:
        put("happened_at", before.happened_at, happened_at(changes["when"]), "when")
    for key, table, what, ref in (
        ("company_id", "companies", "company", before.company),
        ("deal_id", "deals", "deal", before.deal),
    ):
        if key in changes:
            put(key, ref.id if ref else None, _check_link(tx, table, what, changes[key]))
    return sets, changed


def delete(db: Database, interaction_id: int) -> InteractionRead:
    """Delete an interaction for good (audited with its summary); gives it as it was."""
    with db.write() as tx:
        tx.lock_rows("interactions", [interaction_id])
        before = _read(tx, interaction_id)
        tx.execute("DELETE FROM interactions WHERE id = :i", {"i": interaction_id})
        refresh_last_interaction(tx, [p.id for p in before.contacts])
        audit(tx, "delete", "interaction", interaction_id, {"summary": (before.summary, None)})
        return before


# --- when each contact was last in touch ----------------------------------------------------------------
# ``contacts.last_interaction_at`` is the latest ``happened_at`` of the contact's interactions, kept current in
# the transaction that changes them, so that the stay-in-touch list reads one indexed column. It is derived data:
# it does not change the contact's version (an open edit of the contact is not in conflict with a logged call).

_LAST_OF = (
    "(SELECT max(i.happened_at) FROM interaction_contacts ic JOIN interactions i ON i.id = ic.interaction_id "
    "WHERE ic.contact_id = contacts.id)"
)


def _touch(tx: Tx, contact_ids: Sequence[int], at: datetime) -> None:
    """A new interaction with these contacts happened ``at``: it is their latest unless they have a later one."""
    if not contact_ids:
        return
    tx.lock_rows("contacts", contact_ids)  # PostgreSQL: in id order, like every other writer of contacts
    marks, params = placeholders("lc", list(contact_ids))
    tx.execute(
        f"UPDATE contacts SET last_interaction_at = :at WHERE id IN ({marks}) "
        "AND (last_interaction_at IS NULL OR last_interaction_at < :at)",
        {**params, "at": at},
    )


def refresh_last_interaction(tx: Tx, contact_ids: Sequence[int] | None = None) -> None:
    """Work out again when these contacts (``None``: every contact) were last in touch, after interactions of
    theirs were moved to another time or person, or deleted, or after rows were copied in wholesale (an
    import, a merge). Takes the contacts' row locks first on PostgreSQL, so that an interaction logged at the
    same moment is either seen here or applied after."""
    if contact_ids is None:
        tx.execute("UPDATE contacts SET last_interaction_at = NULL WHERE last_interaction_at IS NOT NULL")
        tx.execute(
            "UPDATE contacts SET last_interaction_at = li.last_at FROM (SELECT ic.contact_id, "
            "max(i.happened_at) AS last_at FROM interaction_contacts ic JOIN interactions i "
            "ON i.id = ic.interaction_id GROUP BY ic.contact_id) AS li WHERE li.contact_id = contacts.id"
        )
        return
    ids = sorted(set(contact_ids))
    if not ids:
        return
    tx.lock_rows("contacts", ids)
    marks, params = placeholders("lc", ids)
    tx.execute(f"UPDATE contacts SET last_interaction_at = {_LAST_OF} WHERE id IN ({marks})", params)
