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
streams (one row at a time); so does the reader (:func:`iter_dump`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
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
    tables: Iterable[tuple[str, Iterable[Mapping[str, Any]]]],
    *,
    schema_revision: str,
    exported_at: str,
    app_version: str,
    ready: bool = False,
) -> dict[str, int]:
    """Write the document, table by table, row by row; give the number of rows of each table. ``ready``: the
    rows hold JSON values already (timestamps as text...), so they are written as they are."""
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
