"""Writing contacts as CSV. Each export preset (:data:`EXPORTS`) gives its header and the cells of one contact:
its fixed columns, then as many email, phone and address column groups as the :class:`Layout` asks for, then
the custom-field columns. Every cell is quoted, and what a spreadsheet would run as a formula is neutralised
(:mod:`.cells`), in the header too."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.csvio.cells import neutralise
from tinycrm.formats.csvio.columns import MULTI
from tinycrm.formats.records import ContactData

EXPORT_PRESETS = ("generic", "google")


@dataclass(frozen=True, slots=True)
class Layout:
    """How many email, phone, address and custom-field columns an export needs."""

    emails: int = 1
    phones: int = 1
    addresses: int = 1
    fields: tuple[str, ...] = ()
    most_fields: int = 0


@dataclass(frozen=True, slots=True)
class ExportPreset:
    """An export layout: its header for a :class:`Layout`, and the cells of one contact (before they are
    neutralised). The cells are written out in one list per preset: a function call per cell would cost a
    tenth of an export."""

    header: Callable[[Layout], list[str]]
    cells: Callable[[ContactData, Layout], list[str]]


def _pad(items: list[str], size: int) -> list[str]:
    return items + [""] * (size - len(items))


def _numbered(layout: Layout, email: str, address: tuple[str, ...]) -> list[str]:
    """The email, phone and address column groups: ``{email} 1 - Label``, ``{email} 1 - Value``..."""
    cols: list[str] = []
    for n in range(1, layout.emails + 1):
        cols += [f"{email} {n} - Label", f"{email} {n} - Value"]
    for n in range(1, layout.phones + 1):
        cols += [f"Phone {n} - Label", f"Phone {n} - Value"]
    for n in range(1, layout.addresses + 1):
        cols += [f"Address {n} - Label", *(f"Address {n} - {part}" for part in address)]
    return cols


# --- Google Contacts ------------------------------------------------------------------------------------

_GOOGLE_COLUMNS = (
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
)
_GOOGLE_ADDRESS = (
    "Formatted",
    "Street",
    "City",
    "PO Box",
    "Region",
    "Postal Code",
    "Country",
    "Extended Address",
)


def _google_header(layout: Layout) -> list[str]:
    cols = [*_GOOGLE_COLUMNS, *_numbered(layout, "E-mail", _GOOGLE_ADDRESS)]
    for n in range(1, layout.most_fields + 1):
        cols += [f"Custom Field {n} - Label", f"Custom Field {n} - Value"]
    return cols


def _google_cells(c: ContactData, layout: Layout) -> list[str]:
    """Labels in title case; the role, which has no column, is the first custom field."""
    out = [
        c.given_name or "",
        "",
        c.family_name or "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        c.company or "",
        c.job_title or "",
        "",
        c.birthday or "",
        c.notes or "",
        "",
        MULTI.join([*c.tags, "* myContacts"]),
    ]
    for items, size in ((c.emails, layout.emails), (c.phones, layout.phones)):
        cells: list[str] = []
        for item in items[:size]:
            cells += [(item.label or "").title(), item.value]
        out += _pad(cells, 2 * size)
    cells = []
    for a in c.addresses[: layout.addresses]:
        cells += [
            (a.label or "").title(),
            a.one_line(),
            a.street or "",
            a.locality or "",
            a.po_box or "",
            a.region or "",
            a.postcode or "",
            a.country or "",
            a.extended or "",
        ]
    out += _pad(cells, (1 + len(_GOOGLE_ADDRESS)) * layout.addresses)
    pairs = [[k, val] for k, val in c.fields.items()]
    if c.company_role:
        pairs.insert(0, ["role", c.company_role])
    out += _pad([x for pair in pairs[: layout.most_fields] for x in pair], 2 * layout.most_fields)
    return out


# --- tinycrm's own layout -------------------------------------------------------------------------------

_GENERIC_COLUMNS = (
    "UID",
    "Name",
    "Given Name",
    "Family Name",
    "Company",
    "Job Title",
    "Role",
    "Birthday",
    "Tags",
    "Cadence Days",
    "Archived",
    "Notes",
)
_GENERIC_ADDRESS = ("Street", "City", "Region", "Postal Code", "Country", "PO Box", "Extended Address")


def _generic_header(layout: Layout) -> list[str]:
    return [
        *_GENERIC_COLUMNS,
        *_numbered(layout, "Email", _GENERIC_ADDRESS),
        *(f"Field: {key}" for key in layout.fields),
    ]


def _generic_cells(c: ContactData, layout: Layout) -> list[str]:
    """Every column tinycrm has; one column per custom field of the export."""
    out = [
        c.uid,
        c.display_name,
        c.given_name or "",
        c.family_name or "",
        c.company or "",
        c.job_title or "",
        c.company_role or "",
        c.birthday or "",
        ", ".join(c.tags),
        str(c.cadence_days or ""),
        "true" if c.archived else "",
        c.notes or "",
    ]
    for items, size in ((c.emails, layout.emails), (c.phones, layout.phones)):
        cells: list[str] = []
        for item in items[:size]:
            cells += [item.label or "", item.value]
        out += _pad(cells, 2 * size)
    cells = []
    for a in c.addresses[: layout.addresses]:
        parts = (a.street, a.locality, a.region, a.postcode, a.country, a.po_box, a.extended)
        cells += [a.label or "", *(x or "" for x in parts)]
    out += _pad(cells, (1 + len(_GENERIC_ADDRESS)) * layout.addresses)
    out += [c.fields.get(key, "") for key in layout.fields]
    return out


GOOGLE_EXPORT = ExportPreset(_google_header, _google_cells)
GENERIC_EXPORT = ExportPreset(_generic_header, _generic_cells)
EXPORTS: dict[str, ExportPreset] = {"generic": GENERIC_EXPORT, "google": GOOGLE_EXPORT}


def header(preset: str, layout: Layout) -> list[str]:
    return [neutralise(x) for x in EXPORTS.get(preset, GENERIC_EXPORT).header(layout)]


def row(c: ContactData, preset: str, layout: Layout) -> list[str]:
    return [neutralise(x) for x in EXPORTS.get(preset, GENERIC_EXPORT).cells(c, layout)]


def writer_for(out: TextIO, delimiter: str = ",") -> Any:
    """The csv writer of every export: every cell in double quotes (OWASP: a cell's own ``,`` or ``;`` never
    starts a new one), CRLF line ends."""
    return csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")


def write_csv(
    contacts: Iterable[ContactData], out: TextIO, *, preset: str = "generic", layout: Layout
) -> int:
    """Write a header and one row per contact; give the number of rows."""
    if preset not in EXPORT_PRESETS:
        raise InvalidInput(
            f"CSV export preset {preset!r} is unknown; use one of: {', '.join(EXPORT_PRESETS)}"
        )
    writer = writer_for(out)
    writer.writerow(header(preset, layout))
    n = 0
    for c in contacts:
        writer.writerow(row(c, preset, layout))
        n += 1
    return n
