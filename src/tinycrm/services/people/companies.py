"""Companies: create, read, update, delete, and the people who work there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import CompanyInput, CompanyRead, CompanySummary, Page, Ref
from tinycrm.services.common import (
    MAX_ID,
    audit,
    check_version,
    diff,
    drop_unused_tags,
    new_uid,
    now,
    owner_filter,
    sort_key,
    tag_ids,
    tags_of,
    update_versioned,
    user_id,
)
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import escape_like, page_sql, placeholders

SIMPLE = ("name", "domain", "website", "phone", "address", "notes")
MAX_NAME = 300  # the companies.name column


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "name" in out:
        out["name"] = v.name(out["name"], "company name", max_len=MAX_NAME)
    if out.get("uid") is not None:
        out["uid"] = v.line(out["uid"], "uid", max_len=100)
    if "domain" in out:
        out["domain"] = v.domain(out["domain"])
    if "website" in out:
        out["website"] = v.line(out["website"], "website", max_len=500)
    if "phone" in out and out["phone"]:
        out["phone"] = v.phone(out["phone"])
    if "address" in out:
        out["address"] = v.text(out["address"], "address", max_len=2000)
    if "notes" in out:
        out["notes"] = v.text(out["notes"], "notes")
    if "tags" in out:
        out["tags"] = list(dict.fromkeys(v.tag(t) for t in out["tags"]))
    if "fields" in out:
        out["fields"] = {v.field_key(k): v.text(val, f"field {k}") or "" for k, val in out["fields"].items()}
    return out


def find_or_create(tx: Tx, name: str) -> int:
    """The company called ``name`` (regardless of case), created when there is none."""
    return next(iter(find_or_create_many(tx, [name]).values()))


def find_or_create_many(tx: Tx, names: Iterable[str]) -> dict[str, int]:
    """:func:`find_or_create` for many names at once (imports): the id of each company by its ``sort_key``.
    A name new to the store is created as first spelled; the locks are taken in key order (no deadlocks)."""
    wanted: dict[str, str] = {}
    for name in names:
        name = v.name(name, "company name", max_len=MAX_NAME)
        wanted.setdefault(sort_key(name), name)
    keys = sorted(wanted)
    for key in keys:
        tx.lock(f"company:{key}")  # two people adding the same new company at once get one
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        marks, params = placeholders("k", keys[start : start + 500])
        for r in tx.all(
            f"SELECT sort_name, id FROM companies WHERE sort_name IN ({marks}) ORDER BY id", params
        ):
            found.setdefault(r["sort_name"], r["id"])
    for key, name in wanted.items():
        if key not in found:
            found[key] = _insert(tx, {"name": name})
    return found


def _insert(tx: Tx, data: dict[str, Any]) -> int:
    stamp = now()
    cid = tx.insert(
        "INSERT INTO companies (uid, name, sort_name, domain, website, phone, address, notes, owner_id, "
        "created_at, updated_at, version) VALUES (:uid, :name, :sort, :domain, :website, :phone, :address, "
        ":notes, :owner, :t, :t, 1) RETURNING id",
        {
            "uid": data.get("uid") or new_uid(),
            "name": data["name"],
            "sort": sort_key(data["name"]),
            **{k: data.get(k) for k in SIMPLE[1:]},
            "owner": user_id(tx, data.get("owner")),
            "t": stamp,
        },
    )
    if data.get("tags"):
        tx.executemany(
            "INSERT INTO company_tags (company_id, tag_id) VALUES (:c, :t) ON CONFLICT DO NOTHING",
            [{"c": cid, "t": t} for t in tag_ids(tx, data["tags"])],
        )
    if data.get("fields"):
        tx.executemany(
            "INSERT INTO company_fields (company_id, key, value) VALUES (:c, :k, :v)",
            [{"c": cid, "k": k, "v": val} for k, val in data["fields"].items()],
        )
    audit(tx, "create", "company", cid, {k: (None, data[k]) for k in data if data[k] not in (None, [], {})})
    return cid


def insert(tx: Tx, data: CompanyInput) -> int:
    """Add a company inside an open transaction (imports and the demo batch these); give its id."""
    values = _clean({k: getattr(data, k) for k in (*SIMPLE, "tags", "fields", "uid", "owner")})
    tx.lock(f"company:{sort_key(values['name'])}")
    if tx.scalar("SELECT id FROM companies WHERE sort_name = :k", {"k": sort_key(values["name"])}):
        raise Conflict(f"a company named {values['name']!r} exists already; edit it with: crm company edit")
    return _insert(tx, values)


def create(db: Database, data: CompanyInput) -> CompanyRead:
    with db.write() as tx:
        return _read(tx, insert(tx, data))


def _read(tx: Tx, company_id: int) -> CompanyRead:
    row = tx.one(
        "SELECT c.*, u.name AS owner_name FROM companies c LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = :i",
        {"i": company_id},
    )
    if row is None:
        raise NotFound(f"no company with id {company_id}; list them with: crm company list")
    people = [
        Ref(r["id"], r["display_name"])
        for r in tx.all(
            "SELECT id, display_name FROM contacts WHERE company_id = :i AND NOT archived ORDER BY sort_name",
            {"i": company_id},
        )
    ]
    fields = {
        r["key"]: r["value"]
        for r in tx.all(
            "SELECT key, value FROM company_fields WHERE company_id = :i ORDER BY key", {"i": company_id}
        )
    }
    return CompanyRead(
        id=row["id"],
        uid=row["uid"],
        name=row["name"],
        domain=row["domain"],
        website=row["website"],
        phone=row["phone"],
        address=row["address"],
        notes=row["notes"],
        tags=tags_of(tx, "company_tags", "company_id", [company_id])[company_id],
        fields=fields,
        people=people,
        owner=row["owner_name"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        version=row["version"],
    )


def get(db: Database, company_id: int) -> CompanyRead:
    with db.read() as tx:
        return _read(tx, company_id)


def resolve(db: Database, ref: str) -> int:
    """A company by id, domain, exact name or a fragment of its name."""
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("a company reference is empty; give an id or a name")
    with db.read() as tx:
        return resolve_in(tx, ref)


def resolve_in(tx: Tx, ref: str) -> int:
    if ref.isdecimal():
        if int(ref) > MAX_ID or tx.scalar("SELECT id FROM companies WHERE id = :i", {"i": int(ref)}) is None:
            raise NotFound(f"no company with id {ref}")
        return int(ref)
    key = sort_key(ref)
    exact = tx.column(
        "SELECT id FROM companies WHERE sort_name = :k OR domain = :d ORDER BY id",
        {"k": key, "d": ref.lower()},
    )
    if len(exact) == 1:
        return exact[0]
    like = "%" + escape_like(key) + "%"
    rows = exact and tx.all(
        f"SELECT id, name FROM companies WHERE id IN ({placeholders('e', exact)[0]})",
        placeholders("e", exact)[1],
    )
    if not exact:
        rows = tx.all(
            "SELECT id, name FROM companies WHERE sort_name LIKE :p ESCAPE '\\' ORDER BY sort_name LIMIT 11",
            {"p": like},
        )
    if not rows:
        raise NotFound(f"no company matches {ref!r}; list them with: crm company list")
    if len(rows) == 1:
        return rows[0]["id"]
    raise Ambiguous(
        f"{ref!r} matches several companies; give an id", [Ref(r["id"], r["name"]) for r in rows[:10]]
    )


def list_companies(
    db: Database, *, limit: int | None = 20, offset: int = 0, tag: str | None = None, owner: str | None = None
) -> Page[CompanySummary]:
    """A page of companies by name; ``owner``: only this user's (``--mine`` passes the acting user)."""
    where, params = ["1=1"], {}
    if tag:
        where.append(
            "EXISTS (SELECT 1 FROM company_tags ct JOIN tags t ON t.id = ct.tag_id "
            "WHERE ct.company_id = c.id AND t.name_key = :tag)"
        )
        params["tag"] = tag.casefold()
    with db.read() as tx:
        mine, oparams = owner_filter(tx, owner, "c.owner_id")
        where.append(mine)
        params.update(oparams)
        cond = " AND ".join(where)
        total = tx.scalar(f"SELECT count(*) FROM companies c WHERE {cond}", params)
        page = page_sql(limit)
        rows = tx.all(
            f"SELECT c.id, c.name, c.domain, (SELECT count(*) FROM contacts p WHERE p.company_id = c.id "
            f"AND NOT p.archived) AS people FROM companies c WHERE {cond} ORDER BY c.sort_name, c.id{page}",
            {**params, "limit": limit, "offset": offset},
        )
        ids = [r["id"] for r in rows]
        tags = tags_of(tx, "company_tags", "company_id", ids)
    items = [
        CompanySummary(r["id"], r["name"], r["domain"], r["people"], tags.get(r["id"], [])) for r in rows
    ]
    return Page(items, total, limit, offset)


