"""CSV address books <-> contact records. No database, no UI.

Reading maps each column to a contact field by its header, through a *preset*: ``google`` (the current
Google Contacts layout and the legacy one), ``outlook`` (Outlook and Windows Contacts), ``thunderbird``, or
``generic`` (common names, tinycrm's own layout and vCard-style headers such as ``TEL;CELL``). Without a
preset the layout is recognised from the header. ``--map COLUMN=FIELD`` overrides single columns. Columns
that map to nothing keep their non-empty values as custom fields, so nothing is lost.

Files may be UTF-8 (with or without BOM), UTF-16 (with or without BOM) or windows-1252; the delimiter is a
comma, semicolon or tab, whichever the header uses. Writing neutralises cells that a spreadsheet would run as
a formula (starting with ``= + - @``, a tab or a carriage return) by putting a ``'`` in front; reading takes
that ``'`` away again.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, ContactInput, Labeled
from tinycrm.formats.records import ContactData, ContactRecord, Parsed

PRESETS = ("google", "outlook", "thunderbird", "generic")
EXPORT_PRESETS = ("generic", "google")
MULTI = " ::: "  # Google's separator of several values in one cell


@dataclass(frozen=True, slots=True)
class Target:
    """Where a column goes. ``group`` ties columns together (a label column and its value column, the parts
    of one address); ``label`` is a fixed label (Outlook's ``Home Phone``); ``key`` a custom field's name."""

    field: str
    label: str | None = None
    group: str | None = None
    key: str | None = None

    def describe(self) -> str:
        text = self.field
        if self.field == "field":
            text = f"custom field {self.key!r}"
        elif self.field in ADDRESS_PARTS:
            text = f"address {self.field}"
        if self.label:
            text += f" ({self.label})"
        if self.group and self.field in ("label", "field_label"):
            text += f" of {self.group}"
        return text


ADDRESS_PARTS = (
    "street",
    "street2",
    "locality",
    "region",
    "postcode",
    "country",
    "po_box",
    "extended",
    "formatted",
)
SIMPLE = (
    "name",
    "given",
    "middle",
    "family",
    "prefix",
    "suffix",
    "nickname",
    "company",
    "department",
    "title",
    "role",
    "birthday",
    "birth_year",
    "birth_month",
    "birth_day",
    "notes",
    "tags",
    "uid",
    "cadence",
    "archived",
    "ignore",
)
MAP_ALIASES = {
    "display_name": "name",
    "full_name": "name",
    "given_name": "given",
    "first": "given",
    "first_name": "given",
    "family_name": "family",
    "last": "family",
    "last_name": "family",
    "surname": "family",
    "org": "company",
    "organization": "company",
    "job_title": "title",
    "company_role": "role",
    "note": "notes",
    "tag": "tags",
    "categories": "tags",
    "city": "locality",
    "zip": "postcode",
    "postal_code": "postcode",
    "state": "region",
    "pobox": "po_box",
    "cadence_days": "cadence",
    "skip": "ignore",
    "mail": "email",
    "tel": "phone",
}

Rule = tuple[re.Pattern[str], Callable[[re.Match[str], str], Target | None]]


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().lower().split())


def _fixed(mapping: dict[str, Target]) -> list[Rule]:
    return [(re.compile(re.escape(k) + r"\Z"), lambda m, h, t=t: t) for k, t in mapping.items()]


def _rx(pattern: str, make: Callable[[re.Match[str], str], Target | None]) -> Rule:
    return re.compile(pattern + r"\Z"), make


_ADR_WORDS = {
    "street": "street",
    "city": "locality",
    "po box": "po_box",
    "region": "region",
    "state": "region",
    "postal code": "postcode",
    "zip": "postcode",
    "zipcode": "postcode",
    "country": "country",
    "country/region": "country",
    "extended address": "extended",
    "formatted": "formatted",
    "label": "label",
    "type": "label",
    "street 2": "street2",
    "street 3": "street2",
    "address po box": "po_box",
    "address": "street",
    "address 2": "street2",
}
_FIELD_KINDS = {
    "website": "website",
    "relation": "relation",
    "event": "event",
    "im": "im",
    "custom field": None,
}


def _numbered(kind: str) -> Callable[[re.Match[str], str], Target | None]:
    def make(m: re.Match[str], header: str) -> Target | None:
        n, part = m.group(1), m.group(2)
        group = f"{kind} {n}"
        if part in ("label", "type"):
            return Target("label", group=group)
        if part == "value":
            return Target(kind, group=group)
        return None

    return make


def _address_numbered(m: re.Match[str], header: str) -> Target | None:
    part = _ADR_WORDS.get(m.group(2))
    return Target(part, group=f"address {m.group(1)}") if part else None


def _organization(m: re.Match[str], header: str) -> Target | None:
    if m.group(1) != "1":
        return None
    return {"name": Target("company"), "title": Target("title"), "department": Target("department")}.get(
        m.group(2)
    )


def _field_numbered(m: re.Match[str], header: str) -> Target | None:
    kind, n, part = m.group(1), m.group(2), m.group(3)
    group = f"{kind} {n}"
    if part in ("label", "type"):
        return Target("field_label", group=group, key=_FIELD_KINDS[kind])
    if part == "value":
        return Target("field_value", group=group, key=_FIELD_KINDS[kind])
    return Target("ignore")


GOOGLE: list[Rule] = [
    *_fixed(
        {
            "name": Target("name"),
            "given name": Target("given"),
            "first name": Target("given"),
            "additional name": Target("middle"),
            "middle name": Target("middle"),
            "family name": Target("family"),
            "last name": Target("family"),
            "name prefix": Target("prefix"),
            "name suffix": Target("suffix"),
            "nickname": Target("nickname"),
            "birthday": Target("birthday"),
            "notes": Target("notes"),
            "group membership": Target("tags"),
            "labels": Target("tags"),
            "organization name": Target("company"),
            "organization title": Target("title"),
            "organization department": Target("department"),
            "file as": Target("ignore"),
            "photo": Target("ignore"),
            "initials": Target("ignore"),
        }
    ),
    _rx(r"(?:e-mail|email) (\d+) - (label|type|value)", _numbered("email")),
    _rx(r"phone (\d+) - (label|type|value)", _numbered("phone")),
    _rx(r"address (\d+) - (.+)", _address_numbered),
    _rx(r"organi[sz]ation (\d+) - (name|title|department)", _organization),
    _rx(r"(website|relation|event|im|custom field) (\d+) - (label|type|value|service)", _field_numbered),
]

_OUTLOOK_PHONES = {
    "assistant's phone": "assistant",
    "business fax": "work fax",
    "business phone": "work",
    "business phone 2": "work",
    "callback": "callback",
    "car phone": "car",
    "company main phone": "main",
    "home fax": "home fax",
    "home phone": "home",
    "home phone 2": "home",
    "isdn": "isdn",
    "mobile phone": "mobile",
    "home mobile": "mobile",
    "other fax": "other fax",
    "other phone": "other",
    "pager": "pager",
    "primary phone": None,
    "radio phone": "radio",
    "tty/tdd phone": "tty",
    "telex": "telex",
    "phone video": "video",
}


def _outlook_address(m: re.Match[str], header: str) -> Target | None:
    where = {"business": "work", "work": "work", "home": "home", "other": "other"}[m.group(1)]
    part = _ADR_WORDS.get(m.group(2))
    return Target(part, group=f"address {where}", label=where) if part else None


OUTLOOK: list[Rule] = [
    *_fixed(
        {
            "title": Target("prefix"),
            "first name": Target("given"),
            "middle name": Target("middle"),
            "last name": Target("family"),
            "suffix": Target("suffix"),
            "nickname": Target("nickname"),
            "display name": Target("name"),
            "company": Target("company"),
            "department": Target("department"),
            "job title": Target("title"),
            "birthday": Target("birthday"),
            "categories": Target("tags"),
            "notes": Target("notes"),
            "initials": Target("ignore"),
            "e-mail type": Target("ignore"),
            "e-mail display name": Target("ignore"),
            "e-mail 2 type": Target("ignore"),
            "e-mail 2 display name": Target("ignore"),
            "e-mail 3 type": Target("ignore"),
            "e-mail 3 display name": Target("ignore"),
            "web page": Target("field", key="website"),
            "email home": Target("email", label="home"),
            "email work": Target("email", label="work"),
            "email other": Target("email", label="other"),
        }
    ),
    *_fixed({k: Target("phone", label=v) for k, v in _OUTLOOK_PHONES.items()}),
    _rx(r"e-mail(?: (\d))? address", lambda m, h: Target("email")),
    _rx(
        r"(business|work|home|other) (street(?: [23])?|city|state|postal code|zip|country(?:/region)?|"
        r"address po box|po box)",
        _outlook_address,
    ),
]

THUNDERBIRD: list[Rule] = [
    *_fixed(
        {
            "first name": Target("given"),
            "last name": Target("family"),
            "display name": Target("name"),
            "nickname": Target("nickname"),
            "primary email": Target("email"),
            "secondary email": Target("email"),
            "work phone": Target("phone", label="work"),
            "home phone": Target("phone", label="home"),
            "fax number": Target("phone", label="fax"),
            "pager number": Target("phone", label="pager"),
            "mobile number": Target("phone", label="mobile"),
            "job title": Target("title"),
            "department": Target("department"),
            "organization": Target("company"),
            "web page 1": Target("field", key="website"),
            "web page 2": Target("field", key="website 2"),
            "birth year": Target("birth_year"),
            "birth month": Target("birth_month"),
            "birth day": Target("birth_day"),
            "notes": Target("notes"),
        }
    ),
    _rx(
        r"(home|work) (address|address 2|city|state|zipcode|country)",
        lambda m, h: Target(_ADR_WORDS[m.group(2)], group=f"address {m.group(1)}", label=m.group(1)),
    ),
]


def _general(where: str, what: str) -> Target:
    place = {"general": None, "business": "work"}.get(where, where)
    if what in ("email", "e-mail"):
        return Target("email", label=place)
    if what == "mobile":
        return Target("phone", label="mobile")
    if what == "fax":
        return Target("phone", label=f"{place} fax" if place else "fax")
    return Target("phone", label=place)


_VCARD_HEADER = r"(fn|n|tel|email|adr|org|title|role|note|bday|categories|nickname|uid)((?:;[^;]*)*)"


def _vcard_header(m: re.Match[str], header: str) -> Target | None:
    name, params = m.group(1), [p for p in m.group(2).split(";") if p]
    types = []
    for p in params:
        for t in p.split("=", 1)[-1].split(","):
            t = t.strip().lower()
            if t and t not in ("internet", "pref", "voice", "x400"):
                types.append("mobile" if t == "cell" else t)
    label = " ".join(types) or None
    simple = {
        "fn": "name",
        "org": "company",
        "title": "title",
        "role": "role",
        "note": "notes",
        "bday": "birthday",
        "categories": "tags",
        "nickname": "nickname",
        "uid": "uid",
    }
    if name in simple:
        return Target(simple[name])
    if name == "n":
        return Target("vcard_n")
    if name == "adr":
        return Target("vcard_adr", label=label)
    return Target("email" if name == "email" else "phone", label=label)


GENERIC: list[Rule] = [
    *_fixed(
        {
            "uid": Target("uid"),
            "name": Target("name"),
            "full name": Target("name"),
            "display name": Target("name"),
            "contact name": Target("name"),
            "given name": Target("given"),
            "first name": Target("given"),
            "firstname": Target("given"),
            "forename": Target("given"),
            "middle name": Target("middle"),
            "family name": Target("family"),
            "last name": Target("family"),
            "lastname": Target("family"),
            "surname": Target("family"),
            "nickname": Target("nickname"),
            "company": Target("company"),
            "organization": Target("company"),
            "organisation": Target("company"),
            "company name": Target("company"),
            "employer": Target("company"),
            "department": Target("department"),
            "job title": Target("title"),
            "title": Target("title"),
            "position": Target("title"),
            "role": Target("role"),
            "birthday": Target("birthday"),
            "date of birth": Target("birthday"),
            "dob": Target("birthday"),
            "notes": Target("notes"),
            "note": Target("notes"),
            "comments": Target("notes"),
            "comment": Target("notes"),
            "tags": Target("tags"),
            "labels": Target("tags"),
            "categories": Target("tags"),
            "groups": Target("tags"),
            "group": Target("tags"),
            "cadence days": Target("cadence"),
            "archived": Target("archived"),
            "email": Target("email"),
            "e-mail": Target("email"),
            "mail": Target("email"),
            "email address": Target("email"),
            "e-mail address": Target("email"),
            "phone": Target("phone"),
            "telephone": Target("phone"),
            "tel": Target("phone"),
            "phone number": Target("phone"),
            "mobile": Target("phone", label="mobile"),
            "cell": Target("phone", label="mobile"),
            "mobile phone": Target("phone", label="mobile"),
            "cell phone": Target("phone", label="mobile"),
            "fax": Target("phone", label="fax"),
            "street": Target("street", group="address"),
            "address": Target("street", group="address"),
            "city": Target("locality", group="address"),
            "town": Target("locality", group="address"),
            "state": Target("region", group="address"),
            "region": Target("region", group="address"),
            "province": Target("region", group="address"),
            "zip": Target("postcode", group="address"),
            "zip code": Target("postcode", group="address"),
            "postcode": Target("postcode", group="address"),
            "postal code": Target("postcode", group="address"),
            "country": Target("country", group="address"),
            "website": Target("field", key="website"),
            "web page": Target("field", key="website"),
            "url": Target("field", key="website"),
            "version": Target("ignore"),
            "unknown": Target("ignore"),
        }
    ),
    _rx(
        r"(home|work|business|other|private|personal) e-?mail",
        lambda m, h: Target(
            "email",
            label={"business": "work", "private": "home", "personal": "home"}.get(m.group(1), m.group(1)),
        ),
    ),
    _rx(
        r"(home|work|business|office|other|private) (?:phone|telephone|tel)",
        lambda m, h: Target(
            "phone",
            label={"business": "work", "office": "work", "private": "home"}.get(m.group(1), m.group(1)),
        ),
    ),
    # phones' own exports ("General mobile", "Business email", "Home street"...)
    _rx(r"(general|home|business) (mobile|phone|fax|e-?mail)", lambda m, h: _general(m.group(1), m.group(2))),
    _rx(
        r"(general|home|business) (street|city|state/province|postal/zip code|country/region|country/retion|"
        r"p\.o\.box|extension)",
        lambda m, h: Target(
            {
                "street": "street",
                "city": "locality",
                "state/province": "region",
                "postal/zip code": "postcode",
                "p.o.box": "po_box",
                "extension": "extended",
            }.get(m.group(2), "country"),
            group=f"address {m.group(1)}",
            label={"general": None, "business": "work"}.get(m.group(1), m.group(1)),
        ),
    ),
    _rx(r"field: ?(.+)", lambda m, h: Target("field", key=h.split(":", 1)[1].strip())),
    _rx(_VCARD_HEADER, _vcard_header),
    *GOOGLE,
    *OUTLOOK,
    *THUNDERBIRD,
]

RULES = {
    "google": GOOGLE + GENERIC,
    "outlook": OUTLOOK + GENERIC,
    "thunderbird": THUNDERBIRD + GENERIC,
    "generic": GENERIC,
}

#: values that say "nothing" in some exports
NOISE = {"0/0/00", "00.00.00", "0.0.00", "1/1/1601"}
NOISE_BY_COLUMN = {
    "priority": {"normal"},
    "sensitivity": {"normal"},
    "private": {"false"},
    "gender": {"unspecified"},
}


def detect(headers: list[str]) -> str:
    """The preset whose layout this header is."""
    h = {_norm(x) for x in headers}
    if "e-mail 1 - value" in h or "group membership" in h or "labels" in h and "first name" in h:
        return "google"
    if "primary email" in h and "display name" in h:
        return "thunderbird"
    if h & {"e-mail address", "business phone", "mobile phone", "home street", "business street"}:
        return "outlook"
    return "generic"


def map_columns(headers: list[str], preset: str) -> list[Target | None]:
    """The target of each column (None: it becomes a custom field when it holds something)."""
    rules = RULES[preset]
    out: list[Target | None] = []
    for header in headers:
        norm = _norm(header)
        target = None
        for pattern, make in rules:
            m = pattern.match(norm)
            if m:
                target = make(m, header.replace("\ufeff", "").strip())
                if target is not None:
                    break
        out.append(target)
    return out


def parse_target(spec: str) -> Target:
    """A ``--map`` field: ``name``, ``given``, ``email[:LABEL]``, ``street[:LABEL]``, ``field:KEY``,
    ``ignore``..."""
    spec = spec.strip()
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower().replace("-", "_").replace(" ", "_")
    kind = MAP_ALIASES.get(kind, kind)
    arg = arg.strip() or None
    if kind == "field":
        if not arg:
            raise InvalidInput("--map: write field:KEY for a custom field")
        return Target("field", key=arg)
    if kind in ("email", "phone"):
        return Target(kind, label=arg.lower() if arg else None)
    if kind in ADDRESS_PARTS:
        label = arg.lower() if arg else None
        return Target(kind, group=f"address {label or ''}".strip(), label=label)
    if kind in SIMPLE:
        return Target(kind)
    raise InvalidInput(
        f"--map: unknown field {spec!r}; use name, given, family, middle, prefix, suffix, nickname, company, "
        "title, role, birthday, notes, tags, uid, email[:LABEL], phone[:LABEL], "
        "street|locality|region|postcode|"
        "country|po_box[:LABEL], field:KEY or ignore"
    )


# --- reading --------------------------------------------------------------------------------------------


def open_text(stream: BinaryIO) -> TextIO:
    """A binary stream as text: BOM or UTF-16 found by its NUL bytes; else UTF-8 if the start is UTF-8,
    else windows-1252."""
    from tinycrm.formats.vcard import _Counted, sniff_encoding

    head = stream.read(65536) or b""
    encoding, bom = sniff_encoding(head)
    if encoding is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head[bom:], final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    raw = _Counted(head[bom:], stream)
    return io.TextIOWrapper(io.BufferedReader(raw), encoding=encoding, errors="replace", newline="")


def _delimiter(line: str) -> str:
    counts = {d: 0 for d in ",;\t"}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _unneutralise(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


class CsvReader:
    """The rows of one CSV file as :class:`Parsed` records; ``headers``, ``preset`` and ``targets`` tell how
    the columns were understood (for ``--dry-run``)."""

    def __init__(
        self,
        stream: BinaryIO,
        source: str,
        *,
        preset: str | None = None,
        overrides: dict[str, str] | None = None,
    ) -> None:
        if preset is not None and preset not in PRESETS:
            raise InvalidInput(f"unknown preset {preset!r}; use one of: {', '.join(PRESETS)}")
        self.source = source
        self._text = open_text(stream)
        first = self._text.readline()
        if not first.strip():
            raise InvalidInput(f"{source} is empty: a CSV file starts with a header line")
        self.delimiter = _delimiter(first)
        self.headers = next(csv.reader([first], delimiter=self.delimiter))
        self.preset = preset or detect(self.headers)
        self.targets = map_columns(self.headers, self.preset)
        for column, spec in (overrides or {}).items():
            wanted = _norm(column)
            hits = [i for i, h in enumerate(self.headers) if _norm(h) == wanted]
            if not hits:
                raise InvalidInput(
                    f"--map: no column named {column!r}; the columns are: "
                    + ", ".join(h.strip() for h in self.headers)
                )
            for i in hits:
                self.targets[i] = parse_target(spec)
        norm = {_norm(h) for h in self.headers}
        self.from_tinycrm = {"uid", "cadence days", "archived"} <= norm

    @property
    def bytes_read(self) -> int:
        return self._text.buffer.raw.count  # type: ignore[attr-defined]

    def describe(self) -> list[tuple[str, str]]:
        out = []
        for header, target in zip(self.headers, self.targets, strict=True):
            if target is None:
                out.append((header, "custom field (when not empty)"))
            elif target.field == "ignore":
                out.append((header, "ignored"))
            else:
                out.append((header, target.describe()))
        return out

    def __iter__(self) -> Iterator[Parsed]:
        reader = csv.reader(self._text, delimiter=self.delimiter)
        index = 0
        line = 2
        for row in reader:
            start, line = line, reader.line_num + 2  # the header was line 1
            if not any(cell.strip() for cell in row):
                continue
            index += 1
            try:
                record = self.convert(row)
            except InvalidInput as exc:
                yield Parsed(self.source, index, start, error=exc.message)
            except Exception as exc:  # noqa: BLE001 - a row must never stop the others
                yield Parsed(self.source, index, start, error=f"cannot read the row: {exc}")
            else:
                yield Parsed(self.source, index, start, record=record)

    def convert(self, row: list[str]) -> ContactRecord:
        return convert_row(self.headers, self.targets, row, from_tinycrm=self.from_tinycrm)


def _split_multi(value: str) -> list[str]:
    return [v.strip() for v in value.split(MULTI) if v.strip()] if MULTI in value else [value]


def _label(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lstrip("*").strip()
    return " ".join(value.lower().split())[:50] or None


def _tags(value: str) -> list[str]:
    parts = re.split(r" ::: |;|,", value)
    out = []
    for part in parts:
        part = " ".join(part.strip().lstrip("*").split())
        if part and part.casefold() not in ("my contacts", "mycontacts", "starred") and len(part) <= 100:
            out.append(part)
    return out


def convert_row(
    headers: list[str], targets: list[Target | None], row: list[str], *, from_tinycrm: bool = False
) -> ContactRecord:
    """One CSV row as a contact record; :class:`InvalidInput` when it holds nothing a contact can be
    made of."""
    from tinycrm.domain import validation as v
    from tinycrm.domain.dates import parse_birthday
    from tinycrm.formats.vcard import parse_bday

    c = ContactInput()
    warnings: list[str] = []
    simple: dict[str, str] = {}
    group_labels: dict[str, str] = {}
    emails: list[tuple[str | None, str | None, str, str]] = []  # (group, fixed label, value, header)
    phones: list[tuple[str | None, str | None, str, str]] = []
    addresses: dict[str, dict[str, str]] = {}
    address_labels: dict[str, str | None] = {}
    field_parts: dict[str, dict[str, str]] = {}
    fields: dict[str, str] = {}

    def put_field(key: str, value: str) -> None:
        key = " ".join(key.replace("=", "-").split())[:200] or "field"
        base, n = key, 1
        while key in fields:
            n += 1
            key = f"{base} {n}"
        fields[key] = value

    for i, raw in enumerate(row):
        value = _unneutralise(raw.strip())
        if not value:
            continue
        header = headers[i].replace("\ufeff", "").strip() if i < len(headers) else f"column {i + 1}"
        t = targets[i] if i < len(targets) else None
        if t is None:
            if value.lower() in NOISE or value.lower() in NOISE_BY_COLUMN.get(_norm(header), ()):
                continue
            put_field(header, value)
            continue
        f = t.field
        if f == "ignore":
            continue
        if value.lower() in NOISE:
            continue
        if f in ("email", "phone"):
            for part in _split_multi(value):
                (emails if f == "email" else phones).append((t.group, t.label, part, header))
        elif f == "label":
            group_labels[t.group or ""] = value
        elif f in ADDRESS_PARTS:
            group = t.group or "address"
            parts = addresses.setdefault(group, {})
            parts[f] = f"{parts[f]}, {value}" if f in parts else value
            address_labels.setdefault(group, t.label)
        elif f in ("field_label", "field_value"):
            field_parts.setdefault(t.group or "", {"kind": t.key or ""})[f] = value
        elif f == "field":
            put_field(t.key or header, value)
        elif f == "vcard_n":
            parts = (value.split(";") + [""] * 5)[:5]
            for key, part in zip(("family", "given", "middle", "prefix", "suffix"), parts, strict=True):
                if part.strip():
                    simple.setdefault(key, part.strip())
        elif f == "vcard_adr":
            parts = (value.split(";") + [""] * 7)[:7]
            group = f"vcard {header}"
            addresses[group] = {
                k: p.strip()
                for k, p in zip(
                    ("po_box", "extended", "street", "locality", "region", "postcode", "country"),
                    parts,
                    strict=True,
                )
                if p.strip() and p.strip() != "=="
            }
            address_labels[group] = t.label
        elif f == "tags":
            simple["tags"] = f"{simple['tags']};{value}" if "tags" in simple else value
        elif f == "notes" and "notes" in simple:
            simple["notes"] += "\n\n" + value
        else:
            simple.setdefault(f, value)

    # names
    c.given_name = simple.get("given")
    c.family_name = simple.get("family")
    display = simple.get("name")
    if not display:
        parts = [simple.get(k) for k in ("prefix", "given", "middle", "family", "suffix")]
        display = " ".join(p for p in parts if p) or None
    c.company = simple.get("company")
    c.job_title = simple.get("title")
    c.company_role = simple.get("role")
    c.notes = simple.get("notes")
    c.uid = simple.get("uid")
    if simple.get("department"):
        put_field("department", simple["department"])
    if simple.get("nickname"):
        put_field("nickname", simple["nickname"])
    # birthday
    bday = simple.get("birthday")
    month, day = simple.get("birth_month", ""), simple.get("birth_day", "")
    if not bday and month.isdigit() and day.isdigit():
        year = simple.get("birth_year", "")
        bday = f"{year if year.isdigit() else '-'}-{int(month):02d}-{int(day):02d}"
    if bday:
        try:
            c.birthday = parse_birthday(parse_bday(bday) or bday)
        except InvalidInput:
            warnings.append(f"birthday {bday!r} is not a date; kept as a custom field")
            put_field("birthday", bday)
    # emails and phones
    for group, fixed, value, header in emails:
        label = fixed or _label(group_labels.get(group or ""))
        try:
            c.emails.append(Labeled(v.email(value), label))
        except InvalidInput:
            warnings.append(f"{header}: {value!r} is not an email address; kept as a custom field")
            put_field(header, value)
    for group, fixed, value, header in phones:
        label = fixed or _label(group_labels.get(group or ""))
        try:
            c.phones.append(Labeled(v.phone(value), label))
        except InvalidInput:
            warnings.append(f"{header}: {value!r} is not a phone number; kept as a custom field")
            put_field(header, value)
    # addresses
    for group, parts in addresses.items():
        label = address_labels.get(group) or _label(group_labels.get(group))
        street = parts.get("street")
        if parts.get("street2"):
            street = f"{street}, {parts['street2']}" if street else parts["street2"]
        structured = {
            k: parts.get(k) for k in ("locality", "region", "postcode", "country", "po_box", "extended")
        }
        if not street and not any(structured.values()) and parts.get("formatted"):
            street = " ".join(parts["formatted"].split())
        address = Address(label=label, street=street, **structured)
        if address.one_line():
            c.addresses.append(address)
    # custom fields given as label + value pairs (Google)
    for group, parts in field_parts.items():
        value = parts.get("field_value")
        if not value:
            continue
        kind, label = parts.get("kind"), parts.get("field_label")
        key = (f"{kind} ({label.lower()})" if label else kind) if kind else (label or group)
        put_field(key, value)
    if simple.get("tags"):
        c.tags = list(dict.fromkeys(_tags(simple["tags"])))
    if simple.get("cadence", "").isdigit() and int(simple["cadence"]) > 0:
        c.cadence_days = int(simple["cadence"])
    c.archived = simple.get("archived", "").strip().lower() in ("true", "yes", "1", "x")
    c.fields = fields
    display = display or c.company or simple.get("nickname")
    if not display and not c.emails and c.phones:
        display = c.phones[0].value
    if not display and not c.emails:
        raise InvalidInput("the row has no name, company, email address or phone number")
    c.display_name = display
    return ContactRecord(c, [], None, warnings, from_tinycrm)


# --- writing --------------------------------------------------------------------------------------------


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


_ADR_COLUMNS = (
    ("Street", "street"),
    ("City", "locality"),
    ("Region", "region"),
    ("Postal Code", "postcode"),
    ("Country", "country"),
    ("PO Box", "po_box"),
    ("Extended Address", "extended"),
)


def header(preset: str, layout: Layout) -> list[str]:
    if preset == "google":
        cols = [
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
        ]
        for n in range(1, layout.emails + 1):
            cols += [f"E-mail {n} - Label", f"E-mail {n} - Value"]
        for n in range(1, layout.phones + 1):
            cols += [f"Phone {n} - Label", f"Phone {n} - Value"]
        for n in range(1, layout.addresses + 1):
            cols += [
                f"Address {n} - Label",
                f"Address {n} - Formatted",
                f"Address {n} - Street",
                f"Address {n} - City",
                f"Address {n} - PO Box",
                f"Address {n} - Region",
                f"Address {n} - Postal Code",
                f"Address {n} - Country",
                f"Address {n} - Extended Address",
            ]
        for n in range(1, layout.most_fields + 1):
            cols += [f"Custom Field {n} - Label", f"Custom Field {n} - Value"]
        return cols
    cols = [
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
    ]
    for n in range(1, layout.emails + 1):
        cols += [f"Email {n} - Label", f"Email {n} - Value"]
    for n in range(1, layout.phones + 1):
        cols += [f"Phone {n} - Label", f"Phone {n} - Value"]
    for n in range(1, layout.addresses + 1):
        cols += [f"Address {n} - Label", *(f"Address {n} - {name}" for name, _ in _ADR_COLUMNS)]
    cols += [f"Field: {key}" for key in layout.fields]
    return cols


def _pad(items: list[str], size: int) -> list[str]:
    return items + [""] * (size - len(items))


def row(c: ContactData, preset: str, layout: Layout) -> list[str]:
    if preset == "google":
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
        for e in c.emails[: layout.emails]:
            out += [(e.label or "").title(), e.value]
        out += [""] * 2 * (layout.emails - min(len(c.emails), layout.emails))
        for p in c.phones[: layout.phones]:
            out += [(p.label or "").title(), p.value]
        out += [""] * 2 * (layout.phones - min(len(c.phones), layout.phones))
        for a in c.addresses[: layout.addresses]:
            out += [
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
        out += [""] * 9 * (layout.addresses - min(len(c.addresses), layout.addresses))
        pairs = [[k, val] for k, val in c.fields.items()]
        if c.company_role:
            pairs.insert(0, ["role", c.company_role])
        out += [x for pair in pairs[: layout.most_fields] for x in pair]
        out += [""] * 2 * (layout.most_fields - min(len(pairs), layout.most_fields))
        return [neutralise(x) for x in out]
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
        cells += [a.label or "", *(getattr(a, attr) or "" for _, attr in _ADR_COLUMNS)]
    out += _pad(cells, 8 * layout.addresses)
    out += [c.fields.get(key, "") for key in layout.fields]
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
