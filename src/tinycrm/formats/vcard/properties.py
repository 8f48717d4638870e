"""One card's properties as a contact record: a small handler per property (or family of properties),
registered in :data:`PROPERTIES` by property name. A property without a handler is kept verbatim as an
:class:`~tinycrm.formats.records.Extra` and written back on export.

Each handler gets the :class:`CardBuilder` of the card and one :class:`~.lines.Prop`; it fills in the
contact, or keeps the property (with a warning when it held something that could not be used).
:meth:`CardBuilder.record` then completes the record (names, display name) once every property is read."""

from __future__ import annotations

import binascii
from collections.abc import Callable

from tinycrm.domain.dates import parse_birthday
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, ContactInput, Labeled
from tinycrm.formats import fieldvalues
from tinycrm.formats.records import ContactRecord, Extra, Photo
from tinycrm.formats.vcard import values
from tinycrm.formats.vcard.lines import Prop, split_escaped, unescape
from tinycrm.formats.vcard.values import CardDecoder, params_text

#: the TYPE words that say nothing about the label, by property
TEL_DROP = {"voice", "pref", "internet"}
EMAIL_DROP = {"internet", "pref", "x400"}
ADR_DROP = {"pref", "postal", "parcel", "dom", "intl"}
_LABELLED = ("EMAIL", "TEL", "ADR")
#: parameters that only say how the value is written: N or ORG with others is kept to be written back
_PLAIN_PARAMS = ("CHARSET", "ENCODING", "LANGUAGE")


class CardBuilder:
    """The contact being built from one card, and what its handlers need to share."""

    __slots__ = (
        "card",
        "contact",
        "warnings",
        "extras",
        "labels",
        "mapped_groups",
        "fn",
        "n_prop",
        "n_parts",
        "rich_n",
        "org_prop",
        "rich_org",
        "notes",
        "tags",
        "photo",
        "nickname",
        "from_tinycrm",
    )

    def __init__(self, props: list[Prop], *, forced_utf8: bool = False, legacy: str | None = None) -> None:
        version = "3.0"
        for p in props:
            if p.name == "VERSION":
                version = p.raw.decode("ascii", "replace").strip() or version
                break
        self.card = CardDecoder(version, forced_utf8, legacy)
        self.contact = ContactInput()
        self.warnings: list[str] = []
        self.extras: list[Extra] = []
        #: Apple's ``itemN.X-ABLabel`` by group, and the groups that hold an email, phone or address
        self.labels: dict[str, str] = {}
        self.mapped_groups: set[str] = set()
        for p in props:
            if p.name == "X-ABLABEL" and p.group:
                self.labels[p.group] = self.card.value(p)
            elif p.group and p.name in _LABELLED:
                self.mapped_groups.add(p.group)
        self.fn: str | None = None
        self.n_prop: Prop | None = None
        self.n_parts: list[str] | None = None
        self.rich_n = False  # N has parts without a column (prefix, suffix...)
        self.org_prop: Prop | None = None
        self.rich_org = False  # ORG has parts without a column (department...)
        self.notes: list[str] = []
        self.tags: list[str] = []
        self.photo: Photo | None = None
        self.nickname: str | None = None
        self.from_tinycrm = False

    def keep(self, p: Prop, why: str | None = None) -> None:
        """Keep the property verbatim; ``why`` is the warning when it held something unusable."""
        self.extras.append(values.extra(self.card, p))
        if why:
            self.warnings.append(f"line {p.line}: {why}; kept as it is")

    def label_of(self, p: Prop, drop: set[str], tel: bool = False) -> str | None:
        """The label of an email, phone or address: its group's ``X-ABLabel``, else its ``TYPE`` words."""
        if p.group and p.group in self.labels:
            return values.apple_label(self.labels[p.group])
        return values.label_from_types(p.types, drop, tel)

    def record(self) -> ContactRecord:
        """The record, once every property went through its handler."""
        c = self.contact
        # the parts of N and ORG without a column are kept as the first N / ORG extra (see the writer)
        for prop, rich in ((self.org_prop, self.rich_org), (self.n_prop, self.rich_n)):
            if prop is not None and rich:
                self.extras.insert(0, Extra(prop.name, params_text(prop), self.card.value(prop)))
        if self.n_parts is not None:
            c.family_name = self.n_parts[0] or None
            c.given_name = self.n_parts[1] or None
        c.display_name = self._display_name()
        c.notes = "\n\n".join(self.notes) or None
        c.tags = self.tags
        if self.card.unsure:
            lines = ", ".join(map(str, self.card.unsure))
            self.warnings.append(
                f"line {lines}: text that does not say its encoding and is not UTF-8 read as windows-1252; "
                "if it looks wrong, give --encoding"
            )
        return ContactRecord(c, self.extras, self.photo, self.warnings, self.from_tinycrm)

    def _display_name(self) -> str | None:
        c, n_parts = self.contact, self.n_parts
        display = self.fn
        if (
            display
            and not any(n_parts or ())
            and c.emails
            and display.casefold() == c.emails[0].value.casefold()
        ):
            display = None  # named after its email address: the contacts service does that itself
        if not display and n_parts is not None:
            family, given, additional, prefix, suffix = n_parts[:5]
            display = " ".join(x for x in (prefix, given, additional, family, suffix) if x)
        display = display or c.company or self.nickname
        if not display and not c.emails and c.phones:
            display = c.phones[0].value
        if not display and not c.emails:
            raise InvalidInput("the card has no name, organisation, email address or phone number")
        return display or None


