"""Contacts in and out of files: vCard and CSV imports and exports.

Imports stream: records are read one at a time (:mod:`tinycrm.formats.vcard`, :mod:`tinycrm.formats.csvio`)
and stored in batches of :data:`BATCH`, each batch one transaction. A record that cannot be read or stored is
reported (file, record number, reason) and skipped inside its batch (a savepoint), the others go on. New
contacts are validated one by one, then stored together (``contacts.insert_many``: a few statements per
batch, not a dozen per contact); should the database refuse that, they are stored one at a time to find
the records at fault.

Imports are idempotent: a record whose UID is known updates that contact (or leaves it unchanged); a record
without a UID is matched by email address, then by exact name, and is given a UID when it is new. What a
record carries replaces what is stored, except tinycrm's own data (custom fields are merged; cadence and the
archive flag are left alone) unless the record was written by tinycrm itself (see docs/formats.md).

Exports never replace a file without ``force`` and write through a temporary file renamed into place, so a
reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO

from tinycrm.domain.errors import CrmError, InvalidInput, Refused, StoreUnavailable
from tinycrm.domain.people import Address, Labeled
from tinycrm.formats.records import ContactData, ContactRecord, Extra, Parsed, Photo
from tinycrm.services.common import audit, drop_unused_tags, sort_key, tags_of
from tinycrm.store.database import Database, Tx, as_datetime
from tinycrm.store.sql import placeholders

BATCH = 500
MERGED_UID = "X-TINYCRM-MERGED-UID"


# --- reports --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    message: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"failed {self.failed}"
        )


@dataclass
class ExportReport:
    written: int
    target: str
    #: vdir exports: files left as they were because nothing changed
    unchanged: int = 0


# --- sources --------------------------------------------------------------------------------------------


@dataclass
class Source:
    """A file (or standard input) to import."""

    name: str
    path: Path | None = None
    stream: BinaryIO | None = None
    size: int | None = None

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.stream is not None:
            yield self.stream
            return
        assert self.path is not None
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InvalidInput(f"cannot read {self.path}: {exc.strerror}") from None
        with fh:
            yield fh


def sources(paths: Sequence[str], stdin: BinaryIO | None, *, suffixes: tuple[str, ...]) -> list[Source]:
    """Files to import: ``-`` is standard input, a folder means every file in it ending in ``suffixes``."""
    out: list[Source] = []
    if not paths:
        raise InvalidInput("give a file, a folder or - (standard input) to import")
    for raw in paths:
        if raw == "-":
            if stdin is None:
                raise InvalidInput("standard input is not available")
            out.append(Source("<stdin>", stream=stdin))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(suffixes))
            if not files:
                raise InvalidInput(f"{raw} holds no {' or '.join(suffixes)} files")
            out.extend(Source(str(p), path=p, size=p.stat().st_size) for p in files)
        elif path.is_file():
            out.append(Source(raw, path=path, size=path.stat().st_size))
        else:
            raise InvalidInput(f"{raw}: no such file or folder")
    return out


# --- reading stored contacts in bulk --------------------------------------------------------------------


def load_contacts(tx: Tx, ids: Sequence[int]) -> list[ContactData]:
    """Everything about these contacts, in the order given: a fixed number of queries per 500 contacts."""
    out: list[ContactData] = []
    for start in range(0, len(ids), BATCH):
        chunk = list(ids[start : start + BATCH])
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
        emails: dict[int, list[Labeled]] = {i: [] for i in chunk}
        for r in tx.all(
            f"SELECT contact_id, value, label FROM contact_emails WHERE contact_id IN ({marks}) "
            "ORDER BY contact_id, position, id",
            p,
        ):
            emails[r["contact_id"]].append(Labeled(r["value"], r["label"]))
        phones: dict[int, list[Labeled]] = {i: [] for i in chunk}
        for r in tx.all(
            f"SELECT contact_id, value, label FROM contact_phones WHERE contact_id IN ({marks}) "
            "ORDER BY contact_id, position, id",
            p,
        ):
            phones[r["contact_id"]].append(Labeled(r["value"], r["label"]))
        addresses: dict[int, list[Address]] = {i: [] for i in chunk}
        for r in tx.all(
            "SELECT contact_id, label, po_box, extended, street, locality, region, postcode, country "
            f"FROM contact_addresses WHERE contact_id IN ({marks}) ORDER BY contact_id, position, id",
            p,
        ):
            addresses[r["contact_id"]].append(
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
        for i in chunk:
            r = rows.get(i)
            if r is None:
                continue
            out.append(
                ContactData(
                    uid=r["uid"],
                    display_name=r["display_name"],
                    given_name=r["given_name"],
                    family_name=r["family_name"],
                    job_title=r["job_title"],
                    company=r["company"],
                    company_role=r["company_role"],
                    birthday=r["birthday"],
                    notes=r["notes"],
                    cadence_days=r["cadence_days"],
                    archived=bool(r["archived"]),
                    emails=emails[i],
                    phones=phones[i],
                    addresses=addresses[i],
                    tags=tags.get(i, []),
                    fields=fields[i],
                    extras=extras[i],
                    photo=photos.get(i),
                    updated_at=as_datetime(r["updated_at"]),
                    id=i,
                    version=r["version"],
                )
            )
    return out


def _write_extras(tx: Tx, items: Iterable[tuple[int, list[Extra]]]) -> None:
    tx.executemany(
        "INSERT INTO contact_extras (contact_id, position, name, params, value) VALUES (:c, :p, :n, :a, :v)",
        [
            {"c": cid, "p": i, "n": e.name, "a": e.params, "v": e.value}
            for cid, extras in items
            for i, e in enumerate(extras)
        ],
    )


def _write_photos(tx: Tx, items: Iterable[tuple[int, Photo]]) -> None:
    tx.executemany(
        "INSERT INTO contact_photos (contact_id, media_type, data) VALUES (:c, :m, :d)",
        [{"c": cid, "m": p.media_type[:100], "d": p.data} for cid, p in items],
    )


# --- importing ------------------------------------------------------------------------------------------


class _Seen:
    """Contacts this import has stored so far (so that later records find them without a query), and which
    contacts records have been matched to already: two different records without a UID never both land on
    the same contact, so an import run twice gives the same result."""

    def __init__(self) -> None:
        self.uid: dict[str, int] = {}
        self.email: dict[str, list[int]] = {}
        self.name: dict[str, list[int]] = {}
        self.used: set[int] = set()

    def remember(self, record: ContactRecord, cid: int) -> None:
        c = record.contact
        self.used.add(cid)
        if c.uid:
            self.uid[c.uid] = cid
        for e in c.emails:
            self.email.setdefault(e.value.casefold(), []).append(cid)
        if c.display_name:
            self.name.setdefault(" ".join(c.display_name.split()), []).append(cid)


def _clean_extras(extras: list[Extra]) -> list[Extra]:
    return [e for e in extras if 0 < len(e.name) <= 200]


class _Lookup:
    """The stored contacts the records of a batch may be about: by UID (or a UID merged away), by email
    address and by exact name."""

    def __init__(self, tx: Tx, items: list[Parsed], seen: _Seen) -> None:
        self.seen = seen
        uids = sorted({i.record.contact.uid for i in items if i.record.contact.uid} - set(seen.uid))
        self.by_uid: dict[str, int] = {}
        for start in range(0, len(uids), BATCH):
            marks, p = placeholders("u", uids[start : start + BATCH])
            for r in tx.all(
                f"SELECT contact_id, value FROM contact_extras WHERE name = '{MERGED_UID}' "
                f"AND value IN ({marks})",
                p,
            ):
                self.by_uid.setdefault(r["value"], r["contact_id"])
            for r in tx.all(f"SELECT id, uid FROM contacts WHERE uid IN ({marks})", p):
                self.by_uid[r["uid"]] = r["id"]
        no_uid = [i.record.contact for i in items if not i.record.contact.uid]
        self.by_email: dict[str, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        keys = sorted({e.value.casefold() for c in no_uid for e in c.emails})
        for start in range(0, len(keys), BATCH):
            marks, p = placeholders("e", keys[start : start + BATCH])
            for r in tx.all(
                f"SELECT contact_id, value_key FROM contact_emails WHERE value_key IN ({marks}) "
                "ORDER BY contact_id",
                p,
            ):
                self.by_email.setdefault(r["value_key"], []).append(r["contact_id"])
        names = sorted({" ".join(c.display_name.split()) for c in no_uid if c.display_name})
        for start in range(0, len(names), BATCH):
            marks, p = placeholders("n", names[start : start + BATCH])
            for r in tx.all(
                f"SELECT id, display_name FROM contacts WHERE display_name IN ({marks}) ORDER BY id", p
            ):
                self.by_name.setdefault(r["display_name"], []).append(r["id"])

    def stored_ids(self) -> list[int]:
        ids = set(self.by_uid.values())
        for found in (*self.by_email.values(), *self.by_name.values()):
            ids.update(found)
        return sorted(ids)

    def choose(self, record: ContactRecord) -> int | None:
        """The contact this record is about, or None for a new one."""
        c = record.contact
        if c.uid:
            return self.seen.uid.get(c.uid) or self.by_uid.get(c.uid)
        used = self.seen.used
        for e in c.emails:
            key = e.value.casefold()
            for cid in sorted({*self.by_email.get(key, ()), *self.seen.email.get(key, ())}):
                if cid not in used:
                    return cid
        if c.display_name:
            name = " ".join(c.display_name.split())
            for cid in sorted({*self.by_name.get(name, ()), *self.seen.name.get(name, ())}):
                if cid not in used:
                    return cid
        return None


def _desired(record: ContactRecord) -> dict[str, Any]:
    """What the record asks for, validated and normalised exactly as the contacts service stores it."""
    from tinycrm.services.people import contacts

    values = contacts.normalized(record.contact)
    values["archived"] = bool(record.contact.archived)
    return values


def _same_company(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return not a and not b
    return sort_key(a) == sort_key(b)


def _apply(tx: Tx, state: ContactData, record: ContactRecord) -> dict[str, tuple[Any, Any]]:
    """Make the stored contact what the record says; give what changed (nothing: it was unchanged)."""
    from tinycrm.services.common import update_versioned
    from tinycrm.services.people import companies, contacts

    cid = state.id
    assert cid is not None and state.version is not None
    want = _desired(record)
    changed: dict[str, tuple[Any, Any]] = {}
    sets: dict[str, Any] = {}
    for key in (
        "display_name",
        "given_name",
        "family_name",
        "job_title",
        "company_role",
        "birthday",
        "notes",
    ):
        if want.get(key) != getattr(state, key):
            changed[key] = (getattr(state, key), want.get(key))
            sets[key] = want.get(key)
    if record.from_tinycrm:
        for key in ("cadence_days", "archived"):
            if want.get(key) != getattr(state, key):
                changed[key] = (getattr(state, key), want.get(key))
                sets[key] = want.get(key)
    if "display_name" in sets:
        sets["sort_name"] = sort_key(sets["display_name"])
    if not _same_company(want.get("company"), state.company):
        sets["company_id"] = companies.find_or_create(tx, want["company"]) if want.get("company") else None
        changed["company"] = (state.company, want.get("company"))
    lists: dict[str, Any] = {}
    for key in ("emails", "phones", "addresses"):
        if want[key] != getattr(state, key):
            lists[key] = want[key]
            changed[key] = (getattr(state, key), want[key])
    if sorted(t.casefold() for t in want["tags"]) != sorted(t.casefold() for t in state.tags):
        lists["tags"] = want["tags"]
        changed["tags"] = (state.tags, want["tags"])
    fields = want["fields"] if record.from_tinycrm else {**state.fields, **want["fields"]}
    if fields != state.fields:
        lists["fields"] = fields
        changed["fields"] = (state.fields, fields)
    extras = _clean_extras(record.extras)
    if extras != state.extras:
        changed["vcard_extras"] = (len(state.extras), len(extras))
    if record.photo != state.photo:
        changed["photo"] = tuple(  # type: ignore[assignment]
            f"{p.media_type}, {len(p.data)} bytes" if p else None for p in (state.photo, record.photo)
        )
    if not changed:
        return {}
    update_versioned(tx, "contacts", "contact", cid, state.version, sets)
    contacts._write_lists(tx, cid, lists)
    if "vcard_extras" in changed:
        tx.execute("DELETE FROM contact_extras WHERE contact_id = :i", {"i": cid})
        _write_extras(tx, [(cid, extras)])
    if "photo" in changed:
        tx.execute("DELETE FROM contact_photos WHERE contact_id = :i", {"i": cid})
        if record.photo is not None:
            _write_photos(tx, [(cid, record.photo)])
    audit(tx, "update", "contact", cid, changed)
    return changed


def _message(exc: BaseException) -> str:
    if isinstance(exc, CrmError):
        return exc.message
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no details'}"


def _store_batch(db: Database, items: list[Parsed], report: ImportReport, seen: _Seen, what: str) -> None:
    """Store one batch in one transaction. Records about stored contacts are applied one at a time (each in a
    savepoint); new contacts are validated one at a time, then stored together by ``contacts.insert_many``."""
    from tinycrm.services.people import contacts

    with db.write() as tx:
        lookup = _Lookup(tx, items, seen)
        existing = lookup.stored_ids()
        tx.lock_rows("contacts", existing)
        states = {c.id: c for c in load_contacts(tx, existing)}
        touched: list[int] = []
        counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        problems: list[tuple[int, Problem]] = []  # by record, reported in file order
        tags_changed = False
        #: new contacts validated and waiting for the next insert_many: (position in the batch, item, contact)
        pending: list[tuple[int, Parsed, contacts.Prepared]] = []
        pending_uids: set[str] = set()

        def fail(n: int, item: Parsed, exc: BaseException) -> None:
            counts["failed"] += 1
            problems.append((n, Problem(item.where, _message(exc))))

        def store_new(group: list[tuple[int, Parsed, contacts.Prepared]]) -> list[int]:
            ids = contacts.insert_many(tx, [p for _, _, p in group], refresh_index=False)
            pairs = [(cid, item.record) for cid, (_, item, _) in zip(ids, group, strict=True)]
            _write_extras(tx, [(cid, _clean_extras(r.extras)) for cid, r in pairs if r is not None])
            _write_photos(tx, [(cid, r.photo) for cid, r in pairs if r is not None and r.photo is not None])
            return ids

        def flush() -> None:
            if not pending:
                return
            group = list(pending)
            pending.clear()
            pending_uids.clear()
            tx.execute("SAVEPOINT tinycrm_new")
            try:
                ids: list[int | None] = list(store_new(group))
                tx.execute("RELEASE SAVEPOINT tinycrm_new")
            except (KeyboardInterrupt, StoreUnavailable):
                raise
            except Exception:  # noqa: BLE001 - find the record(s) at fault: store them one at a time
                tx.execute("ROLLBACK TO SAVEPOINT tinycrm_new")
                tx.execute("RELEASE SAVEPOINT tinycrm_new")
                ids = []
                for entry in group:
                    tx.execute("SAVEPOINT tinycrm_record")
                    try:
                        ids.append(store_new([entry])[0])
                        tx.execute("RELEASE SAVEPOINT tinycrm_record")
                    except (KeyboardInterrupt, StoreUnavailable):
                        raise
                    except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
                        tx.execute("ROLLBACK TO SAVEPOINT tinycrm_record")
                        tx.execute("RELEASE SAVEPOINT tinycrm_record")
                        fail(entry[0], entry[1], exc)
                        ids.append(None)
            for (_, item, _), cid in zip(group, ids, strict=True):
                if cid is not None:
                    assert item.record is not None
                    counts["created"] += 1
                    touched.append(cid)
                    seen.remember(item.record, cid)

        for n, item in enumerate(items):
            record = item.record
            assert record is not None
            if record.contact.uid and record.contact.uid in pending_uids:
                flush()  # a second record with the UID of a new one: it is about that contact
            cid = lookup.choose(record)
            if cid is None:
                try:
                    prepared = contacts.prepare(record.contact)
                except (KeyboardInterrupt, StoreUnavailable):
                    raise
                except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
                    fail(n, item, exc)
                    continue
                pending.append((n, item, prepared))
                if record.contact.uid:
                    pending_uids.add(record.contact.uid)
                continue
            tx.execute("SAVEPOINT tinycrm_record")
            try:
                state = states.get(cid)
                if state is None:  # stored earlier in this batch
                    state = load_contacts(tx, [cid])[0]
                changed = _apply(tx, state, record)
                outcome = "updated" if changed else "unchanged"
                tags_changed = tags_changed or "tags" in changed
                if changed:
                    states.pop(cid, None)
                tx.execute("RELEASE SAVEPOINT tinycrm_record")
            except (KeyboardInterrupt, StoreUnavailable):
                raise
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
                tx.execute("ROLLBACK TO SAVEPOINT tinycrm_record")
                tx.execute("RELEASE SAVEPOINT tinycrm_record")
                fail(n, item, exc)
                continue
            counts[outcome] += 1
            if outcome != "unchanged":
                touched.append(cid)
            seen.remember(record, cid)
        flush()
        db.search.refresh(tx, touched)
        if tags_changed:
            drop_unused_tags(tx)
        sources = sorted({i.source for i in items})
        audit(
            tx,
            "import",
            "contact",
            None,
            {
                "format": (None, what),
                "sources": (None, sources),
                **{k: (None, n) for k, n in counts.items() if n},
            },
        )
    report.errors.extend(problem for _, problem in sorted(problems, key=lambda p: p[0]))
    report.created += counts["created"]
    report.updated += counts["updated"]
    report.unchanged += counts["unchanged"]
    report.failed += counts["failed"]


def import_records(db: Database, items: Iterable[Parsed], *, what: str, batch: int = BATCH) -> ImportReport:
    """Store parsed records, a batch per transaction; broken records are reported and skipped."""
    report = ImportReport()
    seen = _Seen()
    chunk: list[Parsed] = []
    for item in items:
        if item.record is None:
            report.failed += 1
            report.errors.append(Problem(item.where, item.error or "cannot be read"))
            continue
        for w in item.record.warnings:
            report.warnings.append(Problem(item.where, w))
        chunk.append(item)
        if len(chunk) >= batch:
            _store_batch(db, chunk, report, seen, what)
            chunk = []
    if chunk:
        _store_batch(db, chunk, report, seen, what)
    return report


Progress = Callable[[int], None]


def import_vcards(
    db: Database, files: Sequence[Source], *, progress: Progress | None = None, batch: int = BATCH
) -> ImportReport:
    """Import every card of these files (vCard 2.1, 3.0 or 4.0). ``progress`` is told the bytes read so
    far."""
    from tinycrm.formats.vcard import VCardReader

    def parsed() -> Iterator[Parsed]:
        done = 0
        for src in files:
            with src.open() as fh:
                reader = VCardReader(fh, src.name)
                for n, item in enumerate(reader):
                    yield item
                    if progress is not None and n % 50 == 0:
                        progress(done + reader.bytes_read)
                done += reader.bytes_read
        if progress is not None:
            progress(done)

    return import_records(db, parsed(), what="vcard", batch=batch)


# --- exporting ------------------------------------------------------------------------------------------


@contextmanager
def atomic_path(path: str | Path, *, force: bool) -> Iterator[Path]:
    """A temporary file next to ``path`` to write; renamed to ``path`` when the block ends without error.
    An existing file is replaced only with ``force``; the file is private to its owner (mode 0600): it holds
    personal data."""
    target = Path(path).absolute()
    if target.is_dir():
        raise Refused(f"{path} is a folder; give a file name")
    if target.exists() and not force:
        raise Refused(f"{path} exists; add --force to replace it")
    if not target.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {target.parent} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise Refused(f"cannot write in {target.parent}: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if the file appeared meanwhile: never overwrite without force
            except FileExistsError:
                raise Refused(f"{path} exists; add --force to replace it") from None
            except OSError:
                os.replace(tmp, target)  # a file system without hard links
            else:
                os.unlink(tmp)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def atomic_file(path: str | Path, *, force: bool, binary: bool = True) -> Iterator[IO[Any]]:
    """:func:`atomic_path` opened for writing (bytes, or UTF-8 text with ``binary=False``)."""
    with atomic_path(path, force=force) as tmp:
        if binary:
            with open(tmp, "wb") as fh:
                yield fh
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                yield fh


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


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")


def vdir_name(uid: str) -> str:
    """The file name of a contact in a vdir: its UID, made safe for every file system."""
    name = _UNSAFE.sub("_", uid).lstrip(".")[:200] or "contact"
    return f"{name}.vcf"


def audit_export(db: Database, what: str, count: int, target: str) -> None:
    try:
        with db.write() as tx:
            audit(
                tx,
                "export",
                "contact",
                None,
                {"format": (None, what), "target": (None, target), "contacts": (None, count)},
            )
    except CrmError:
        pass  # a read-only login may export; the file is written either way


def export_vcards(
    db: Database,
    target: str | Path | TextIO,
    *,
    version: str = "3.0",
    vdir: bool = False,
    tag: str | None = None,
    force: bool = False,
) -> ExportReport:
    """Write contacts as vCards: one file (or a text stream), or with ``vdir`` one ``UID.vcf`` per contact
    in a folder (vdirsyncer's layout). A vdir export leaves files whose content did not change untouched."""
    from tinycrm.formats.vcard import VERSIONS, write_card

    if version not in VERSIONS:
        raise InvalidInput(f"--vcard-version must be 3.0 or 4.0 (got {version!r})")
    written = unchanged = 0
    if vdir:
        if not isinstance(target, (str, Path)) or str(target) == "-":
            raise InvalidInput("--vdir needs a folder, not standard output")
        folder = Path(target)
        if folder.exists() and not folder.is_dir():
            raise Refused(f"{target} is a file; --vdir needs a folder")
        if folder.is_dir() and not force and any(p.suffix == ".vcf" for p in folder.iterdir()):
            raise Refused(f"{target} holds vCards already; add --force to update them")
        folder.mkdir(parents=True, exist_ok=True)
        used: set[str] = set()
        with db.read() as tx:
            ids = contact_ids(tx, tag=tag)
            for c in iter_contacts(tx, ids):
                data = write_card(c, version).encode("utf-8")
                name = vdir_name(c.uid)
                n = 1
                while name.casefold() in used:  # two UIDs that differ only in unsafe characters or case
                    n += 1
                    name = f"{vdir_name(c.uid)[:-4]}-{n}.vcf"
                used.add(name.casefold())
                path = folder / name
                if path.is_file() and path.read_bytes() == data:
                    unchanged += 1
                    continue
                with atomic_file(path, force=True) as fh:
                    fh.write(data)
                written += 1
        audit_export(db, f"vcard {version} vdir", written + unchanged, str(target))
        return ExportReport(written, str(target), unchanged)
    with db.read() as tx:
        ids = contact_ids(tx, tag=tag)
        if isinstance(target, (str, Path)):
            with atomic_file(target, force=force) as fh:
                for c in iter_contacts(tx, ids):
                    fh.write(write_card(c, version).encode("utf-8"))
                    written += 1
        else:
            for c in iter_contacts(tx, ids):
                target.write(write_card(c, version))
                written += 1
            target.flush()
    audit_export(db, f"vcard {version}", written, str(target) if isinstance(target, (str, Path)) else "-")
    return ExportReport(written, str(target) if isinstance(target, (str, Path)) else "-")


# --- CSV ------------------------------------------------------------------------------------------------


@dataclass
class CsvPreview:
    """What ``crm import csv --dry-run`` shows: how the columns map, and the first rows as they would
    import."""

    source: str
    preset: str
    delimiter: str
    columns: list[tuple[str, str]]
    rows: list[Parsed]


def preview_csv(
    file: Source, *, preset: str | None = None, overrides: dict[str, str] | None = None, rows: int = 5
) -> CsvPreview:
    from tinycrm.formats.csvio import CsvReader

    with file.open() as fh:
        reader = CsvReader(fh, file.name, preset=preset, overrides=overrides)
        first = []
        for item in reader:
            first.append(item)
            if len(first) >= rows:
                break
        return CsvPreview(file.name, reader.preset, reader.delimiter, reader.describe(), first)


def import_csv(
    db: Database,
    file: Source,
    *,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Import the rows of a CSV address book (see :mod:`tinycrm.formats.csvio` for the presets)."""
    from tinycrm.formats.csvio import CsvReader

    with file.open() as fh:
        reader = CsvReader(fh, file.name, preset=preset, overrides=overrides)

        def parsed() -> Iterator[Parsed]:
            for n, item in enumerate(reader):
                yield item
                if progress is not None and n % 50 == 0:
                    progress(reader.bytes_read)

        return import_records(db, parsed(), what=f"csv {reader.preset}", batch=batch)


def _csv_layout(tx: Tx, preset: str) -> Any:
    from tinycrm.formats.csvio import Layout

    def most(table: str) -> int:
        return tx.scalar(f"SELECT max(n) FROM (SELECT count(*) AS n FROM {table} GROUP BY contact_id) t") or 0

    keys = tuple(tx.column("SELECT DISTINCT key FROM contact_fields ORDER BY key"))
    role = (
        1
        if preset == "google" and tx.scalar("SELECT count(*) FROM contacts WHERE company_role IS NOT NULL")
        else 0
    )
    return Layout(
        emails=max(most("contact_emails"), 1),
        phones=max(most("contact_phones"), 1),
        addresses=max(most("contact_addresses"), 1),
        fields=keys,
        most_fields=most("contact_fields") + role,
    )


def export_csv(
    db: Database,
    target: str | Path | TextIO,
    *,
    preset: str = "generic",
    tag: str | None = None,
    force: bool = False,
) -> ExportReport:
    """Write contacts as CSV: tinycrm's own columns (``generic``) or Google Contacts' (``google``)."""
    from tinycrm.formats.csvio import EXPORT_PRESETS, write_csv

    if preset not in EXPORT_PRESETS:
        raise InvalidInput(
            f"--preset for a CSV export must be one of: {', '.join(EXPORT_PRESETS)} (got {preset!r})"
        )
    with db.read() as tx:
        ids = contact_ids(tx, tag=tag)
        layout = _csv_layout(tx, preset)
        if isinstance(target, (str, Path)):
            with atomic_file(target, force=force, binary=False) as fh:
                # a BOM, so that spreadsheet programs read the file as UTF-8
                fh.write("\ufeff")
                written = write_csv(iter_contacts(tx, ids), fh, preset=preset, layout=layout)
        else:
            written = write_csv(iter_contacts(tx, ids), target, preset=preset, layout=layout)
            target.flush()
    name = str(target) if isinstance(target, (str, Path)) else "-"
    audit_export(db, f"csv {preset}", written, name)
    return ExportReport(written, name)
