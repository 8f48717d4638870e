"""Contacts in from files: vCard and CSV imports, and their dry runs.

Imports stream: records are read one at a time (:mod:`tinycrm.formats.vcard`, :mod:`tinycrm.formats.csvio`)
and stored in batches of :data:`BATCH`, each batch one transaction. A record that cannot be read or stored is
reported (file, record number, reason) and skipped inside its batch (a savepoint), the others go on. New
contacts are validated one by one, then stored together (``contacts.insert_many``: a few statements per
batch, not a dozen per contact); should the database refuse that, they are stored one at a time to find
the records at fault.

Which contact a record is about is decided by :mod:`~tinycrm.services.interchange.matching` (UID, then email,
then phone); what it changes there by :mod:`~tinycrm.services.interchange.merging` (nothing is removed
unless ``replace``). A record that shares only its name with a contact never changes it: it is unchanged
when the contact has everything it says already, merged into it (adding only) with ``match_name``, and
otherwise a new contact, reported as a possible duplicate. Imports are idempotent: a second run reports every
record unchanged. A dry run reads, matches and plans exactly the same way, in a read transaction, and writes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tinycrm.domain.errors import CrmError, InvalidInput, StoreUnavailable
from tinycrm.formats.records import ContactData, ContactRecord, Parsed
from tinycrm.services.common import audit, drop_unused_tags
from tinycrm.services.hooks import outbox
from tinycrm.services.interchange import merging
from tinycrm.services.interchange.contactdata import (
    BATCH,
    clean_extras,
    load_contacts,
    write_extras,
    write_photos,
)
from tinycrm.services.interchange.files import Source
from tinycrm.services.interchange.matching import Keys, Lookup, Seen
from tinycrm.services.people.contact_loader import reindex
from tinycrm.store.database import Database, Tx

Progress = Callable[[int], None]
#: the errors a record may cause without stopping the others (the store being gone stops everything)
_FATAL = (KeyboardInterrupt, StoreUnavailable)


# --- reports --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    where: str
    message: str


@dataclass(frozen=True)
class Duplicate:
    """A contact an import created that shares its name (an email, a phone) with others: ``duplicate_of``
    are their ids. In a dry run the new contact has no id yet; contacts the same run would create are
    named by their record in ``duplicate_of_new``."""

    where: str
    id: int | None
    name: str
    duplicate_of: list[int]
    reason: str
    duplicate_of_new: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What a dry run would do with one record: ``outcome`` is created, updated, unchanged or failed;
    ``match`` how its contact was found (uid, email, phone, name); ``changes`` maps each field that would
    change to ``(old, new)``."""

    where: str
    outcome: str
    id: int | None = None
    name: str | None = None
    match: str | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    #: a new contact that may duplicate others
    duplicate: Duplicate | None = None
    message: str | None = None


@dataclass(frozen=True)
class ImportOptions:
    #: a record that shares only its name with a contact is merged into it, adding only
    match_name: bool = False
    #: a matched record replaces what is stored, removing what it does not mention
    replace: bool = False
    #: plan only: report what would happen, write nothing
    dry_run: bool = False
    #: the consent to record for the addresses of everyone imported whose consent is not known yet
    #: (``--consent opted-in --source "event 2026"``), see :mod:`tinycrm.services.marketing.consent`
    consent: str | None = None
    consent_source: str | None = None

    def __post_init__(self) -> None:
        if self.match_name and self.replace:
            raise InvalidInput(
                "--replace and --match name do not go together: a shared name is not enough to replace a "
                "contact's data; use one or the other"
            )


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    #: a dry run: what would happen to each record
    records: list[Outcome] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    def summary(self) -> str:
        text = (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"failed {self.failed}"
        )
        if self.duplicates:
            text += f", possible duplicates {len(self.duplicates)}"
        return text + (" (dry run: nothing was written)" if self.dry_run else "")


def _record(item: Parsed) -> ContactRecord:
    assert item.record is not None  # broken records never reach a batch
    return item.record


def _message(exc: BaseException) -> str:
    if isinstance(exc, CrmError):
        return str(exc)
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'no details'}"


