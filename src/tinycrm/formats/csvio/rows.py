"""One CSV row as a contact record.

A handler per kind of target column (:data:`COLUMNS`, keyed by ``Target.field``) collects the cells of the
row into a :class:`RowBuilder`; the steps of :data:`STEPS` then make the contact of what was collected (a
label column goes with the value columns of its group, the parts of an address with each other, so nothing
can be decided cell by cell). A column without a target keeps its non-empty value as a custom field."""

from __future__ import annotations

import re
from collections.abc import Callable

from tinycrm.domain.dates import parse_birthday
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, ContactInput, Labeled
from tinycrm.formats import fieldvalues
from tinycrm.formats.csvio.cells import restore
from tinycrm.formats.csvio.columns import ADDRESS_PARTS, MULTI, Target, norm
from tinycrm.formats.records import ContactRecord

#: values that say "nothing" in some exports
NOISE = {"0/0/00", "00.00.00", "0.0.00", "1/1/1601"}
NOISE_BY_COLUMN = {
    "priority": {"normal"},
    "sensitivity": {"normal"},
    "private": {"false"},
    "gender": {"unspecified"},
}
_NAME_PARTS = ("prefix", "given", "middle", "family", "suffix")
_VCARD_N = ("family", "given", "middle", "prefix", "suffix")
_VCARD_ADR = ("po_box", "extended", "street", "locality", "region", "postcode", "country")
_STRUCTURED = ("locality", "region", "postcode", "country", "po_box", "extended")
_NOT_TAGS = ("my contacts", "mycontacts", "starred")

#: an email or phone cell: (group, fixed label, value, header)
Cell = tuple[str | None, str | None, str, str]


class RowBuilder:
    """What the column handlers of one row collect, and the contact the steps make of it."""

    __slots__ = (
        "contact",
        "warnings",
        "simple",
        "group_labels",
        "emails",
        "phones",
        "addresses",
        "address_labels",
        "field_parts",
        "fields",
        "display",
    )

    def __init__(self) -> None:
        self.contact = ContactInput()
        self.warnings: list[str] = []
        #: single-valued targets (name, company, birthday...) by field
        self.simple: dict[str, str] = {}
        #: the labels given by label columns, by group (``email 1``, ``address home``...)
        self.group_labels: dict[str, str] = {}
        self.emails: list[Cell] = []
        self.phones: list[Cell] = []
        #: the parts of each address by group, and its fixed label
        self.addresses: dict[str, dict[str, str]] = {}
        self.address_labels: dict[str, str | None] = {}
        #: Google's custom fields given as label and value columns, by group
        self.field_parts: dict[str, dict[str, str]] = {}
        self.fields: dict[str, str] = {}
        self.display: str | None = None

    def put_field(self, key: str, value: str) -> None:
        """A custom field; a key already used gets a number (``phone 2``)."""
        key = " ".join(key.replace("=", "-").split())[:200] or "field"
        base, n = key, 1
        while key in self.fields:
            n += 1
            key = f"{base} {n}"
        self.fields[key] = value

    def record(self, from_tinycrm: bool) -> ContactRecord:
        for step in STEPS:
            step(self)
        return ContactRecord(self.contact, [], None, self.warnings, from_tinycrm)


def convert_row(
    headers: list[str], targets: list[Target | None], row: list[str], *, from_tinycrm: bool = False
) -> ContactRecord:
    """One CSV row as a contact record; :class:`InvalidInput` when it holds nothing a contact can be
    made of. Cells are read as :func:`.cells.neutralise` wrote them; in tinycrm's own files they are taken
    as they are (a note may start with a space), in others without the blanks around them."""
    r = RowBuilder()
    for i, raw in enumerate(row):
        value = restore(raw)
        if not value.strip():
            continue
        if not from_tinycrm:
            value = restore(raw.strip())
        header = headers[i].replace("\ufeff", "").strip() if i < len(headers) else f"column {i + 1}"
        t = targets[i] if i < len(targets) else None
        if t is None:
            noise = value.lower() in NOISE or value.lower() in NOISE_BY_COLUMN.get(norm(header), ())
            if not noise:
                r.put_field(header, value)
        elif value.lower() not in NOISE:
            COLUMNS.get(t.field, _simple)(r, t, value, header)
    return r.record(from_tinycrm)


# --- the column handlers --------------------------------------------------------------------------------

