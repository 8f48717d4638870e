"""Bytes of an address book file as text: the encoding of the whole file (a BOM, or UTF-16 found by its NUL
bytes), an encoding a person names (``--encoding``), the decoding of one value of an 8-bit file, and a stream
that counts what it has read (for progress). Shared by the vCard and CSV readers; which legacy encoding
undeclared 8-bit text is in is :mod:`tinycrm.formats.charsets`' business."""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

from tinycrm.domain.errors import InvalidInput

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


def check_encoding(name: str | None) -> str | None:
    """An encoding a person named (``--encoding shift_jis``), in Python's spelling; None for none."""
    if name is None or not name.strip():
        return None
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise InvalidInput(
            f"--encoding: {name.strip()!r} is not an encoding; use a name such as utf-8, windows-1252, "
            "windows-1250, shift_jis, koi8-r or gb18030"
        ) from None


_SHOWN = {"cp1250": "windows-1250", "cp1251": "windows-1251", "cp1252": "windows-1252", "cp932": "Shift_JIS"}


def shown(encoding: str) -> str:
    """An encoding by the name people know it by (``windows-1250`` rather than Python's ``cp1250``)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return encoding
    return _SHOWN.get(name, name)


def wide(encoding: str) -> bool:
    """An encoding whose text is not ASCII bytes (UTF-16, UTF-32): a file in it is decoded whole."""
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def head_lines(data: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes of ``data`` cut after a line end, so that no character is cut in two (no
    legacy encoding has a LF inside a character)."""
    if len(data) <= limit:
        return data
    cut = data.rfind(b"\n", 0, limit)
    return data[: cut + 1] if cut > 0 else data[:limit]


class CountingStream(io.RawIOBase):
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


def decode_value(raw: bytes, charset: str | None = None, fallback: str | None = None) -> tuple[str, bool]:
    """Bytes of one value as text: UTF-8 when they are UTF-8, else the declared charset, else the file's
    legacy encoding (``fallback``: given, or guessed); and whether none of these read them, so that they were
    read as windows-1252 (or Latin-1) for want of anything better, which the reader says."""
    if raw.isascii():
        return raw.decode("ascii"), False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    for encoding in (charset, fallback):
        if encoding:
            try:
                return raw.decode(encoding), False
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return raw.decode("cp1252"), True
    except UnicodeDecodeError:
        return raw.decode("latin-1"), True


def decode_text(raw: bytes, charset: str | None = None, fallback: str | None = None) -> str:
    """:func:`decode_value` without the flag."""
    return decode_value(raw, charset, fallback)[0]
