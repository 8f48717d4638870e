"""Companies: create, read, update, delete, and the people who work there."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import CompanyInput, CompanyRead, CompanySummary, Page, Ref
from tinycrm.domain.rows import Stream
from tinycrm.services.common import (
    MAX_ID,
    Edit,
    Versioned,
    audit,
    drop_unused_tags,
    edit,
    new_uid,
    now,
    owner_filter,
    sort_key,
    tag_ids,
    tags_of,
    user_id,
)
from tinycrm.services.people.contact_loader import reindex
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import batches, escape_like, from_offset, page_sql, placeholders, streamed

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
        raise Conflict(
            f"a company named {values['name']!r} exists already",
            hint="edit it with: crm company edit",
            field="name",
        )
    _refuse_taken_domain(tx, values.get("domain"))
    return _insert(tx, values)


def _refuse_taken_domain(tx: Tx, domain: str | None, company_id: int | None = None) -> None:
    """:class:`InvalidInput` naming the company (other than ``company_id``) whose domain ``domain`` is."""
    if not domain:
        return
    tx.lock(f"company-domain:{domain}")  # two people giving two companies one domain at once: one wins
    other = tx.one(
        "SELECT id, name FROM companies WHERE domain = :d AND id <> :i ORDER BY id LIMIT 1",
        {"d": domain, "i": company_id or 0},
    )
    if other is not None:
        raise InvalidInput(
            f"{domain} is the domain of {other['name']} (id {other['id']}) already",
            hint=f"change that one with: crm company edit {other['id']}",
            field="domain",
        )


def create(db: Database, data: CompanyInput) -> CompanyRead:
    with db.write() as tx:
        return _read(tx, insert(tx, data))


def _read(tx: Tx, company_id: int) -> CompanyRead:
    row = tx.one(
        "SELECT c.*, u.name AS owner_name FROM companies c LEFT JOIN users u ON u.id = c.owner_id WHERE c.id = :i",
        {"i": company_id},
    )
    if row is None:
        raise NotFound(f"no company with id {company_id}", hint="list them with: crm company list")
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
    """The id of the company a reference names (see :func:`resolve_ref`)."""
    with db.read() as tx:
        return resolve_in(tx, ref)


def resolve_in(tx: Tx, ref: str) -> int:
    return resolve_ref(tx, ref).id


def resolve_ref(
    tx: Tx, ref: str | None, *, create: bool = False, on_create: Callable[[Ref], None] | None = None
) -> Ref:
    """The company a reference names, the same way for every option that takes one: by id (``2`` or ``#2``),
    by domain (``acme.com``), by its exact name (case and accents do not matter), or by a fragment of its name
    that no other company's name has. Several matches raise :class:`Ambiguous` naming them.

    A reference that names no company is :class:`NotFound`; with ``create``, unless it is an id or a domain, a
    company of that name is added, and ``on_create`` told (inside the transaction: a face collects it and
    says so once the change is stored)."""
    ref = _reference(ref)
    found = _match(tx, ref)
    if found is not None:
        return found
    if not create:
        raise NotFound(f"no company matches {ref!r}", hint="list them with: crm company list")
    name = v.name(ref, "company name", max_len=MAX_NAME)
    tx.lock(f"company:{sort_key(name)}")  # someone adding the same new company at once: one of us adds it
    row = tx.one(
        "SELECT id, name FROM companies WHERE sort_name = :k ORDER BY id LIMIT 1", {"k": sort_key(name)}
    )
    if row is not None:
        return Ref(row["id"], row["name"])
    made = Ref(_insert(tx, {"name": name}), name)
    if on_create is not None:
        on_create(made)
    return made


def _reference(ref: str | None) -> str:
    text = (ref or "").strip()
    if not text:
        raise InvalidInput("a company reference is empty; give an id, a domain or a name", field="company")
    return v.line(text, "company reference", max_len=MAX_NAME) or text


def _as_domain(ref: str) -> str | None:
    """``ref`` as a domain name (``acme.com``, ``https://www.acme.com/``), or None when it is not one."""
    if "." not in ref or any(c.isspace() for c in ref):
        return None
    try:
        return v.domain(ref)
    except InvalidInput:
        return None


_CANDIDATES = "SELECT id, name, domain FROM companies WHERE "


def _match(tx: Tx, ref: str) -> Ref | None:
    """The company ``ref`` names; None when it names none and could be a new company's name. An id or a
    domain that names none is :class:`NotFound`; several companies :class:`Ambiguous`."""
    if re.fullmatch(r"#?[0-9]+", ref):
        cid = int(ref.lstrip("#"))
        row = tx.one("SELECT id, name FROM companies WHERE id = :i", {"i": cid}) if cid <= MAX_ID else None
        if row is None:
            raise NotFound(
                f"no company with id {cid}",
                hint="list them with: crm company list, or add one with: crm company add NAME --domain D",
            )
        return Ref(row["id"], row["name"])
    domain = _as_domain(ref)
    if domain:
        rows = tx.all(_CANDIDATES + "domain = :d ORDER BY id LIMIT 11", {"d": domain})
        if rows:
            return _only(ref, rows)
    key = sort_key(ref)
    rows = tx.all(_CANDIDATES + "sort_name = :k ORDER BY id LIMIT 11", {"k": key})
    if rows:
        return _only(ref, rows)
    if domain:
        raise NotFound(
            f"no company has the domain {domain}", hint=f"add it with: crm company add NAME --domain {domain}"
        )
    like = "%" + escape_like(key) + "%"
    rows = tx.all(_CANDIDATES + "sort_name LIKE :p ESCAPE '\\' ORDER BY sort_name, id LIMIT 11", {"p": like})
    return _only(ref, rows) if rows else None


def _only(ref: str, rows: list[Any]) -> Ref:
    if len(rows) == 1:
        return Ref(rows[0]["id"], rows[0]["name"])
    names = ", ".join(
        f"{r['name']} (id {r['id']}" + (f", {r['domain']})" if r["domain"] else ")") for r in rows[:10]
    )
    many = "more than 10" if len(rows) > 10 else str(len(rows))
    raise Ambiguous(f"{ref!r} matches {many} companies: {names}; give an id or a domain")


def names(db: Database, *, limit: int = 500) -> list[str]:
    """The first ``limit`` companies' names, by name: what a filter offers, without counting anyone (the
    people counts of :func:`list_companies` read every contact of 500 companies: 0.85 s on a million)."""
    with db.read() as tx:
        rows = tx.all(
            f"SELECT c.name FROM companies c ORDER BY c.sort_name, c.id{page_sql(limit)}",
            {"limit": limit, "offset": 0},
        )
    return [r["name"] for r in rows]


def list_companies(
    db: Database,
    *,
    limit: int | None = 20,
    offset: int = 0,
    tag: str | None = None,
    owner: str | None = None,
    stream: bool = False,
    query: str | None = None,
) -> Page[CompanySummary] | Stream[CompanySummary]:
    """A page of companies by name; ``owner``: only this user's (``--mine`` passes the acting user); ``query``:
    those whose name or domain holds this text (any case). ``limit`` None and ``stream``: all of them from
    ``offset`` on, a :class:`Stream` read as it is shown."""
    where, params = ["1=1"], {}
    if query and query.strip():
        where.append("(lower(c.name) LIKE :q ESCAPE '\\' OR lower(c.domain) LIKE :q ESCAPE '\\')")
        params["q"] = f"%{escape_like(query.strip().lower())}%"
    if tag:
        where.append(
            "EXISTS (SELECT 1 FROM company_tags ct JOIN tags t ON t.id = ct.tag_id "
            "WHERE ct.company_id = c.id AND t.name_key = :tag)"
        )
        params["tag"] = tag.casefold()

    def rows_of(tx: Tx, rows: list[Any]) -> list[CompanySummary]:
        tags = tags_of(tx, "company_tags", "company_id", [r["id"] for r in rows])
        return [
            CompanySummary(r["id"], r["name"], r["domain"], r["people"], tags.get(r["id"], [])) for r in rows
        ]

    def read(tx: Tx) -> Any:
        mine, oparams = owner_filter(tx, owner, "c.owner_id")
        where.append(mine)
        params.update(oparams)
        cond = " AND ".join(where)
        total = tx.scalar(f"SELECT count(*) FROM companies c WHERE {cond}", params)
        sql = (
            "SELECT c.id, c.name, c.domain, (SELECT count(*) FROM contacts p WHERE p.company_id = c.id "
            f"AND NOT p.archived) AS people FROM companies c WHERE {cond} ORDER BY c.sort_name, c.id"
        )
        if limit is None and stream:  # --all: read as it is shown
            chunks = batches(tx, sql + from_offset(offset), params, size=500)
            return total, (c for rows in chunks for c in rows_of(tx, rows))
        rows = tx.all(sql + page_sql(limit), {**params, "limit": limit, "offset": offset})
        return Page(rows_of(tx, rows), total, limit, offset)

    if limit is None and stream:
        return streamed(db, offset, read)
    with db.read() as tx:
        return read(tx)  # type: ignore[no-any-return]


def _put_name(e: Edit[CompanyRead], name: str) -> None:
    e.tx.lock(f"company:{sort_key(name)}")
    other = e.tx.scalar(
        "SELECT id FROM companies WHERE sort_name = :k AND id <> :i", {"k": sort_key(name), "i": e.before.id}
    )
    if other:
        raise Conflict(f"another company (id {other}) is named {name!r}")
    e.put("name", e.before.name, name)
    if "name" in e.sets:
        e.sets["sort_name"] = sort_key(name)
        people = e.tx.column("SELECT id FROM contacts WHERE company_id = :i", {"i": e.before.id})
        e.then.append(lambda: reindex(e.tx, people))  # their search follows the name


def _put_owner(e: Edit[CompanyRead], owner: str | None) -> None:
    if owner != e.before.owner:
        e.sets["owner_id"] = user_id(e.tx, owner) if owner else None
        e.changed["owner"] = (e.before.owner, owner)


def _put_tags(e: Edit[CompanyRead], tags: list[str]) -> None:
    if sorted(tags) == sorted(e.before.tags):
        return
    e.changed["tags"] = (e.before.tags, tags)

    def write() -> None:
        e.tx.execute("DELETE FROM company_tags WHERE company_id = :i", {"i": e.before.id})
        e.tx.executemany(
            "INSERT INTO company_tags (company_id, tag_id) VALUES (:c, :t) ON CONFLICT DO NOTHING",
            [{"c": e.before.id, "t": t} for t in tag_ids(e.tx, tags)],
        )
        drop_unused_tags(e.tx)

    e.then.append(write)


def _put_fields(e: Edit[CompanyRead], values: dict[str, Any]) -> None:
    fields = dict(values["fields"]) if "fields" in values else dict(e.before.fields)
    for k, val in (values.get("set_fields") or {}).items():
        fields[v.field_key(k)] = v.text(val, f"field {k}") or ""
    for k in values.get("unset_fields") or []:
        fields.pop(k, None)
    if fields == e.before.fields:
        return
    e.changed["fields"] = (e.before.fields, fields)

    def write() -> None:
        e.tx.execute("DELETE FROM company_fields WHERE company_id = :i", {"i": e.before.id})
        e.tx.executemany(
            "INSERT INTO company_fields (company_id, key, value) VALUES (:c, :k, :v)",
            [{"c": e.before.id, "k": k, "v": val} for k, val in fields.items()],
        )

    e.then.append(write)


COMPANY = Versioned("companies", "company", _read)
EDITABLE = {*SIMPLE, "tags", "fields", "set_fields", "unset_fields", "owner"}


def update(
    db: Database, company_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> CompanyRead:
    """Change the given fields (:data:`EDITABLE`); ``expected_version`` guards against overwriting someone
    else's edit. A name or a domain another company has is refused."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a company")
    values = _clean(changes)

    def apply(e: Edit[CompanyRead]) -> None:
        if "name" in values:
            _put_name(e, values["name"])
        if "domain" in values and values["domain"] != e.before.domain:
            _refuse_taken_domain(e.tx, values["domain"], company_id)
        for key in SIMPLE[1:]:
            if key in values:
                e.put(key, getattr(e.before, key), values[key])
        if "owner" in values:
            _put_owner(e, values["owner"])
        if "tags" in values:
            _put_tags(e, values["tags"])
        if {"fields", "set_fields", "unset_fields"} & set(values):
            _put_fields(e, values)

    return edit(db, COMPANY, company_id, apply, expected_version=expected_version)


def delete(db: Database, company_id: int) -> CompanyRead:
    """Delete a company; its people stay, without a company."""
    with db.write() as tx:
        tx.lock_rows("companies", [company_id])
        before = _read(tx, company_id)
        ids = tx.column("SELECT id FROM contacts WHERE company_id = :i", {"i": company_id})
        tx.execute("UPDATE contacts SET company_id = NULL WHERE company_id = :i", {"i": company_id})
        tx.execute("DELETE FROM companies WHERE id = :i", {"i": company_id})
        reindex(tx, ids)
        drop_unused_tags(tx)
        gone = {
            k: (getattr(before, k), None)
            for k in (*SIMPLE, "tags", "fields")
            if getattr(before, k) not in (None, [], {})
        }
        audit(tx, "delete", "company", company_id, gone)
        return before
