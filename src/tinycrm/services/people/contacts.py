"""Contacts: create, change, archive, delete, tag.

The service is in four parts: this module writes; :mod:`.contact_loader` reads (``load_many``, ``get``);
:mod:`.contact_search` finds (lists, search, references, tags); :mod:`.contact_values` validates and
normalises fields. Callers use the names gathered here: ``contacts.create``, ``contacts.get``,
``contacts.search``...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Conflict, InvalidInput
from tinycrm.domain.people import ContactInput, ContactRead, Labeled, Ref
from tinycrm.services.common import (
    Edit,
    Versioned,
    audit,
    audit_many,
    drop_unused_tags,
    edit,
    now,
    sort_key,
    tag_ids,
    update_versioned,
    user_id,
)
from tinycrm.services.hooks import outbox
from tinycrm.services.people import companies
from tinycrm.services.people.contact_loader import get, load_many, read_in, reindex
from tinycrm.services.people.contact_search import (
    candidates_label,
    list_contacts,
    list_tags,
    refs,
    resolve,
    resolve_in,
    search,
)
from tinycrm.services.people.contact_values import (
    LISTS,
    SCALARS,
    Prepared,
    clean,
    fill_names,
    normalized,
    prepare,
    split_name,
)
from tinycrm.store import search as fts
from tinycrm.store.database import Database, Tx
from tinycrm.store.sql import placeholders

__all__ = [
    "Prepared",
    "archive",
    "candidates_label",
    "create",
    "delete",
    "get",
    "insert",
    "insert_many",
    "list_contacts",
    "list_tags",
    "load_many",
    "normalized",
    "prepare",
    "read_in",
    "refs",
    "resolve",
    "resolve_in",
    "search",
    "split_name",
    "tag",
    "untag",
    "update",
]


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
    named = [p.values["company"] for p in items if p.values.get("company") and p.company_id is None]
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
                    company_of[sort_key(p.values["company"])]
                    if p.values.get("company") and p.company_id is None
                    else p.company_id
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
        reindex(tx, ids)
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


def create(
    db: Database, data: ContactInput, *, on_new_company: Callable[[Ref], None] | None = None
) -> ContactRead:
    """Add a contact. Its ``company`` is a reference to a company (see ``companies.resolve_ref``); a new name
    adds the company, and ``on_new_company`` is told."""
    with db.write() as tx:
        return _create_in(tx, data, on_new_company)


def create_many(
    db: Database, items: Sequence[ContactInput], *, on_new_company: Callable[[Ref], None] | None = None
) -> list[ContactRead]:
    """Add several contacts in one transaction, as :func:`create` adds one: one bad item adds none (its
    position is in the message)."""
    if len(items) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} contacts at once (got {len(items)}); import a file instead")
    with db.write() as tx:
        out = []
        for n, data in enumerate(items, 1):
            try:
                out.append(_create_in(tx, data, on_new_company))
            except InvalidInput as exc:
                raise InvalidInput(
                    f"contact {n} of {len(items)}: {exc.message}", field=exc.field, hint=exc.hint
                ) from None
        return out


#: how many contacts ``create_many`` takes at once (more is an import: ``crm import``)
MAX_BATCH = 1000


def _create_in(tx: Tx, data: ContactInput, on_new_company: Callable[[Ref], None] | None) -> ContactRead:
    if data.company is not None and data.company.strip():
        ref = v.line(data.company, "company", max_len=300)
        company = companies.resolve_ref(tx, ref, create=True, on_create=on_new_company)
        data = replace(data, company=company.name, company_id=company.id)
    created = read_in(tx, insert(tx, data))
    outbox.emit(tx, "contact.created", "contact", created.id, created)
    return created


# --- changing -------------------------------------------------------------------------------------------


def _expand_emails(before: ContactRead, wanted: dict[str, Any]) -> None:
    drop = {e.casefold() for e in wanted.pop("remove_emails", [])}
    missing = drop - {e.value.casefold() for e in before.emails}
    if missing:
        raise InvalidInput(f"contact {before.id} has no email {sorted(missing)[0]!r}", field="emails")
    base = wanted.get("emails", before.emails)
    wanted["emails"] = [e for e in base if e.value.casefold() not in drop] + list(
        wanted.pop("add_emails", [])
    )


def _expand_phones(before: ContactRead, wanted: dict[str, Any]) -> None:
    drop = {fts.phone_digits(p) for p in wanted.pop("remove_phones", [])}
    missing = drop - {fts.phone_digits(p.value) for p in before.phones}
    if missing:
        raise InvalidInput(f"contact {before.id} has no phone {sorted(missing)[0]!r}", field="phones")
    base = wanted.get("phones", before.phones)
    wanted["phones"] = [p for p in base if fts.phone_digits(p.value) not in drop] + [
        Labeled(p) if isinstance(p, str) else p for p in wanted.pop("add_phones", [])
    ]


def _expand_fields(before: ContactRead, wanted: dict[str, Any]) -> None:
    fields = dict(wanted.get("fields", before.fields))
    for k in wanted.pop("unset_fields", []):
        if k not in fields:
            raise InvalidInput(f"contact {before.id} has no field {k!r}", field="fields")
        fields.pop(k)
    fields.update(wanted.pop("set_fields", {}))
    wanted["fields"] = fields


#: edits of a list (add or remove some items) made into the whole new list, by the keys they take
EXPANSIONS: tuple[tuple[tuple[str, ...], Callable[[ContactRead, dict[str, Any]], None]], ...] = (
    (("add_emails", "remove_emails"), _expand_emails),
    (("add_phones", "remove_phones"), _expand_phones),
    (("set_fields", "unset_fields"), _expand_fields),
)


def _scalar(e: Edit[ContactRead], key: str, new: Any) -> None:
    e.put(key, getattr(e.before, key), new)
    if key == "display_name" and "display_name" in e.sets:
        e.sets["sort_name"] = sort_key(new)


def _company(
    e: Edit[ContactRead], key: str, ref: str | None, on_new: Callable[[Ref], None] | None = None
) -> None:
    old = e.before.company
    if old is not None and ref == old.name:
        return  # its own company's name, as a form shows it: no change, whatever else the name might match
    company = companies.resolve_ref(e.tx, ref, create=True, on_create=on_new) if ref else None
    if (company.id if company else None) != (old.id if old else None):
        e.sets["company_id"] = company.id if company else None
        e.changed["company"] = (old.name if old else None, company.name if company else None)


def _owner(e: Edit[ContactRead], key: str, name: str | None) -> None:
    owner_id = user_id(e.tx, name) if name else None
    if name != e.before.owner:
        e.sets["owner_id"] = owner_id
        e.changed["owner"] = (e.before.owner, name)


def _list(e: Edit[ContactRead], key: str, items: Any) -> None:
    old = getattr(e.before, key)
    if items != old:
        e.changed[key] = (old, items)
        e.then.append(lambda: _write_lists(e.tx, e.before.id, {key: items}))
        if key == "tags":
            e.then.append(lambda: drop_unused_tags(e.tx))


#: how a change to each field is made, in the order they are made (and audited)
HANDLERS: dict[str, Callable[[Edit[ContactRead], str, Any], None]] = {
    **{key: _scalar for key in SCALARS},
    "company": _company,
    "owner": _owner,
    **{key: _list for key in (*LISTS, "fields")},
}
EDITABLE = {*HANDLERS, *(key for keys, _ in EXPANSIONS for key in keys)}


def _wanted(before: ContactRead, changes: dict[str, Any]) -> dict[str, Any]:
    """The fields ``changes`` asks for, whole, validated and normalised; given and family names that came
    from the display name follow a new one."""
    wanted = dict(changes)
    for keys, expand in EXPANSIONS:
        if any(k in wanted for k in keys):
            expand(before, wanted)
    values = clean(wanted)
    if "display_name" in values and values["display_name"] is None:
        raise InvalidInput("name must not be empty", field="name")
    if (
        values.get("display_name")
        and "given_name" not in values
        and "family_name" not in values
        and (before.given_name, before.family_name) == split_name(before.display_name)
    ):
        renamed: dict[str, Any] = {"display_name": values["display_name"]}
        fill_names(renamed)
        values["given_name"], values["family_name"] = renamed["given_name"], renamed["family_name"]
    return values


CONTACT = Versioned("contacts", "contact", read_in)


def update(
    db: Database,
    contact_id: int,
    changes: dict[str, Any],
    *,
    expected_version: int | None = None,
    on_new_company: Callable[[Ref], None] | None = None,
) -> ContactRead:
    """Change the given fields (:data:`EDITABLE`). ``company`` is a reference (see
    ``companies.resolve_ref``); a new name adds the company, and ``on_new_company`` is told.
    ``expected_version`` (from the read the change is based on) guards against overwriting someone else's
    edit: a mismatch raises :class:`Conflict`."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a contact")
    handlers: dict[str, Callable[..., None]] = {
        **HANDLERS,
        "company": partial(_company, on_new=on_new_company),
    }

    def apply(e: Edit[ContactRead]) -> None:
        values = _wanted(e.before, changes)
        for key, handler in handlers.items():
            if key in values:
                handler(e, key, values[key])
        e.then.append(lambda: reindex(e.tx, [contact_id]))
        e.then.append(
            lambda: outbox.emit(e.tx, "contact.updated", "contact", contact_id, read_in(e.tx, contact_id))
        )

    return edit(db, CONTACT, contact_id, apply, expected_version=expected_version)


