"""Contacts out to files: vCards (one file, or a vdir of one file per contact) and CSV.

Every export is one consistent read, written through a temporary file renamed into place (see
:mod:`tinycrm.services.interchange.files`), and an ``export`` entry in the audit log.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from tinycrm.domain.errors import CrmError, InvalidInput, Refused
from tinycrm.formats.records import ContactData
from tinycrm.services.common import audit
from tinycrm.services.interchange.contactdata import BATCH, contacts_of, found_ids, stream_contacts
from tinycrm.services.interchange.files import atomic_file, clean_stale, database_files, refuse_database
from tinycrm.store.database import Database, Tx


@dataclass
class ExportReport:
    written: int
    target: str
    #: vdir exports: files left as they were because nothing changed
    unchanged: int = 0


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")
#: a UID that is its own file name: lower case (two UIDs differing in case would be one file on a file system
#: that ignores case), no dot first (a hidden file), no ``~`` (the mark of a hashed name)
_SAFE = re.compile(r"[a-z0-9_@+=-][a-z0-9._@+=-]{0,199}")
#: names Windows keeps for devices
_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def vdir_name(uid: str, *, hashed: bool = False) -> str:
    """The file name of a contact in a vdir, from its UID alone, and never another UID's: the UID itself when
    it is a safe file name (lower-case letters, digits and ``._@+=-``, at most 200), else a readable prefix,
    ``~`` and a hash of the UID (``a_b~7xk...q.vcf``). Safe names hold no ``~``, hashed ones do, and hashes
    differ: no two UIDs share a name, even on a file system that ignores case."""
    if not hashed and _SAFE.fullmatch(uid) and uid.split(".", 1)[0] not in _DEVICES:
        return f"{uid}.vcf"
    digest = hashlib.sha256(uid.encode("utf-8", "surrogatepass")).digest()
    code = base64.b32encode(digest).decode("ascii").lower()[:26]  # 130 bits
    prefix = _UNSAFE.sub("_", uid).lstrip(".")[:60]
    if prefix.split(".", 1)[0].lower() in _DEVICES:
        prefix = f"_{prefix}"
    return f"{prefix}~{code}.vcf"


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


@dataclass(frozen=True)
class Chosen:
    """Which contacts an export writes, as a list or search shows them: those ``query`` finds (words and filters
    of the query language, as ``crm search`` takes them), in ``company`` (a reference), archived or not
    (``archived``: None for both). The default, and ``tag`` alone, is what ``crm export`` always wrote."""

    query: str = ""
    company: str | None = None
    archived: bool | None = None

    @staticmethod
    def narrows(chosen: Chosen | None) -> bool:
        """``chosen`` leaves some contacts out (None and the default keep every one)."""
        return chosen is not None and chosen != Chosen()


def _contacts(tx: Tx, tag: str | None, chosen: Chosen | None) -> Iterator[ContactData]:
    """The contacts to write, by name, read a batch at a time; a bad query or company raises before any."""
    if chosen is None or not Chosen.narrows(chosen):
        return stream_contacts(tx, tag=tag)
    batches = found_ids(
        tx, chosen.query, tag=tag, company=chosen.company, archived=chosen.archived, size=BATCH
    )
    return contacts_of(tx, batches)


def contact_card(db: Database, contact_id: int, *, version: str = "3.0") -> tuple[str, str]:
    """One contact as a vCard, as a phone's address book takes it: a file name (``Ada Lovelace.vcf``) and the
    card. Recorded in the audit log like any export."""
    from tinycrm.domain.errors import NotFound
    from tinycrm.formats.vcard import write_card
    from tinycrm.services.interchange.contactdata import load_contacts

    with db.read() as tx:
        found = load_contacts(tx, [contact_id])
    if not found:
        raise NotFound(f"no contact with id {contact_id}", hint="find one with: crm search NAME")
    card = write_card(found[0], version)
    audit_export(db, f"vcard {version}", 1, f"contact {contact_id}")
    return f"{found[0].display_name}.vcf", card


def _target_name(target: str | Path | TextIO) -> str:
    return str(target) if isinstance(target, (str, Path)) else "-"


def export_vcards(
    db: Database,
    target: str | Path | TextIO,
    *,
    version: str = "3.0",
    vdir: bool = False,
    tag: str | None = None,
    force: bool = False,
    chosen: Chosen | None = None,
) -> ExportReport:
    """Write contacts as vCards: one file (or a text stream), or with ``vdir`` one ``UID.vcf`` per contact
    in a folder (vdirsyncer's layout). A vdir export leaves files whose content did not change untouched.
    ``chosen``: only the contacts a search finds (one file or stream; a vdir holds every contact or a tag's)."""
    from tinycrm.formats.vcard import VERSIONS, write_card

    if version not in VERSIONS:
        raise InvalidInput(f"--vcard-version must be 3.0 or 4.0 (got {version!r})")
    if vdir:
        if not isinstance(target, (str, Path)) or str(target) == "-":
            raise InvalidInput("--vdir needs a folder, not standard output")
        if Chosen.narrows(chosen):
            raise InvalidInput(
                "a vdir export holds every contact, or a tag's (--tag); export a search to one file"
            )
        return _export_vdir(db, Path(target), version=version, tag=tag, force=force)
    written = 0
    if isinstance(target, (str, Path)):
        refuse_database(db, target, "give another file name for the export")
    with db.read() as tx:
        contacts = _contacts(tx, tag, chosen)
        if isinstance(target, (str, Path)):
            with atomic_file(target, force=force, keep=database_files(db)) as fh:
                for c in contacts:
                    fh.write(write_card(c, version).encode("utf-8"))
                    written += 1
        else:
            for c in contacts:
                target.write(write_card(c, version))
                written += 1
            target.flush()
    audit_export(db, f"vcard {version}", written, _target_name(target))
    return ExportReport(written, _target_name(target))


_UID_LINE = re.compile(rb"^(?:[A-Za-z0-9-]+\.)?UID(?:;[^:\r\n]*)?:([^\r\n]*)", re.IGNORECASE | re.MULTILINE)


def card_uid(data: bytes) -> bytes | None:
    """The UID a vCard file holds, as written (folded lines joined); ``None`` without one."""
    m = _UID_LINE.search(re.sub(rb"\r?\n[ \t]", b"", data))
    return m.group(1).strip() if m else None


@dataclass
class _VdirFile:
    name: str
    uid: bytes | None
    digest: bytes


def _vdir_files(folder: Path) -> dict[str, _VdirFile]:
    """The vCards already in the folder, by casefolded name: whose each is (its UID) and its content's hash."""
    out: dict[str, _VdirFile] = {}
    for entry in os.scandir(folder):
        if not entry.name.lower().endswith(".vcf") or not entry.is_file():
            continue
        try:
            with open(entry.path, "rb") as fh:
                data = fh.read()
        except OSError:
            data = b""
        out[entry.name.casefold()] = _VdirFile(entry.name, card_uid(data), hashlib.sha256(data).digest())
    return out


def _vdir_file_of(uid: str, key: bytes, files: dict[str, _VdirFile], by_uid: dict[bytes, str]) -> str:
    """The file of the contact with ``uid`` (``key``: the UID as its card writes it): the file that already
    holds it, else its own name (:func:`vdir_name`) unless another card holds that, else its hashed name."""
    if key in by_uid:
        return by_uid[key]
    for hashed in (False, True):
        name = vdir_name(uid, hashed=hashed)
        there = files.get(name.casefold())
        if there is None or there.uid == key:
            return name
    raise Refused(f"{name} holds another contact's card; move it away and export again")


def _export_vdir(db: Database, folder: Path, *, version: str, tag: str | None, force: bool) -> ExportReport:
    """One file per contact. A contact keeps the file that holds its UID; a new one gets its own name; a file
    holding another UID (or none) is never written over, so a file never changes owner."""
    from tinycrm import paths
    from tinycrm.formats.vcard import write_card

    if folder.exists() and not folder.is_dir():
        raise Refused(f"{folder} is a file; --vdir needs a folder")
    files = _vdir_files(folder) if folder.is_dir() else {}
    if files and not force:
        raise Refused(f"{folder} holds vCards already; add --force to update them")
    paths.private_dir(folder, tighten=False)
    clean_stale(folder, r".+\.vcf", keep=database_files(db))
    by_uid: dict[bytes, str] = {}
    for f in sorted(files.values(), key=lambda f: f.name):
        if f.uid is not None:
            by_uid.setdefault(f.uid, f.name)
    written = unchanged = 0
    with db.read() as tx:
        for c in stream_contacts(tx, tag=tag):
            data = write_card(c, version).encode("utf-8")
            key = card_uid(data) or c.uid.encode("utf-8", "surrogatepass")
            name = _vdir_file_of(c.uid, key, files, by_uid)
            there = files.get(name.casefold())
            # claimed for this run, so that no later contact of the run can take the name
            files[name.casefold()] = _VdirFile(name, key, b"")
            by_uid[key] = name
            if there is not None and there.digest == hashlib.sha256(data).digest():
                unchanged += 1
                continue
            with atomic_file(folder / name, force=True, clean=False) as fh:
                fh.write(data)
            written += 1
    audit_export(db, f"vcard {version} vdir", written + unchanged, str(folder))
    return ExportReport(written, str(folder), unchanged)


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
    chosen: Chosen | None = None,
) -> ExportReport:
    """Write contacts as CSV: tinycrm's own columns (``generic``) or Google Contacts' (``google``); ``chosen``:
    only the contacts a search finds."""
    from tinycrm.formats.csvio import EXPORT_PRESETS, write_csv

    if preset not in EXPORT_PRESETS:
        raise InvalidInput(
            f"--preset for a CSV export must be one of: {', '.join(EXPORT_PRESETS)} (got {preset!r})"
        )
    if isinstance(target, (str, Path)):
        refuse_database(db, target, "give another file name for the export")
    with db.read() as tx:
        contacts = _contacts(tx, tag, chosen)
        layout = _csv_layout(tx, preset)
        if isinstance(target, (str, Path)):
            with atomic_file(target, force=force, binary=False, keep=database_files(db)) as fh:
                # a BOM, so that spreadsheet programs read the file as UTF-8
                fh.write("\ufeff")
                written = write_csv(contacts, cast(TextIO, fh), preset=preset, layout=layout)
        else:
            written = write_csv(contacts, target, preset=preset, layout=layout)
            target.flush()
    name = _target_name(target)
    audit_export(db, f"csv {preset}", written, name)
    return ExportReport(written, name)


def write_file(db: Database, path: str | Path, data: bytes, *, force: bool) -> None:
    """``data`` as the file ``path`` (an iCalendar feed...): private to its owner (mode 0600) like every export,
    written whole or not at all, an existing file replaced only with ``force``, never one of the database's."""
    refuse_database(db, path, "give another file name for the export")
    with atomic_file(path, force=force, keep=database_files(db)) as fh:
        fh.write(data)