# --- one import -----------------------------------------------------------------------------------------


class _Run:
    """What lasts over the batches of one import."""

    def __init__(self, db: Database, what: str, options: ImportOptions) -> None:
        self.db, self.what, self.options = db, what, options
        self.report = ImportReport(dry_run=options.dry_run)
        self.seen = Seen()
        #: a dry run: the contacts as they would be after the records so far (new ones under ids below 0)
        self.planned: dict[int, ContactData] = {}
        #: a dry run: the record each new contact would come from
        self.new_from: dict[int, str] = {}

    def store(self, items: list[Parsed], *, last: bool = False) -> None:
        """Store one batch; the ``last`` also writes the import's ``import.completed`` event (if it changed any)."""
        if self.options.dry_run:
            with self.db.read() as tx:
                _Batch(self, tx, items).store()
        else:
            with self.db.write() as tx:
                _Batch(self, tx, items).store()
                if last and (self.report.created or self.report.updated):
                    outbox.import_completed(tx, "contacts", self.what, self.report)

    def pseudo_id(self, where: str) -> int:
        cid = -1 - len(self.new_from)
        self.new_from[cid] = where
        return cid


class _Batch:
    """One batch in one transaction. Records about stored contacts are applied one at a time (each in a
    savepoint); new contacts are validated one at a time, then stored together by ``contacts.insert_many``."""

    def __init__(self, run: _Run, tx: Tx, items: list[Parsed]) -> None:
        self.run, self.tx, self.items = run, tx, items
        self.dry = run.options.dry_run
        self.keys = [Keys.of(_record(i)) for i in items]
        self.lookup = Lookup(tx, self.keys, run.seen)
        stored = [i for i in self.lookup.candidates if i not in run.planned]
        if not self.dry:
            tx.lock_rows("contacts", stored)
        self.states = {c.id: c for c in load_contacts(tx, stored)}
        self.touched: list[int] = []
        self.unchanged_ids: list[int] = []
        self.counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
        self.problems: list[tuple[int, Problem]] = []  # by record, reported in file order
        self.duplicates: list[tuple[int, Duplicate]] = []
        self.outcomes: list[tuple[int, Outcome]] = []
        self.tags_changed = False
        #: new contacts validated and waiting for the next insert_many: (position in the batch, contact)
        self.pending: list[tuple[int, Any]] = []
        self.pending_uids: set[str] = set()

    # -- the records

    def store(self) -> None:
        for n, item in enumerate(self.items):
            keys = self.keys[n]
            if keys.uid and keys.uid in self.pending_uids:
                self.flush()  # a second record with the UID of a new one: it is about that contact
            try:
                self.record(n, item, keys)
            except _FATAL:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
                self.fail(n, exc)
        self.flush()
        self.finish()

    def record(self, n: int, item: Parsed, keys: Keys) -> None:
        record = _record(item)
        match = self.lookup.choose(keys)
        options = self.run.options
        if match.cid is not None:
            mode = merging.REPLACE if options.replace else merging.UPDATE
            if options.match_name and not keys.uid:
                mode = merging.ADD  # so that a record merged by its name is unchanged when imported again
            self.update(n, match.cid, match.how, merging.plan(self.state(match.cid), record, mode))
            return
        for cid in match.named:  # the same name only: never replaces anything
            change = merging.plan(self.state(cid), record, merging.ADD)
            if not change:
                self.update(n, cid, "name", change)  # it has everything the record says already
                return
        if options.match_name and len(match.named) == 1:
            cid = match.named[0]
            self.update(n, cid, "name", merging.plan(self.state(cid), record, merging.ADD))
            return
        self.new(n, item)

    def state(self, cid: int) -> ContactData:
        state = self.run.planned.get(cid) or self.states.get(cid)
        if state is None:  # stored earlier in this batch
            state = load_contacts(self.tx, [cid])[0]
            self.states[cid] = state
        return state

    def update(self, n: int, cid: int, how: str | None, change: merging.Plan) -> None:
        if change and self.dry:
            self.run.planned[cid] = change.after
        elif change:
            self.tx.execute("SAVEPOINT tinycrm_record")
            try:
                merging.apply(self.tx, self.state(cid), change)
                self.tx.execute("RELEASE SAVEPOINT tinycrm_record")
            except _FATAL:
                raise
            except Exception:
                self.tx.execute("ROLLBACK TO SAVEPOINT tinycrm_record")
                self.tx.execute("RELEASE SAVEPOINT tinycrm_record")
                raise
            self.states.pop(cid, None)
            self.touched.append(cid)
            self.tags_changed = self.tags_changed or "tags" in change.changed
        outcome = "updated" if change else "unchanged"
        self.counts[outcome] += 1
        if not change:
            self.unchanged_ids.append(cid)
        self.run.seen.remember(self.keys[n], cid)
        if self.dry:
            name = change.after.display_name
            self.outcomes.append((n, Outcome(self.items[n].where, outcome, cid, name, how, change.changed)))

    def new(self, n: int, item: Parsed) -> None:
        from tinycrm.services.people import contacts

        record = _record(item)
        prepared = contacts.prepare(record.contact, loose=True)
        if not self.dry:
            self.pending.append((n, prepared))
            if record.contact.uid:
                self.pending_uids.add(record.contact.uid)
            return
        cid = self.run.pseudo_id(item.where)
        self.run.planned[cid] = merging.as_data(prepared, record, cid)
        name = prepared.values["display_name"]
        duplicate = self.created(n, cid, name)
        changes = {k: (None, val) for k, val in prepared.values.items() if val not in (None, [], {})}
        self.outcomes.append(
            (n, Outcome(item.where, "created", None, name, changes=changes, duplicate=duplicate))
        )

    def created(self, n: int, cid: int, name: str) -> Duplicate | None:
        """Count a new contact, and report it when it may duplicate another."""
        keys = self.keys[n]
        similar = self.lookup.similar(keys, exclude=cid)
        self.counts["created"] += 1
        if not self.dry:
            self.touched.append(cid)
        self.run.seen.remember(keys, cid)
        if not similar:
            return None
        new_from = self.run.new_from
        duplicate = Duplicate(
            where=self.items[n].where,
            id=None if cid in new_from else cid,
            name=name,
            duplicate_of=[s.cid for s in similar if s.cid not in new_from],
            reason=similar[0].reason,
            duplicate_of_new=[new_from[s.cid] for s in similar if s.cid in new_from],
        )
        self.duplicates.append((n, duplicate))
        return duplicate

    def fail(self, n: int, exc: BaseException) -> None:
        self.counts["failed"] += 1
        problem = Problem(self.items[n].where, _message(exc))
        self.problems.append((n, problem))
        if self.dry:
            record = self.items[n].record
            name = record.contact.display_name if record else None
            self.outcomes.append((n, Outcome(problem.where, "failed", name=name, message=problem.message)))

    # -- new contacts, stored together

    def store_new(self, group: list[tuple[int, Any]]) -> list[int]:
        from tinycrm.services.people import contacts

        ids = contacts.insert_many(self.tx, [p for _, p in group], refresh_index=False)
        records = [(cid, self.items[n].record) for cid, (n, _) in zip(ids, group, strict=True)]
        write_extras(self.tx, [(cid, clean_extras(r.extras)) for cid, r in records if r is not None])
        write_photos(self.tx, [(cid, r.photo) for cid, r in records if r is not None and r.photo is not None])
        return ids

    def flush(self) -> None:
        if not self.pending:
            return
        group = list(self.pending)
        self.pending.clear()
        self.pending_uids.clear()
        tx = self.tx
        tx.execute("SAVEPOINT tinycrm_new")
        try:
            ids: list[int | None] = list(self.store_new(group))
            tx.execute("RELEASE SAVEPOINT tinycrm_new")
        except _FATAL:
            raise
        except Exception:  # noqa: BLE001 - find the record(s) at fault: store them one at a time
            tx.execute("ROLLBACK TO SAVEPOINT tinycrm_new")
            tx.execute("RELEASE SAVEPOINT tinycrm_new")
            ids = [self.store_one(entry) for entry in group]
        for (n, prepared), cid in zip(group, ids, strict=True):
            if cid is not None:
                self.created(n, cid, prepared.values["display_name"])

    def store_one(self, entry: tuple[int, Any]) -> int | None:
        self.tx.execute("SAVEPOINT tinycrm_record")
        try:
            cid = self.store_new([entry])[0]
            self.tx.execute("RELEASE SAVEPOINT tinycrm_record")
            return cid
        except _FATAL:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
            self.tx.execute("ROLLBACK TO SAVEPOINT tinycrm_record")
            self.tx.execute("RELEASE SAVEPOINT tinycrm_record")
            self.fail(entry[0], exc)
            return None

    # -- the end of the batch

    def finish(self) -> None:
        counts, report = self.counts, self.run.report
        if not self.dry:
            reindex(self.tx, self.touched)
            if self.run.options.consent:
                from tinycrm.services.marketing import consent

                ids = self.touched + self.unchanged_ids
                consent.for_contacts(self.tx, ids, self.run.options.consent, self.run.options.consent_source)
            if self.tags_changed:
                drop_unused_tags(self.tx)
            audit(
                self.tx,
                "import",
                "contact",
                None,
                {
                    "format": (None, self.run.what),
                    "sources": (None, sorted({i.source for i in self.items})),
                    **{k: (None, n) for k, n in counts.items() if n},
                },
            )
        report.errors.extend(p for _, p in sorted(self.problems, key=lambda p: p[0]))
        report.duplicates.extend(d for _, d in sorted(self.duplicates, key=lambda d: d[0]))
        report.records.extend(o for _, o in sorted(self.outcomes, key=lambda o: o[0]))
        report.created += counts["created"]
        report.updated += counts["updated"]
        report.unchanged += counts["unchanged"]
        report.failed += counts["failed"]


