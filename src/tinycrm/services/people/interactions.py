"""Interactions (calls, emails, meetings...) and the timeline of a contact."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_when
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import INTERACTION_KINDS, InteractionRead, Page, Ref
from tinycrm.services.common import audit, new_uid, now, user_id
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import missing_ids, page_sql, placeholders


def kind(value: str) -> str:
    k = (value or "").strip().lower()
    if k not in INTERACTION_KINDS:
        raise InvalidInput(f"kind {value!r} is not one of: {', '.join(INTERACTION_KINDS)}", field="kind")
    return k


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
    text = v.line(summary, "summary", max_len=500, required=True)
    body = v.text(body, "body")
    happened = parse_when(when, what="when")
    if happened > now().replace(microsecond=0) and (happened - now()).days > 365:
        raise InvalidInput(
            "when: that is more than a year ahead; interactions are what happened", field="when"
        )
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
    ids = list(dict.fromkeys(contact_ids))
    if ids:
        missing = missing_ids(tx, "contacts", ids)
        if missing:
            raise NotFound(f"no contact with id {missing[0]}")
        if company_id is None and len(ids) == 1:
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
    audit(
        tx,
        "create",
        "interaction",
        iid,
        {"kind": (None, kind), "summary": (None, summary), "contacts": (None, ids)},
    )
    return iid


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
            created_at=as_datetime(r["created_at"]),
        )
        for r in rows
    ]


def _read(tx: Tx, interaction_id: int) -> InteractionRead:
    rows = tx.all(f"{_SELECT} WHERE i.id = :i", {"i": interaction_id})
    if not rows:
        raise NotFound(f"no interaction with id {interaction_id}")
    return _hydrate(tx, rows)[0]


def get(db: Database, interaction_id: int) -> InteractionRead:
    with db.read() as tx:
        return _read(tx, interaction_id)


def timeline(
    db: Database, contact_id: int, *, limit: int | None = 20, offset: int = 0, kind_: str | None = None
) -> Page[InteractionRead]:
    """A contact's interactions, newest first."""
    cond = "i.id IN (SELECT interaction_id FROM interaction_contacts WHERE contact_id = :c)"
    params: dict = {"c": contact_id, "limit": limit, "offset": offset}
    if kind_:
        cond += " AND i.kind = :k"
        params["k"] = kind(kind_)
    page = page_sql(limit)
    with db.read() as tx:
        if tx.scalar("SELECT id FROM contacts WHERE id = :c", {"c": contact_id}) is None:
            raise NotFound(f"no contact with id {contact_id}")
        total = tx.scalar(f"SELECT count(*) FROM interactions i WHERE {cond}", params)
        rows = tx.all(f"{_SELECT} WHERE {cond} ORDER BY i.happened_at DESC, i.id DESC{page}", params)
        return Page(_hydrate(tx, rows), total, limit, offset)


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


def delete(db: Database, interaction_id: int) -> InteractionRead:
    with db.write() as tx:
        before = _read(tx, interaction_id)
        tx.execute("DELETE FROM interactions WHERE id = :i", {"i": interaction_id})
        audit(tx, "delete", "interaction", interaction_id, {"summary": (before.summary, None)})
        return before
