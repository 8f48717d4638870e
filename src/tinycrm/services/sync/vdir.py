"""Two-way sync of contacts with a vdir: a folder of one ``.vcf`` file per contact (vdirsyncer's and khard's
layout, what a phone's CardDAV address book becomes through vdirsyncer).

Each run compares every file with what tinycrm last wrote or read there (``sync_items``: the file's hash and
stat, the contact's version then) and every contact with the version it had then:

==========================  =============================================================================
file changed outside        the contact is updated from it (what a card cannot carry is kept)
contact changed in tinycrm  its file is written again, atomically
both                        a conflict: the file's version is kept beside the contact until
                            ``crm sync resolve`` (or ``--prefer crm|file``) decides; neither is overwritten
a new file                  a new contact, or the contact it is about (UID, then email, then phone)
a file deleted              its contact is archived (``on_delete="delete"``: deleted), unless it changed in
                            tinycrm since, then its file is written again
a contact deleted/archived  its file is removed, unless the file changed since (a conflict)
==========================  =============================================================================

Every change to the database and the sync state of its file is one transaction; a file is written before the
state that records it, so a run stopped at any point is finished by the next one, which finds the file equal to
the contact and only records it. A second run with nothing changed reads no file whose stat did not move and
writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tinycrm.domain.errors import CrmError, InvalidInput, Refused
from tinycrm.services.common import now
from tinycrm.services.interchange.exporting import vdir_name
from tinycrm.services.sync import cards, state
from tinycrm.services.sync import files as folder_files
from tinycrm.services.sync.state import Item
from tinycrm.store.database import Database

PREFER = ("crm", "file")
#: cards written per transaction that records them
WRITE_BATCH = 500
ON_DELETE = ("archive", "delete")


@dataclass(frozen=True)
class Problem:
    file: str
    message: str


@dataclass(frozen=True)
class Action:
    """What a run did (or, dry, would do) to one file or contact."""

    file: str
    action: str  # write, update, create, archive, delete, remove, conflict, restore, record
    contact_id: int | None = None


@dataclass
class SyncReport:
    folder: str
    dry_run: bool = False
    actions: list[Action] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions if a.action == action)

    @property
    def conflicts(self) -> list[Action]:
        return [a for a in self.actions if a.action == "conflict"]

    def summary(self) -> str:
        words = (
            ("write", "files written"),
            ("update", "contacts updated"),
            ("create", "contacts created"),
            ("archive", "archived"),
            ("delete", "deleted"),
            ("remove", "files removed"),
            ("restore", "files restored"),
            ("conflict", "conflicts"),
        )
        parts = [f"{self.count(a)} {w}" for a, w in words if self.count(a)]
        parts.append(f"{self.unchanged} unchanged")
        if self.problems:
            parts.append(f"{len(self.problems)} failed")
        return ", ".join(parts) + (" (dry run: nothing was changed)" if self.dry_run else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "folder": self.folder,
            "dry_run": self.dry_run,
            "counts": {a: self.count(a) for a in sorted({x.action for x in self.actions})},
            "unchanged": self.unchanged,
            "actions": [vars(a) for a in self.actions],
            "problems": [vars(p) for p in self.problems],
        }


@dataclass
class _Scan:
    """The folder as found: every card file's stat, and the bytes of those that moved since the last run."""

    stats: dict[str, os.stat_result] = field(default_factory=dict)
    data: dict[str, bytes] = field(default_factory=dict)


def _card_files(folder: Path) -> Iterator[os.DirEntry[str]]:
    for entry in os.scandir(folder):
        if entry.name.startswith(".") or not entry.name.lower().endswith(".vcf"):
            continue  # hidden files are editors' and our own temporary files
        if entry.is_file(follow_symlinks=False):
            yield entry


def _scan(folder: Path, items: dict[str, Item], report: SyncReport) -> _Scan:
    scan = _Scan()
    for entry in _card_files(folder):
        st = entry.stat(follow_symlinks=False)
        scan.stats[entry.name] = st
        item = items.get(entry.name)
        if item is not None and item.mtime_ns == st.st_mtime_ns and item.size == st.st_size:
            continue
        try:
            with open(entry.path, "rb") as fh:
                scan.data[entry.name] = fh.read(cards.MAX_CARD_BYTES + 1)
        except OSError as exc:
            report.problems.append(Problem(entry.name, f"cannot be read: {exc.strerror or exc}"))
            scan.stats.pop(entry.name)
    return scan


