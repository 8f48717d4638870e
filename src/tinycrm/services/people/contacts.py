"""Contacts: create, read, update, archive, delete, tags, references and search."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.dates import parse_birthday
from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import (
    Address,
    ContactInput,
    ContactRead,
    ContactSummary,
    Labeled,
    Page,
    Ref,
    TagCount,
)
from tinycrm.services.common import (
    MAX_ID,
    audit,
    audit_many,
    check_version,
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
from tinycrm.services.people import companies
from tinycrm.store import search as fts
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import placeholders

PARTICLES = {
    "van",
    "von",
    "de",
    "da",
    "del",
    "der",
    "di",
    "du",
    "la",
    "le",
    "den",
    "ten",
    "ter",
    "dos",
    "das",
}
SCALARS = (
    "display_name",
    "given_name",
    "family_name",
    "job_title",
    "company_role",
    "birthday",
    "notes",
    "cadence_days",
)
LISTS = ("emails", "phones", "addresses", "tags")
MAX_PAGE = 1000
#: above this many matches, search results come by name rather than by relevance
BROAD_MATCH = 2000


def split_name(display: str) -> tuple[str | None, str | None]:
    """Given and family name from a display name: ``Ada Lovelace``, ``Ludwig van Beethoven``."""
    words = display.split()
    if len(words) < 2:
        return (words[0] if words else None), None
    cut = len(words) - 1
    while cut > 1 and words[cut - 1].lower() in PARTICLES:
        cut -= 1
    return " ".join(words[:cut]), " ".join(words[cut:])


# --- validation -----------------------------------------------------------------------------------------


def _labeled(items: Sequence[Labeled | str], check: Any, what: str) -> list[Labeled]:
    out: list[Labeled] = []
    seen = set()
    for item in items:
        if isinstance(item, str):
            item = Labeled(item)
        value = check(item.value, what)
        key = value.casefold() if what == "email" else fts.phone_digits(value) or value
        if key in seen:
            continue
        seen.add(key)
        out.append(Labeled(value, v.label(item.label, f"{what} label")))
    return out


#: the longest value each column takes (models.py)
ADDRESS_MAX = {
    "street": 500,
    "locality": 200,
    "region": 200,
    "postcode": 50,
    "country": 200,
    "po_box": 100,
    "extended": 300,
}
NAME_MAX = {"given_name": 200, "family_name": 200, "job_title": 300, "company_role": 300}


def _address(a: Address) -> Address:
    parts = {
        k: v.line(getattr(a, k), f"address {k.replace('_', ' ')}", max_len=n) for k, n in ADDRESS_MAX.items()
    }
    return Address(label=v.label(a.label, "address label"), **parts)


def _clean(values: dict[str, Any], *, loose: bool = False) -> dict[str, Any]:
    """Validate and normalise the given fields of a contact (only those present). ``loose``: an import keeps
    emails and phones as a file writes them (``user@invalid``, ``1-800-MY-APPLE``; the import warns)."""
    out = dict(values)
    for key, longest in NAME_MAX.items():
        if key in out:
            out[key] = v.line(out[key], key.replace("_", " "), max_len=longest)
    if "display_name" in out and out["display_name"] is not None:
        out["display_name"] = v.name(out["display_name"], "name")
    if "notes" in out:
        out["notes"] = v.text(out["notes"], "notes")
    if "birthday" in out:
        out["birthday"] = parse_birthday(out["birthday"])
    if "cadence_days" in out:
        out["cadence_days"] = v.positive_int(out["cadence_days"], "cadence (days)", maximum=36_500)
    if "emails" in out:
        out["emails"] = _labeled(out["emails"], v.loose_email if loose else v.email, "email")
    if "phones" in out:
        out["phones"] = _labeled(out["phones"], v.loose_phone if loose else v.phone, "phone")
    if "addresses" in out:
        out["addresses"] = [_address(a) for a in out["addresses"]]
        out["addresses"] = [a for a in out["addresses"] if a.one_line()]
    if "tags" in out:
        out["tags"] = list(dict.fromkeys(v.tag(t) for t in out["tags"]))
    if "fields" in out:
        out["fields"] = {v.field_key(k): v.text(val, f"field {k}") or "" for k, val in out["fields"].items()}
    if "company" in out and out["company"] is not None:
        out["company"] = v.line(out["company"], "company", max_len=300)
    return out


def _fill_names(values: dict[str, Any]) -> None:
    display = values.get("display_name")
    if not display:
        parts = [values.get("given_name"), values.get("family_name")]
        display = " ".join(p for p in parts if p)
        if not display:
            emails = values.get("emails") or []
            display = emails[0].value if emails else None
        if not display:
            raise InvalidInput("a contact needs a name (or at least an email address)", field="name")
        values["display_name"] = v.name(display, "name")
    elif values.get("given_name") is None and values.get("family_name") is None:
        given, family = split_name(display)
        # a part too long for its column (one very long word) is left out, not cut
        values["given_name"] = given if given and len(given) <= NAME_MAX["given_name"] else None
        values["family_name"] = family if family and len(family) <= NAME_MAX["family_name"] else None


# --- writing --------------------------------------------------------------------------------------------

#: the lists of a contact, by their key in ``values``: the table that holds them and its INSERT
LIST_TABLES = {
    "emails": (
        "contact_emails",
        "INSERT INTO contact_emails (contact_id, position, label, value, value_key) "
        "VALUES (:c, :p, :l, :v, :k)",
    ),
    "phones": (
        "contact_phones",
        "INSERT INTO contact_phones (contact_id, position, label, value, digits) VALUES (:c, :p, :l, :v, :d)",
    ),
    "addresses": (
        "contact_addresses",
        "INSERT INTO contact_addresses (contact_id, position, label, po_box, "
        "extended, street, locality, region, postcode, country) VALUES (:c, :p, :label, :po_box, "
        ":extended, :street, :locality, :region, :postcode, :country)",
    ),
    "tags": (
        "contact_tags",
        "INSERT INTO contact_tags (contact_id, tag_id) VALUES (:c, :t) ON CONFLICT DO NOTHING",
    ),
    "fields": ("contact_fields", "INSERT INTO contact_fields (contact_id, key, value) VALUES (:c, :k, :v)"),
}


def _list_rows(key: str, contact_id: int, items: Any) -> list[dict[str, Any]]:
    """The rows of one list of a contact, for ``LIST_TABLES[key]``; ``items`` are tag ids for ``tags``."""
    c = contact_id
    if key == "emails":
        return [
            {"c": c, "p": i, "l": e.label, "v": e.value, "k": e.value.casefold()} for i, e in enumerate(items)
        ]
    if key == "phones":
        return [
            {"c": c, "p": i, "l": p.label, "v": p.value, "d": fts.phone_digits(p.value)}
            for i, p in enumerate(items)
        ]
    if key == "addresses":
        return [
            {
                "c": c,
                "p": i,
                "label": a.label,
                "po_box": a.po_box,
                "extended": a.extended,
                "street": a.street,
                "locality": a.locality,
                "region": a.region,
                "postcode": a.postcode,
                "country": a.country,
            }
            for i, a in enumerate(items)
        ]
    if key == "tags":
        return [{"c": c, "t": t} for t in items]
    return [{"c": c, "k": k, "v": val} for k, val in items.items()]


def _write_lists(tx: Tx, contact_id: int, values: dict[str, Any]) -> None:
    """Replace the lists given in ``values`` (emails, phones, addresses, tags, fields) of a stored contact."""
    for key, (table, sql) in LIST_TABLES.items():
        if key in values:
            tx.execute(f"DELETE FROM {table} WHERE contact_id = :i", {"i": contact_id})
            items = tag_ids(tx, values["tags"]) if key == "tags" else values[key]
            tx.executemany(sql, _list_rows(key, contact_id, items))


def normalized(data: ContactInput, *, loose: bool = False) -> dict[str, Any]:
    """The fields of a new contact, validated and normalised as they are stored (names filled in from the
    display name and back); raises :class:`InvalidInput`. Needs no database. ``loose``: see :func:`_clean`."""
    values = _clean({k: getattr(data, k) for k in (*SCALARS, *LISTS, "fields", "company")}, loose=loose)
    _fill_names(values)
    return values


@dataclass(frozen=True, slots=True)
class Prepared:
    """A new contact checked by :func:`prepare`, ready for :func:`insert_many`."""

    uid: str
    values: dict[str, Any]
    company_id: int | None = None
    archived: bool = False
    owner: str | None = None


def prepare(data: ContactInput, *, loose: bool = False) -> Prepared:
    """Validate and normalise a new contact without touching the database, and give it its UID; raises
    :class:`InvalidInput`. What is left to check needs the database: that the UID is not taken and the
    owner exists (:func:`insert_many` does both before writing). ``loose``: see :func:`_clean`."""
    values = normalized(data, loose=loose)
    uid = v.line(data.uid, "uid", max_len=255) or new_uid()
    return Prepared(uid, values, data.company_id, bool(data.archived), data.owner)


#: contacts per statement of :func:`insert_many` (``IN`` lists stay well below every store's parameter limit)
CHUNK = 500


def insert_many(
    tx: Tx, inputs: Sequence[ContactInput | Prepared], *, refresh_index: bool = True
) -> list[int]:
    """Add contacts inside an open transaction; give their ids, in the order given.

    The statements are per batch, not per contact: companies are found or created once per name, tags once,
    then one ``executemany`` per table, one audit ``executemany`` and one search-index refresh. Every input is
    validated (:func:`prepare`; inputs already prepared are taken as they are), and its UID checked against
    the other inputs and the stored contacts, before any contact is written: an invalid input raises
    :class:`InvalidInput`, a taken UID :class:`Conflict`. A caller adding many in several calls passes
    ``refresh_index=False`` and refreshes the search index once for all of them."""
    items = [d if isinstance(d, Prepared) else prepare(d) for d in inputs]
    if not items:
        return []
    seen: set[str] = set()
    for p in items:
        if p.uid in seen:
            raise Conflict(f"the UID {p.uid} is given to two new contacts; give each its own")
        seen.add(p.uid)
    uids = [p.uid for p in items]
    for start in range(0, len(uids), CHUNK):
        marks, params = placeholders("u", uids[start : start + CHUNK])
        taken = tx.column(f"SELECT uid FROM contacts WHERE uid IN ({marks}) LIMIT 1", params)
        if taken:
            raise Conflict(f"a contact with UID {taken[0]} exists already")
    owners = {o: user_id(tx, o) for o in dict.fromkeys(p.owner for p in items)}
    named = [p.values["company"] for p in items if p.values.get("company")]
    company_of = companies.find_or_create_many(tx, named)
    names = list(dict.fromkeys(t for p in items for t in p.values.get("tags") or ()))
    tag_id = {n.casefold(): i for n, i in zip(names, tag_ids(tx, names), strict=True)}
    stamp = now()
    tx.executemany(
        "INSERT INTO contacts (uid, given_name, family_name, display_name, sort_name, job_title, company_id, "
        "company_role, birthday, notes, cadence_days, archived, owner_id, created_at, updated_at, version) "
        "VALUES (:uid, :given_name, :family_name, :display_name, :sort, :job_title, :company_id, :company_role, "
        ":birthday, :notes, :cadence_days, :archived, :owner, :t, :t, 1)",
        [
            {
                "uid": p.uid,
                **{k: p.values.get(k) for k in SCALARS},
                "sort": sort_key(p.values["display_name"]),
                "company_id": (
                    company_of[sort_key(p.values["company"])] if p.values.get("company") else p.company_id
                ),
                "archived": p.archived,
                "owner": owners[p.owner],
                "t": stamp,
            }
            for p in items
        ],
    )
    # ids by UID (unique, and given): no reliance on the order in which a store hands out or returns ids
    id_of: dict[str, int] = {}
    for start in range(0, len(uids), CHUNK):
        marks, params = placeholders("u", uids[start : start + CHUNK])
        for r in tx.all(f"SELECT id, uid FROM contacts WHERE uid IN ({marks})", params):
            id_of[r["uid"]] = r["id"]
    ids = [id_of[u] for u in uids]
    for key, (_table, sql) in LIST_TABLES.items():
        rows: list[dict[str, Any]] = []
        for cid, p in zip(ids, items, strict=True):
            if p.values.get(key):
                listed = [tag_id[t.casefold()] for t in p.values[key]] if key == "tags" else p.values[key]
                rows.extend(_list_rows(key, cid, listed))
        tx.executemany(sql, rows)
    if refresh_index:
        tx.db.search.refresh(tx, ids)
    audit_many(
        tx,
        "create",
        "contact",
        [
            (cid, {k: (None, val) for k, val in p.values.items() if val not in (None, [], {})})
            for cid, p in zip(ids, items, strict=True)
        ],
    )
    return ids


def insert(tx: Tx, data: ContactInput, *, refresh_index: bool = True) -> int:
    """Add a contact inside an open transaction; give its id. Imports add many with :func:`insert_many`."""
    return insert_many(tx, [data], refresh_index=refresh_index)[0]


def create(db: Database, data: ContactInput) -> ContactRead:
    with db.write() as tx:
        return _read(tx, insert(tx, data))


# --- reading --------------------------------------------------------------------------------------------


def _read(tx: Tx, contact_id: int) -> ContactRead:
    row = tx.one(
        "SELECT c.*, co.name AS company_name, u.name AS owner_name, "
        "(SELECT max(i.happened_at) FROM interaction_contacts ic JOIN interactions i ON i.id = ic.interaction_id "
        " WHERE ic.contact_id = c.id) AS last_at "
        "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id "
        "WHERE c.id = :i",
        {"i": contact_id},
    )
    if row is None:
        raise NotFound(f"no contact with id {contact_id}; find one with: crm search NAME")
    p = {"i": contact_id}
    emails = [
        Labeled(r["value"], r["label"])
        for r in tx.all(
            "SELECT value, label FROM contact_emails WHERE contact_id = :i ORDER BY position, id", p
        )
    ]
    phones = [
        Labeled(r["value"], r["label"])
        for r in tx.all(
            "SELECT value, label FROM contact_phones WHERE contact_id = :i ORDER BY position, id", p
        )
    ]
    addresses = [
        Address(
            label=r["label"],
            street=r["street"],
            locality=r["locality"],
            region=r["region"],
            postcode=r["postcode"],
            country=r["country"],
            po_box=r["po_box"],
            extended=r["extended"],
        )
        for r in tx.all("SELECT * FROM contact_addresses WHERE contact_id = :i ORDER BY position, id", p)
    ]
    fields = {
        r["key"]: r["value"]
        for r in tx.all("SELECT key, value FROM contact_fields WHERE contact_id = :i ORDER BY key", p)
    }
    return ContactRead(
        id=row["id"],
        uid=row["uid"],
        display_name=row["display_name"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        job_title=row["job_title"],
        company=Ref(row["company_id"], row["company_name"]) if row["company_id"] else None,
        company_role=row["company_role"],
        birthday=row["birthday"],
        notes=row["notes"],
        cadence_days=row["cadence_days"],
        archived=bool(row["archived"]),
        emails=emails,
        phones=phones,
        addresses=addresses,
        tags=tags_of(tx, "contact_tags", "contact_id", [contact_id])[contact_id],
        fields=fields,
        owner=row["owner_name"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        version=row["version"],
        last_interaction_at=as_datetime(row["last_at"]),
    )


def get(db: Database, contact_id: int) -> ContactRead:
    with db.read() as tx:
        return _read(tx, contact_id)


def summaries(tx: Tx, ids: Sequence[int]) -> list[ContactSummary]:
    """List rows for these contacts, in the order given (four queries, whatever the number)."""
    if not ids:
        return []
    marks, params = placeholders("i", list(ids))
    rows = {
        r["id"]: r
        for r in tx.all(
            f"SELECT c.id, c.display_name, c.job_title, c.archived, co.name AS company FROM contacts c "
            f"LEFT JOIN companies co ON co.id = c.company_id WHERE c.id IN ({marks})",
            params,
        )
    }
    first_email: dict[int, str] = {}
    for r in tx.all(
        f"SELECT contact_id, value FROM contact_emails WHERE contact_id IN ({marks}) ORDER BY position DESC, id DESC",
        params,
    ):
        first_email[r["contact_id"]] = r["value"]
    first_phone: dict[int, str] = {}
    for r in tx.all(
        f"SELECT contact_id, value FROM contact_phones WHERE contact_id IN ({marks}) ORDER BY position DESC, id DESC",
        params,
    ):
        first_phone[r["contact_id"]] = r["value"]
    tags = tags_of(tx, "contact_tags", "contact_id", list(ids))
    return [
        ContactSummary(
            id=i,
            display_name=rows[i]["display_name"],
            company=rows[i]["company"],
            email=first_email.get(i),
            phone=first_phone.get(i),
            tags=tags.get(i, []),
            archived=bool(rows[i]["archived"]),
            job_title=rows[i]["job_title"],
        )
        for i in ids
        if i in rows
    ]


def _filters(
    *, tag: str | None, company: str | None, archived: bool | None, alias: str = "c"
) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if archived is not None:
        where.append(f"{alias}.archived = :archived")
        params["archived"] = archived
    if tag:
        where.append(
            f"EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
            f"WHERE ct.contact_id = {alias}.id AND t.name_key = :tag)"
        )
        params["tag"] = tag.strip().casefold()
    if company:
        where.append(
            f"{alias}.company_id IN (SELECT id FROM companies WHERE sort_name = :company OR domain = :company_d)"
        )
        params["company"] = sort_key(company)
        params["company_d"] = company.strip().lower()
    return where, params


def _page_args(limit: int | None, offset: int) -> None:
    if limit is not None and not 1 <= limit <= 1_000_000:
        raise InvalidInput(f"--limit must be between 1 and 1000000 (got {limit})")
    if offset < 0:
        raise InvalidInput(f"--offset must not be negative (got {offset})")
    if offset > MAX_ID:
        raise InvalidInput(f"--offset is too large (got {offset})")


SORTS = {
    "name": "c.sort_name, c.id",
    "created": "c.created_at DESC, c.id DESC",
    "updated": "c.updated_at DESC, c.id DESC",
    "company": "co.sort_name, c.sort_name, c.id",
}


def list_contacts(
    db: Database,
    *,
    limit: int | None = 20,
    offset: int = 0,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
    sort: str = "name",
    owner: str | None = None,
) -> Page[ContactSummary]:
    """A page of contacts. ``archived``: ``False`` hides archived ones, ``True`` shows only them, ``None`` all.
    ``owner``: only the contacts of this user (``--mine`` passes the acting user)."""
    _page_args(limit, offset)
    if sort not in SORTS:
        raise InvalidInput(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
    where, params = _filters(tag=tag, company=company, archived=archived)
    cond = " AND ".join(where) or "1=1"
    join = " LEFT JOIN companies co ON co.id = c.company_id" if sort == "company" else ""
    page = "" if limit is None else " LIMIT :limit OFFSET :offset"
    with db.read() as tx:
        mine, oparams = owner_filter(tx, owner, "c.owner_id")
        cond, params = f"{cond} AND {mine}", {**params, **oparams}
        total = tx.scalar(f"SELECT count(*) FROM contacts c WHERE {cond}", params)
        ids = tx.column(
            f"SELECT c.id FROM contacts c{join} WHERE {cond} ORDER BY {SORTS[sort]}{page}",
            {**params, "limit": limit, "offset": offset},
        )
        return Page(summaries(tx, ids), total, limit, offset)


def search(
    db: Database,
    query: str,
    *,
    limit: int | None = 20,
    offset: int = 0,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = False,
    owner: str | None = None,
    exact_total: bool = True,
) -> Page[ContactSummary]:
    """Contacts matching a search query (see :mod:`tinycrm.store.search`), best matches first.

    A query matching thousands comes by name. With ``exact_total=False`` (search as you type) such a query is
    counted from the index alone, archived contacts included, the newest matches come first, and the page says
    the total is an estimate. A blank query lists everyone; one with no letter or digit (``🦄``, ``tag:``) raises
    ``NothingToSearch``, or, as you type, gives an empty page."""
    _page_args(limit, offset)
    v.line(query, "search query")
    try:
        terms = fts.parse(query or "")
    except fts.NothingToSearch:
        if exact_total:
            raise
        return Page([], 0, limit, offset)  # a lone '"' or 'tag:' is a query still being typed
    if not terms:
        return list_contacts(
            db, limit=limit, offset=offset, tag=tag, company=company, archived=archived, owner=owner
        )
    match_sql, params = db.search.match(terms)
    where, fparams = _filters(tag=tag, company=company, archived=archived)
    cond = " AND ".join(where) or "1=1"
    page = "" if limit is None else " LIMIT :limit OFFSET :offset"
    params = {**params, **fparams, "limit": limit, "offset": offset}
    with db.read() as tx:
        mine, oparams = owner_filter(tx, owner, "c.owner_id")
        params.update(oparams)
        # CROSS JOIN keeps the index match first: SQLite would otherwise run the match once per contact
        base = f"FROM ({match_sql}) m CROSS JOIN contacts c WHERE c.id = m.contact_id AND {cond} AND {mine}"
        if not exact_total and not (tag or company or owner):
            matched = tx.scalar(f"SELECT count(*) FROM ({match_sql}) m", params)
            if matched > BROAD_MATCH:
                # search as you type, the first letter: count from the index alone and show the newest
                # matches, which the index yields in order without reading the thousands of others
                ids = tx.column(f"SELECT c.id {base} ORDER BY m.contact_id DESC{page}", params)
                return Page(summaries(tx, ids), matched, limit, offset, estimate=True, order="newest")
        total = tx.scalar(f"SELECT count(*) {base}", params)
        if total > BROAD_MATCH:
            # a word so short it matches thousands: relevance means little, and ranking every match costs
            # more than walking the name index, so show them by name
            ids = tx.column(
                f"SELECT c.id FROM contacts c WHERE c.id IN (SELECT contact_id FROM ({match_sql}) m) "
                f"AND {cond} AND {mine} ORDER BY c.sort_name, c.id{page}",
                params,
            )
            return Page(summaries(tx, ids), total, limit, offset, order="name")
        ids = tx.column(f"SELECT c.id {base} ORDER BY m.score, c.sort_name, c.id{page}", params)
        return Page(summaries(tx, ids), total, limit, offset, order="relevance")


def resolve(db: Database, ref: str) -> int:
    """A contact id from a reference: an id, an exact email address, or a name (or a fragment of one).

    An exact name wins over fragments; several matches raise :class:`Ambiguous` with the candidates.
    """
    with db.read() as tx:
        return resolve_in(tx, ref)


def resolve_in(tx: Tx, ref: str) -> int:
    ref = (ref or "").strip()
    if not ref:
        raise InvalidInput("a contact reference is empty; give an id, an email address or a name")
    v.line(ref, "contact reference")
    if re.fullmatch(r"#?\d+", ref):
        cid = int(ref.lstrip("#"))
        if cid > MAX_ID or tx.scalar("SELECT id FROM contacts WHERE id = :i", {"i": cid}) is None:
            raise NotFound(f"no contact with id {cid}; find one with: crm search NAME")
        return cid
    if "@" in ref:
        ids = tx.column(
            "SELECT DISTINCT contact_id FROM contact_emails WHERE value_key = :k ORDER BY contact_id",
            {"k": ref.casefold()},
        )
        what = "email"
    else:
        key = sort_key(ref)
        ids = tx.column("SELECT id FROM contacts WHERE sort_name = :k ORDER BY archived, id", {"k": key})
        what = "name"
        if not ids:
            like = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            ids = tx.column(
                "SELECT id FROM contacts WHERE sort_name LIKE :p ESCAPE '\\' ORDER BY archived, sort_name, id "
                "LIMIT 11",
                {"p": like},
            )
    if not ids:
        raise NotFound(f"no contact matches {what} {ref!r}; find one with: crm search {ref.split('@')[0]}")
    if len(ids) == 1:
        return ids[0]
    candidates = summaries(tx, ids[:10])
    more = " (showing 10)" if len(ids) > 10 else ""
    raise Ambiguous(
        f"{ref!r} matches {len(ids) if len(ids) <= 10 else 'more than 10'} contacts{more}; "
        "give an id or an email address",
        candidates,
    )


def refs(db: Database, ids: Sequence[int]) -> list[Ref]:
    with db.read() as tx:
        return [Ref(s.id, s.display_name) for s in summaries(tx, ids)]


# --- changing -------------------------------------------------------------------------------------------

EDITABLE = {
    *SCALARS,
    *LISTS,
    "fields",
    "set_fields",
    "unset_fields",
    "company",
    "add_emails",
    "remove_emails",
    "add_phones",
    "remove_phones",
    "owner",
}


def update(
    db: Database, contact_id: int, changes: dict[str, Any], *, expected_version: int | None = None
) -> ContactRead:
    """Change the given fields. ``expected_version`` (from the read the change is based on) guards against
    overwriting someone else's edit: a mismatch raises :class:`Conflict`."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a contact")
    with db.write() as tx:
        tx.lock_rows("contacts", [contact_id])  # PostgreSQL: other writers of this contact wait for us
        before = _read(tx, contact_id)
        check_version(tx, "contacts", "contact", contact_id, expected_version)
        wanted = dict(changes)
        # list edits become whole lists
        if "add_emails" in wanted or "remove_emails" in wanted:
            drop = {e.casefold() for e in wanted.pop("remove_emails", [])}
            missing = drop - {e.value.casefold() for e in before.emails}
            if missing:
                raise InvalidInput(
                    f"contact {contact_id} has no email {sorted(missing)[0]!r}", field="emails"
                )
            base = wanted.get("emails", before.emails)
            wanted["emails"] = [e for e in base if e.value.casefold() not in drop] + list(
                wanted.pop("add_emails", [])
            )
        if "add_phones" in wanted or "remove_phones" in wanted:
            drop = {fts.phone_digits(p) for p in wanted.pop("remove_phones", [])}
            missing = drop - {fts.phone_digits(p.value) for p in before.phones}
            if missing:
                raise InvalidInput(
                    f"contact {contact_id} has no phone {sorted(missing)[0]!r}", field="phones"
                )
            base = wanted.get("phones", before.phones)
            wanted["phones"] = [p for p in base if fts.phone_digits(p.value) not in drop] + [
                Labeled(p) if isinstance(p, str) else p for p in wanted.pop("add_phones", [])
            ]
        if "set_fields" in wanted or "unset_fields" in wanted:
            fields = dict(wanted.get("fields", before.fields))
            for k in wanted.pop("unset_fields", []):
                if k not in fields:
                    raise InvalidInput(f"contact {contact_id} has no field {k!r}", field="fields")
                fields.pop(k)
            fields.update(wanted.pop("set_fields", {}))
            wanted["fields"] = fields
        values = _clean(wanted)
        if "display_name" in values and values["display_name"] is None:
            raise InvalidInput("name must not be empty", field="name")
        if (
            values.get("display_name")
            and "given_name" not in values
            and "family_name" not in values
            and (before.given_name, before.family_name) == split_name(before.display_name)
        ):
            # given and family names that came from the display name follow it
            renamed: dict[str, Any] = {"display_name": values["display_name"]}
            _fill_names(renamed)
            values["given_name"], values["family_name"] = renamed["given_name"], renamed["family_name"]
        changed: dict[str, tuple[Any, Any]] = {}
        sets: dict[str, Any] = {}
        for key in SCALARS:
            if key in values and values[key] != getattr(before, key):
                changed[key] = (getattr(before, key), values[key])
                sets[key] = values[key]
        if "display_name" in sets:
            sets["sort_name"] = sort_key(sets["display_name"])
        if "company" in values:
            new_id = companies.find_or_create(tx, values["company"]) if values["company"] else None
            old_id = before.company.id if before.company else None
            if new_id != old_id:
                sets["company_id"] = new_id
                changed["company"] = (before.company.name if before.company else None, values["company"])
        if "owner" in values:
            owner_id = user_id(tx, values["owner"]) if values["owner"] else None
            if values["owner"] != before.owner:
                sets["owner_id"] = owner_id
                changed["owner"] = (before.owner, values["owner"])
        lists = {}
        for key in (*LISTS, "fields"):
            if key in values and values[key] != getattr(before, key):
                lists[key] = values[key]
                changed[key] = (getattr(before, key), values[key])
        if not changed:
            return before
        update_versioned(tx, "contacts", "contact", contact_id, before.version, sets)
        _write_lists(tx, contact_id, lists)
        if "tags" in lists:
            drop_unused_tags(tx)
        db.search.refresh(tx, [contact_id])
        audit(tx, "update", "contact", contact_id, changed)
        return _read(tx, contact_id)


