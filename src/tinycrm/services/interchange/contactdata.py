"""Everything about stored contacts, read in bulk for imports and exports (through the one contact loader,
:func:`tinycrm.services.people.contact_loader.load_many`), and the two lists only imports and exports write
(kept vCard properties and photos)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from tinycrm.formats.records import ContactData, Extra, Photo
from tinycrm.services.people.contact_loader import load_many
from tinycrm.store.database import Tx
from tinycrm.store.sql import column_batches

BATCH = 500
#: the kept vCard property naming a UID merged into a contact (see ``crm merge``)
MERGED_UID = "X-TINYCRM-MERGED-UID"


def load_contacts(tx: Tx, ids: Sequence[int]) -> list[ContactData]:
    """Everything about these contacts, in the order given: the one contact loader at its export detail."""
    return load_many(tx, ids, detail="export")


def write_extras(tx: Tx, items: Iterable[tuple[int, list[Extra]]]) -> None:
    tx.executemany(
        "INSERT INTO contact_extras (contact_id, position, name, params, value) VALUES (:c, :p, :n, :a, :v)",
        [
            {"c": cid, "p": i, "n": e.name, "a": e.params, "v": e.value}
            for cid, extras in items
            for i, e in enumerate(extras)
        ],
    )


def write_photos(tx: Tx, items: Iterable[tuple[int, Photo]]) -> None:
    tx.executemany(
        "INSERT INTO contact_photos (contact_id, media_type, data) VALUES (:c, :m, :d)",
        [{"c": cid, "m": p.media_type[:100], "d": p.data} for cid, p in items],
    )


def clean_extras(extras: list[Extra]) -> list[Extra]:
    """The kept properties a contact can store (a name of 1 to 200 characters)."""
    return [e for e in extras if 0 < len(e.name) <= 200]


def contact_ids(tx: Tx, *, tag: str | None = None) -> list[int]:
    """Every contact (archived ones too), by name; only those tagged ``tag`` when given."""
    if tag:
        return tx.column(
            "SELECT c.id FROM contacts c WHERE EXISTS (SELECT 1 FROM contact_tags ct "
            "JOIN tags t ON t.id = ct.tag_id "
            "WHERE ct.contact_id = c.id AND t.name_key = :tag) ORDER BY c.sort_name, c.id",
            {"tag": tag.strip().casefold()},
        )
    return tx.column("SELECT id FROM contacts ORDER BY sort_name, id")


def iter_contacts(tx: Tx, ids: Sequence[int]) -> Iterator[ContactData]:
    for start in range(0, len(ids), BATCH):
        yield from load_contacts(tx, ids[start : start + BATCH])


def found_ids(
    tx: Tx,
    query: str = "",
    *,
    tag: str | None = None,
    company: str | None = None,
    archived: bool | None = None,
    size: int = BATCH,
) -> Iterator[list[int]]:
    """The ids of the contacts a list or search with these options holds, by name, in batches of ``size`` read
    through one cursor: what an export of them writes. ``query``: words and filters of the query language, as
    ``crm search`` takes them (blank: every contact the other options keep). Bad input raises at once, before
    the first batch is asked for."""
    from tinycrm.domain import query as ql
    from tinycrm.domain import validation as v
    from tinycrm.services.people.contact_search import _filters
    from tinycrm.store import search as fts

    v.line(query, "search query")
    parsed = ql.parse(query or "")
    terms = fts.parse(parsed.text)
    cond, params = _filters(
        tx, tag=tag, company=company, archived=archived, owner=None, filters=parsed.filters
    )
    if terms:
        match_sql, mparams = tx.db.search.match(terms)
        cond = f"c.id IN (SELECT contact_id FROM ({match_sql}) m) AND {cond}"
        params = {**params, **mparams}
    return column_batches(
        tx, f"SELECT c.id FROM contacts c WHERE {cond} ORDER BY c.sort_name, c.id", params, size=size
    )


def contacts_of(tx: Tx, batches: Iterable[list[int]]) -> Iterator[ContactData]:
    """Everything about the contacts of each batch of ids, a batch at a time, in the order given."""
    for ids in batches:
        yield from load_contacts(tx, ids)


def stream_contacts(tx: Tx, *, tag: str | None = None) -> Iterator[ContactData]:
    """Every contact :func:`contact_ids` lists, in that order, read as it is written out: the ids through one
    cursor, everything about them a batch at a time (memory stays the same whatever the number of contacts)."""
    params = {"tag": tag.strip().casefold()} if tag else {}
    sql = (
        "SELECT c.id FROM contacts c WHERE EXISTS (SELECT 1 FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id "
        "WHERE ct.contact_id = c.id AND t.name_key = :tag) ORDER BY c.sort_name, c.id"
        if tag
        else "SELECT id FROM contacts ORDER BY sort_name, id"
    )
    for ids in column_batches(tx, sql, params, size=BATCH):
        yield from load_contacts(tx, ids)
