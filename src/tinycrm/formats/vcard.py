"""vCard 2.1, 3.0 and 4.0 <-> contact records. No database, no UI.

**Reading** is a tolerant line parser of its own, working on bytes, because what real clients write breaks
strict parsers (vobject 0.9.9 fails on a third of a typical collection):

* the file's encoding: a BOM (UTF-8, UTF-16, UTF-32), UTF-16 without a BOM (found by its NUL bytes), otherwise
  bytes, decoded value by value: UTF-8 when the bytes are UTF-8, else the property's ``CHARSET`` (Shift_JIS,
  KOI8-R, windows-1252...), else windows-1252;
* line ends ``LF``, ``CRLF``, ``CR CR LF`` (iOS) and ``CR``; folded lines are joined as bytes, so a multi-byte
  character split by the folding survives;
* quoted-printable values with soft line breaks (``=`` at the end of a line), with or without ``CHARSET``;
  2.1 BASE64 blocks that are not indented; 2.1 bare parameters (``TEL;WORK;VOICE``);
* Apple ``itemN.`` groups: ``itemN.X-ABLabel`` gives the label of the email, phone or address in its group;
* a line that cannot be read is skipped with a warning; a card that cannot be read (not closed, no name
  at all...) becomes an error for that card only, and reading goes on with the next one.

Every property tinycrm has no column for (``X-...``, ``URL``, ``NICKNAME``, ``IMPP``, a second ``ORG``...) is
kept as an :class:`~tinycrm.formats.records.Extra` and written back on export, as are the parts of ``N`` and
``ORG`` that have no column (prefix, suffix, department): see docs/formats.md.

**Writing** produces vCard 3.0 (RFC 2426) or 4.0 (RFC 6350) text directly (vobject only writes 3.0, and
breaks on data-URI photos): lines folded at 75 octets, CRLF line ends.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import io
import re
from collections.abc import Iterable, Iterator
from datetime import UTC
from typing import BinaryIO

from tinycrm import __version__
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, ContactInput, Labeled
from tinycrm.formats.records import ContactData, ContactRecord, Extra, Parsed, Photo

VERSIONS = ("3.0", "4.0")
PRODID = f"-//tinycrm//tinycrm {__version__}//EN"

# --- bytes to lines -------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sniff_encoding(head: bytes) -> tuple[str | None, int]:
    """The encoding of a whole file when it has one (BOM, or UTF-16 found by its NUL bytes), and the length
    of its BOM. ``None`` means: 8-bit text, decoded value by value."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return (None if name == "utf-8" else name), len(bom)
    sample = head[:512]
    if len(sample) >= 4 and sample.count(0) * 4 >= len(sample):
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        if even > odd * 2:
            return "utf-16-be", 0
        if odd > even * 2:
            return "utf-16-le", 0
    return None, 0


class _Counted(io.RawIOBase):
    """A raw stream over ``head`` then the rest of ``stream``, counting the bytes read (for progress)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:  # noqa: ANN001 - a writable buffer
        if self._head:
            n = min(len(buf), len(self._head))
            buf[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._stream.read(len(buf))
            n = len(data)
            buf[:n] = data
        self.count += n
        return n


def decode_text(raw: bytes, charset: str | None = None) -> str:
    """Bytes of one value as text: UTF-8 when they are UTF-8, else the declared charset, else windows-1252."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if charset:
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# --- content lines --------------------------------------------------------------------------------------

_NAME = re.compile(rb"[A-Za-z0-9-]+\Z")
_NAMES: dict[bytes, tuple[str | None, str]] = {}
_B64_LINE = re.compile(rb"[A-Za-z0-9+/=]+\Z")
_BARE_ENCODINGS = {"QUOTED-PRINTABLE", "BASE64", "B", "8BIT", "7BIT"}


