"""vCard content lines: ``[group.]NAME[;params]:value`` parsed from bytes into :class:`Prop` (the value still
undecoded), and the escaping of text values."""

from __future__ import annotations

import re

_NAME = re.compile(rb"[A-Za-z0-9-]+\Z")
_NAMES: dict[bytes, tuple[str | None, str]] = {}
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


def _quoted_colon(line: bytes) -> int:
    """Where the value starts when a quoted parameter value may hold ``:`` and ``;`` (-1: nowhere)."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == 34:
            quoted = not quoted
        elif ch == 58 and not quoted:
            return i
    return -1


def _group_and_name(raw_name: bytes) -> tuple[str | None, str] | None:
    """``item1.TEL`` as ``("item1", "TEL")``; None when it is not a property name."""
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
    return known


def parse_line(line: bytes, number: int) -> Prop | None:
    """A content line ``[group.]NAME[;params]:value``; None when the line is not one."""
    colon = line.find(b":")
    if colon <= 0:
        return None
    head = line[:colon]
    if 34 in head:  # a quoted parameter value may hold ':' and ';'
        colon = _quoted_colon(line)
        if colon <= 0:
            return None
        parts = _split_quoted(line[:colon], 59)
    else:
        parts = head.split(b";")
    known = _NAMES.get(parts[0]) or _group_and_name(parts[0])
    if known is None:
        return None
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