Column = Callable[[RowBuilder, Target, str, str], None]

#: the handler of each kind of target (``Target.field``); any other is a single-valued field (:func:`_simple`)
COLUMNS: dict[str, Column] = {}


def column(*kinds: str) -> Callable[[Column], Column]:
    """Register a handler for the targets ``kinds``."""

    def register(handler: Column) -> Column:
        for kind in kinds:
            COLUMNS[kind] = handler
        return handler

    return register


def _split_multi(value: str) -> list[str]:
    return [v.strip() for v in value.split(MULTI) if v.strip()] if MULTI in value else [value]


def _simple(r: RowBuilder, t: Target, value: str, header: str) -> None:
    """Name, company, title, birthday...: the first column that has a value wins."""
    r.simple.setdefault(t.field, value)


@column("ignore")
def _ignore(r: RowBuilder, t: Target, value: str, header: str) -> None:
    pass


@column("email")
def _email(r: RowBuilder, t: Target, value: str, header: str) -> None:
    for part in _split_multi(value):
        r.emails.append((t.group, t.label, part, header))


@column("phone")
def _phone(r: RowBuilder, t: Target, value: str, header: str) -> None:
    for part in _split_multi(value):
        r.phones.append((t.group, t.label, part, header))


@column("label")
def _group_label(r: RowBuilder, t: Target, value: str, header: str) -> None:
    r.group_labels[t.group or ""] = value


@column(*ADDRESS_PARTS)
def _address_part(r: RowBuilder, t: Target, value: str, header: str) -> None:
    """A part of an address; a part given twice (``Street 2`` mapped to street) is joined with a comma."""
    group = t.group or "address"
    parts = r.addresses.setdefault(group, {})
    parts[t.field] = f"{parts[t.field]}, {value}" if t.field in parts else value
    r.address_labels.setdefault(group, t.label)


@column("field_label", "field_value")
def _field_part(r: RowBuilder, t: Target, value: str, header: str) -> None:
    r.field_parts.setdefault(t.group or "", {"kind": t.key or ""})[t.field] = value


@column("field")
def _custom_field(r: RowBuilder, t: Target, value: str, header: str) -> None:
    r.put_field(t.key or header, value)


@column("vcard_n")
def _vcard_n(r: RowBuilder, t: Target, value: str, header: str) -> None:
    """A column headed ``N``: ``family;given;middle;prefix;suffix``."""
    parts = (value.split(";") + [""] * 5)[:5]
    for key, part in zip(_VCARD_N, parts, strict=True):
        if part.strip():
            r.simple.setdefault(key, part.strip())


@column("vcard_adr")
def _vcard_adr(r: RowBuilder, t: Target, value: str, header: str) -> None:
    """A column headed ``ADR;...``: ``po box;extended;street;locality;region;postcode;country``."""
    parts = (value.split(";") + [""] * 7)[:7]
    group = f"vcard {header}"
    r.addresses[group] = {
        k: p.strip() for k, p in zip(_VCARD_ADR, parts, strict=True) if p.strip() and p.strip() != "=="
    }
    r.address_labels[group] = t.label


@column("tags")
def _tags_column(r: RowBuilder, t: Target, value: str, header: str) -> None:
    r.simple["tags"] = f"{r.simple['tags']};{value}" if "tags" in r.simple else value


@column("notes")
def _notes(r: RowBuilder, t: Target, value: str, header: str) -> None:
    if "notes" in r.simple:
        r.simple["notes"] += "\n\n" + value
    else:
        r.simple["notes"] = value


# --- the steps that make the contact, in order ------------------------------------------------------------