class Prop:
    """One content line of a card, still undecoded."""

    __slots__ = ("group", "name", "raw_params", "raw", "line", "_params")

    def __init__(self, group: str | None, name: str, raw_params: list[bytes], raw: bytes, line: int) -> None:
        self.group = group
        self.name = name
        self.raw_params = raw_params
        self.raw = raw
        self.line = line
        self._params: dict[str, list[str]] | None = None

    @property
    def params(self) -> dict[str, list[str]]:
        if self._params is None:
            self._params = _parse_params(self.raw_params)
        return self._params

    def param(self, key: str) -> str | None:
        values = self.params.get(key) if self.raw_params else None
        return values[0] if values else None

    @property
    def types(self) -> list[str]:
        if not self.raw_params:
            return []
        return [t.lower() for t in self.params.get("TYPE", []) if t]


def _split_quoted(text: bytes, sep: int) -> list[bytes]:
    parts, start, quoted = [], 0, False
    for i, ch in enumerate(text):
        if ch == 34:  # "
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _split_values(text: str) -> list[str]:
    """``a,"b,c",d`` as ``["a", "b,c", "d"]``."""
    if '"' not in text:
        return [v.strip() for v in text.split(",")]
    out, cur, quoted = [], [], False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return out


def _parse_params(raw: list[bytes]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in raw:
        item = item.strip()
        if not item:
            continue
        text = item.decode("utf-8", "replace")
        if "=" in text:
            key, value = text.split("=", 1)
            key = key.strip().upper()
            values = _split_values(value)
        else:
            key = "ENCODING" if text.upper() in _BARE_ENCODINGS else "TYPE"
            values = [text]
        out.setdefault(key, []).extend(values)
    return out


def parse_line(line: bytes, number: int) -> Prop | None:
    """A content line ``[group.]NAME[;params]:value``; None when the line is not one."""
    colon = line.find(b":")
    if colon <= 0:
        return None
    head = line[:colon]
    if 34 in head:  # a quoted parameter value may hold ':' and ';'
        quoted = False
        colon = -1
        for i, ch in enumerate(line):
            if ch == 34:
                quoted = not quoted
            elif ch == 58 and not quoted:
                colon = i
                break
        if colon <= 0:
            return None
        parts = _split_quoted(line[:colon], 59)
    else:
        parts = head.split(b";")
    raw_name = parts[0]
    known = _NAMES.get(raw_name)
    if known is None:
        name = raw_name.strip()
        group = None
        dot = name.rfind(b".")
        if dot >= 0:
            group = name[:dot].decode("ascii", "replace")
            name = name[dot + 1 :]
        if not _NAME.match(name):
            return None
        known = (group, name.decode("ascii").upper())
        if len(_NAMES) < 4096:  # the same few names come back on every card
            _NAMES[raw_name] = known
    return Prop(known[0], known[1], parts[1:], line[colon + 1 :], number)


# --- text values ----------------------------------------------------------------------------------------

_UNESCAPE = re.compile(r"\\(.)", re.S)


def unescape(text: str) -> str:
    """A vCard text value as people read it (``\\n`` is a new line, ``\\,`` a comma...)."""
    if "\\" not in text:
        return text
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def split_escaped(text: str, sep: str = ";") -> list[str]:
    """Split on ``sep`` where it is not escaped; the parts stay escaped."""
    if "\\" not in text:
        return text.split(sep)
    parts, cur, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            cur.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def escape(text: str) -> str:
    """A text value for a vCard: backslash, comma, semicolon and new lines escaped."""
    if not any(ch in text for ch in "\\,;\n\r"):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


# --- reading --------------------------------------------------------------------------------------------


class VCardReader:
    """Cards of one file or stream, read lazily: iterate for :class:`Parsed` items.

    ``bytes_read`` tells how far into the stream reading has got (for a progress bar)."""

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.source = source
        head = stream.read(4096) or b""
        self.encoding, bom = sniff_encoding(head)
        self._raw = _Counted(head[bom:], stream)
        self._raw.count = bom
        self._buffered = io.BufferedReader(self._raw, 1 << 16)
        self.count = 0

    @property
    def bytes_read(self) -> int:
        return self._raw.count

    # physical lines, without their line ends
    def _lines(self) -> Iterator[tuple[int, bytes]]:
        number = 0
        if self.encoding:
            text = io.TextIOWrapper(self._buffered, encoding=self.encoding, errors="replace", newline="")
            for line in text:
                number += 1
                yield number, line.rstrip("\r\n").encode("utf-8")
            return
        for line in self._buffered:
            number += 1
            line = line.rstrip(b"\r\n")
            if 13 in line:  # CR alone ends lines too (old Mac files)
                for part in line.split(b"\r"):
                    yield number, part
                continue
            yield number, line

    # logical lines: folding, quoted-printable soft breaks and unindented BASE64 blocks undone
    def _logical(self) -> Iterator[tuple[int, bytes]]:
        parts: list[bytes] = []
        start = 0
        qp = b64 = False
        for number, line in self._lines():
            if parts:
                if qp and parts[-1].endswith(b"="):
                    parts[-1] = parts[-1][:-1]
                    parts.append(line)
                    continue
                if line and line[0] in (32, 9):  # a folded line: space or tab
                    parts.append(line[1:])
                    continue
                if b64 and line and _B64_LINE.match(line):
                    parts.append(line)
                    continue
                yield start, parts[0] if len(parts) == 1 else b"".join(parts)
                parts = []
            if not line or line.isspace():
                continue
            parts = [line]
            start = number
            colon = line.find(b":")
            head = line[:colon] if colon >= 0 else line
            if 59 in head:  # only a property with parameters can be encoded
                head = head.upper()
                qp = b"QUOTED-PRINTABLE" in head
                b64 = b"BASE64" in head or b"ENCODING=B" in head
            else:
                qp = b64 = False
        if parts:
            yield start, b"".join(parts)

    def __iter__(self) -> Iterator[Parsed]:
        props: list[Prop] | None = None
        warnings: list[str] = []
        begin_line = 0
        nested = 0
        for number, line in self._logical():
            prop = parse_line(line, number)
            if prop is None:
                if props is not None and not nested:
                    shown = line[:40].decode("utf-8", "replace")
                    warnings.append(f"line {number}: not a vCard property, skipped: {shown!r}")
                continue
            name = prop.name
            if name == "BEGIN" and prop.raw.strip().upper() == b"VCARD":
                if props is not None:
                    if props and props[-1].name == "AGENT" and not props[-1].raw.strip():
                        nested += 1  # a 2.1 AGENT holding a whole vCard: skipped
                        continue
                    if nested:
                        nested += 1
                        continue
                    self.count += 1
                    yield Parsed(
                        self.source, self.count, begin_line, error="the card is not closed (no END:VCARD)"
                    )
                props, warnings, begin_line = [], [], number
                continue
            if props is None:
                continue  # text between cards
            if name == "END" and prop.raw.strip().upper() == b"VCARD":
                if nested:
                    nested -= 1
                    continue
                self.count += 1
                try:
                    record = convert(props, forced_utf8=self.encoding is not None)
                except InvalidInput as exc:
                    yield Parsed(self.source, self.count, begin_line, error=exc.message)
                except Exception as exc:  # noqa: BLE001 - a card must never stop the others
                    yield Parsed(self.source, self.count, begin_line, error=f"cannot read the card: {exc}")
                else:
                    record.warnings[:0] = warnings
                    yield Parsed(self.source, self.count, begin_line, record=record)
                props = None
                continue
            if not nested:
                props.append(prop)
        if props is not None:
            self.count += 1
            yield Parsed(self.source, self.count, begin_line, error="the card is not closed (no END:VCARD)")


def read_vcards(stream: BinaryIO, source: str = "<stdin>") -> Iterator[Parsed]:
    """Every card of a vCard stream (one card, many, any version), as :class:`Parsed` items."""
    return iter(VCardReader(stream, source))


def read_text(text: str | bytes, source: str = "<text>") -> list[Parsed]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(VCardReader(io.BytesIO(data), source))


# --- one card to a record -------------------------------------------------------------------------------

_SKIP = {"VERSION", "PRODID", "REV", "PROFILE"}  # PROFILE:VCARD says nothing (and breaks vobject)
_TEL_DROP = {"voice", "pref", "internet"}
_EMAIL_DROP = {"internet", "pref", "x400"}
_ADR_DROP = {"pref", "postal", "parcel", "dom", "intl"}
_LABEL_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
_MEDIA = {
    "JPEG": "image/jpeg",
    "JPG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
}
_OMITTED_YEARS = {"1604", "0000", "1900"}


class _Card:
    """Decoding helpers for the properties of one card."""

    def __init__(self, version: str, forced_utf8: bool) -> None:
        self.v21 = version.startswith("2")
        self.forced_utf8 = forced_utf8

    def value(self, prop: Prop) -> str:
        """The value in vCard 3.0 escaped form, whatever the card's version and encoding."""
        raw = prop.raw
        qp = False
        if prop.raw_params:
            enc = prop.param("ENCODING")
            if enc and enc.upper() in ("QUOTED-PRINTABLE", "QP"):
                raw = binascii.a2b_qp(raw)
                qp = True
            charset = None if self.forced_utf8 and not qp else prop.param("CHARSET")
        else:
            charset = None
        text = decode_text(raw, charset)
        if qp or self.v21:
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            if "\n" in text:
                text = text.replace("\n", "\\n")
        return text

    def text(self, prop: Prop) -> str:
        return unescape(self.value(prop)).strip()

    def parts(self, prop: Prop, count: int) -> list[str]:
        parts = [unescape(p).strip() for p in split_escaped(self.value(prop))]
        return (parts + [""] * count)[:count] if len(parts) < count else parts

    def is_binary(self, prop: Prop) -> bool:
        enc = prop.param("ENCODING") if prop.raw_params else None
        return bool(enc and enc.upper() in ("B", "BASE64"))


def _label_from_types(types: list[str], drop: set[str], tel: bool = False) -> str | None:
    words = []
    for t in types:
        for word in t.split(","):
            word = word.strip().lower()
            if not word or word in drop:
                continue
            if word.startswith("x-"):
                word = word[2:]
            if tel and word == "cell":
                word = "mobile"
            if word not in words:
                words.append(word)
    return " ".join(words)[:50] or None


def apple_label(text: str) -> str | None:
    """An ``X-ABLabel`` as a tinycrm label: ``_$!<HomePage>!$_`` is ``home page``."""
    text = unescape(text).strip()
    m = _APPLE_LABEL.match(text)
    if m:
        text = " ".join(w.lower() for w in _LABEL_WORDS.findall(m.group(1))) or m.group(1)
    return " ".join(text.lower().split())[:50] or None


def parse_bday(text: str) -> str | None:
    """``YYYY-MM-DD`` or ``--MM-DD`` from the forms clients write (``19800322``, ``--0203``,
    ``1955-07-19T00:00:00Z``, Apple's year 1604 for "no year"); None when it is none of them."""
    text = text.strip()
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})(?:T[\d:.]*(?:Z|[+-]\d{2}:?\d{2})?)?", text)
    if m:
        year, month, day = m.groups()
        if year in _OMITTED_YEARS:
            return f"--{month}-{day}"
        return f"{year}-{month}-{day}"
    m = re.fullmatch(r"--(\d{2})-?(\d{2})", text)
    if m:
        return f"--{m.group(1)}-{m.group(2)}"
    return None


