"""The JSON export of a whole database: one document, every table, versioned. No database, no UI.

::

    {
      "format": "tinycrm",
      "format_version": 1,
      "schema_revision": "0001",
      "exported_at": "2026-11-22T14:00:00Z",
      "tinycrm_version": "0.1.0",
      "tables": {
        "users": [{"id": 1, "name": "ada", ...}, ...],
        "contacts": [...],
        ...
      }
    }

Tables come parents first, rows in primary-key order, with their ids, so an import restores every reference.
Timestamps are ISO 8601 with their UTC offset, dates ``YYYY-MM-DD``, bytes (photos) base64 text. The writer
streams (one row at a time); so does :class:`DumpReader`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from tinycrm.domain.errors import InvalidInput

FORMAT = "tinycrm"
FORMAT_VERSION = 1


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def write_dump(
    out: IO[str],
    tables: Iterable[tuple[str, Iterable[Mapping[str, Any] | str]]],
    *,
    schema_revision: str,
    exported_at: str,
    app_version: str,
    ready: bool = False,
) -> dict[str, int]:
    """Write the document, table by table, row by row; give the number of rows of each table. ``ready``: the
    rows hold JSON values already (timestamps as text...), so they are written as they are. A row that is a
    ``str`` is its JSON text already (one object, written compactly as below), written as it is."""
    head = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": schema_revision,
        "exported_at": exported_at,
        "tinycrm_version": app_version,
    }
    text = json.dumps(head, ensure_ascii=False, indent=2)
    out.write(text[:-2] + ',\n  "tables": {')
    counts: dict[str, int] = {}
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for t, (name, rows) in enumerate(tables):
        out.write(("," if t else "") + f"\n    {json.dumps(name)}: [")
        n = 0
        lines: list[str] = []
        for row in rows:
            if isinstance(row, str):  # the row's JSON text, written by the store
                lines.append(row)
            else:
                lines.append(encode(row if ready else {k: _value(v) for k, v in row.items()}))
            if len(lines) >= 500:  # a write for many rows
                out.write(("," if n else "") + "\n      " + ",\n      ".join(lines))
                n += len(lines)
                lines = []
        if lines:
            out.write(("," if n else "") + "\n      " + ",\n      ".join(lines))
            n += len(lines)
        out.write("\n    ]" if n else "]")
        counts[name] = n
    out.write("\n  }\n}\n")
    return counts


@dataclass
class Dump:
    schema_revision: str
    exported_at: str | None
    tables: dict[str, list[dict[str, Any]]]


def read_dump(data: bytes | str, *, source: str = "the file") -> Dump:
    """Parse and check a document; :class:`InvalidInput` when it is not a tinycrm JSON export this version
    can read."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{source} is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("tables"), dict):
        raise InvalidInput(f"{source} is not a tinycrm JSON export (made with: crm export json)")
    version = doc.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidInput(
            f"{source} is format version {version}; this tinycrm reads up to {FORMAT_VERSION}: "
            "upgrade tinycrm"
        )
    tables = doc["tables"]
    for name, rows in tables.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise InvalidInput(f"{source}: table {name!r} is not a list of rows")
    return Dump(str(doc.get("schema_revision")), doc.get("exported_at"), tables)


def decode_row(row: dict[str, Any], binary: Iterable[str]) -> dict[str, Any]:
    """A row as the table walker takes it: base64 text back to bytes."""
    out = dict(row)
    for name in binary:
        if isinstance(out.get(name), str):
            out[name] = base64.b64decode(out[name])
    return out


# --- reading a document as it comes -----------------------------------------------------------------------


