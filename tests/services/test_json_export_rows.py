"""On SQLite the JSON export's rows are written by SQL (json_object); the text must be what Python's json module
writes for the same row, byte for byte, whatever a column holds: timestamps in every stored form, numbers with
a fraction, booleans stored as text, the character U+0000, quotes... A row SQL cannot write is written by
Python, so the document is the same either way."""

from __future__ import annotations

import json

import pytest

from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.interchange import backup
from tinycrm.services.interchange.jsonrows import _python_rows, json_rows
from tinycrm.services.people import contacts
from tinycrm.store import tables

ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

#: (created_at, updated_at, last_interaction_at, archived, cadence_days, birthday, notes) stored as they are
ODD = [
    ("2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.000000", None, 0, 30, "1990-05-06", "plain"),
    ("2024-01-02 03:04:05", "2024-01-02T03:04:05.000000", "2024-01-02T03:04:05.5", 1, None, None, None),
    ("2024-01-02 03:04:05+02:00", "2024-01-02 03:04:05.000001", None, 2, 1.5, "19900506", 'a "q" \\'),
    ("abcd-ef-gh ij:kl:mn.opqrst", '2024-01-02 03:04:05."23456', None, "x", 7, None, "nul \x00 here"),
    ("2024-01-02 03:04:05.000000", "2024-01-02 03:04:05.999999", None, 0, 2**62, None, "\u2028\x1f\x7f"),
]


def _odd_contacts(db) -> None:
    for i, values in enumerate(ODD):
        c = contacts.create(db, ContactInput(f"Odd {i}", emails=[Labeled(f"odd{i}@example.com")]))
        with db.write() as tx:  # below the services, as another program (or an older tinycrm) may have
            tx.execute(
                "UPDATE contacts SET created_at = :a, updated_at = :b, last_interaction_at = :c, archived = :d, "
                "cadence_days = :e, birthday = :f, notes = :g WHERE id = :id",
                {"a": values[0], "b": values[1], "c": values[2], "d": values[3], "e": values[4]}
                | {"f": values[5], "g": values[6], "id": c.id},
            )


#: the same on PostgreSQL, whose columns hold only their own type
PG_ODD = [
    ("2024-01-02 03:04:05.123456+00", "2024-01-02 03:04:05+02", None, True, 30, "plain"),
    (
        "0005-01-02 03:04:05.5+00",
        "9999-12-31 23:59:59.999999+00",
        "2024-06-01 00:00:00+14",
        False,
        None,
        None,
    ),
    (
        "2024-01-02 03:04:05.000001+00",
        "1970-01-01 00:00:00+00",
        None,
        False,
        2**31 - 1,
        'a "q" \\ \u2028\x1f\x7f',
    ),
]


def _pg_odd_contacts(db) -> None:
    for i, values in enumerate(PG_ODD):
        c = contacts.create(db, ContactInput(f"Odd {i}", emails=[Labeled(f"odd{i}@example.com")]))
        with db.write() as tx:
            tx.execute(
                "UPDATE contacts SET created_at = CAST(:a AS timestamptz), updated_at = CAST(:b AS timestamptz), "
                "last_interaction_at = CAST(:c AS timestamptz), archived = :d, cadence_days = :e, notes = :g "
                "WHERE id = :id",
                {"a": values[0], "b": values[1], "c": values[2], "d": values[3], "e": values[4]}
                | {"g": values[5], "id": c.id},
            )
        with db.write() as tx:
            tx.execute(
                "INSERT INTO deals (uid, title, value_e4, currency, pipeline_id, stage_id, status, "
                "expected_close, next_step_due, created_at, updated_at, stage_entered_at, version) "
                "SELECT :u, 'Deal', 0, 'EUR', p.id, s.id, 'open', CAST(:x AS date), NULL, now(), now(), now(), 1 "
                "FROM pipelines p JOIN stages s ON s.pipeline_id = p.id ORDER BY p.id, s.id LIMIT 1",
                {"u": f"odd-deal-{i}", "x": ["0001-01-01", "2024-02-29", "9999-12-31"][i]},
            )


def test_sql_rows_are_what_python_writes(db):
    if db.is_sqlite:
        _odd_contacts(db)
    else:
        _pg_odd_contacts(db)
    with db.read() as tx:
        for table in tables.table_order():
            made = [r if isinstance(r, str) else ENCODE(r) for r in json_rows(tx, table)]
            assert made == [ENCODE(r) for r in _python_rows(tx, table)], table
        written = list(json_rows(tx, "contacts"))
    assert all(isinstance(r, str) for r in written[:1])  # written by SQL
    if db.is_sqlite:  # and the odd ones by Python
        assert not isinstance(written[1], str)


def test_export_reads_back_the_odd_values(sqlite_url, tmp_path):
    from tinycrm.store.database import open_db

    db = open_db(sqlite_url)
    _odd_contacts(db)
    path = tmp_path / "all.json"
    backup.export_json(db, path)
    rows = json.loads(path.read_text(encoding="utf-8"))["tables"]["contacts"]
    assert [(r["created_at"], r["archived"], r["cadence_days"], r["birthday"]) for r in rows] == [
        ("2024-01-02T03:04:05.123456+00:00", False, 30, "1990-05-06"),
        ("2024-01-02T03:04:05+00:00", True, None, None),
        ("2024-01-02T01:04:05+00:00", True, 1.5, "19900506"),
        ("abcd-ef-ghTij:kl:mn.opqrst+00:00", True, 7, None),
        ("2024-01-02T03:04:05+00:00", False, 2**62, None),
    ]
    assert rows[1]["updated_at"] == "2024-01-02T03:04:05+00:00"
    assert rows[3]["notes"] == "nul \x00 here"


@pytest.mark.parametrize("count", [0, 1, 2500])
def test_rows_in_key_order_across_batches(db, count):
    """More rows than one batch, a marked row among them: every row once, in primary-key order."""
    with db.write() as tx:
        tx.executemany(
            "INSERT INTO tags (name, name_key) VALUES (:n, :k)",
            [{"n": f"Tag {i}", "k": f"tag {i}"} for i in range(count)],
        )
        if count and db.is_sqlite:
            tx.execute("UPDATE tags SET name = 'x' || char(0) WHERE id = (SELECT max(id) - 1 FROM tags)")
    with db.read() as tx:
        rows = [json.loads(r) if isinstance(r, str) else r for r in json_rows(tx, "tags")]
        ids = tx.column("SELECT id FROM tags ORDER BY id")
    assert [r["id"] for r in rows] == ids and len(ids) == count