def _sniff_media(data: bytes) -> str:
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"GIF8"):
        return "image/gif"
    return "application/octet-stream"


def _b64decode(text: str) -> bytes:
    compact = "".join(text.split())
    compact += "=" * (-len(compact) % 4)
    return base64.b64decode(compact, validate=False)


def data_uri(text: str) -> Photo | None:
    """``data:image/png;base64,...`` as a photo; None when it is not a base64 data URI."""
    m = re.match(r"(?is)^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[^;,]*)*)(;base64)?,(.*)$", text.strip())
    if not m or not m.group(3):
        return None
    data = _b64decode(m.group(4))
    return Photo((m.group(1) or _sniff_media(data)).lower(), data)


def _params_text(prop: Prop, drop: Iterable[str] = ("CHARSET",)) -> str | None:
    """The parameters of a property in 3.0/4.0 syntax, for keeping it verbatim."""
    if not prop.raw_params:
        return None
    out = []
    skip = set(drop)
    for key, values in prop.params.items():
        if key in skip:
            continue
        if key == "ENCODING":
            values = [v for v in values if v.upper() not in ("QUOTED-PRINTABLE", "QP", "8BIT", "7BIT")]
            values = ["b" if v.upper() in ("B", "BASE64") else v for v in values]
            if not values:
                continue
        quoted = [f'"{v}"' if any(c in v for c in ":;,") else v for v in values]
        out.append(f"{key}={','.join(quoted)}")
    return ";".join(out) or None


