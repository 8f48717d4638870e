"""Reading a vCard stream: physical lines, logical lines (folding, quoted-printable soft breaks, unindented
BASE64 blocks undone), then the properties of each card, converted by :func:`.properties.convert`.

**Card boundaries** follow the nesting real exports use: the only card inside a card is vCard 2.1's
``AGENT:`` (an empty value) followed at once by ``BEGIN:VCARD``; its ``END:VCARD`` closes it. Any other
``BEGIN:VCARD`` inside a card means that card (and any card it held) was never closed: it is reported, and
the new card is read, so a broken or truncated card never takes the cards after it. A ``BEGIN:VCARD`` or
``END:VCARD`` line is never taken for the continuation of a quoted-printable value.

**Encodings**: a value that declares no ``CHARSET`` and is not UTF-8 is read in the file's legacy encoding:
``--encoding`` when given, else the one :func:`tinycrm.formats.charsets.guess` finds from the start of the
file (the other values' ``CHARSET``, the ``LANGUAGE`` given, the text itself), which ``notes`` reports."""

from __future__ import annotations

import binascii
import codecs
import io
import re
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.encoding import CountingStream, check_encoding, head_lines, shown, sniff_encoding, wide
from tinycrm.formats.records import Parsed
from tinycrm.formats.vcard.lines import Prop, parse_line
from tinycrm.formats.vcard.properties import convert

_B64_LINE = re.compile(rb"[A-Za-z0-9+/=]+\Z")
_NOT_CLOSED = "the card is not closed (no END:VCARD)"
_MARKS = (b"BEGIN:VCARD", b"END:VCARD")
_QP = (b"QUOTED-PRINTABLE", b"ENCODING=QUOTED-PRINTABLE", b"ENCODING=QP")
_B64 = (b"BASE64", b"ENCODING=BASE64", b"ENCODING=B")
#: how much of an 8-bit file is looked at to find the encoding of its undeclared values
_SCAN = 1 << 20


def _marks(prop: Prop, name: str) -> bool:
    """``BEGIN:VCARD`` or ``END:VCARD``."""
    return prop.name == name and prop.raw.strip().upper() == b"VCARD"


def _encoded(head: bytes) -> tuple[bool, bool]:
    """Whether a property's name and parameters say quoted-printable, or base64 (the parameter itself, not
    the text anywhere: ``X-NOTE=QUOTED-PRINTABLE`` is no encoding)."""
    up = head.upper()
    if b"QUOTED-PRINTABLE" not in up and b"ENCODING" not in up and b"BASE64" not in up:
        return False, False
    params = [p.strip().strip(b'"') for p in up.split(b";")[1:]]
    return any(p in _QP for p in params), any(p in _B64 for p in params)


def logical_lines(lines: Iterable[tuple[int, bytes]]) -> Iterator[tuple[int, bytes]]:
    """Logical lines (with the number of their first physical line): folding, quoted-printable soft breaks
    and unindented BASE64 blocks undone."""
    parts: list[bytes] = []
    start = 0
    qp = b64 = False
    for number, line in lines:
        if parts:
            if qp and parts[-1].endswith(b"=") and line.strip().upper() not in _MARKS:
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
            qp, b64 = _encoded(head)
        else:
            qp = b64 = False
    if parts:
        yield start, b"".join(parts)


