"""Reading a CSV file: its encoding and delimiter, its header (or that it has none) mapped through a preset
and ``--map``, then each row converted by :func:`.rows.convert_row`.

Records are read by the csv module through :class:`_Lines`, which knows where each record starts: a cell too
long for any column (:data:`CELL_LIMIT`) is that record's error, and reading goes on with the next record.
What the reader had to decide for itself (an encoding it guessed, that the file has no header line) is in
``notes``, which the import reports."""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from typing import BinaryIO, TextIO

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.validation import MAX_TEXT
from tinycrm.formats.csvio.cells import restore
from tinycrm.formats.csvio.columns import norm, parse_target
from tinycrm.formats.csvio.presets import PRESETS, detect, guess_columns, map_columns
from tinycrm.formats.csvio.rows import convert_row
from tinycrm.formats.encoding import CountingStream, check_encoding, head_lines, shown, sniff_encoding
from tinycrm.formats.records import ContactRecord, Parsed

#: the longest cell read: a note or custom field as long as the store takes, with a ``'`` before every
#: character the export may have neutralised; a longer cell is its record's error
CELL_LIMIT = 2 * MAX_TEXT + 2
_HEAD = 1 << 16
#: how many records a file without a header line shows before its columns are guessed
_SAMPLE = 50
_ESCAPED = re.compile("[\udc80-\udcff]")


def open_text(stream: BinaryIO, encoding: str | None = None) -> tuple[TextIO, str, str | None]:
    """A binary stream as text, its encoding and a note when the encoding was guessed. A BOM or UTF-16 found
    by its NUL bytes wins; then ``encoding`` (``--encoding``); then UTF-8 when the start of the file is UTF-8
    (bytes further on that are not are decoded row by row, see :meth:`CsvReader.convert`); else the legacy
    encoding :func:`tinycrm.formats.charsets.guess` reads best."""
    head = stream.read(_HEAD) or b""
    found, bom = sniff_encoding(head)
    note = None
    errors = "replace"
    if bom and found is None:
        chosen = "utf-8"
    elif found is not None:
        chosen = found
    elif encoding is not None:
        chosen = check_encoding(encoding) or "utf-8"
    else:
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
            chosen, errors = "utf-8", "surrogateescape"
        except UnicodeDecodeError:
            from tinycrm.formats.charsets import guess

            sample = head_lines(b"".join(line for line in head.splitlines(True) if not line.isascii()), 16384)
            g = guess(sample)
            chosen = g.encoding
            note = f"the file does not say its encoding: read as {shown(chosen)} ({g.why})" + (
                "" if g.sure else "; if names look wrong, give --encoding"
            )
    raw = CountingStream(head[bom:], stream)
    text = io.TextIOWrapper(io.BufferedReader(raw), encoding=chosen, errors=errors, newline="")
    return text, chosen, note


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


class _Lines:
    """The physical lines of the text, counted, with the quotes of the record being read, so that reading
    can go on after a record the csv module refused (see :meth:`CsvReader._resync`)."""

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self._back: list[str] = []
        self.number = 0
        self.quotes = 0
        #: the lines of the record being read
        self.taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._back.pop() if self._back else self._text.readline()
        if not line:
            raise StopIteration
        self.number += 1
        self.quotes += line.count('"')
        self.taken.append(line)
        return line

    def push(self, line: str) -> None:
        self._back.append(line)
        self.number -= 1
        self.quotes -= line.count('"')
        if self.taken and self.taken[-1] is line:
            self.taken.pop()

    def at_end(self) -> bool:
        line = self._back[-1] if self._back else self._text.readline()
        if line and not self._back:
            self._back.append(line)
        return not line


#: one record: the line it starts on, its cells, or why it cannot be read
Record = tuple[int, list[str] | None, str | None]