def _label(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lstrip("*").strip()
    return " ".join(value.lower().split())[:50] or None


def _tags(value: str) -> list[str]:
    parts = re.split(r" ::: |;|,", value)
    out = []
    for part in parts:
        system = part.strip().startswith("*")  # Google marks its own groups so: "* myContacts"
        part = " ".join(part.strip().lstrip("*").split())
        if part and not (system and part.casefold() in _NOT_TAGS) and len(part) <= 100:
            out.append(part)
    return out


def _names(r: RowBuilder) -> None:
    s, c = r.simple, r.contact
    c.given_name = s.get("given")
    c.family_name = s.get("family")
    r.display = s.get("name")
    if not r.display:
        r.display = " ".join(p for p in (s.get(k) for k in _NAME_PARTS) if p) or None


def _work_and_notes(r: RowBuilder) -> None:
    s, c = r.simple, r.contact
    c.company = s.get("company")
    c.job_title = s.get("title")
    c.company_role = s.get("role")
    c.notes = s.get("notes")
    c.uid = s.get("uid")
    if s.get("department"):
        r.put_field("department", s["department"])
    if s.get("nickname"):
        r.put_field("nickname", s["nickname"])


def _birthday(r: RowBuilder) -> None:
    """A birthday column, or Thunderbird's year, month and day columns."""
    from tinycrm.formats.vcard.values import parse_bday

    s = r.simple
    bday = s.get("birthday")
    month, day = s.get("birth_month", ""), s.get("birth_day", "")
    if not bday and month.isdigit() and day.isdigit():
        year = s.get("birth_year", "")
        bday = f"{year if year.isdigit() else '-'}-{int(month):02d}-{int(day):02d}"
    if not bday:
        return
    try:
        r.contact.birthday = parse_birthday(parse_bday(bday) or bday)
    except InvalidInput:
        r.warnings.append(f"birthday {bday!r} is not a date; kept as a custom field")
        r.put_field("birthday", bday)


def _labelled(
    r: RowBuilder,
    cells: list[Cell],
    read: Callable[[str], tuple[str, str | None]],
    into: list[Labeled],
    what: str,
) -> None:
    """Emails or phones, labelled by their fixed label or their group's label column; one that is none is
    kept as a custom field, one a person would not type (``user@invalid``) with a warning."""
    for group, fixed, value, header in cells:
        label = fixed or _label(r.group_labels.get(group or ""))
        try:
            found, doubt = read(value)
        except InvalidInput:
            r.warnings.append(f"{header}: {value!r} is not {what}; kept as a custom field")
            r.put_field(header, value)
            continue
        into.append(Labeled(found, label))
        if doubt:
            r.warnings.append(f"{header}: {doubt}")


def _emails_and_phones(r: RowBuilder) -> None:
    _labelled(r, r.emails, fieldvalues.email, r.contact.emails, "an email address")
    _labelled(r, r.phones, fieldvalues.phone, r.contact.phones, "a phone number")


def _addresses(r: RowBuilder) -> None:
    for group, parts in r.addresses.items():
        label = r.address_labels.get(group) or _label(r.group_labels.get(group))
        street = parts.get("street")
        if parts.get("street2"):
            street = f"{street}, {parts['street2']}" if street else parts["street2"]
        structured = {k: parts.get(k) for k in _STRUCTURED}
        if not street and not any(structured.values()) and parts.get("formatted"):
            street = " ".join(parts["formatted"].split())
        address = Address(label=label, street=street, **structured)
        if address.one_line():
            r.contact.addresses.append(address)


def _field_pairs(r: RowBuilder) -> None:
    """Custom fields given as label + value pairs (Google): ``website (profile)``."""
    for group, parts in r.field_parts.items():
        value = parts.get("field_value")
        if not value:
            continue
        kind, label = parts.get("kind"), parts.get("field_label")
        key = (f"{kind} ({label.lower()})" if label else kind) if kind else (label or group)
        r.put_field(key, value)


def _tinycrm(r: RowBuilder) -> None:
    """Tags, and tinycrm's own columns: cadence, the archive flag, custom fields."""
    s, c = r.simple, r.contact
    if s.get("tags"):
        c.tags = list(dict.fromkeys(_tags(s["tags"])))
    if s.get("cadence", "").isdigit() and int(s["cadence"]) > 0:
        c.cadence_days = int(s["cadence"])
    c.archived = s.get("archived", "").strip().lower() in ("true", "yes", "1", "x")
    c.fields = r.fields


def _display_name(r: RowBuilder) -> None:
    c = r.contact
    display = r.display or c.company or r.simple.get("nickname")
    if not display and not c.emails and c.phones:
        display = c.phones[0].value
    if not display and not c.emails:
        raise InvalidInput("the row has no name, company, email address or phone number")
    c.display_name = display


#: what makes the contact of the collected cells, in order (custom fields are numbered in this order)
STEPS: tuple[Callable[[RowBuilder], None], ...] = (
    _names,
    _work_and_notes,
    _birthday,
    _emails_and_phones,
    _addresses,
    _field_pairs,
    _tinycrm,
    _display_name,
)