def _extra(card: _Card, prop: Prop) -> Extra:
    name = f"{prop.group}.{prop.name}" if prop.group else prop.name
    if card.is_binary(prop):
        value = "".join(prop.raw.decode("ascii", "replace").split())
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            # broken base64: kept as text, so that readers do not fail on decoding it
            return Extra(name, _params_text(prop, ("CHARSET", "ENCODING")), value)
    else:
        value = card.value(prop)
    return Extra(name, _params_text(prop), value)


def convert(props: list[Prop], *, forced_utf8: bool = False) -> ContactRecord:
    """The properties of one card as a contact record. Raises :class:`InvalidInput` when the card holds
    nothing a contact can be made of."""
    from tinycrm.domain import validation as v
    from tinycrm.domain.dates import parse_birthday

    version = "3.0"
    for p in props:
        if p.name == "VERSION":
            version = p.raw.decode("ascii", "replace").strip() or version
            break
    card = _Card(version, forced_utf8)
    warnings: list[str] = []
    extras: list[Extra] = []
    labels: dict[str, str] = {}
    mapped_groups: set[str] = set()
    for p in props:
        if p.name == "X-ABLABEL" and p.group:
            labels[p.group] = card.value(p)
        elif p.group and p.name in ("EMAIL", "TEL", "ADR"):
            mapped_groups.add(p.group)

    c = ContactInput()
    fn: str | None = None
    n_parts: list[str] | None = None
    notes: list[str] = []
    tags: list[str] = []
    photo: Photo | None = None
    nickname: str | None = None
    from_tinycrm = False
    n_prop: Prop | None = None
    org_prop: Prop | None = None
    rich = {"N": False, "ORG": False}

    def label_of(p: Prop, drop: set[str], tel: bool = False) -> str | None:
        if p.group and p.group in labels:
            return apple_label(labels[p.group])
        return _label_from_types(p.types, drop, tel)

    def keep(p: Prop, why: str | None = None) -> None:
        extras.append(_extra(card, p))
        if why:
            warnings.append(f"line {p.line}: {why}; kept as it is")

    for p in props:
        name = p.name
        if name in _SKIP:
            if name == "PRODID" and "tinycrm" in p.raw.decode("ascii", "replace").lower():
                from_tinycrm = True
            continue
        if name == "FN":
            if fn is None:
                fn = card.text(p)
                if fn:
                    continue
            keep(p)
        elif name == "N":
            if n_prop is None:
                n_prop, n_parts = p, card.parts(p, 5)
                rich["N"] = any(n_parts[2:]) or bool(_params_text(p, ("CHARSET", "ENCODING", "LANGUAGE")))
                continue
            rich["N"] = True  # a second N (ALTID): the first is kept too, so that it comes first
            keep(p)
        elif name == "ORG":
            if org_prop is None:
                org_prop, parts = p, card.parts(p, 1)
                c.company = parts[0] or None
                rich["ORG"] = any(parts[1:]) or bool(_params_text(p, ("CHARSET", "ENCODING", "LANGUAGE")))
                continue
            rich["ORG"] = True
            keep(p)
        elif name == "TITLE" and c.job_title is None:
            c.job_title = card.text(p) or None
        elif name == "ROLE" and c.company_role is None:
            c.company_role = card.text(p) or None
        elif name == "UID" and c.uid is None:
            uid = card.text(p)
            if len(uid) > 255:
                keep(p, "the UID is longer than 255 characters")
            else:
                c.uid = uid or None
        elif name == "NOTE":
            text = card.text(p)
            if text:
                notes.append(text)
        elif name == "BDAY" and c.birthday is None:
            value = parse_bday(card.text(p))
            try:
                c.birthday = parse_birthday(value) if value else None
            except InvalidInput:
                c.birthday = None
            if c.birthday is None:
                keep(p, f"birthday {card.text(p)!r} is not a date")
        elif name == "EMAIL":
            text = card.text(p)
            if not text:
                continue
            try:
                c.emails.append(Labeled(v.email(text), label_of(p, _EMAIL_DROP)))
            except InvalidInput:
                keep(p, f"{text!r} is not an email address")
        elif name == "TEL":
            text = card.text(p)
            if text.lower().startswith("tel:"):
                text = text[4:]
            if not text:
                continue
            try:
                c.phones.append(Labeled(v.phone(text), label_of(p, _TEL_DROP, tel=True)))
            except InvalidInput:
                keep(p, f"{text!r} is not a phone number")
        elif name == "ADR":
            po_box, extended, street, locality, region, postcode, country = card.parts(p, 7)[:7]
            address = Address(
                label=label_of(p, _ADR_DROP),
                street=street or None,
                locality=locality or None,
                region=region or None,
                postcode=postcode or None,
                country=country or None,
                po_box=po_box or None,
                extended=extended or None,
            )
            if address.one_line():
                c.addresses.append(address)
        elif name == "CATEGORIES":
            value = card.value(p)
            pieces = split_escaped(value, ",")
            if card.v21 or len(pieces) == 1:
                pieces = [q for piece in pieces for q in split_escaped(piece, ";")]
            for piece in pieces:
                for tag in unescape(piece).split(","):  # "a\, b" is meant as two tags by Thunderbird
                    tag = " ".join(tag.split())
                    if tag and len(tag) <= 100 and tag.casefold() not in {t.casefold() for t in tags}:
                        tags.append(tag)
        elif name == "PHOTO" and photo is None:
            try:
                photo = _photo(card, p)
            except (ValueError, binascii.Error):
                keep(p, "the photo cannot be decoded")
                continue
            if photo is None and p.raw.strip():
                keep(p)
        elif name == "NICKNAME":
            if nickname is None:
                nickname = unescape(split_escaped(card.value(p), ",")[0]).strip() or None
            keep(p)
        elif name == "X-TINYCRM-FIELD":
            key, sep, value = card.text(p).partition("=")
            if sep and key.strip():
                c.fields[key.strip()] = value
            from_tinycrm = True
        elif name == "X-TINYCRM-CADENCE":
            text = card.text(p)
            if text.isdigit() and int(text) > 0:
                c.cadence_days = int(text)
            from_tinycrm = True
        elif name == "X-TINYCRM-ARCHIVED":
            c.archived = card.text(p).upper() in ("TRUE", "1", "YES")
            from_tinycrm = True
        elif name == "X-ABLABEL" and p.group in mapped_groups:
            continue
        else:
            keep(p)

    # the parts of N and ORG without a column are kept as the first N / ORG extra (see write_card)
    for name, prop in (("ORG", org_prop), ("N", n_prop)):
        if prop is not None and rich[name]:
            extras.insert(0, Extra(name, _params_text(prop), card.value(prop)))
    if n_parts is not None:
        c.family_name = n_parts[0] or None
        c.given_name = n_parts[1] or None
    display = fn
    if display and not any(n_parts or ()) and c.emails and display.casefold() == c.emails[0].value.casefold():
        display = None  # named after its email address: the contacts service does that itself
    if not display and n_parts is not None:
        family, given, additional, prefix, suffix = n_parts[:5]
        display = " ".join(x for x in (prefix, given, additional, family, suffix) if x)
    display = display or c.company or nickname
    if not display and not c.emails and c.phones:
        display = c.phones[0].value
    if not display and not c.emails:
        raise InvalidInput("the card has no name, organisation, email address or phone number")
    c.display_name = display or None
    c.notes = "\n\n".join(notes) or None
    c.tags = tags
    return ContactRecord(c, extras, photo, warnings, from_tinycrm)


