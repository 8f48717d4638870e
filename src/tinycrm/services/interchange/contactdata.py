"""Everything about stored contacts, read in bulk for imports and exports, and the two lists only
imports and exports write (kept vCard properties and photos).

:func:`load_contacts` reads a fixed number of queries per :data:`BATCH` contacts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from tinycrm.domain.people import Address, Labeled
from tinycrm.formats.records import ContactData, Extra, Photo
from tinycrm.services.common import tags_of
from tinycrm.store.database import Tx, as_datetime
from tinycrm.store.sql import placeholders

BATCH = 500
#: the kept vCard property naming a UID merged into a contact (see ``crm merge``)
MERGED_UID = "X-TINYCRM-MERGED-UID"


def load_contacts(tx: Tx, ids: Sequence[int]) -> list[ContactData]:
    """Everything about these contacts, in the order given: a fixed number of queries per 500 contacts."""
    out: list[ContactData] = []
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
        out.extend(_load_chunk(tx, chunk))
    return out


def _load_chunk(tx: Tx, chunk: list[int]) -> list[ContactData]:
    marks, p = placeholders("i", chunk)
    rows = {
        r["id"]: r
        for r in tx.all(
            "SELECT c.id, c.uid, c.display_name, c.given_name, c.family_name, c.job_title, "
            "c.company_role, c.birthday, c.notes, c.cadence_days, c.archived, c.updated_at, c.version, "
            "co.name AS company "
            f"FROM contacts c LEFT JOIN companies co ON co.id = c.company_id WHERE c.id IN ({marks})",
            p,
        )
    }
    emails = _labeled(tx, "contact_emails", chunk, marks, p)
    phones = _labeled(tx, "contact_phones", chunk, marks, p)
    addresses = _addresses(tx, chunk, marks, p)
    fields: dict[int, dict[str, str]] = {i: {} for i in chunk}
    for r in tx.all(
        f"SELECT contact_id, key, value FROM contact_fields WHERE contact_id IN ({marks}) "
        "ORDER BY contact_id, key",
        p,
    ):
        fields[r["contact_id"]][r["key"]] = r["value"]
    extras: dict[int, list[Extra]] = {i: [] for i in chunk}
    for r in tx.all(
        f"SELECT contact_id, name, params, value FROM contact_extras WHERE contact_id IN ({marks}) "
        "ORDER BY contact_id, position, id",
        p,
    ):
        extras[r["contact_id"]].append(Extra(r["name"], r["params"], r["value"]))
    photos: dict[int, Photo] = {
        r["contact_id"]: Photo(r["media_type"], bytes(r["data"]))
        for r in tx.all(
            f"SELECT contact_id, media_type, data FROM contact_photos WHERE contact_id IN ({marks})", p
        )
    }
    tags = tags_of(tx, "contact_tags", "contact_id", chunk)
    return [
        ContactData(
            uid=row["uid"],
            display_name=row["display_name"],
            given_name=row["given_name"],
            family_name=row["family_name"],
            job_title=row["job_title"],
            company=row["company"],
            company_role=row["company_role"],
            birthday=row["birthday"],
            notes=row["notes"],
            cadence_days=row["cadence_days"],
            archived=bool(row["archived"]),
            emails=emails[i],
            phones=phones[i],
            addresses=addresses[i],
            tags=tags.get(i, []),
            fields=fields[i],
            extras=extras[i],
            photo=photos.get(i),
            updated_at=as_datetime(row["updated_at"]),
            id=i,
            version=row["version"],
        )
        for i in chunk
        if (row := rows.get(i)) is not None
    ]


def _labeled(tx: Tx, table: str, chunk: list[int], marks: str, p: dict) -> dict[int, list[Labeled]]:
    out: dict[int, list[Labeled]] = {i: [] for i in chunk}
    for r in tx.all(
        f"SELECT contact_id, value, label FROM {table} WHERE contact_id IN ({marks}) "
        "ORDER BY contact_id, position, id",
        p,
    ):
        out[r["contact_id"]].append(Labeled(r["value"], r["label"]))
    return out


def _addresses(tx: Tx, chunk: list[int], marks: str, p: dict) -> dict[int, list[Address]]:
    out: dict[int, list[Address]] = {i: [] for i in chunk}
    for r in tx.all(
        "SELECT contact_id, label, po_box, extended, street, locality, region, postcode, country "
        f"FROM contact_addresses WHERE contact_id IN ({marks}) ORDER BY contact_id, position, id",
        p,
    ):
        out[r["contact_id"]].append(
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
        )
    return out


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
