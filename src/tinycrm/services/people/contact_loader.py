"""Reading stored contacts: one loader for every reader.

:func:`load_many` reads any number of contacts in the order given, with a fixed number of queries per
:data:`CHUNK` contacts (never one per contact), at the detail its reader needs:

``summary``
    :class:`ContactSummary`, a row of a list or a search result: name, company, job title, the first email
    and phone, tags.
``full``
    :class:`ContactRead`, what ``crm contact show`` and the app show: every field and list, the company as a
    reference, the owner, when it was created and changed, its last interaction.
``export``
    :class:`ContactData`, what a file carries: every field and list, the company by name, the vCard
    properties kept verbatim and the photo (exports, duplicates and merges).
``index``
    :class:`ContactData` with only what the search index reads: names, company, job title and role, emails,
    phones, notes, custom fields and tags (see :func:`index_documents`).

Contacts that do not exist are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.rows import ContactSummary, Labeled, Ref
from tinycrm.services.common import tags_of
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import placeholders

if TYPE_CHECKING:
    from tinycrm.domain.people import Address, ContactRead
    from tinycrm.formats.records import ContactData

Detail = Literal["summary", "full", "export", "index"]

#: contacts per round of queries (``IN`` lists stay well below every store's parameter limit)
CHUNK = 500

_ROW = (
    "SELECT c.*, co.name AS company_name, u.name AS owner_name{last} FROM contacts c "
    "LEFT JOIN companies co ON co.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id "
    "WHERE c.id IN ({marks})"
)
_LAST_AT = (
    ", (SELECT max(i.happened_at) FROM interaction_contacts ic JOIN interactions i ON i.id = ic.interaction_id"
    " WHERE ic.contact_id = c.id) AS last_at"
)
#: a summary's row, with its first email address and phone number (a few index lookups each, rather than two
#: more statements reading every address and number of the page's contacts)
_SUMMARY_ROW = (
    "SELECT c.id, c.display_name, c.job_title, c.archived, co.name AS company_name, "
    "(SELECT e.value FROM contact_emails e WHERE e.contact_id = c.id ORDER BY e.position, e.id LIMIT 1) "
    "AS first_email, "
    "(SELECT p.value FROM contact_phones p WHERE p.contact_id = c.id ORDER BY p.position, p.id LIMIT 1) "
    "AS first_phone "
    "FROM contacts c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id IN ({marks})"
)

#: what each detail reads besides the contact's own row
PARTS: dict[str, tuple[str, ...]] = {
    "summary": ("tags",),
    "full": ("emails", "phones", "addresses", "fields", "tags", "last_at"),
    "export": ("emails", "phones", "addresses", "fields", "tags", "extras", "photo"),
    "index": ("emails", "phones", "fields", "tags"),
}


@overload
def load_many(tx: Tx, ids: Sequence[int], *, detail: Literal["summary"]) -> list[ContactSummary]: ...
@overload
def load_many(tx: Tx, ids: Sequence[int], *, detail: Literal["full"] = ...) -> list[ContactRead]: ...
@overload
def load_many(tx: Tx, ids: Sequence[int], *, detail: Literal["export", "index"]) -> list[ContactData]: ...
def load_many(tx: Tx, ids: Sequence[int], *, detail: Detail = "full") -> list[Any]:
    """These contacts, in the order given, at ``detail`` (see the module's description)."""
    if detail not in PARTS:
        raise InvalidInput(f"unknown contact detail {detail!r}; use one of: {', '.join(PARTS)}")
    build = {"summary": _summary, "full": _read, "export": _data, "index": _data}[detail]
    out: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        rows, parts = _load(tx, list(dict.fromkeys(chunk)), detail)
        out.extend(build(rows[i], parts, i) for i in chunk if i in rows)
    return out


def _load(tx: Tx, ids: list[int], detail: str) -> tuple[dict[int, Any], dict[str, dict[int, Any]]]:
    """The rows of these contacts by id, and each part their detail reads, by part and then by contact."""
    if not ids:
        return {}, {}
    marks, params = placeholders("i", ids)
    if detail == "summary":
        sql = _SUMMARY_ROW.format(marks=marks)
    else:
        sql = _ROW.format(marks=marks, last=_LAST_AT if "last_at" in PARTS[detail] else "")
    rows = {r["id"]: r for r in tx.all(sql, params)}
    parts = {part: _READERS[part](tx, marks, params, ids) for part in PARTS[detail] if part in _READERS}
    return rows, parts


def _grouped(rows: Iterable[Any], ids: Sequence[int], make: Any) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {i: [] for i in ids}
    for r in rows:
        out[r["contact_id"]].append(make(r))
    return out


def _emails(tx: Tx, marks: str, params: dict[str, Any], ids: Sequence[int]) -> dict[int, list[Labeled]]:
    rows = tx.all(
        f"SELECT contact_id, value, label FROM contact_emails WHERE contact_id IN ({marks}) "
        "ORDER BY contact_id, position, id",
        params,
    )
    return _grouped(rows, ids, lambda r: Labeled(r["value"], r["label"]))


def _phones(tx: Tx, marks: str, params: dict[str, Any], ids: Sequence[int]) -> dict[int, list[Labeled]]:
    rows = tx.all(
        f"SELECT contact_id, value, label FROM contact_phones WHERE contact_id IN ({marks}) "
        "ORDER BY contact_id, position, id",
        params,
    )
    return _grouped(rows, ids, lambda r: Labeled(r["value"], r["label"]))


def _addresses(tx: Tx, marks: str, params: dict[str, Any], ids: Sequence[int]) -> dict[int, list[Address]]:
    from tinycrm.domain.people import Address  # here: a list or a search (summaries) never builds one

    rows = tx.all(
        "SELECT contact_id, label, po_box, extended, street, locality, region, postcode, country "
        f"FROM contact_addresses WHERE contact_id IN ({marks}) ORDER BY contact_id, position, id",
        params,
    )
    return _grouped(
        rows,
        ids,
        lambda r: Address(
            label=r["label"],
            street=r["street"],
            locality=r["locality"],
            region=r["region"],
            postcode=r["postcode"],
            country=r["country"],
            po_box=r["po_box"],
            extended=r["extended"],
        ),
    )


def _fields(tx: Tx, marks: str, params: dict[str, Any], ids: Sequence[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {i: {} for i in ids}
    for r in tx.all(
        f"SELECT contact_id, key, value FROM contact_fields WHERE contact_id IN ({marks}) "
        "ORDER BY contact_id, key",
        params,
    ):
        out[r["contact_id"]][r["key"]] = r["value"]
    return out


def _tags(tx: Tx, marks: str, params: dict[str, Any], ids: Sequence[int]) -> dict[int, list[str]]:
    return tags_of(tx, "contact_tags", "contact_id", list(ids))


def _extras(tx: Tx, marks: str, params: dict[str, Any], ids: Sequence[int]) -> dict[int, list[Any]]:
    from tinycrm.formats.records import Extra

    rows = tx.all(
        f"SELECT contact_id, name, params, value FROM contact_extras WHERE contact_id IN ({marks}) "
        "ORDER BY contact_id, position, id",
        params,
    )
    return _grouped(rows, ids, lambda r: Extra(r["name"], r["params"], r["value"]))


def _photos(tx: Tx, marks: str, params: dict[str, Any], ids: Sequence[int]) -> dict[int, Any]:
    from tinycrm.formats.records import Photo

    return {
        r["contact_id"]: Photo(r["media_type"], bytes(r["data"]))
        for r in tx.all(
            f"SELECT contact_id, media_type, data FROM contact_photos WHERE contact_id IN ({marks})", params
        )
    }


_READERS: dict[str, Callable[..., dict[int, Any]]] = {
    "emails": _emails,
    "phones": _phones,
    "addresses": _addresses,
    "fields": _fields,
    "tags": _tags,
    "extras": _extras,
    "photo": _photos,
}


def _summary(row: Any, parts: dict[str, dict[int, Any]], i: int) -> ContactSummary:
    return ContactSummary(
        id=i,
        display_name=row["display_name"],
        company=row["company_name"],
        email=row["first_email"],
        phone=row["first_phone"],
        tags=parts["tags"].get(i, []),
        archived=bool(row["archived"]),
        job_title=row["job_title"],
    )


def _read(row: Any, parts: dict[str, dict[int, Any]], i: int) -> ContactRead:
    from tinycrm.domain.people import ContactRead

    return ContactRead(
        id=i,
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
        emails=parts["emails"][i],
        phones=parts["phones"][i],
        addresses=parts["addresses"][i],
        tags=parts["tags"].get(i, []),
        fields=parts["fields"][i],
        owner=row["owner_name"],
        created_at=as_datetime(row["created_at"]),
        updated_at=as_datetime(row["updated_at"]),
        version=row["version"],
        last_interaction_at=as_datetime(row["last_at"]),
    )


def _data(row: Any, parts: dict[str, dict[int, Any]], i: int) -> ContactData:
    from tinycrm.formats.records import ContactData

    return ContactData(
        uid=row["uid"],
        display_name=row["display_name"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        job_title=row["job_title"],
        company=row["company_name"],
        company_role=row["company_role"],
        birthday=row["birthday"],
        notes=row["notes"],
        cadence_days=row["cadence_days"],
        archived=bool(row["archived"]),
        emails=parts["emails"][i],
        phones=parts["phones"][i],
        addresses=parts["addresses"][i] if "addresses" in parts else [],
        tags=parts["tags"].get(i, []),
        fields=parts["fields"][i],
        extras=parts["extras"][i] if "extras" in parts else [],
        photo=parts["photo"].get(i) if "photo" in parts else None,
        updated_at=as_datetime(row["updated_at"]),
        id=i,
        version=row["version"],
    )


# --- one contact ----------------------------------------------------------------------------------------


def read_in(tx: Tx, contact_id: int) -> ContactRead:
    """Everything about one contact (``full``); :class:`NotFound` when there is none."""
    found = load_many(tx, [contact_id], detail="full")
    if not found:
        raise NotFound(f"no contact with id {contact_id}", hint="find one with: crm search NAME")
    return found[0]


def get(db: Database, contact_id: int) -> ContactRead:
    with db.read() as tx:
        return read_in(tx, contact_id)


# --- the search index -----------------------------------------------------------------------------------


def index_documents(tx: Tx, ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """The normalised text of each contact by search field (``name``, ``email``, ``phone``, ``company``,
    ``notes``, ``tags``), as the search index stores it, from the ``index`` detail."""
    from tinycrm.store.search import FIELDS, normalize, phone_tokens

    docs: dict[int, dict[str, str]] = {}
    for c in load_many(tx, ids, detail="index"):
        texts: dict[str, Sequence[str | None]] = {
            "name": [c.display_name, c.given_name, c.family_name],
            "email": [e.value for e in c.emails],
            "company": [c.company, c.job_title, c.company_role],
            "notes": [c.notes, *c.fields.values()],
            "tags": c.tags,
        }
        doc = {f: " ".join(normalize(t) for t in texts.get(f, []) if t) for f in FIELDS}
        doc["phone"] = " ".join(tok for p in c.phones if p.value for tok in phone_tokens(p.value))
        assert c.id is not None
        docs[c.id] = doc
    return docs


def reindex(tx: Tx, contact_ids: Iterable[int]) -> None:
    """Rewrite the search index rows of these contacts inside ``tx`` (a deleted contact loses its row)."""
    ids = sorted(set(contact_ids))
    tx.db.search.write(tx, ids, index_documents(tx, ids))


def reindex_all(tx: Tx) -> int:
    """Rebuild the whole search index inside ``tx``; give the number of contacts indexed."""
    tx.db.search.clear(tx)
    ids = tx.column("SELECT id FROM contacts ORDER BY id")
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        tx.db.search.write(tx, chunk, index_documents(tx, chunk))
    return len(ids)