def _photo(card: _Card, p: Prop) -> Photo | None:
    raw = p.raw.strip()
    if not raw:
        return None
    if raw[:5].lower() == b"data:":
        return data_uri(raw.decode("ascii", "replace"))
    if not card.is_binary(p):
        return None  # a URL: kept as it is
    data = _b64decode(raw.decode("ascii", "replace"))
    if not data:
        return None
    media = None
    for t in p.params.get("TYPE", []) + p.params.get("MEDIATYPE", []):
        if "/" in t:
            media = t.lower()
        elif t.upper() in _MEDIA:
            media = _MEDIA[t.upper()]
        elif t and t.isalnum():
            media = f"image/{t.lower()}"
    return Photo(media or _sniff_media(data), data)


# --- writing --------------------------------------------------------------------------------------------

_TEL_TYPES = {
    "3.0": {"home", "work", "mobile", "fax", "pager", "video", "msg", "car", "isdn", "bbs", "modem", "pcs"},
    "4.0": {"home", "work", "mobile", "fax", "pager", "video", "text", "textphone"},
}
_PLAIN_TYPES = {"home", "work"}
_ITEM = re.compile(r"^item(\d+)\.", re.I)


def fold(line: str) -> str:
    """Fold a content line at 75 octets without splitting a character."""
    if len(line) <= 75 and line.isascii():
        return line
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    out = []
    start, limit, n = 0, 75, len(data)
    while start < n:
        end = min(start + limit, n)
        while end < n and (data[end] & 0xC0) == 0x80:
            end -= 1
        out.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(out)


