"""CSV cells as spreadsheets read them: formula neutralising at the start of a cell and after every delimiter
(OWASP's CSV injection page), undone exactly on import; and the reader and writer round trip of any text
cell with any delimiter (property tests, marked ``fuzz``)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinycrm.formats.csvio import CsvReader, neutralise, restore, writer_for
from tinycrm.formats.csvio.cells import DELIMITERS, LEADING, TRIGGERS


def _safe(cell: str) -> bool:
    """No spreadsheet runs it: no segment (after any delimiter, past blanks) starts a formula, and the cell
    does not start with a tab, CR or LF."""
    if cell[:1] in LEADING:
        return False
    pieces = re.split("[" + re.escape("".join(DELIMITERS)) + "]", cell)
    return not any(p.lstrip()[:1] in TRIGGERS for p in pieces if p.lstrip())


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\r=1", "'\r'=1"),
        ("\n@x", "'\n'@x"),
        (" =1+1", " '=1+1"),
        ("＝1+1", "'＝1+1"),
        ("﹦1", "'﹦1"),
        ("a;=cmd|' /C calc'!A0;b", "a;'=cmd|' /C calc'!A0;b"),
        ("a, -b", "a, '-b"),
        ("x|@y", "x|'@y"),
        ("'=x", "''=x"),
        ("''", "'''"),
        ("'\tx", "''\tx"),
        ("it's fine", "it's fine"),
        ("1-2", "1-2"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("", ""),
    ],
)
def test_neutralise_examples(value, written):
    assert neutralise(value) == written
    assert restore(written) == value
    assert not written or _safe(written)


def test_restore_leaves_other_files_alone():
    """A ' that no export would have added stays: 'quoted' words, a lone quote, a quote before a letter."""
    for cell in ("He said, 'hi'", "'", "'abc", "rock 'n' roll", "a;'b"):
        assert restore(cell) == cell
    # the usual way of writing a formula as text in a spreadsheet's own export: the ' goes
    assert restore("'=SUM(A1)") == "=SUM(A1)" and restore("'+44 20") == "+44 20"


@pytest.mark.fuzz
@given(st.text() | st.text(st.sampled_from("=+-@'\t\r\n ,;|x＝\u3000"), max_size=12))
def test_neutralise_is_safe_and_restore_undoes_it(value):
    written = neutralise(value)
    assert restore(written) == value
    assert not written or _safe(written)


# --- the reader and the writer ---------------------------------------------------------------------------


def _write(rows: list[list[str]], delimiter: str, bom: bool) -> bytes:
    out = io.StringIO()
    writer = writer_for(out, delimiter)
    for row in rows:
        writer.writerow([neutralise(c) for c in row])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def _read(data: bytes) -> list[list[str] | None]:
    reader = CsvReader(io.BytesIO(data), "t.csv", no_header=True)
    return [cells for _, cells, _ in reader.cells()]


@st.composite
def _tables(draw) -> list[list[str]]:
    width = draw(st.integers(2, 4))
    cell = st.text(max_size=20) | st.text(st.sampled_from("=+-@'\"\t\r\n ,;|aé日"), max_size=8)
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=5))
    # a record of empty cells is an empty line to the csv module; the first record says what the file is
    rows = [r for r in rows if any(r)]
    if not rows or not rows[0][0].strip() and not rows[0][1].strip():
        rows.insert(0, ["name", "email"] + ["x"] * (width - 2))
    return rows


@pytest.mark.fuzz
@given(rows=_tables(), delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_any_text_cell_survives_the_writer_and_the_reader(rows, delimiter, bom):
    data = _write(rows, delimiter, bom)
    assert _read(data) == rows
    # every cell is quoted, so a spreadsheet splitting on another delimiter still sees one cell
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=delimiter))
    assert all(_safe(c) for row in parsed for c in row if c)


def test_the_delimiter_is_found_when_the_first_record_spans_lines():
    data = _write([["a\nb;c", "d"], ["e", "f"]], ";", False)
    reader = CsvReader(io.BytesIO(data), "t.csv", no_header=True)
    assert reader.delimiter == ";" and [c for _, c, _ in reader.cells()] == [["a\nb;c", "d"], ["e", "f"]]
