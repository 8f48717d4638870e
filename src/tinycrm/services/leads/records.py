"""Leads: add (one, or many from JSON, CSV, a form, a mail), read, list in pages, edit, change status, delete,
log an interaction. Converting is :mod:`.convert`; scores :mod:`.scoring`.

Every write is one transaction; a lead's score is recomputed in the transaction that changes it or its
interactions. A new lead whose email address a contact or another open lead has is flagged (``duplicate_of``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Ambiguous, InvalidInput, NotFound
from tinycrm.domain.leads import OPEN_STATUSES, SORTS, SOURCES, STATUSES, LeadInput, LeadRead
from tinycrm.domain.rows import Page
from tinycrm.domain.sales import currency, money, parse_amount, to_e4
from tinycrm.services.common import (
    MAX_ID,
    Edit,
    Versioned,
    audit,
    delete_record,
    edit,
    new_uid,
    now,
    owner_filter,
    tag_ids,
    user_id,
)
from tinycrm.services.leads import scoring
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import check_page, escape_like, page_sql, placeholders

MAX_BATCH = 10_000


# --- reading --------------------------------------------------------------------------------------------


def _duplicates(tx: Tx, rows: Sequence[Any]) -> dict[int, list[str]]:
    keys = sorted({r["email_key"] for r in rows if r["email_key"]})
    if not keys:
        return {}
    marks, params = placeholders("e", keys)
    contacts: dict[str, list[int]] = {}
    for r in tx.all(
        f"SELECT DISTINCT value_key, contact_id FROM contact_emails WHERE value_key IN ({marks}) ORDER BY contact_id",
        params,
    ):
        contacts.setdefault(r["value_key"], []).append(r["contact_id"])
    leads: dict[str, list[int]] = {}
    for r in tx.all(
        f"SELECT email_key, id FROM leads WHERE email_key IN ({marks}) AND status IN ('new', 'contacted', 'qualified') "
        "ORDER BY id",
        params,
    ):
        leads.setdefault(r["email_key"], []).append(r["id"])
    out: dict[int, list[str]] = {}
    for r in rows:
        key = r["email_key"]
        if not key:
            continue
        found = [f"contact {c}" for c in contacts.get(key, [])]
        found += [f"lead {i}" for i in leads.get(key, []) if i != r["id"]]
        if found and r["status"] != "converted":
            out[r["id"]] = found
    return out


def _hydrate(tx: Tx, rows: Sequence[Any]) -> list[LeadRead]:
    ids = [r["id"] for r in rows]
    if not ids:
        return []
    marks, params = placeholders("i", ids)
    tags: dict[int, list[str]] = {i: [] for i in ids}
    for r in tx.all(
        f"SELECT l.lead_id, t.name FROM lead_tags l JOIN tags t ON t.id = l.tag_id WHERE l.lead_id IN ({marks}) "
        "ORDER BY t.name_key",
        params,
    ):
        tags[r["lead_id"]].append(r["name"])
    fields: dict[int, dict[str, str]] = {i: {} for i in ids}
    for r in tx.all(
        f"SELECT lead_id, key, value FROM lead_fields WHERE lead_id IN ({marks}) ORDER BY key", params
    ):
        fields[r["lead_id"]][r["key"]] = r["value"]
    dupes = _duplicates(tx, rows)
    return [
        LeadRead(
            id=r["id"],
            uid=r["uid"],
            name=r["name"],
            email=r["email"],
            phone=r["phone"],
            company=r["company_name"],
            title=r["title"],
            source=r["source"],
            source_detail=r["source_detail"],
            status=r["status"],
            reason=r["reason"],
            value=money(r["value_e4"], r["currency"] or "") if r["value_e4"] is not None else None,
            currency=r["currency"],
            notes=r["notes"],
            score=int(r["score"]),
            tags=tags[r["id"]],
            fields=fields[r["id"]],
            owner=r["owner"],
            contact_id=r["contact_id"],
            converted_contact_id=r["converted_contact_id"],
            converted_company_id=r["converted_company_id"],
            converted_deal_id=r["converted_deal_id"],
            converted_at=as_datetime(r["converted_at"]),
            created_at=as_datetime(r["created_at"]),  # type: ignore[arg-type]
            updated_at=as_datetime(r["updated_at"]),  # type: ignore[arg-type]
            touched_at=as_datetime(r["touched_at"]),  # type: ignore[arg-type]
            version=int(r["version"]),
            duplicate_of=dupes.get(r["id"], []),
        )
        for r in rows
    ]


SELECT = "SELECT l.*, u.name AS owner FROM leads l LEFT JOIN users u ON u.id = l.owner_id"


def read_in(tx: Tx, lead_id: int) -> LeadRead:
    row = tx.one(f"{SELECT} WHERE l.id = :i", {"i": lead_id})
    if row is None:
        raise NotFound(f"no lead with id {lead_id}", hint="list them with: crm lead list --status all")
    return _hydrate(tx, [row])[0]


def get(db: Database, lead_id: int, *, explain: bool = False) -> LeadRead:
    """One lead; ``explain``: with the rules that make its score now."""
    from dataclasses import replace

    from tinycrm import config
    from tinycrm.config.leads import Leads

    with db.read() as tx:
        lead = read_in(tx, lead_id)
        if not explain:
            return lead
        row = tx.one("SELECT * FROM leads WHERE id = :i", {"i": lead_id})
        assert row is not None
        _, lines = scoring.score_of(tx, row, config.get(Leads).score, now())
    return replace(lead, score_lines=lines)


def resolve(db: Database, ref: str) -> int:
    with db.read() as tx:
        return resolve_in(tx, ref)


def resolve_in(tx: Tx, ref: str | int) -> int:
    """A lead id from an id, an email address, or (part of) a name."""
    text = str(ref if ref is not None else "").strip()
    if not text:
        raise InvalidInput("a lead reference is empty; give an id, an email address or (part of) a name")
    v.line(text, "lead reference")
    if re.fullmatch(r"#?\d+", text):
        lid = int(text.lstrip("#"))
        if lid > MAX_ID or tx.scalar("SELECT id FROM leads WHERE id = :i", {"i": lid}) is None:
            raise NotFound(f"no lead with id {lid}", hint="list them with: crm lead list --status all")
        return lid
    if "@" in text:
        ids = tx.column("SELECT id FROM leads WHERE email_key = :e ORDER BY id LIMIT 11", {"e": text.lower()})
    else:
        like = tx.db.dialect.like_ci("name", "p")
        ids = tx.column(f"SELECT id FROM leads WHERE {like} ORDER BY id LIMIT 11", {"p": escape_like(text)})
        if not ids:
            ids = tx.column(
                f"SELECT id FROM leads WHERE {like} ORDER BY id LIMIT 11", {"p": f"%{escape_like(text)}%"}
            )
    if not ids:
        raise NotFound(f"no lead matches {text!r}", hint="list them with: crm lead list --status all")
    if len(ids) > 1:
        raise Ambiguous(
            f"{text!r} matches {len(ids) if len(ids) <= 10 else 'more than 10'} leads; give an id"
        )
    return int(ids[0])


def list_leads(
    db: Database,
    *,
    status: str | None = "open",
    source: str | None = None,
    owner: str | None = None,
    sort: str = "score",
    min_score: int | None = None,
    limit: int | None = 20,
    offset: int = 0,
) -> Page[LeadRead]:
    """A page of leads: ``status`` one of :data:`STATUSES`, ``open`` (new, contacted, qualified) or ``all``;
    by score (highest first) or by when they came in (newest first); ``min_score``: only those scoring at
    least that."""
    check_page(limit, offset)
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)} (got {sort!r})", field="sort")
    if status not in (*STATUSES, "open", "all", None):
        raise InvalidInput(
            f"status must be one of {', '.join(STATUSES)}, open or all (got {status!r})", field="status"
        )
    with db.read() as tx:
        cond, params = owner_filter(tx, owner, "l.owner_id")
        conds = [cond]
        if status == "open":
            conds.append("l.status IN ('new', 'contacted', 'qualified')")
        elif status not in ("all", None):
            conds.append("l.status = :status")
            params["status"] = status
        if source:
            conds.append("l.source = :source")
            params["source"] = source.strip().lower()
        if min_score is not None:
            conds.append("l.score >= :min_score")
            params["min_score"] = int(min_score)
        where = " AND ".join(conds)
        total = int(tx.scalar(f"SELECT count(*) FROM leads l WHERE {where}", params))
        order = "l.score DESC, l.id DESC" if sort == "score" else "l.created_at DESC, l.id DESC"
        rows = tx.all(
            f"{SELECT} WHERE {where} ORDER BY {order}{page_sql(limit)}",
            {**params, "limit": limit, "offset": offset},
        )
        return Page(_hydrate(tx, rows), total, limit, offset)


# --- adding ---------------------------------------------------------------------------------------------


def _source(value: str | None) -> str:
    text = v.line(value, "source", max_len=50)
    return (text or "other").lower()


def _clean(tx: Tx, data: LeadInput) -> dict[str, Any]:
    email = v.email(data.email.strip()) if data.email and data.email.strip() else None
    name = v.line(data.name, "name", max_len=400) or email
    if not name:
        raise InvalidInput("a lead needs a name or an email address", field="name")
    amount = parse_amount(data.value) if data.value not in (None, "") else None
    code = None
    if amount is not None or data.currency:
        from tinycrm.services.sales.deals import default_currency

        code = currency(data.currency or default_currency() or "")
    if data.contact_id is not None and not tx.scalar(
        "SELECT id FROM contacts WHERE id = :i", {"i": data.contact_id}
    ):
        raise NotFound(
            f"no contact with id {data.contact_id}", hint="find one with: crm search NAME", field="contact"
        )
    return {
        "name": name,
        "email": email,
        "email_key": email.lower() if email else None,
        "phone": v.phone(data.phone) if data.phone and data.phone.strip() else None,
        "company_name": v.line(data.company, "company", max_len=300),
        "title": v.line(data.title, "title", max_len=300),
        "source": _source(data.source),
        "source_detail": v.line(data.source_detail, "source detail", max_len=500),
        "value_e4": to_e4(amount) if amount is not None else None,
        "currency": code,
        "notes": v.text(data.notes, "notes"),
        "contact_id": data.contact_id,
        "tags": [v.tag(t) for t in data.tags],
        "fields": {
            v.field_key(k): v.text(val, f"field {k}", max_len=10_000) or "" for k, val in data.fields.items()
        },
    }


def _assignee(tx: Tx) -> int | None:
    """The next active user of ``[leads] assign_role`` after the one who got the last lead (round robin)."""
    from tinycrm import config
    from tinycrm.config.leads import Leads

    settings = config.get(Leads)
    if settings.assign != "round-robin":
        return None
    role = settings.assign_role
    tx.lock("lead_assignments")
    members = tx.column("SELECT id FROM users WHERE role = :r AND active ORDER BY id", {"r": role})
    if not members:
        return None
    last = tx.scalar("SELECT last_user_id FROM lead_assignments WHERE role = :r", {"r": role})
    following = [m for m in members if last is not None and m > last]
    chosen = following[0] if following else members[0]
    tx.execute(
        "INSERT INTO lead_assignments (role, last_user_id) VALUES (:r, :u) "
        "ON CONFLICT (role) DO UPDATE SET last_user_id = :u",
        {"r": role, "u": chosen},
    )
    return int(chosen)


def insert(tx: Tx, data: LeadInput, *, announce: bool = True) -> int:
    """Add a lead inside an open transaction; give its id. ``announce``: write its ``lead.created`` event (an
    import writes one ``import.completed`` instead)."""
    values = _clean(tx, data)
    uid = v.line(data.uid, "uid", max_len=100) or new_uid()
    if tx.scalar("SELECT id FROM leads WHERE uid = :u", {"u": uid}) is not None:
        from tinycrm.domain.errors import Conflict

        raise Conflict(f"a lead with UID {uid} exists already")
    owner_id = user_id(tx, data.owner) if data.owner else (_assignee(tx) or user_id(tx))
    stamp = now()
    tags, fields = values.pop("tags"), values.pop("fields")
    lid = tx.insert(
        "INSERT INTO leads (uid, name, email, email_key, phone, company_name, title, source, source_detail, status, "
        "value_e4, currency, notes, score, contact_id, owner_id, created_at, updated_at, touched_at, version) "
        "VALUES (:uid, :name, :email, :email_key, :phone, :company_name, :title, :source, :source_detail, 'new', "
        ":value_e4, :currency, :notes, 0, :contact_id, :o, :t, :t, :t, 1) RETURNING id",
        {**values, "uid": uid, "o": owner_id, "t": stamp},
    )
    _write_tags(tx, lid, tags)
    tx.executemany(
        "INSERT INTO lead_fields (lead_id, key, value) VALUES (:l, :k, :v)",
        [{"l": lid, "k": k, "v": val} for k, val in fields.items()],
    )
    audit(tx, "create", "lead", lid, {k: (None, val) for k, val in values.items() if val is not None})
    scoring.rescore_in(tx, lid)
    if announce:
        from tinycrm.services.hooks import outbox

        outbox.emit(tx, "lead.created", "lead", lid, read_in(tx, lid))
    return lid


def _write_tags(tx: Tx, lead_id: int, tags: Iterable[str]) -> None:
    tx.executemany(
        "INSERT INTO lead_tags (lead_id, tag_id) VALUES (:l, :t) ON CONFLICT DO NOTHING",
        [{"l": lead_id, "t": t} for t in tag_ids(tx, list(tags))],
    )


def create(db: Database, data: LeadInput) -> LeadRead:
    with db.write() as tx:
        return read_in(tx, insert(tx, data))


def create_many(db: Database, items: Sequence[LeadInput]) -> list[LeadRead]:
    """Add several leads in one transaction: one bad item adds none (its position is in the message)."""
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} leads at once (got {len(items)}); split the input")
    with db.write() as tx:
        ids = []
        for n, item in enumerate(items, 1):
            try:
                ids.append(insert(tx, item))
            except InvalidInput as exc:
                raise InvalidInput(
                    f"lead {n} of {len(items)}: {exc.message}", field=exc.field, hint=exc.hint
                ) from None
        rows = tx.all(
            f"{SELECT} WHERE l.id IN ({placeholders('i', ids)[0]}) ORDER BY l.id", placeholders("i", ids)[1]
        )
        return _hydrate(tx, rows) if ids else []


# --- changing -------------------------------------------------------------------------------------------

LEAD = Versioned("leads", "lead", read_in)
EDITABLE = (
    "name",
    "email",
    "phone",
    "company",
    "title",
    "source",
    "source_detail",
    "value",
    "currency",
    "notes",
    "owner",
    "tags",
    "fields",
    "contact_id",
)
_COLUMNS = {"company": "company_name"}


def _refuse_closed(lead: LeadRead, what: str) -> None:
    if lead.status == "converted":
        raise InvalidInput(f"lead {lead.id} is converted already; {what} its contact or deal instead")


def _apply_changes(e: Edit[LeadRead], changes: dict[str, Any]) -> None:
    before = e.before
    _refuse_closed(before, "change")
    merged = LeadInput(
        name=changes.get("name", before.name),
        email=changes.get("email", before.email),
        phone=changes.get("phone", before.phone),
        company=changes.get("company", before.company),
        title=changes.get("title", before.title),
        source=changes.get("source", before.source),
        source_detail=changes.get("source_detail", before.source_detail),
        value=changes.get("value", before.value),
        currency=changes.get("currency", before.currency),
        notes=changes.get("notes", before.notes),
        tags=changes.get("tags", before.tags),
        fields=changes.get("fields", before.fields),
        contact_id=changes.get("contact_id", before.contact_id),
    )
    values = _clean(e.tx, merged)
    old = {
        "name": before.name, "email": before.email, "email_key": (before.email or "").lower() or None,
        "phone": before.phone, "company_name": before.company, "title": before.title, "source": before.source,
        "source_detail": before.source_detail,
        "value_e4": to_e4(before.value) if before.value is not None else None, "currency": before.currency,
        "notes": before.notes, "contact_id": before.contact_id,
    }  # fmt: skip
    for key, val in values.items():
        if key in old:
            e.put(key, old[key], val)
    if values["tags"] != before.tags:
        e.changed["tags"] = (before.tags, values["tags"])

        def write_tags() -> None:
            e.tx.execute("DELETE FROM lead_tags WHERE lead_id = :l", {"l": before.id})
            _write_tags(e.tx, before.id, values["tags"])

        e.then.append(write_tags)
    if values["fields"] != before.fields:
        e.changed["fields"] = (before.fields, values["fields"])

        def write_fields() -> None:
            e.tx.execute("DELETE FROM lead_fields WHERE lead_id = :l", {"l": before.id})
            e.tx.executemany(
                "INSERT INTO lead_fields (lead_id, key, value) VALUES (:l, :k, :v)",
                [{"l": before.id, "k": k, "v": val} for k, val in values["fields"].items()],
            )

        e.then.append(write_fields)
    if "owner" in changes:
        owner = (changes["owner"] or "").strip() or None
        if owner != before.owner:
            e.sets["owner_id"] = user_id(e.tx, owner) if owner else None
            e.changed["owner"] = (before.owner, owner)


def _touch_and_rescore(e: Edit[LeadRead]) -> None:
    if e.changed:
        e.sets["touched_at"] = now()

        def rescore() -> None:
            scoring.rescore_in(e.tx, e.before.id)

        e.then.append(rescore)


def update(
    db: Database, lead_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> LeadRead:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a lead")

    def apply(e: Edit[LeadRead]) -> None:
        _apply_changes(e, changes)
        _touch_and_rescore(e)

    return edit(db, LEAD, lead_id, apply, expected_version=expected_version)


def set_status(db: Database, lead_id: int, status: str, *, reason: str | None = None) -> LeadRead:
    """new, contacted, qualified, or disqualified (with a reason); ``converted`` only by converting."""
    status = (status or "").strip().lower()
    if status == "converted":
        raise InvalidInput(f"a lead becomes converted by converting it: crm lead convert {lead_id}")
    if status not in STATUSES:
        raise InvalidInput(
            f"status must be one of {', '.join(s for s in STATUSES if s != 'converted')} (got {status!r})"
        )
    text = v.line(reason, "reason", max_len=1000)
    if status == "disqualified" and not text:
        raise InvalidInput("a disqualified lead needs a reason: add --reason TEXT", field="reason")

    def apply(e: Edit[LeadRead]) -> None:
        _refuse_closed(e.before, "change")
        e.put("status", e.before.status, status)
        e.put("reason", e.before.reason, text if status == "disqualified" else None)
        e.action = "status"
        _touch_and_rescore(e)

    return edit(db, LEAD, lead_id, apply)


def delete(db: Database, lead_id: int) -> LeadRead:
    return delete_record(db, "leads", "lead", lead_id, read_in, "name")


def log(
    db: Database, lead_id: int, *, kind: str, summary: str, when: str | None = None, body: str | None = None
) -> int:
    """Log an interaction with a lead (and with its contact, when it is linked to one); the lead counts as
    touched and is rescored. Gives the interaction's id."""
    from tinycrm.services.people import interactions

    k = interactions.kind(kind)
    at = interactions.happened_at(when)
    text = v.line(summary, "summary", max_len=500, required=True)
    with db.write() as tx:
        tx.lock_rows("leads", [lead_id])
        lead = read_in(tx, lead_id)
        _refuse_closed(lead, "log on")
        iid = interactions.insert(
            tx, contact_ids=[lead.contact_id] if lead.contact_id else [], kind=k, summary=text or "", happened_at=at,
            body=body,
        )  # fmt: skip
        tx.execute(
            "INSERT INTO lead_interactions (lead_id, interaction_id) VALUES (:l, :i)",
            {"l": lead_id, "i": iid},
        )
        tx.execute("UPDATE leads SET touched_at = :t WHERE id = :l", {"t": now(), "l": lead_id})
        scoring.rescore_in(tx, lead_id)
        return iid


def rescore(db: Database, lead_ids: Sequence[int] | None = None) -> int:
    """Recompute the scores of these leads (default: every open one); gives how many changed."""
    with db.write() as tx:
        if lead_ids is None:
            lead_ids = tx.column(
                "SELECT id FROM leads WHERE status IN ('new', 'contacted', 'qualified') ORDER BY id"
            )
        changed = 0
        for lid in lead_ids:
            before = tx.scalar("SELECT score FROM leads WHERE id = :i", {"i": lid})
            if before is None:
                raise NotFound(f"no lead with id {lid}", hint="list them with: crm lead list --status all")
            changed += int(scoring.rescore_in(tx, lid) != int(before))
        return changed


__all__ = [
    "OPEN_STATUSES",
    "SOURCES",
    "create",
    "create_many",
    "delete",
    "get",
    "insert",
    "list_leads",
    "log",
]