def import_records(
    db: Database,
    items: Iterable[Parsed],
    *,
    what: str,
    batch: int = BATCH,
    options: ImportOptions | None = None,
) -> ImportReport:
    """Store parsed records, a batch per transaction; broken records are reported and skipped."""
    run = _Run(db, what, options or ImportOptions())
    report = run.report
    chunk: list[Parsed] = []
    rank: dict[str, int] = {}  # a dry run lists the records in file order, unreadable ones too
    for item in items:
        if run.options.dry_run:
            rank[item.where] = len(rank)
        if item.record is None:
            report.failed += 1
            report.errors.append(Problem(item.where, item.error or "cannot be read"))
            if run.options.dry_run:
                report.records.append(Outcome(item.where, "failed", message=item.error or "cannot be read"))
            continue
        for w in item.record.warnings:
            report.warnings.append(Problem(item.where, w))
        chunk.append(item)
        if len(chunk) > batch:  # a record past a full batch: that batch is not the last
            run.store(chunk[:batch])
            chunk = chunk[batch:]
    if chunk:
        run.store(chunk, last=True)
    report.records.sort(key=lambda o: rank.get(o.where, 0))
    return report


# --- vCard ----------------------------------------------------------------------------------------------


def _check_holds_cards(src: Source, encoding: str | None) -> None:
    """Refuse a file that holds no vCard at all (not a broken one: none), before anything is stored."""
    from tinycrm.formats.vcard import VCardReader

    with src.open() as fh:
        for _ in VCardReader(fh, src.name, encoding=encoding):
            return
    raise InvalidInput(f"{src.name} holds no vCard (no BEGIN:VCARD ... END:VCARD); nothing was imported")


