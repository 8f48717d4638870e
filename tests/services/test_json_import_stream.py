"""import json reads the file as it writes the rows: a file in the order crm export json writes it, or in any
other order (tables kept until their turn), gives the same database; a table this tinycrm does not know, even
after every known one, leaves the database as it was."""

from __future__ import annotations

import json

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.interchange import backup
from tinycrm.services.interchange.files import Source
from tinycrm.services.people import contacts


def _dump(db, tmp_path):
    for i in range(30):
        contacts.create(
            db, ContactInput(f"Person {i}", emails=[Labeled(f"p{i}@example.com")], company="Acme")
        )
    path = tmp_path / "dump.json"
    backup.export_json(db, path)
    return path, json.loads(path.read_text())


def _rows(db) -> list:
    with db.read() as tx:
        return [tuple(r) for r in tx.all("SELECT id, display_name, company_id FROM contacts ORDER BY id")]


@pytest.mark.parametrize("order", ["as written", "reversed"])
def test_any_table_order(db, tmp_path, order):
    path, doc = _dump(db, tmp_path)
    before = _rows(db)
    if order == "reversed":
        doc["tables"] = dict(reversed(list(doc["tables"].items())))
        path.write_text(json.dumps(doc, indent=1))
    report = backup.import_json(db, Source(str(path), path=path), replace=True)
    assert _rows(db) == before
    assert report.rows["contacts"] == 30


def test_unknown_table_at_the_end_changes_nothing(db, tmp_path):
    path, doc = _dump(db, tmp_path)
    doc["tables"]["gadgets"] = [{"id": 1}]
    path.write_text(json.dumps(doc))
    contacts.create(db, ContactInput("Only here"))
    before = _rows(db)
    with pytest.raises(InvalidInput, match="does not know: gadgets"):
        backup.import_json(db, Source(str(path), path=path), replace=True)
    assert _rows(db) == before


def test_a_bad_row_late_in_the_file_changes_nothing(db, tmp_path):
    path, doc = _dump(db, tmp_path)
    doc["tables"]["contacts"][-1]["company_id"] = 999
    path.write_text(json.dumps(doc))
    before = _rows(db)
    with pytest.raises(InvalidInput, match="companies has no row with id 999"):
        backup.import_json(db, Source(str(path), path=path), replace=True)
    assert _rows(db) == before
