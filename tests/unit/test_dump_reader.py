"""The JSON export read a row at a time: the same document as json.loads gives, whatever its layout and however
the file is cut into reads; bad documents are one clear error."""

from __future__ import annotations

import io
import json

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.formats.jsonio import DumpReader, check_head, write_dump

ROWS = {
    "users": [{"id": 1, "name": "ada"}, {"id": 2, "name": 'bö \u2603 "q" \\ \n', "n": 12345678901234}],
    "contacts": [],
    "tags": [{"id": i, "name": f"t{i}", "x": [1.5, None, True, {"k": "v"}]} for i in range(40)],
}


def _written() -> str:
    out = io.StringIO()
    write_dump(out, ROWS.items(), schema_revision="0003", exported_at="2026-01-01T00:00:00Z", app_version="1")
    return out.getvalue()


def _read(text: str | bytes, chunk: int) -> tuple[dict, dict]:
    data = text.encode() if isinstance(text, str) else text
    reader = DumpReader(io.BytesIO(data), source="dump.json")
    reader.CHUNK = chunk
    head = reader.head()
    tables = {name: list(rows) for name, rows in reader.tables()}
    return head, tables


@pytest.mark.parametrize("chunk", [1, 3, 7, 64, 1 << 16])
@pytest.mark.parametrize("layout", ["written", "compact", "indented", "tables first", "bom"])
def test_same_as_json_loads(chunk, layout):
    text = _written()
    doc = json.loads(text)
    if layout == "compact":
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    elif layout == "indented":
        text = json.dumps({**doc, "after": [1, 2]}, indent=4)
    elif layout == "tables first":
        text = json.dumps({"tables": doc["tables"], **{k: v for k, v in doc.items() if k != "tables"}})
    data = ("\ufeff" + text).encode() if layout == "bom" else text.encode()
    head, tables = _read(data, chunk)
    check_head(head, "dump.json")
    assert head["format"] == "tinycrm" and head["schema_revision"] == "0003"
    assert tables == doc["tables"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not json", "is not JSON"),
        ('{"format": "tinycrm", "format_version": 1, "tables": {"users": [1]}}', "is not a list of rows"),
        ('{"format": "tinycrm", "format_version": 1, "tables": {"users": [{"id": 1}', "is not JSON"),
        ('{"format": "tinycrm", "format_version": 1, "tables": {}} x', "extra data"),
        (b'{"format": "\xff"}', "is not JSON"),
    ],
)
def test_bad_documents(text, error):
    with pytest.raises(InvalidInput, match=error):
        _read(text, 5)


def test_head_checks():
    with pytest.raises(InvalidInput, match="format version 99"):
        check_head(_read('{"format": "tinycrm", "format_version": 99, "tables": {}}', 4)[0])
    with pytest.raises(InvalidInput, match="not a tinycrm JSON export"):
        check_head(_read('{"format": "other", "tables": {}}', 4)[0])
