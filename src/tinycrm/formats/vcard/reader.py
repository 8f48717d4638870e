"""Reading a vCard stream: physical lines, logical lines (folding, quoted-printable soft breaks, unindented
BASE64 blocks undone), then the properties of each card, converted by :func:`.properties.convert`."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import BinaryIO

from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.encoding import CountingStream, sniff_encoding
from tinycrm.formats.records import Parsed
from tinycrm.formats.vcard.lines import Prop, parse_line
from tinycrm.formats.vcard.properties import convert

_B64_LINE = re.compile(rb"[A-Za-z0-9+/=]+\Z")
_NOT_CLOSED = "the card is not closed (no END:VCARD)"


def _marks(prop: Prop, name: str) -> bool:
    """``BEGIN:VCARD`` or ``END:VCARD``."""
    return prop.name == name and prop.raw.strip().upper() == b"VCARD"


def _holds_agent(props: list[Prop]) -> bool:
    """The last property is a 2.1 ``AGENT`` whose value is the vCard that follows."""
    return bool(props) and props[-1].name == "AGENT" and not props[-1].raw.strip()


class VCardReader:
    """Cards of one file or stream, read lazily: iterate for :class:`Parsed` items.

    ``bytes_read`` tells how far into the stream reading has got (for a progress bar)."""

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.source = source
        head = stream.read(4096) or b""
        self.encoding, bom = sniff_encoding(head)
        self._raw = CountingStream(head[bom:], stream)
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
        props: list[Prop] | None = None  # None: between cards
        warnings: list[str] = []
        begin_line = 0
        nested = 0  # depth inside a 2.1 AGENT card, which is skipped
        for number, line in self._logical():
            prop = parse_line(line, number)
            if prop is None:
                if props is not None and not nested:
                    shown = line[:40].decode("utf-8", "replace")
                    warnings.append(f"line {number}: not a vCard property, skipped: {shown!r}")
            elif _marks(prop, "BEGIN"):
                if props is not None and (nested or _holds_agent(props)):
                    nested += 1
                    continue
                if props is not None:
                    yield self._failed(begin_line, _NOT_CLOSED)
                props, warnings, begin_line = [], [], number
            elif props is None:
                continue  # text between cards
            elif _marks(prop, "END"):
                if nested:
                    nested -= 1
                    continue
                yield self._card(props, warnings, begin_line)
                props = None
            elif not nested:
                props.append(prop)
        if props is not None:
            yield self._failed(begin_line, _NOT_CLOSED)

    def _failed(self, line: int, error: str) -> Parsed:
        self.count += 1
        return Parsed(self.source, self.count, line, error=error)

    def _card(self, props: list[Prop], warnings: list[str], line: int) -> Parsed:
        self.count += 1
        try:
            record = convert(props, forced_utf8=self.encoding is not None)
        except InvalidInput as exc:
            return Parsed(self.source, self.count, line, error=exc.message)
        except Exception as exc:  # noqa: BLE001 - a card must never stop the others
            return Parsed(self.source, self.count, line, error=f"cannot read the card: {exc}")
        record.warnings[:0] = warnings
        return Parsed(self.source, self.count, line, record=record)


def read_vcards(stream: BinaryIO, source: str = "<stdin>") -> Iterator[Parsed]:
    """Every card of a vCard stream (one card, many, any version), as :class:`Parsed` items."""
    return iter(VCardReader(stream, source))


def read_text(text: str | bytes, source: str = "<text>") -> list[Parsed]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return list(VCardReader(io.BytesIO(data), source))