Handler = Callable[[CardBuilder, Prop], None]

#: the handler of each property name; any other property is kept verbatim (:meth:`CardBuilder.keep`)
PROPERTIES: dict[str, Handler] = {}


def handles(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler for the properties ``names``."""

    def register(handler: Handler) -> Handler:
        for name in names:
            PROPERTIES[name] = handler
        return handler

    return register


def convert(props: list[Prop], *, forced_utf8: bool = False, legacy: str | None = None) -> ContactRecord:
    """The properties of one card as a contact record (``legacy``: the encoding of values that declare none
    and are not UTF-8). Raises :class:`InvalidInput` when the card holds nothing a contact can be made of."""
    b = CardBuilder(props, forced_utf8=forced_utf8, legacy=legacy)
    keep = CardBuilder.keep
    for p in props:
        PROPERTIES.get(p.name, keep)(b, p)
    return b.record()


# --- what every card has --------------------------------------------------------------------------------


@handles("VERSION", "REV", "PROFILE")  # PROFILE:VCARD says nothing (and breaks vobject)
def _ignore(b: CardBuilder, p: Prop) -> None:
    pass


@handles("PRODID")
def _prodid(b: CardBuilder, p: Prop) -> None:
    if "tinycrm" in p.raw.decode("ascii", "replace").lower():
        b.from_tinycrm = True


# --- names and work -------------------------------------------------------------------------------------


@handles("FN")
def _fn(b: CardBuilder, p: Prop) -> None:
    if b.fn is None:
        b.fn = b.card.text(p)
        if b.fn:
            return
    b.keep(p)


@handles("N")
def _n(b: CardBuilder, p: Prop) -> None:
    if b.n_prop is not None:
        b.rich_n = True  # a second N (ALTID): the first is kept too, so that it comes first
        b.keep(p)
        return
    b.n_prop, b.n_parts = p, b.card.parts(p, 5)
    b.rich_n = any(b.n_parts[2:]) or bool(params_text(p, _PLAIN_PARAMS))


@handles("ORG")
def _org(b: CardBuilder, p: Prop) -> None:
    if b.org_prop is not None:
        b.rich_org = True
        b.keep(p)
        return
    b.org_prop, parts = p, b.card.parts(p, 1)
    b.contact.company = parts[0] or None
    b.rich_org = any(parts[1:]) or bool(params_text(p, _PLAIN_PARAMS))


@handles("NICKNAME")
def _nickname(b: CardBuilder, p: Prop) -> None:
    """The first nickname names a card that has nothing better; every NICKNAME is kept to be written back."""
    if b.nickname is None:
        b.nickname = unescape(split_escaped(b.card.value(p), ",")[0]).strip() or None
    b.keep(p)


def _first_text(attribute: str) -> Handler:
    """A handler filling a text column from the first property that has a value; later ones are kept."""

    def handler(b: CardBuilder, p: Prop) -> None:
        if getattr(b.contact, attribute) is None:
            setattr(b.contact, attribute, b.card.text(p) or None)
        else:
            b.keep(p)

    return handler


handles("TITLE")(_first_text("job_title"))
handles("ROLE")(_first_text("company_role"))


@handles("UID")
def _uid(b: CardBuilder, p: Prop) -> None:
    if b.contact.uid is not None:
        b.keep(p)
        return
    uid = b.card.text(p)
    if len(uid) > 255:
        b.keep(p, "the UID is longer than 255 characters")
    else:
        b.contact.uid = uid or None


# --- text, dates, photo ---------------------------------------------------------------------------------


@handles("NOTE")
def _note(b: CardBuilder, p: Prop) -> None:
    text = b.card.text(p)
    if text:
        b.notes.append(text)


@handles("BDAY")
def _bday(b: CardBuilder, p: Prop) -> None:
    c = b.contact
    if c.birthday is not None:
        b.keep(p)
        return
    text = b.card.text(p)
    try:
        c.birthday = parse_birthday(values.parse_bday(text) or text)
    except InvalidInput:
        c.birthday = None
    if c.birthday is None:
        b.keep(p, f"birthday {b.card.text(p)!r} is not a date")


@handles("CATEGORIES")
def _categories(b: CardBuilder, p: Prop) -> None:
    pieces = split_escaped(b.card.value(p), ",")
    if b.card.v21 or len(pieces) == 1:
        pieces = [q for piece in pieces for q in split_escaped(piece, ";")]
    tags = b.tags
    for piece in pieces:
        for tag in unescape(piece).split(","):  # "a\, b" is meant as two tags by Thunderbird
            tag = " ".join(tag.split())
            if tag and len(tag) <= 100 and tag.casefold() not in {t.casefold() for t in tags}:
                tags.append(tag)


@handles("PHOTO")
def _photo(b: CardBuilder, p: Prop) -> None:
    if b.photo is not None:
        b.keep(p)
        return
    try:
        b.photo = values.photo(b.card, p)
    except (ValueError, binascii.Error):
        b.keep(p, "the photo cannot be decoded")
        return
    if b.photo is None and p.raw.strip():
        b.keep(p)  # a URL


# --- emails, phones, addresses (labelled by TYPE or by an Apple group's X-ABLabel) -----------------------


@handles("EMAIL")
def _email(b: CardBuilder, p: Prop) -> None:
    text = b.card.text(p)
    if not text:
        return
    try:
        value, doubt = fieldvalues.email(text)
    except InvalidInput:
        b.keep(p, f"{text!r} is not an email address")
        return
    b.contact.emails.append(Labeled(value, b.label_of(p, EMAIL_DROP)))
    if doubt:
        b.warnings.append(f"line {p.line}: {doubt}")


@handles("TEL")
def _tel(b: CardBuilder, p: Prop) -> None:
    text = b.card.text(p)
    if text.lower().startswith("tel:"):
        text = text[4:]
    if not text:
        return
    try:
        value, doubt = fieldvalues.phone(text)
    except InvalidInput:
        b.keep(p, f"{text!r} is not a phone number")
        return
    b.contact.phones.append(Labeled(value, b.label_of(p, TEL_DROP, tel=True)))
    if doubt:
        b.warnings.append(f"line {p.line}: {doubt}")


@handles("ADR")
def _adr(b: CardBuilder, p: Prop) -> None:
    po_box, extended, street, locality, region, postcode, country = b.card.parts(p, 7)[:7]
    address = Address(
        label=b.label_of(p, ADR_DROP),
        street=street or None,
        locality=locality or None,
        region=region or None,
        postcode=postcode or None,
        country=country or None,
        po_box=po_box or None,
        extended=extended or None,
    )
    if address.one_line():
        b.contact.addresses.append(address)


@handles("X-ABLABEL")
def _ablabel(b: CardBuilder, p: Prop) -> None:
    """The label of an email, phone or address of its group is read with it; any other is kept."""
    if p.group not in b.mapped_groups:
        b.keep(p)


# --- tinycrm's own properties ---------------------------------------------------------------------------


@handles("X-TINYCRM-FIELD")
def _custom_field(b: CardBuilder, p: Prop) -> None:
    key, sep, value = b.card.text(p).partition("=")
    if sep and key.strip():
        b.contact.fields[key.strip()] = value
    b.from_tinycrm = True


@handles("X-TINYCRM-CADENCE")
def _cadence(b: CardBuilder, p: Prop) -> None:
    text = b.card.text(p)
    if text.isdigit() and int(text) > 0:
        b.contact.cadence_days = int(text)
    b.from_tinycrm = True


@handles("X-TINYCRM-ARCHIVED")
def _archived(b: CardBuilder, p: Prop) -> None:
    b.contact.archived = b.card.text(p).upper() in ("TRUE", "1", "YES")
    b.from_tinycrm = True
