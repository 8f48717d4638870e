"""Reading a CSV file: its encoding and delimiter, its header mapped through a preset (and ``--map``), then
each row converted by :func:`.rows.convert_row`."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.csvio.columns import norm, parse_target
from tinycrm.formats.csvio.presets import PRESETS, detect, map_columns
from tinycrm.formats.csvio.rows import convert_row
from tinycrm.formats.encoding import CountingStream, sniff_encoding
from tinycrm.formats.records import ContactRecord, Parsed


def open_text(stream: BinaryIO) -> TextIO:
    """A binary stream as text: BOM or UTF-16 found by its NUL bytes; else UTF-8 if the start is UTF-8,
    else windows-1252."""
    head = stream.read(65536) or b""
    encoding, bom = sniff_encoding(head)
    if encoding is None:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head[bom:], final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    raw = CountingStream(head[bom:], stream)
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
            self._override(column, spec)
        names = {norm(h) for h in self.headers}
        self.from_tinycrm = {"uid", "cadence days", "archived"} <= names

    def _override(self, column: str, spec: str) -> None:
        """``--map COLUMN=FIELD``."""
        wanted = norm(column)
        hits = [i for i, h in enumerate(self.headers) if norm(h) == wanted]
        if not hits:
            raise InvalidInput(
                f"--map: no column named {column!r}; the columns are: "
                + ", ".join(h.strip() for h in self.headers)
            )
        for i in hits:
            self.targets[i] = parse_target(spec)

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