class _Run:
    def __init__(
        self,
        db: Database,
        folder: Path,
        *,
        tag: str | None,
        prefer: str | None,
        on_delete: str,
        dry_run: bool,
    ) -> None:
        self.db, self.folder, self.tag = db, folder, tag
        self.prefer, self.on_delete, self.dry = prefer, on_delete, dry_run
        self.report = SyncReport(str(folder), dry_run)
        with db.read() as tx:
            self.folder_id = state.folder_id(tx, folder)
            self.items = state.items(tx, self.folder_id) if self.folder_id else {}
            self.scope = state.contacts_in_scope(tx, tag)
            self.versions = state.versions(tx, [i.record_id for i in self.items.values()])
            self.conflicted = state.conflicted(tx, self.folder_id) if self.folder_id else set()
        if self.folder_id is None and not dry_run:
            with db.write() as tx:
                self.folder_id = state.add_folder(tx, folder)
        self.scan = _scan(folder, self.items, self.report)
        self.by_contact = {i.record_id: name for name, i in self.items.items()}
        #: cards to write from tinycrm: (file name, or None for a contact without a file yet; contact; action)
        self.pending: list[tuple[str | None, int, str]] = []
        #: files changed outside to apply to their contacts: (file name, contact, card)
        self.applies: list[tuple[str, int, cards.Card]] = []

    # -- helpers

    def act(self, name: str, action: str, cid: int | None) -> None:
        self.report.actions.append(Action(name, action, cid))

    def fail(self, name: str, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, CrmError) else f"{type(exc).__name__}: {exc}"
        if isinstance(exc, OSError):
            message = f"cannot be written: {exc.strerror or exc}"
        self.report.problems.append(Problem(name, message))

    def file_changed(self, name: str, item: Item) -> bool:
        data = self.scan.data.get(name)
        return data is not None and cards.digest(data) != item.etag

    def record_stat(self, name: str, item: Item) -> None:
        """The file's bytes are as recorded but its stat moved (touched, copied back): remember the stat."""
        if self.dry or name not in self.scan.data:
            return
        st = self.scan.stats[name]
        with self.db.write() as tx:
            state.save(tx, self.folder_id, name, item.record_id, item.uid, item.etag, st, item.record_version)

    def write_file(self, name: str, cid: int, data: bytes, version: int, uid: str, action: str) -> None:
        """Write the contact's card, then record it (so a stop in between is finished by the next run)."""
        if self.dry:
            self.act(name, action, cid)
            return
        st = folder_files.put(self.folder, name, data)
        with self.db.write() as tx:
            state.save(tx, self.folder_id, name, cid, uid, cards.digest(data), st, version)
            state.drop_conflict(tx, self.folder_id, cid)
        self.act(name, action, cid)

    def rendered(self, cid: int) -> tuple[bytes, int, str] | None:
        with self.db.read() as tx:
            contact = cards.load(tx, cid)
        if contact is None or contact.id is None or contact.version is None:
            return None
        return cards.render(contact), contact.version, contact.uid

    def card(self, name: str) -> cards.Card:
        card = cards.read_card(self.scan.data[name], name)
        if self.tag and self.tag.casefold() not in {t.casefold() for t in card.record.contact.tags}:
            import dataclasses

            contact = dataclasses.replace(card.record.contact, tags=[*card.record.contact.tags, self.tag])
            card = cards.Card(dataclasses.replace(card.record, contact=contact), card.uid)
        return card

    def from_file(
        self, name: str, cid: int | None, card: cards.Card, action: str, *, mode: str = cards.REPLACE
    ) -> None:
        """Apply a file to its contact (or create one), recording the file as agreed, in one transaction."""
        if self.dry:
            self.act(name, action, cid)
            return
        data = self.scan.data[name]
        st = self.scan.stats[name]
        with self.db.write() as tx:
            if cid is None:
                cid = cards.create(tx, card)
            else:
                cards.apply(tx, cid, card, mode=mode)
            version = cards.version_of(tx, cid)
            assert version is not None
            state.save(tx, self.folder_id, name, cid, card.uid, cards.digest(data), st, version)
            state.drop_conflict(tx, self.folder_id, cid)
        self.by_contact[cid] = name
        self.act(name, action, cid)

    def conflict(self, name: str, cid: int) -> None:
        """Keep the file's version beside the contact; neither side is overwritten."""
        if cid not in self.conflicted and not self.dry:
            data = self.scan.data[name]
            with self.db.write() as tx:
                state.add_conflict(tx, self.folder_id, cid, name, data, cards.digest(data), now())
        self.act(name, "conflict", cid)

    # -- the passes

    def run(self) -> SyncReport:
        for name in sorted(set(self.scan.stats) - set(self.items)):
            self.guard(name, self.new_file)
        for name, item in sorted(self.items.items()):
            self.guard(name, lambda n, i=item: self.tracked(n, i))
        self.apply_pending()
        self.pending.extend((None, cid, "write") for cid in sorted(self.scope) if cid not in self.by_contact)
        self.write_pending()
        if not self.dry:
            with self.db.write() as tx:
                state.touch_folder(tx, self.folder_id, now())
        return self.report

    def guard(self, name: str, step: Any) -> None:
        """One file's step; its failure is reported and the others go on."""
        try:
            step(name)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
            from tinycrm.domain.errors import StoreUnavailable

            if isinstance(exc, StoreUnavailable):
                raise
            self.fail(name, exc)

    def tracked(self, name: str, item: Item) -> None:
        cid = item.record_id
        version = self.versions.get(cid)
        present = name in self.scan.stats
        in_scope = cid in self.scope
        if not present:
            return self.file_gone(name, item, version)
        file_changed = self.file_changed(name, item)
        if version is None or not in_scope:
            return self.contact_gone(name, item, version, file_changed)
        crm_changed = version != item.record_version
        if not file_changed and not crm_changed:
            self.report.unchanged += 1
            return self.record_stat(name, item)
        if file_changed and not crm_changed:
            card = self.card(name)
            if self.dry:
                return self.act(name, "update", cid)
            self.applies.append((name, cid, card))  # applied with the others, a batch per transaction
            return
        if not file_changed and name not in self.scan.data:  # the usual case: written with the others
            self.pending.append((name, cid, "write"))
            return
        out = self.rendered(cid)
        if out is None:
            return
        data, new_version, uid = out
        on_disk = self.scan.data.get(name)
        if on_disk is None:  # not read: its stat did not move, so it is what was recorded
            with open(self.folder / name, "rb") as fh:
                on_disk = fh.read()
            self.scan.data[name] = on_disk
        if (
            on_disk == data
        ):  # written by a run that stopped before recording it, or edited alike on both sides
            self.report.unchanged += 1
            if not self.dry:
                st = os.stat(self.folder / name)
                with self.db.write() as tx:
                    state.save(tx, self.folder_id, name, cid, uid, cards.digest(data), st, new_version)
            return
        if not file_changed or self.prefer == "crm":
            return self.write_file(name, cid, data, new_version, uid, "write")
        if self.prefer == "file":
            return self.from_file(name, cid, self.card(name), "update")
        return self.conflict(name, cid)

    def file_gone(self, name: str, item: Item, version: int | None) -> None:
        cid = item.record_id
        if version is not None and cid in self.scope and version != item.record_version:
            out = self.rendered(cid)  # changed in tinycrm since: the edit wins over the deletion
            if out is not None:
                return self.write_file(name, cid, out[0], out[1], out[2], "restore")
        if self.dry:
            if version is not None and self.scope.pop(cid, None) is not None:
                self.act(name, self.on_delete, cid)
            return
        retire = version is not None and cid in self.scope
        if retire and self.on_delete == "delete":
            from tinycrm.services.people import contacts

            contacts.delete(self.db, cid)  # then the state below; a stop in between is finished next time
        with self.db.write() as tx:
            if retire and self.on_delete == "archive":
                state.set_archived(tx, cid, True)
            state.forget(tx, self.folder_id, name)
            state.drop_conflict(tx, self.folder_id, cid)
        if retire:
            self.scope.pop(cid, None)  # gone from the folder for good, not a contact without a file
            self.act(name, self.on_delete, cid)
        self.by_contact.pop(cid, None)

    def contact_gone(self, name: str, item: Item, version: int | None, file_changed: bool) -> None:
        """The contact was deleted, archived or untagged in tinycrm: its file goes, unless it changed since."""
        cid = item.record_id
        if file_changed and self.prefer != "crm":
            if self.prefer == "file":
                card = self.card(name)
                return self.from_file(name, None if version is None else cid, card, "update")
            if version is not None:
                return self.conflict(name, cid)
            self.report.problems.append(
                Problem(
                    name,
                    f"contact {cid} was deleted in tinycrm but this card changed since; "
                    "sync with --prefer file to bring it back or --prefer crm to remove the file",
                )
            )
            return
        if not self.dry:
            try:
                os.unlink(self.folder / name)
            except FileNotFoundError:
                pass
            with self.db.write() as tx:
                state.forget(tx, self.folder_id, name)
        self.by_contact.pop(cid, None)
        self.act(name, "remove", cid)

    def new_file(self, name: str) -> None:
        card = self.card(name)
        with self.db.read() as tx:
            cid = cards.match(tx, card)
        if cid is not None and cid in self.by_contact:
            other = self.by_contact[cid]
            if other in self.scan.stats:
                raise InvalidInput(f"holds the same contact as {other} (UID {card.uid}); remove one of them")
            # the contact's file was renamed: it is this one now
            if not self.dry:
                with self.db.write() as tx:
                    state.forget(tx, self.folder_id, other)
            self.items.pop(other, None)
        if cid is None:
            return self.from_file(name, None, card, "create")
        # a new file about a known contact adds to it (import rules), it does not replace it
        self.from_file(name, cid, card, "update", mode=cards.MERGE)
        if not self.dry:
            out = self.rendered(cid)  # the contact holds more than the card: the file shows all of it
            if out is not None and out[0] != self.scan.data[name]:
                self.write_file(name, cid, out[0], out[1], out[2], "write")

    def apply_pending(self) -> None:
        """Apply the files changed outside to their contacts, a batch per transaction, each file in a
        savepoint with its sync state: a card the contacts service refuses is reported, the others stay."""
        from tinycrm.domain.errors import StoreUnavailable

        for start in range(0, len(self.applies), WRITE_BATCH):
            with self.db.write() as tx:
                for name, cid, card in self.applies[start : start + WRITE_BATCH]:
                    tx.execute("SAVEPOINT tinycrm_card")
                    try:
                        cards.apply(tx, cid, card)
                        version = cards.version_of(tx, cid)
                        assert version is not None
                        etag = cards.digest(self.scan.data[name])
                        state.save(
                            tx, self.folder_id, name, cid, card.uid, etag, self.scan.stats[name], version
                        )
                        state.drop_conflict(tx, self.folder_id, cid)
                        tx.execute("RELEASE SAVEPOINT tinycrm_card")
                    except (KeyboardInterrupt, SystemExit, StoreUnavailable):
                        raise
                    except Exception as exc:  # noqa: BLE001 - one card must not stop the others
                        tx.execute("ROLLBACK TO SAVEPOINT tinycrm_card")
                        tx.execute("RELEASE SAVEPOINT tinycrm_card")
                        self.fail(name, exc)
                        continue
                    self.act(name, "update", cid)
        self.applies.clear()

    def write_pending(self) -> None:
        """Write the cards of the contacts that changed in tinycrm or have no file yet, a batch at a time: one
        read for the batch, each file written and synced, then one transaction recording them all."""
        for start in range(0, len(self.pending), WRITE_BATCH):
            chunk = self.pending[start : start + WRITE_BATCH]
            with self.db.read() as tx:
                loaded = {c.id: c for c in cards.load_many(tx, [cid for _, cid, _ in chunk])}
            done: list[tuple[str, int, str, str, os.stat_result, int]] = []
            for name, cid, action in chunk:
                contact = loaded.get(cid)
                if contact is None or contact.version is None:
                    continue  # deleted meanwhile: the next run removes its file
                label = name or vdir_name(contact.uid)
                try:
                    name = name or self.free_name(contact.uid)
                    if self.dry:
                        self.act(name, action, cid)
                        continue
                    data = cards.render(contact)
                    st = folder_files.put(self.folder, name, data, sync=False)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception as exc:  # noqa: BLE001 - one file must not stop the others
                    self.fail(label, exc)
                    continue
                done.append((name, cid, contact.uid, cards.digest(data), st, contact.version))
                self.act(name, action, cid)
            if done:
                os.sync()  # the batch's files are on disk before the state that records them (one flush)
                with self.db.write() as tx:
                    for name, cid, uid, etag, st, version in done:
                        state.save(tx, self.folder_id, name, cid, uid, etag, st, version)
                        state.drop_conflict(tx, self.folder_id, cid)
        self.pending.clear()

    def free_name(self, uid: str) -> str:
        """A new contact's file: its own name (:func:`vdir_name`), or the hashed one when another file holds
        that name (a file is never written over for another contact)."""
        for hashed in (False, True):
            name = vdir_name(uid, hashed=hashed)
            if name not in self.scan.stats and not (self.folder / name).exists():
                self.scan.stats[name] = os.stat_result((0,) * 10)  # claimed by this run
                return name
        raise Refused(f"{vdir_name(uid)} holds another card; move it away and sync again")


def sync_vdir(
    db: Database,
    folder: str | Path,
    *,
    tag: str | None = None,
    prefer: str | None = None,
    on_delete: str = "archive",
    dry_run: bool = False,
) -> SyncReport:
    """Sync the contacts (those tagged ``tag``) with the vdir ``folder`` both ways; see the module's table."""
    from tinycrm import paths

    if prefer is not None and prefer not in PREFER:
        raise InvalidInput(f"--prefer must be crm or file (got {prefer!r})")
    if on_delete not in ON_DELETE:
        raise InvalidInput(f"on_delete must be archive or delete (got {on_delete!r})")
    path = Path(folder).expanduser()
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"{path} is a file; crm sync vdir needs a folder")
    if not path.exists():
        if dry_run:
            raise InvalidInput(f"{path} does not exist; a dry run creates nothing")
        paths.private_dir(path, tighten=False)
        if not path.is_dir():
            raise Refused(f"{path} cannot be created; check the path and its permissions")
    path = path.resolve()
    with folder_files.locked(path):
        return _Run(db, path, tag=tag, prefer=prefer, on_delete=on_delete, dry_run=dry_run).run()
