"""Writing contacts as CSV. An export preset is data (:class:`ExportPreset`): its fixed columns with the cell
of each, then as many email, phone and address column groups as the :class:`Layout` asks for, then the
custom-field columns. Cells a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address
from tinycrm.formats.csvio.columns import MULTI
from tinycrm.formats.records import ContactData

EXPORT_PRESETS = ("generic", "google")


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading ``= + - @``, tab or CR gets a ``'`` in front."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


@dataclass(frozen=True, slots=True)
class Layout:
    """How many email, phone, address and custom-field columns an export needs."""

    emails: int = 1
    phones: int = 1
    addresses: int = 1
    fields: tuple[str, ...] = ()
    most_fields: int = 0


Cell = Callable[[ContactData], str]


@dataclass(frozen=True, slots=True)
class ExportPreset:
    """The columns of one export layout."""

    #: the fixed columns: header and cell
    columns: tuple[tuple[str, Cell], ...]
    #: the header of the n-th email's label and value columns (phones are ``Phone {n}``)
    email: str
    #: how a label cell is written
    label: Callable[[str | None], str]
    #: the parts of an address after its label column: header and cell
    address: tuple[tuple[str, Callable[[Address], str]], ...]
    #: the custom-field columns: their headers, and the cells of one contact
    field_header: Callable[[Layout], list[str]]
    field_cells: Callable[[ContactData, Layout], list[str]]


def _empty(c: ContactData) -> str:
    return ""


def _text(attribute: str) -> Cell:
    return lambda c: getattr(c, attribute) or ""


def _part(attribute: str) -> Callable[[Address], str]:
    return lambda a: getattr(a, attribute) or ""


def _field_pairs_header(layout: Layout) -> list[str]:
    return [
        x
        for n in range(1, layout.most_fields + 1)
        for x in (f"Custom Field {n} - Label", f"Custom Field {n} - Value")
    ]


def _field_pairs(c: ContactData, layout: Layout) -> list[str]:
    """Google has no column for the role: it is the first custom field."""
    pairs = [[k, val] for k, val in c.fields.items()]
    if c.company_role:
        pairs.insert(0, ["role", c.company_role])
    return _pad([x for pair in pairs[: layout.most_fields] for x in pair], 2 * layout.most_fields)


GOOGLE = ExportPreset(
    columns=(
        ("First Name", _text("given_name")),
        ("Middle Name", _empty),
        ("Last Name", _text("family_name")),
        ("Phonetic First Name", _empty),
        ("Phonetic Middle Name", _empty),
        ("Phonetic Last Name", _empty),
        ("Name Prefix", _empty),
        ("Name Suffix", _empty),
        ("Nickname", _empty),
        ("File As", _empty),
        ("Organization Name", _text("company")),
        ("Organization Title", _text("job_title")),
        ("Organization Department", _empty),
        ("Birthday", _text("birthday")),
        ("Notes", _text("notes")),
        ("Photo", _empty),
        ("Labels", lambda c: MULTI.join([*c.tags, "* myContacts"])),
    ),
    email="E-mail {n}",
    label=lambda label: (label or "").title(),
    address=(
        ("Formatted", Address.one_line),
        ("Street", _part("street")),
        ("City", _part("locality")),
        ("PO Box", _part("po_box")),
        ("Region", _part("region")),
        ("Postal Code", _part("postcode")),
        ("Country", _part("country")),
        ("Extended Address", _part("extended")),
    ),
    field_header=_field_pairs_header,
    field_cells=_field_pairs,
)

GENERIC = ExportPreset(
    columns=(
        ("UID", lambda c: c.uid),
        ("Name", lambda c: c.display_name),
        ("Given Name", _text("given_name")),
        ("Family Name", _text("family_name")),
        ("Company", _text("company")),
        ("Job Title", _text("job_title")),
        ("Role", _text("company_role")),
        ("Birthday", _text("birthday")),
        ("Tags", lambda c: ", ".join(c.tags)),
        ("Cadence Days", lambda c: str(c.cadence_days or "")),
        ("Archived", lambda c: "true" if c.archived else ""),
        ("Notes", _text("notes")),
    ),
    email="Email {n}",
    label=lambda label: label or "",
    address=(
        ("Street", _part("street")),
        ("City", _part("locality")),
        ("Region", _part("region")),
        ("Postal Code", _part("postcode")),
        ("Country", _part("country")),
        ("PO Box", _part("po_box")),
        ("Extended Address", _part("extended")),
    ),
    field_header=lambda layout: [f"Field: {key}" for key in layout.fields],
    field_cells=lambda c, layout: [c.fields.get(key, "") for key in layout.fields],
)

EXPORTS: dict[str, ExportPreset] = {"generic": GENERIC, "google": GOOGLE}


def _pad(items: list[str], size: int) -> list[str]:
    return items + [""] * (size - len(items))


def header(preset: str, layout: Layout) -> list[str]:
    p = EXPORTS.get(preset, GENERIC)
    cols = [name for name, _ in p.columns]
    for n in range(1, layout.emails + 1):
        cols += [f"{p.email.format(n=n)} - Label", f"{p.email.format(n=n)} - Value"]
    for n in range(1, layout.phones + 1):
        cols += [f"Phone {n} - Label", f"Phone {n} - Value"]
    for n in range(1, layout.addresses + 1):
        cols += [f"Address {n} - Label", *(f"Address {n} - {name}" for name, _ in p.address)]
    return cols + p.field_header(layout)


def row(c: ContactData, preset: str, layout: Layout) -> list[str]:
    p = EXPORTS.get(preset, GENERIC)
    out = [cell(c) for _, cell in p.columns]
    for items, size in ((c.emails, layout.emails), (c.phones, layout.phones)):
        cells: list[str] = []
        for item in items[:size]:
            cells += [p.label(item.label), item.value]
        out += _pad(cells, 2 * size)
    cells = []
    for a in c.addresses[: layout.addresses]:
        cells += [p.label(a.label), *(part(a) for _, part in p.address)]
    out += _pad(cells, (1 + len(p.address)) * layout.addresses)
    out += p.field_cells(c, layout)
    return [neutralise(x) for x in out]


def write_csv(
    contacts: Iterable[ContactData], out: TextIO, *, preset: str = "generic", layout: Layout
) -> int:
    """Write a header and one row per contact; give the number of rows."""
    if preset not in EXPORT_PRESETS:
        raise InvalidInput(
            f"CSV export preset {preset!r} is unknown; use one of: {', '.join(EXPORT_PRESETS)}"
        )
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header(preset, layout))
    n = 0
    for c in contacts:
        writer.writerow(row(c, preset, layout))
        n += 1
    return n