def import_vcards(
    db: Database,
    files: Sequence[Source],
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
    options: ImportOptions | None = None,
    encoding: str | None = None,
) -> ImportReport:
    """Import every card of these files (vCard 2.1, 3.0 or 4.0). ``progress`` is told the bytes read so
    far; ``encoding`` is that of text that declares none and is not UTF-8 (else it is found from the file).
    A file without any card is refused (:class:`InvalidInput`) before anything is stored. What a reader
    decided for itself (an encoding it guessed) is a warning about the file."""
    from tinycrm.formats.vcard import VCardReader

    files = [f.rewindable() for f in files]
    for src in files:
        _check_holds_cards(src, encoding)
    notes: list[Problem] = []

    def parsed() -> Iterator[Parsed]:
        done = 0
        for src in files:
            with src.open() as fh:
                reader = VCardReader(fh, src.name, encoding=encoding)
                notes.extend(Problem(src.name, note) for note in reader.notes)
                for n, item in enumerate(reader):
                    yield item
                    if progress is not None and n % 50 == 0:
                        progress(done + reader.bytes_read)
                done += reader.bytes_read
        if progress is not None:
            progress(done)

    report = import_records(db, parsed(), what="vcard", batch=batch, options=options)
    report.warnings[:0] = notes
    return report


