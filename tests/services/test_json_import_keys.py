"""import json checks unique keys and references against the rows it has written so far, a batch at a time
(memory does not grow with the file): a key repeated far apart, in another batch, is refused as one next to
it is, naming the later row; references to rows of earlier batches are found; and a clean document of several
batches imports whole."""

from __future__ import annotations

import json
import re

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import ContactInput
from tinycrm.services.interchange import backup
from tinycrm.services.interchange.files import Source
from tinycrm.services.interchange.rowcheck import BATCH
from tinycrm.services.people import contacts

N = 2 * BATCH + 300  # three batches of contacts


@pytest.fixture
def doc(db, tmp_path):
    """An export of N contacts, each tagged 'vip', made from one real contact's rows."""
    contacts.create(db, ContactInput("Template", tags=["vip"]))
    path = tmp_path / "one.json"
    backup.export_json(db, path)
    data = json.loads(path.read_text())
    tables = data["tables"]
    person, tag = tables["contacts"][0], tables["contact_tags"][0]
    tables["contacts"] = [
        {**person, "id": i, "uid": f"uid-{i}", "display_name": f"P {i}"} for i in range(1, N + 1)
    ]
    tables["contact_tags"] = [{**tag, "contact_id": i} for i in range(1, N + 1)]
    tables["audit_log"] = []
    return data


def _import(db, tmp_path, data):
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(data))
    return backup.import_json(db, Source(str(path), path=path), replace=True)


def _people(db) -> int:
    with db.read() as tx:
        return tx.scalar("SELECT count(*) FROM contacts")


def test_a_document_of_several_batches_imports_whole(db, tmp_path, doc):
    acks = [  # a key with a date: (address, day)
        {"address": f"a{i % 7}@example.com", "day": f"2026-01-{1 + i // 7:02d}", "state": "sent"}
        for i in range(7 * 28)
    ]
    ack = {"ticket_id": None, "error": None, "at": "2026-01-01T10:00:00+00:00"}
    doc["tables"]["support_acks"] = [{**ack, **a} for a in acks]
    report = _import(db, tmp_path, doc)
    assert report.rows["contacts"] == N and report.rows["contact_tags"] == N
    assert report.rows["support_acks"] == 7 * 28
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM contact_tags") == N
    doc["tables"]["support_acks"][-1].update(address="a0@example.com", day="2026-01-02")
    with pytest.raises(
        InvalidInput, match="another row has the same address 'a0@example.com', day '2026-01-02'"
    ):
        _import(db, tmp_path, doc)
    assert _people(db) == N


PROBLEMS = [
    ("contacts", N - 1, {"uid": "uid-7"}, "row {row} (id {row}): another row has the same uid 'uid-7'"),
    ("contacts", BATCH + 1, {"id": BATCH}, f"another row has the same id {BATCH}"),  # in the batch before
    ("contact_tags", N, {"contact_id": 3}, "row {row}: another row has the same contact_id 3, tag_id"),
    (
        "contact_tags",
        N - 5,
        {"contact_id": N + 50},
        f"field contact_id: contacts has no row with id {N + 50}",
    ),
]


def test_a_problem_far_from_its_match_is_found(db, tmp_path, doc):
    contacts.create(db, ContactInput("Only here"))
    for table, row, change, message in PROBLEMS:
        bad = json.loads(json.dumps(doc))
        bad["tables"][table][row - 1].update(change)
        with pytest.raises(InvalidInput, match=re.escape(message.format(row=row))):
            _import(db, tmp_path, bad)
        assert _people(db) == 2, "the database as it was"


def test_the_first_problem_is_the_one_reported(db, tmp_path, doc):
    """A bad value late in a batch and a repeated key earlier in it: the earlier row's problem is named."""
    rows = doc["tables"]["contacts"]
    rows[BATCH + 500]["birthday"] = "2020-13-45"
    rows[BATCH + 10]["uid"] = "uid-1"
    with pytest.raises(
        InvalidInput, match=rf"row {BATCH + 11} \(id {BATCH + 11}\): another row has the same uid"
    ):
        _import(db, tmp_path, doc)
    rows[BATCH + 10]["uid"] = "fine"
    with pytest.raises(InvalidInput, match=rf"row {BATCH + 501} .*field birthday"):
        _import(db, tmp_path, doc)