class CsvReader:
    """The rows of one CSV file as :class:`Parsed` records; ``headers``, ``preset`` and ``targets`` tell how
    the columns were understood (for ``--dry-run``), ``encoding`` how the bytes were read, ``notes`` what
    the reader decided for itself."""

    def __init__(
        self,
        stream: BinaryIO,
        source: str,
        *,
        preset: str | None = None,
        overrides: dict[str, str] | None = None,
        encoding: str | None = None,
        no_header: bool = False,
    ) -> None:
        if preset is not None and preset not in PRESETS:
            raise InvalidInput(f"unknown preset {preset!r}; use one of: {', '.join(PRESETS)}")
        if csv.field_size_limit() < CELL_LIMIT:
            csv.field_size_limit(CELL_LIMIT)
        self.source = source
        self._text, self.encoding, note = open_text(stream, encoding)
        self._escaped = self._text.errors == "surrogateescape"
        self._fallback: str | None = None
        self.notes: list[str] = [note] if note else []
        self._lines = _Lines(self._text)
        first = self._first_record_text()
        if not first.strip():
            raise InvalidInput(f"{source} is empty: a CSV file starts with a header line")
        self.delimiter = _delimiter(first)
        self._csv = self._new_reader()
        self._buffer: list[Record] = []
        _, cells, error = self._next_record() or (1, [], None)
        if cells is None:
            raise InvalidInput(f"{source}: the first line cannot be read: {error}")
        cells = self._decoded(cells)[0]
        self.headers = [restore(c) for c in cells]
        self.preset = preset or detect(self.headers)
        self.targets = map_columns(self.headers, self.preset)
        self.has_header = not no_header and not self._looks_like_data()
        if not self.has_header:
            self._headerless(cells, preset, bool(no_header))
        for column, spec in (overrides or {}).items():
            self._override(column, spec)
        names = {norm(h) for h in self.headers}
        self.from_tinycrm = self.has_header and {"uid", "cadence days", "archived"} <= names

    # -- the header

    def _first_record_text(self) -> str:
        """The text of the first record (its lines until its quotes balance), left to be read again."""
        lines: list[str] = []
        size = 0
        for line in self._lines:
            if not lines and not line.strip():
                lines.append(line)
                break  # an empty first line: an empty file
            lines.append(line)
            size += len(line)
            if self._lines.quotes % 2 == 0 or size > _HEAD:
                break
        for line in reversed(lines):
            self._lines.push(line)
        self._lines.quotes = 0
        return "".join(lines)

    def _looks_like_data(self) -> bool:
        """A first line no column name is recognised in, that holds an email address or a phone number."""
        if any(t is not None for t in self.targets):
            return False
        guessed = guess_columns([self.headers])
        return any(t is not None and t.field in ("email", "phone") for t in guessed)

    def _headerless(self, first: list[str], preset: str | None, asked: bool) -> None:
        """The first line is a record: columns are numbered, and mapped by what the first records hold."""
        self._buffer.append((1, first, None))
        while len(self._buffer) < _SAMPLE:
            record = self._next_record()
            if record is None:
                break
            self._buffer.append(record)
        width = max(len(cells) for _, cells, _ in self._buffer if cells is not None)
        self.headers = [f"column {n}" for n in range(1, width + 1)]
        self.preset = preset or "generic"
        sample = [[restore(c) for c in cells] for _, cells, _ in self._buffer if cells]
        self.targets = guess_columns(sample, width)
        why = "--no-header" if asked else "its first line holds an email address or a phone number"
        mapped = ", ".join(
            f"{h}: {t.describe()}" for h, t in zip(self.headers, self.targets, strict=True) if t
        )
        self.notes.append(
            f"no header line ({why}): columns read by what they hold ({mapped or 'none recognised'}); "
            "name them with --map N=FIELD"
        )

    def _override(self, column: str, spec: str) -> None:
        """``--map COLUMN=FIELD``; a column may be given by its number (``--map 2=email``)."""
        wanted = norm(column)
        hits = [i for i, h in enumerate(self.headers) if norm(h) == wanted]
        if not hits and wanted.isdigit() and int(wanted) >= 1:
            index = int(wanted) - 1
            while index >= len(self.headers):
                self.headers.append(f"column {len(self.headers) + 1}")
                self.targets.append(None)
            hits = [index]
        if not hits:
            raise InvalidInput(
                f"--map: no column named {column!r}; the columns are: "
                + ", ".join(h.strip() for h in self.headers)
                + " (or give a column's number)"
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

    # -- records

    def _new_reader(self) -> Iterator[list[str]]:
        return csv.reader(self._lines, delimiter=self.delimiter)

    def _next_record(self) -> Record | None:
        """The next record, or None at the end; a record the csv module refuses is an error, and reading
        goes on after it."""
        start = self._lines.number + 1
        self._lines.taken = []
        try:
            cells = next(self._csv)
        except StopIteration:
            return None
        except csv.Error as exc:
            self._resync()
            if "field limit" in str(exc):
                return (
                    start,
                    None,
                    (
                        f"a cell is longer than {CELL_LIMIT:,} characters (a note or a custom field holds at "
                        f"most {MAX_TEXT:,}); the row was skipped"
                    ),
                )
            return start, None, f"cannot read the row: {exc}"
        if self._lines.quotes % 2 and len(self._lines.taken) > 1 and self._lines.at_end():
            return self._unclosed(start)
        self._lines.quotes = 0
        return start, cells, None

    def _unclosed(self, start: int) -> Record:
        """A quote that opens a cell and is never closed swallowed the rest of the file into one record: the
        row it opened on is refused, and reading goes on from the line after it."""
        lines = self._lines
        for line in reversed(lines.taken[1:]):
            lines.push(line)
        lines.quotes = 0
        self._csv = self._new_reader()
        return start, None, 'a quote (") that opens a cell is never closed; the row was skipped'

    def _resync(self) -> None:
        """After a refused record: skip to its end (where its quotes balance), and read on from there."""
        lines = self._lines
        while lines.quotes % 2 and next(lines, None) is not None:
            pass
        lines.quotes = 0
        self._csv = self._new_reader()

    def _records(self) -> Iterator[Record]:
        yield from self._buffer
        self._buffer = []
        while (record := self._next_record()) is not None:
            yield record

    def cells(self) -> Iterator[Record]:
        """Every record as it was written (after the header line, if there is one): the line it starts on
        and its cells (neutralising undone, bytes decoded), or why it cannot be read."""
        for start, cells, error in self._records():
            yield start, None if cells is None else [restore(c) for c in self._decoded(cells)[0]], error

    def __iter__(self) -> Iterator[Parsed]:
        index = 0
        for start, cells, error in self._records():
            if cells is None:
                index += 1
                yield Parsed(self.source, index, start, error=error)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            index += 1
            try:
                record = self.convert(cells)
            except InvalidInput as exc:
                yield Parsed(self.source, index, start, error=exc.message)
            except Exception as exc:  # noqa: BLE001 - a row must never stop the others
                yield Parsed(self.source, index, start, error=f"cannot read the row: {exc}")
            else:
                yield Parsed(self.source, index, start, record=record)

    # -- text

    def _decoded(self, cells: list[str]) -> tuple[list[str], str | None]:
        """The cells with bytes that are not UTF-8 read in the legacy encoding they seem to be in (a file
        that starts as UTF-8 and is not all through), and a warning saying so; or a warning for characters
        the file's encoding could not read."""
        if self._escaped:
            if not any(_ESCAPED.search(c) for c in cells):
                return cells, None
            raw = [c.encode("utf-8", "surrogateescape") for c in cells]
            if self._fallback is None:
                from tinycrm.formats.charsets import guess

                self._fallback = guess(b" ".join(r for r in raw if not r.isascii())).encoding
            fixed = [r.decode("utf-8") if r.isascii() else _decode(r, self._fallback) for r in raw]
            return fixed, (
                f"bytes that are not UTF-8 were read as {shown(self._fallback)}; if they look wrong, "
                "give --encoding"
            )
        if any("\ufffd" in c for c in cells):
            return cells, (
                f"some bytes are not {shown(self.encoding)} text and were replaced by \ufffd; "
                "give the file's encoding with --encoding"
            )
        return cells, None

    def convert(self, row: list[str]) -> ContactRecord:
        cells, warning = self._decoded(row)
        record = convert_row(self.headers, self.targets, cells, from_tinycrm=self.from_tinycrm)
        if warning:
            record.warnings.insert(0, warning)
        return record


def _decode(raw: bytes, encoding: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode(encoding, "replace")