def archive(db: Database, contact_id: int, *, archived: bool = True) -> ContactRead:
    """Archive (hide from lists and search) or, with ``archived=False``, bring back a contact."""
    with db.write() as tx:
        tx.lock_rows("contacts", [contact_id])
        before = _read(tx, contact_id)
        if before.archived == archived:
            return before
        update_versioned(tx, "contacts", "contact", contact_id, before.version, {"archived": archived})
        audit(
            tx,
            "archive" if archived else "unarchive",
            "contact",
            contact_id,
            {"archived": (not archived, archived)},
        )
        return _read(tx, contact_id)


def delete(db: Database, contact_id: int) -> ContactRead:
    """Delete a contact for good, with its emails, phones, tags and fields. Interactions with other people stay."""
    with db.write() as tx:
        tx.lock_rows("contacts", [contact_id])
        before = _read(tx, contact_id)
        orphans = tx.column(
            "SELECT interaction_id FROM interaction_contacts WHERE contact_id = :i AND interaction_id NOT IN "
            "(SELECT interaction_id FROM interaction_contacts WHERE contact_id <> :i)",
            {"i": contact_id},
        )
        tx.execute("DELETE FROM contacts WHERE id = :i", {"i": contact_id})
        if orphans:
            marks, params = placeholders("o", orphans)
            tx.execute(f"DELETE FROM interactions WHERE id IN ({marks})", params)
        db.search.refresh(tx, [contact_id])
        drop_unused_tags(tx)
        # what was deleted, field by field: the history keeps it
        gone = {
            k: (getattr(before, k), None)
            for k in (*SCALARS, *LISTS, "fields")
            if getattr(before, k) not in (None, [], {})
        }
        if before.company:
            gone["company"] = (before.company.name, None)
        audit(tx, "delete", "contact", contact_id, gone)
        return before