def archive(db: Database, contact_id: int, *, archived: bool = True) -> ContactRead:
    """Archive (hide from lists and search) or, with ``archived=False``, bring back a contact."""

    def apply(e: Edit[ContactRead]) -> None:
        e.put("archived", e.before.archived, archived)
        if e.before.archived != archived:
            e.then.append(
                lambda: outbox.emit(e.tx, "contact.updated", "contact", contact_id, read_in(e.tx, contact_id))
            )

    return edit(db, CONTACT, contact_id, apply, action="archive" if archived else "unarchive")


def delete(db: Database, contact_id: int) -> ContactRead:
    """Delete a contact for good, with its emails, phones, tags and fields. Interactions with other people stay."""
    with db.write() as tx:
        tx.lock_rows("contacts", [contact_id])
        before = read_in(tx, contact_id)
        orphans = tx.column(
            "SELECT interaction_id FROM interaction_contacts WHERE contact_id = :i AND interaction_id NOT IN "
            "(SELECT interaction_id FROM interaction_contacts WHERE contact_id <> :i)",
            {"i": contact_id},
        )
        tx.execute("DELETE FROM contacts WHERE id = :i", {"i": contact_id})
        if orphans:
            marks, params = placeholders("o", orphans)
            tx.execute(f"DELETE FROM interactions WHERE id IN ({marks})", params)
        reindex(tx, [contact_id])
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
        outbox.emit(tx, "contact.deleted", "contact", contact_id, before)
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
            before = read_in(tx, cid)
            keys = {t.casefold() for t in before.tags}
            if add:
                new = before.tags + [t for t in names if t.casefold() not in keys]
            else:
                drop = {t.casefold() for t in names}
                new = [t for t in before.tags if t.casefold() not in drop]
            if new != before.tags:
                _write_lists(tx, cid, {"tags": new})
                update_versioned(tx, "contacts", "contact", cid, before.version, {})
                reindex(tx, [cid])
                audit(tx, "update", "contact", cid, {"tags": (before.tags, new)})
                out.append(read_in(tx, cid))
                outbox.emit(tx, "contact.updated", "contact", cid, out[-1])
            else:
                out.append(before)
        if not add:
            drop_unused_tags(tx)
    return out
