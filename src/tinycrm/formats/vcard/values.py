"""Decoding the values of one card's properties: text in any version and encoding, structured parts, labels
from ``TYPE`` parameters or Apple's ``X-ABLabel``, birthdays, photos, and properties kept verbatim."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

from tinycrm.formats.encoding import decode_value
from tinycrm.formats.records import Extra, Photo
from tinycrm.formats.vcard.lines import Prop, split_escaped, unescape

_LABEL_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_APPLE_LABEL = re.compile(r"^_\$!<(.*)>!\$_$")
MEDIA = {
    "JPEG": "image/jpeg",
    "JPG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
}
_OMITTED_YEARS = {"1604", "0000", "1900"}
_BDAY = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T[\d:.]*(?:Z|[+-]\d{2}:?\d{2})?)?")
_BDAY_NO_YEAR = re.compile(r"--(\d{2})-?(\d{2})")
#: 22.12.2009, 22. 12. 2009, 22.12. (day first wherever dots are written)
_BDAY_DOTTED = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})?")
_DATA_URI = re.compile(r"(?is)^data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[^;,]*)*)(;base64)?,(.*)$")


class CardDecoder:
    """Decoding helpers for the properties of one card (its version and the file's encoding)."""

    __slots__ = ("v21", "forced_utf8", "legacy", "unsure")

    def __init__(self, version: str, forced_utf8: bool, legacy: str | None = None) -> None:
        self.v21 = version.startswith("2")
        self.forced_utf8 = forced_utf8
        #: the encoding of values that declare none and are not UTF-8 (given, or guessed for the file)
        self.legacy = legacy
        #: the lines of values no encoding read, decoded as windows-1252 for want of better
        self.unsure: list[int] = []

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
        text, unsure = decode_value(raw, charset, self.legacy)
        if unsure and prop.line not in self.unsure:
            self.unsure.append(prop.line)
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


# --- labels ---------------------------------------------------------------------------------------------


def label_from_types(types: list[str], drop: set[str], tel: bool = False) -> str | None:
    """``TYPE=WORK,VOICE`` (or 2.1's ``;WORK;VOICE``) as a tinycrm label, without the ``drop`` words."""
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


# --- dates and binary values ----------------------------------------------------------------------------


def parse_bday(text: str) -> str | None:
    """``YYYY-MM-DD`` or ``--MM-DD`` from the forms clients write (``19800322``, ``--0203``,
    ``1955-07-19T00:00:00Z``, Apple's year 1604 for "no year", ``22.12.2009`` day first); None when it is
    none of them (then :func:`tinycrm.domain.dates.parse_birthday` reads what people write: ``Tue, 22 Dec
    2009``, ``12/22/2009``...)."""
    text = text.strip()
    m = _BDAY.fullmatch(text)
    if m:
        year, month, day = m.groups()
        if year in _OMITTED_YEARS:
            return f"--{month}-{day}"
        return f"{year}-{month}-{day}"
    m = _BDAY_NO_YEAR.fullmatch(text)
    if m:
        return f"--{m.group(1)}-{m.group(2)}"
    m = _BDAY_DOTTED.fullmatch(text)
    if m:
        day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if year and year not in _OMITTED_YEARS:
            return f"{year}-{month:02d}-{day:02d}"
        return f"--{month:02d}-{day:02d}"
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
    m = _DATA_URI.match(text.strip())
    if not m or not m.group(3):
        return None
    data = _b64decode(m.group(4))
    return Photo((m.group(1) or _sniff_media(data)).lower(), data)


def _media_type(p: Prop) -> str | None:
    """The media type a binary property declares in ``TYPE`` or ``MEDIATYPE`` (the last one wins)."""
    media = None
    for t in p.params.get("TYPE", []) + p.params.get("MEDIATYPE", []):
        if "/" in t:
            media = t.lower()
        elif t.upper() in MEDIA:
            media = MEDIA[t.upper()]
        elif t and t.isalnum():
            media = f"image/{t.lower()}"
    return media


def photo(card: CardDecoder, p: Prop) -> Photo | None:
    """A ``PHOTO`` as a photo; None for a URL or an empty one. Raises ValueError when it cannot be decoded."""
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
    return Photo(_media_type(p) or _sniff_media(data), data)


# --- properties kept verbatim ---------------------------------------------------------------------------


def params_text(prop: Prop, drop: Iterable[str] = ("CHARSET",)) -> str | None:
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


def extra(card: CardDecoder, prop: Prop) -> Extra:
    """A property tinycrm has no column for, as it will be written back."""
    name = f"{prop.group}.{prop.name}" if prop.group else prop.name
    if card.is_binary(prop):
        value = "".join(prop.raw.decode("ascii", "replace").split())
        try:
            base64.b64decode(value, validate=True)
        except (ValueError, binascii.Error):
            # broken base64: kept as text, so that readers do not fail on decoding it
            return Extra(name, params_text(prop, ("CHARSET", "ENCODING")), value)
    else:
        value = card.value(prop)
    return Extra(name, params_text(prop), value)