def _types_for(label: str | None, kind: str, version: str) -> str | None:
    """``TYPE=...`` for a label every client understands, or None when it needs an ``X-ABLabel``."""
    if label is None:
        return "" if kind != "EMAIL" or version != "3.0" else "TYPE=INTERNET"
    words = label.split()
    allowed = _TEL_TYPES[version] if kind == "TEL" else _PLAIN_TYPES
    if not words or any(w not in allowed for w in words) or len(set(words)) != len(words):
        return None
    if kind == "TEL":
        words = ["cell" if w == "mobile" else w for w in words]
    if kind == "EMAIL" and version == "3.0":
        words = ["internet", *words]
    values = ",".join(w.upper() if version == "3.0" else w for w in words)
    return f"TYPE={values}"


def _shadow(extras: list[Extra], index: int | None, expected: list[str | None]) -> Extra | None:
    """The kept original ``N`` or ``ORG`` (the first extra of that name), when it still agrees with the
    columns; otherwise the columns win and it is dropped."""
    if index is None:
        return None
    e = extras[index]
    parts = [" ".join(unescape(x).split()) for x in split_escaped(e.value)] + [""] * len(expected)
    if all((parts[i] or None) == (want or None) for i, want in enumerate(expected)):
        return e
    return None


def _prop(name: str, params: str | None, value: str) -> str:
    return fold(f"{name};{params}:{value}" if params else f"{name}:{value}")