# --- CSV ------------------------------------------------------------------------------------------------


@dataclass
class CsvPreview:
    """What ``crm import csv --dry-run`` shows: how the columns map, the first rows as they would import,
    and (given a database) what the import would do with every row."""

    source: str
    preset: str
    delimiter: str
    columns: list[tuple[str, str]]
    rows: list[Parsed]
    plan: ImportReport | None = None
    #: how the bytes were read, and what the reader decided for itself (an encoding, no header line)
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)


def _csv_reader(fh: BinaryIO, name: str, read: dict[str, Any]) -> Any:
    from tinycrm.formats.csvio import CsvReader

    return CsvReader(fh, name, **read)


def preview_csv(
    file: Source,
    *,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    rows: int = 5,
    encoding: str | None = None,
    no_header: bool = False,
) -> CsvPreview:
    """How the columns of a CSV file map and its first ``rows`` as they would import; ``encoding`` (None:
    found from the file) and ``no_header`` (its first line is a record) as for :func:`import_csv`."""
    read = {"preset": preset, "overrides": overrides, "encoding": encoding, "no_header": no_header}
    with file.open() as fh:
        reader = _csv_reader(fh, file.name, read)
        first = []
        for item in reader:
            first.append(item)
            if len(first) >= rows:
                break
        return CsvPreview(
            file.name,
            reader.preset,
            reader.delimiter,
            reader.describe(),
            first,
            encoding=reader.encoding,
            notes=list(reader.notes),
        )


def dry_run_csv(
    db: Database,
    file: Source,
    *,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    options: ImportOptions | None = None,
    encoding: str | None = None,
    no_header: bool = False,
) -> CsvPreview:
    """:func:`preview_csv`, and what importing the whole file would do (nothing is written)."""
    options = ImportOptions(
        match_name=bool(options and options.match_name),
        replace=bool(options and options.replace),
        dry_run=True,
    )
    read: dict[str, Any] = {
        "preset": preset,
        "overrides": overrides,
        "encoding": encoding,
        "no_header": no_header,
    }
    file = file.rewindable()
    preview = preview_csv(file, **read)
    preview.plan = import_csv(db, file, options=options, **read)
    return preview


def import_csv(
    db: Database,
    file: Source,
    *,
    preset: str | None = None,
    overrides: dict[str, str] | None = None,
    progress: Progress | None = None,
    batch: int = BATCH,
    options: ImportOptions | None = None,
    encoding: str | None = None,
    no_header: bool = False,
) -> ImportReport:
    """Import the rows of a CSV address book (see :mod:`tinycrm.formats.csvio` for the presets).
    ``encoding`` is the file's (None: a BOM, UTF-8, or the legacy encoding its text reads best in);
    ``no_header``: its first line is a record (``--map 1=name`` names the columns). What the reader decided
    for itself (an encoding it guessed, that the file has no header line) is a warning about the file."""
    read = {"preset": preset, "overrides": overrides, "encoding": encoding, "no_header": no_header}
    with file.open() as fh:
        reader = _csv_reader(fh, file.name, read)

        def parsed() -> Iterator[Parsed]:
            for n, item in enumerate(reader):
                yield item
                if progress is not None and n % 50 == 0:
                    progress(reader.bytes_read)

        report = import_records(db, parsed(), what=f"csv {reader.preset}", batch=batch, options=options)
        report.warnings[:0] = [Problem(file.name, note) for note in reader.notes]
        return report
