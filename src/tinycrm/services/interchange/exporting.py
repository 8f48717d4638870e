"""Contacts out to files: vCards (one file, or a vdir of one file per contact) and CSV.

Every export is one consistent read, written through a temporary file renamed into place (see
:mod:`tinycrm.services.interchange.files`), and an ``export`` entry in the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO, cast

from tinycrm.domain.errors import CrmError, InvalidInput, Refused
from tinycrm.services.common import audit
from tinycrm.services.interchange.contactdata import contact_ids, iter_contacts
from tinycrm.services.interchange.files import atomic_file
from tinycrm.store.database import Database, Tx


@dataclass
class ExportReport:
    written: int
    target: str
    #: vdir exports: files left as they were because nothing changed
    unchanged: int = 0


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
) -> ExportReport:
    """Write contacts as vCards: one file (or a text stream), or with ``vdir`` one ``UID.vcf`` per contact
    in a folder (vdirsyncer's layout). A vdir export leaves files whose content did not change untouched."""
    from tinycrm.formats.vcard import VERSIONS, write_card

    if version not in VERSIONS:
        raise InvalidInput(f"--vcard-version must be 3.0 or 4.0 (got {version!r})")
    if vdir:
        if not isinstance(target, (str, Path)) or str(target) == "-":
            raise InvalidInput("--vdir needs a folder, not standard output")
        return _export_vdir(db, Path(target), version=version, tag=tag, force=force)
    written = 0
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
    audit_export(db, f"vcard {version}", written, _target_name(target))
    return ExportReport(written, _target_name(target))


def _export_vdir(db: Database, folder: Path, *, version: str, tag: str | None, force: bool) -> ExportReport:
    from tinycrm.formats.vcard import write_card

    if folder.exists() and not folder.is_dir():
        raise Refused(f"{folder} is a file; --vdir needs a folder")
    if folder.is_dir() and not force and any(p.suffix == ".vcf" for p in folder.iterdir()):
        raise Refused(f"{folder} holds vCards already; add --force to update them")
    folder.mkdir(parents=True, exist_ok=True)
    written = unchanged = 0
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
                written = write_csv(iter_contacts(tx, ids), cast(TextIO, fh), preset=preset, layout=layout)
        else:
            written = write_csv(iter_contacts(tx, ids), target, preset=preset, layout=layout)
            target.flush()
    name = _target_name(target)
    audit_export(db, f"csv {preset}", written, name)
    return ExportReport(written, name)