def update(
    db: Database, company_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> CompanyRead:
    unknown = set(changes) - {*SIMPLE, "tags", "fields", "set_fields", "unset_fields", "owner"}
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a company")
    values = _clean(changes)
    with db.write() as tx:
        tx.lock_rows("companies", [company_id])  # PostgreSQL: other writers of this company wait for us
        before = _read(tx, company_id)
        check_version(tx, "companies", "company", company_id, expected_version)
        simple = {k: values[k] for k in SIMPLE if k in values}
        if "name" in simple:
            tx.lock(f"company:{sort_key(simple['name'])}")
            other = tx.scalar(
                "SELECT id FROM companies WHERE sort_name = :k AND id <> :i",
                {"k": sort_key(simple["name"]), "i": company_id},
            )
            if other:
                raise Conflict(f"another company (id {other}) is named {simple['name']!r}")
        old = {k: getattr(before, k) for k in simple}
        changed = diff(old, simple)
        sets = {k: new for k, (_, new) in changed.items()}
        if "owner" in values and values["owner"] != before.owner:
            sets["owner_id"] = user_id(tx, values["owner"]) if values["owner"] else None
            changed["owner"] = (before.owner, values["owner"])
        if "name" in sets:
            sets["sort_name"] = sort_key(sets["name"])
        if "tags" in values and sorted(values["tags"]) != sorted(before.tags):
            tx.execute("DELETE FROM company_tags WHERE company_id = :i", {"i": company_id})
            tx.executemany(
                "INSERT INTO company_tags (company_id, tag_id) VALUES (:c, :t) ON CONFLICT DO NOTHING",
                [{"c": company_id, "t": t} for t in tag_ids(tx, values["tags"])],
            )
            changed["tags"] = (before.tags, values["tags"])
            drop_unused_tags(tx)
        fields = dict(before.fields)
        if "fields" in values:
            fields = dict(values["fields"])
        for k, val in (values.get("set_fields") or {}).items():
            fields[v.field_key(k)] = v.text(val, f"field {k}") or ""
        for k in values.get("unset_fields") or []:
            fields.pop(k, None)
        if fields != before.fields:
            tx.execute("DELETE FROM company_fields WHERE company_id = :i", {"i": company_id})
            tx.executemany(
                "INSERT INTO company_fields (company_id, key, value) VALUES (:c, :k, :v)",
                [{"c": company_id, "k": k, "v": val} for k, val in fields.items()],
            )
            changed["fields"] = (before.fields, fields)
        if not changed:
            return before
        update_versioned(tx, "companies", "company", company_id, before.version, sets)
        if "name" in changed:
            ids = tx.column("SELECT id FROM contacts WHERE company_id = :i", {"i": company_id})
            db.search.refresh(tx, ids)
        audit(tx, "update", "company", company_id, changed)
        return _read(tx, company_id)


def delete(db: Database, company_id: int) -> CompanyRead:
    """Delete a company; its people stay, without a company."""
    with db.write() as tx:
        tx.lock_rows("companies", [company_id])
        before = _read(tx, company_id)
        ids = tx.column("SELECT id FROM contacts WHERE company_id = :i", {"i": company_id})
        tx.execute("UPDATE contacts SET company_id = NULL WHERE company_id = :i", {"i": company_id})
        tx.execute("DELETE FROM companies WHERE id = :i", {"i": company_id})
        db.search.refresh(tx, ids)
        drop_unused_tags(tx)
        gone = {
            k: (getattr(before, k), None)
            for k in (*SIMPLE, "tags", "fields")
            if getattr(before, k) not in (None, [], {})
        }
        audit(tx, "delete", "company", company_id, gone)
        return before