def tag(db: Database, contact_ids: Sequence[int], tags: Sequence[str]) -> list[ContactRead]:
    return _retag(db, contact_ids, tags, add=True)


def untag(db: Database, contact_ids: Sequence[int], tags: Sequence[str]) -> list[ContactRead]:
    return _retag(db, contact_ids, tags, add=False)


def _retag(db: Database, contact_ids: Sequence[int], tags: Sequence[str], *, add: bool) -> list[ContactRead]:
    names = list(dict.fromkeys(v.tag(t) for t in tags))
    if not names:
        raise InvalidInput("give at least one tag")
    out = []
    with db.write() as tx:
        tx.lock_rows("contacts", contact_ids)
        for cid in dict.fromkeys(contact_ids):
            before = _read(tx, cid)
            keys = {t.casefold() for t in before.tags}
            if add:
                new = before.tags + [t for t in names if t.casefold() not in keys]
            else:
                drop = {t.casefold() for t in names}
                new = [t for t in before.tags if t.casefold() not in drop]
            if new != before.tags:
                _write_lists(tx, cid, {"tags": new})
                update_versioned(tx, "contacts", "contact", cid, before.version, {})
                db.search.refresh(tx, [cid])
                audit(tx, "update", "contact", cid, {"tags": (before.tags, new)})
            out.append(_read(tx, cid))
        if not add:
            drop_unused_tags(tx)
    return out


def list_tags(db: Database) -> list[TagCount]:
    with db.read() as tx:
        rows = tx.all(
            "SELECT t.name, (SELECT count(*) FROM contact_tags ct JOIN contacts c ON c.id = ct.contact_id "
            "WHERE ct.tag_id = t.id AND NOT c.archived) AS contacts, "
            "(SELECT count(*) FROM company_tags ct WHERE ct.tag_id = t.id) AS companies "
            "FROM tags t ORDER BY t.name_key"
        )
    return [TagCount(r["name"], r["contacts"], r["companies"]) for r in rows]


def candidates_label(items: list[ContactSummary] | list[Ref]) -> list[str]:
    out = []
    for c in items:
        if isinstance(c, ContactSummary):
            extra = ", ".join(x for x in (c.email, c.company) if x)
            out.append(f"{c.id}\t{c.display_name}" + (f"\t{extra}" if extra else ""))
        else:
            out.append(f"{c.id}\t{c.name}")
    return out