class DumpReader:
    """A JSON export read a row at a time (memory stays the same whatever its size): :meth:`head` gives the
    document's fields before ``tables``, then :meth:`tables` each table's name and its rows, in the file's
    order. Any valid JSON is read; a document that puts ``tables`` before ``format`` and ``format_version``
    (not as ``crm export json`` writes it) has its tables read whole."""

    CHUNK = 1 << 16

    def __init__(self, fh: IO[bytes], source: str = "the file") -> None:
        import codecs

        self._fh = fh
        self._decode = codecs.getincrementaldecoder("utf-8-sig")()
        self._source = source
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._decoder = json.JSONDecoder()
        self._whole: dict[str, Any] | None = None
        self._in_tables = False

    def _bad(self, why: str) -> InvalidInput:
        return InvalidInput(f"{self._source} is not JSON: {why}")

    def _more(self) -> bool:
        """Read on into the buffer (what was taken of it is dropped); False at the end of the file."""
        if self._eof:
            return False
        data = self._fh.read(self.CHUNK)
        try:
            chunk = self._decode.decode(data or b"", final=not data)
        except UnicodeDecodeError as exc:
            raise self._bad(str(exc)) from None
        self._eof = not data
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return bool(data)

    def _char(self) -> str:
        """The next character that is not white space (not taken), or "" at the end."""
        while True:
            while self._pos < len(self._buf) and self._buf[self._pos] in " \t\r\n":
                self._pos += 1
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._more():
                return ""

    def _take(self, expected: str) -> str:
        ch = self._char()
        if ch not in expected or not ch:
            found = repr(ch) if ch else "the end of the file"
            raise self._bad(f"expected {' or '.join(repr(c) for c in expected)}, found {found}")
        self._pos += 1
        return ch

    def _value(self) -> Any:
        self._char()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._more():
                    continue
                raise self._bad(exc.msg) from None
            if end == len(self._buf) and self._more():
                continue  # a number may go on in the next chunk
            self._pos = end
            return value

    def _key(self) -> str:
        key = self._value()
        if not isinstance(key, str):
            raise self._bad("an object's key is not a string")
        self._take(":")
        return key

    def head(self) -> dict[str, Any]:
        """The fields of the document before ``tables`` (all of them when ``tables`` comes early)."""
        if self._take("{[") != "{":
            raise InvalidInput(f"{self._source} is not a tinycrm JSON export (made with: crm export json)")
        head: dict[str, Any] = {}
        if self._char() == "}":
            return head
        while True:
            key = self._key()
            if key == "tables" and self._whole is None:
                if self._char() == "{" and {"format", "format_version"} <= head.keys():
                    self._take("{")
                    self._in_tables = True
                    head["tables"] = {}
                    return head
                tables = self._value()
                self._whole = tables if isinstance(tables, dict) else {}
                head["tables"] = tables
            else:
                head[key] = self._value()
            if self._take(",}") == "}":
                if self._char():
                    raise self._bad("extra data after the document")
                return head

    def tables(self) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
        """Each table's name and rows, in the file's order; read one table's rows before asking for the
        next table."""
        if self._whole is not None:
            for name, rows in self._whole.items():
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise InvalidInput(f"{self._source}: table {name!r} is not a list of rows")
                yield name, iter(rows)
            return
        if not self._in_tables:
            return
        if self._char() == "}":
            self._pos += 1
        else:
            while True:
                name = self._key()
                rows = self._rows(name)
                yield name, rows
                for _ in rows:  # what the reader left of the table
                    pass
                if self._take(",}") == "}":
                    break
        rest = self._take(",}")
        while rest == ",":  # fields after the tables: read, and left alone
            self._key()
            self._value()
            rest = self._take(",}")
        if self._char():
            raise self._bad("extra data after the document")

    def _rows(self, name: str) -> Iterator[dict[str, Any]]:
        if self._char() != "[":
            raise InvalidInput(f"{self._source}: table {name!r} is not a list of rows")
        self._take("[")
        if self._char() == "]":
            self._pos += 1
            return
        while True:
            row = self._value()
            if not isinstance(row, dict):
                raise InvalidInput(f"{self._source}: table {name!r} is not a list of rows")
            yield row
            if self._take(",]") == "]":
                return


def check_head(head: dict[str, Any], source: str = "the file") -> None:
    """What :func:`read_dump` checks of a document, on the fields :meth:`DumpReader.head` gives."""
    if head.get("format") != FORMAT or not isinstance(head.get("tables"), dict):
        raise InvalidInput(f"{source} is not a tinycrm JSON export (made with: crm export json)")
    version = head.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise InvalidInput(
            f"{source} is format version {version}; this tinycrm reads up to {FORMAT_VERSION}: upgrade tinycrm"
        )