def _extra_for(e: Extra, version: str) -> tuple[str | None, str]:
    params, value = e.params, e.value
    if version == "4.0" and params and re.search(r"(?i)(^|;)ENCODING=b(;|$)", params):
        kept, media = [], None
        for item in params.split(";"):
            key, _, val = item.partition("=")
            if key.upper() == "ENCODING":
                continue
            if key.upper() == "TYPE" and media is None and "/" not in val and val.isalnum():
                base = e.name.rsplit(".", 1)[-1].upper()
                media = _MEDIA.get(
                    val.upper(), f"{'image' if base in ('PHOTO', 'LOGO') else 'application'}/{val.lower()}"
                )
                continue
            if key.upper() == "TYPE" and "/" in val:
                media = val
                continue
            kept.append(item)
        params = ";".join(kept) or None
        value = f"data:{media or 'application/octet-stream'};base64,{value}"
    return params, value


def write_card(c: ContactData, version: str = "3.0") -> str:
    """One contact as a vCard (text with CRLF line ends)."""
    if version not in VERSIONS:
        raise InvalidInput(f"vCard version {version!r} cannot be written; use 3.0 or 4.0")
    v4 = version == "4.0"
    lines = [
        "BEGIN:VCARD",
        f"VERSION:{version}",
        f"PRODID:{PRODID}",
        _prop("UID", None, escape(c.uid)),
        _prop("FN", None, escape(c.display_name)),
    ]
    extras = list(c.extras)
    first = {name: next((i for i, e in enumerate(extras) if e.name == name), None) for name in ("N", "ORG")}
    n = _shadow(extras, first["N"], [c.family_name, c.given_name])
    if n is not None:
        lines.append(_prop("N", n.params, n.value))
    else:
        lines.append(_prop("N", None, f"{escape(c.family_name or '')};{escape(c.given_name or '')};;;"))
    org = _shadow(extras, first["ORG"], [c.company])
    if org is not None:
        lines.append(_prop("ORG", org.params, org.value))
    elif c.company:
        lines.append(_prop("ORG", None, escape(c.company)))
    extras = [e for i, e in enumerate(extras) if i not in first.values()]
    if c.job_title:
        lines.append(_prop("TITLE", None, escape(c.job_title)))
    if c.company_role:
        lines.append(_prop("ROLE", None, escape(c.company_role)))
    if c.birthday:
        b = c.birthday
        if v4:
            b = b.replace("-", "") if not b.startswith("--") else "--" + b[2:].replace("-", "")
        lines.append(f"BDAY:{b}")
    used = [int(m.group(1)) for e in c.extras if (m := _ITEM.match(e.name))]
    item = max(used, default=0)

    def labeled(kind: str, label: str | None, value: str) -> None:
        nonlocal item
        types = _types_for(label, kind, version)
        if types is None:
            item += 1
            lines.append(_prop(f"item{item}.{kind}", None, value))
            lines.append(_prop(f"item{item}.X-ABLabel", None, escape(label or "")))
        else:
            lines.append(_prop(kind, types or None, value))

    for e in c.emails:
        labeled("EMAIL", e.label, escape(e.value))
    for p in c.phones:
        labeled("TEL", p.label, escape(p.value))
    for a in c.addresses:
        value = ";".join(
            escape(x or "")
            for x in (a.po_box, a.extended, a.street, a.locality, a.region, a.postcode, a.country)
        )
        labeled("ADR", a.label, value)
    if c.notes:
        lines.append(_prop("NOTE", None, escape(c.notes)))
    if c.tags:
        lines.append(_prop("CATEGORIES", None, ",".join(escape(t) for t in c.tags)))
    if c.photo is not None:
        data = base64.b64encode(c.photo.data).decode("ascii")
        if v4:
            lines.append(fold(f"PHOTO:data:{c.photo.media_type};base64,{data}"))
        else:
            media = c.photo.media_type
            kind = media[6:].upper() if media.startswith("image/") else f'"{media}"'
            lines.append(fold(f"PHOTO;ENCODING=b;TYPE={kind}:{data}"))
    for key, value in c.fields.items():
        lines.append(_prop("X-TINYCRM-FIELD", None, escape(f"{key}={value}")))
    if c.cadence_days:
        lines.append(f"X-TINYCRM-CADENCE:{c.cadence_days}")
    if c.archived:
        lines.append("X-TINYCRM-ARCHIVED:TRUE")
    for e in extras:
        params, value = _extra_for(e, version)
        lines.append(_prop(e.name, params, value))
    if c.updated_at is not None:
        lines.append("REV:" + c.updated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ"))
    lines.append("END:VCARD")
    return "\r\n".join(lines) + "\r\n"