def _byte_lines(buffered: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
    number = 0
    for line in buffered:
        number += 1
        line = line.rstrip(b"\r\n")
        if 13 in line:  # CR alone ends lines too (old Mac files)
            for part in line.split(b"\r"):
                yield number, part
            continue
        yield number, line


def _needs_scan(head: bytes) -> bool:
    """Whether the start of a file may hold 8-bit values without a charset (none are in UTF-8 text)."""
    if b"QUOTED-PRINTABLE" in head.upper():
        return True
    if head.isascii():
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return True
    return False


def _scan(head: bytes) -> tuple[list[bytes], list[str], list[str]]:
    """The undeclared 8-bit values of the start of a file (quoted-printable decoded), the charsets its other
    values declare, and the languages it gives."""
    samples: list[bytes] = []
    declared: list[str] = []
    languages: list[str] = []
    for number, line in logical_lines(_byte_lines(io.BytesIO(head_lines(head, _SCAN)))):
        prop = parse_line(line, number)
        if prop is None:
            continue
        if prop.name == "LANG":
            languages.append(prop.raw.decode("ascii", "replace").strip())
        raw = prop.raw
        charset = None
        if prop.raw_params:
            charset = prop.param("CHARSET")
            if prop.param("LANGUAGE"):
                languages.append(prop.param("LANGUAGE") or "")
            enc = (prop.param("ENCODING") or "").upper()
            if enc in ("B", "BASE64"):
                continue
            if enc in ("QUOTED-PRINTABLE", "QP"):
                try:
                    raw = binascii.a2b_qp(raw)
                except (binascii.Error, ValueError):
                    continue
        if charset:
            declared.append(charset)
            continue
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            samples.append(raw)
    return samples, declared, languages


class VCardReader:
    """Cards of one file or stream, read lazily: iterate for :class:`Parsed` items.

    ``bytes_read`` tells how far into the stream reading has got (for a progress bar); ``notes`` what the
    reader decided for itself (the encoding it guessed)."""

    def __init__(self, stream: BinaryIO, source: str, *, encoding: str | None = None) -> None:
        self.source = source
        given = check_encoding(encoding)
        head = stream.read(_SCAN) or b""
        self.encoding, bom = sniff_encoding(head)
        if self.encoding is None and given is not None and wide(given):
            self.encoding = given
        self.notes: list[str] = []
        #: the encoding of values that declare none and are not UTF-8
        self.legacy = given if given is not None and self.encoding is None else None
        if self.encoding is None and self.legacy is None and _needs_scan(head[bom:]):
            self.legacy = self._guess(head[bom:])
        self._raw = CountingStream(head[bom:], stream)
        self._raw.count = bom
        self._buffered = io.BufferedReader(self._raw, 1 << 16)
        self.count = 0

    def _guess(self, head: bytes) -> str | None:
        from tinycrm.formats.charsets import guess

        samples, declared, languages = _scan(head)
        if not samples:
            return None
        g = guess(b"\n".join(samples), declared=declared, languages=languages)
        self.notes.append(
            f"text that does not say its encoding read as {shown(g.encoding)} ({g.why})"
            + ("" if g.sure else "; if names look wrong, give --encoding")
        )
        return g.encoding

    @property
    def bytes_read(self) -> int:
        return self._raw.count

    # physical lines, without their line ends
    def _lines(self) -> Iterator[tuple[int, bytes]]:
        if not self.encoding:
            yield from _byte_lines(self._buffered)
            return
        text = io.TextIOWrapper(self._buffered, encoding=self.encoding, errors="replace", newline="")
        for number, line in enumerate(text, 1):
            yield number, line.rstrip("\r\n").encode("utf-8")

    def __iter__(self) -> Iterator[Parsed]:
        props: list[Prop] | None = None  # None: between cards
        warnings: list[str] = []
        begin_line = 0
        depth = 0  # inside how many 2.1 AGENT cards (skipped)
        agent = False  # the line before was an empty AGENT: a BEGIN:VCARD now is its card
        for number, line in logical_lines(self._lines()):
            prop = parse_line(line, number)
            if prop is not None and _marks(prop, "BEGIN"):
                if props is not None and agent:
                    depth, agent = depth + 1, False
                    continue
                if props is not None:
                    yield self._failed(begin_line, _NOT_CLOSED)
                props, warnings, begin_line, depth, agent = [], [], number, 0, False
            elif props is None:
                continue  # text between cards
            elif prop is not None and _marks(prop, "END"):
                agent = False
                if depth:
                    depth -= 1
                    continue
                yield self._card(props, warnings, begin_line)
                props = None
            else:
                agent = prop is not None and prop.name == "AGENT" and not prop.raw.strip()
                if depth:
                    continue
                if prop is not None:
                    props.append(prop)
                else:
                    shown = line[:40].decode("utf-8", "replace")
                    warnings.append(f"line {number}: not a vCard property, skipped: {shown!r}")
        if props is not None:
            yield self._failed(begin_line, _NOT_CLOSED)

    def _failed(self, line: int, error: str) -> Parsed:
        self.count += 1
        return Parsed(self.source, self.count, line, error=error)

    def _card(self, props: list[Prop], warnings: list[str], line: int) -> Parsed:
        self.count += 1
        try:
            record = convert(props, forced_utf8=self.encoding is not None, legacy=self.legacy)
        except InvalidInput as exc:
            return Parsed(self.source, self.count, line, error=exc.message)
        except Exception as exc:  # noqa: BLE001 - a card must never stop the others
            return Parsed(self.source, self.count, line, error=f"cannot read the card: {exc}")
        record.warnings[:0] = warnings
        return Parsed(self.source, self.count, line, record=record)


def read_vcards(
    stream: BinaryIO, source: str = "<stdin>", *, encoding: str | None = None
) -> Iterator[Parsed]:
    """Every card of a vCard stream (one card, many, any version), as :class:`Parsed` items."""
    return iter(VCardReader(stream, source, encoding=encoding))


def read_text(text: str | bytes, source: str = "<text>", *, encoding: str | None = None) -> list[Parsed]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(VCardReader(io.BytesIO(data), source, encoding=encoding))
