"""`crm export json` / `crm import json`: everything out, and back into an empty database identically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_testkit import Cli

VCARDS = Path(__file__).parents[1] / "fixtures" / "vcards"


def fill(cli: Cli) -> None:
    """A bit of everything: contacts with photos and kept vCard properties, companies, tags, fields,
    interactions, deals with contacts, tasks, users."""
    assert (
        cli("import", "vcard", str(VCARDS / "v30_ios_crcrlf.vcf"), str(VCARDS / "v40_features.vcf")).exit_code
        == 0
    )
    assert (
        cli(
            "add-contact",
            "Ada Lovelace",
            "--email",
            "work:ada@engines.example",
            "--company",
            "Engines",
            "--tag",
            "vip",
            "--field",
            "source=fair",
            "--birthday",
            "1815-12-10",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "log", "Ada Lovelace", "--kind", "call", "--summary", "Intro", "--when", "yesterday 15:00"
        ).exit_code
        == 0
    )
    r = cli(
        "deal",
        "add",
        "Difference engine",
        "--value",
        "1234.50",
        "--currency",
        "GBP",
        "--contact",
        "Ada Lovelace",
    )
    assert r.exit_code == 0, r.stderr
    r = cli("task", "add", "Send the plans", "--due", "tomorrow 9am", "--contact", "Ada Lovelace")
    assert r.exit_code == 0, r.stderr


def dump(url: str) -> dict:
    """Every row of every table, as the JSON export writes them."""
    from tinycrm.formats.jsonio import _value
    from tinycrm.store import tables
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            return {
                t: [{k: _value(v) for k, v in row.items()} for row in tables.rows(tx, t)]
                for t in tables.table_order()
            }
    finally:
        db.close()


def test_export_then_import_into_an_empty_database_is_identical(cli, other_url, tmp_path):
    fill(cli)
    out = tmp_path / "all.json"
    r = cli("export", "json", str(out))
    assert r.exit_code == 0, r.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["format"] == "tinycrm" and doc["format_version"] == 1 and doc["schema_revision"]
    for table in (
        "contacts",
        "companies",
        "interactions",
        "deals",
        "deal_contacts",
        "tasks",
        "users",
        "tags",
        "contact_fields",
        "contact_photos",
        "contact_extras",
        "pipelines",
        "stages",
        "audit_log",
    ):
        assert doc["tables"][table], table
    before = dump(cli.url)
    other = Cli(other_url)
    r = other("import", "json", str(out))
    assert r.exit_code == 0, r.stderr
    after = dump(other_url)
    # the restore itself is audited and told to webhooks: one entry more of each, at the end
    assert after["audit_log"][-1]["action"] == "import"
    after["audit_log"] = after["audit_log"][:-1]
    assert after["events"][-1]["type"] == "import.completed"
    after["events"] = after["events"][:-1]
    before["audit_log"] = [e for e in before["audit_log"] if e["action"] != "export"]
    assert after == before
    # the copy works: search index rebuilt, new ids continue after the restored ones
    assert [c["display_name"] for c in other("search", "lovelace", "--json").json] == ["Ada Lovelace"]
    r = other("add-contact", "New Person", "--json")
    assert r.json["id"] > max(c["id"] for c in before["contacts"])


def test_import_refuses_a_database_with_data(cli, tmp_path):
    out = tmp_path / "all.json"
    cli("add-contact", "Someone")
    cli("export", "json", str(out))
    r = cli("import", "json", str(out))
    assert r.exit_code == 2
    assert "not empty (1 contacts" in r.stderr and "empty database" in r.stderr


def test_export_to_stdout_and_import_from_stdin(cli, other_url):
    cli("add-contact", "Piped Person", "--email", "pipe@example.com")
    r = cli("export", "json", "-")
    assert (
        r.exit_code == 0 and json.loads(r.stdout)["tables"]["contacts"][0]["display_name"] == "Piped Person"
    )
    other = Cli(other_url)
    r = other("import", "json", "-", "--json", input=r.stdout)
    assert r.exit_code == 0, r.stderr
    assert r.json["rows"]["contacts"] == 1
    assert other("contact", "show", "pipe@example.com", "--json").json["display_name"] == "Piped Person"


def test_bad_documents_are_refused(sqlite_cli, tmp_path):
    bad = tmp_path / "bad.json"
    for text, message in [
        ("not json", "is not JSON"),
        ('{"format": "other", "tables": {}}', "not a tinycrm JSON export"),
        ('{"format": "tinycrm", "format_version": 99, "tables": {}}', "format version 99"),
        (
            '{"format": "tinycrm", "format_version": 1, "schema_revision": "0000", "tables": {}}',
            "schema revision 0000",
        ),
        (
            '{"format": "tinycrm", "format_version": 1, "schema_revision": "HEAD", "tables": {"nope": []}}',
            "nope",
        ),
    ]:
        from tinycrm.store.migrations import HEAD

        bad.write_text(text.replace('"HEAD"', json.dumps(HEAD)))
        r = sqlite_cli("import", "json", str(bad))
        assert r.exit_code == 2 and message in r.stderr, (text, r.stderr)


def test_export_json_refuses_to_overwrite(sqlite_cli, tmp_path):
    out = tmp_path / "x.json"
    out.write_text("keep")
    r = sqlite_cli("export", "json", str(out))
    assert r.exit_code == 1 and out.read_text() == "keep"
    assert sqlite_cli("export", "json", str(out), "--force").exit_code == 0


# --- a malformed or tampered export: one line naming table, row and field, exit 2, nothing stored ------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict:
    """A JSON export of a bit of everything, made once for the module."""
    folder = tmp_path_factory.mktemp("exported")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYCRM_HOME", str(folder / "home"))
        mp.setenv("TINYCRM_USER", "tester")
        mp.delenv("TINYCRM_DB", raising=False)
        mp.setenv("TINYCRM_NOW", "2026-03-02T10:00:00+00:00")
        cli = Cli(f"sqlite:///{folder / 'source.sqlite3'}")
        fill(cli)
        r = cli("task", "add", "Every week", "--due", "2026-03-09", "--repeat", "weekly")
        assert r.exit_code == 0, r.stderr
        # a deal's value and category before a change (deal_value_history)
        r = cli("deal", "edit", "Difference engine", "--value", "2000", "--category", "commit")
        assert r.exit_code == 0, r.stderr
        r = cli("export", "json", "-")
        assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def first(doc: dict, table: str, **match) -> dict:
    return next(row for row in doc["tables"][table] if all(row.get(k) == v for k, v in match.items()))


BAD_ROWS = [
    # (table, field, value, what the message says)
    ("contacts", "birthday", "2020-13-45", "cannot understand '2020-13-45'"),
    ("contacts", "birthday", "15 April 1990", "not a birthday as tinycrm stores it"),
    ("contacts", "display_name", "Ada\x1b[2J\x1b[31mOwned", "control characters"),
    ("contacts", "display_name", "Ada\x00", "control characters"),
    ("contacts", "display_name", "   ", "must not be empty"),
    ("contacts", "display_name", 42, "42 is not text"),
    ("contacts", "display_name", None, "the value is missing"),
    ("contacts", "notes", "bell\x07", "control characters"),
    ("contacts", "uid", "u" * 256, "at most 255 fit"),
    ("contacts", "created_at", "yesterday", "is not a time"),
    ("contacts", "created_at", 1234, "is not a time"),
    ("contacts", "archived", "no", "is not true or false"),
    ("contacts", "cadence_days", -3, "-3 is not between 1 and 36,500"),
    ("contacts", "id", "one", "is not a whole number"),
    ("contacts", "version", 2**70, "is too large"),
    ("contacts", "company_id", 9999, "companies has no row with id 9999"),
    ("contacts", "colour", "blue", "has no field 'colour'"),
    ("contact_emails", "label", "x" * 51, "at most 50"),
    ("contact_photos", "data", "not base64!", "not base64 text"),
    ("tags", "name", "a,b", "contains a comma"),
    ("users", "role", "owner", "is not one of: admin, member, viewer"),
    ("deals", "currency", "EURO", "not a three-letter ISO 4217 code"),
    ("deals", "currency", "gbp", "not an upper-case ISO 4217 code"),
    ("deals", "value_e4", -1, "is not a deal value"),
    ("deals", "status", "maybe", "is not one of: open, won, lost"),
    ("deals", "forecast_category", "maybe", "is not one of: pipeline, best-case, commit"),
    ("deal_value_history", "value_e4", -5, "is not a deal value"),
    ("deal_value_history", "currency", "eur", "not an upper-case ISO 4217 code"),
    ("deal_value_history", "category", "worst-case", "is not one of: pipeline, best-case, commit"),
    ("deal_value_history", "deal_id", 9999, "deals has no row with id 9999"),
    ("deal_value_history", "changed_at", "last week", "is not a time"),
    ("deals", "expected_close", "2026-02-30", "is not a date"),
    ("deals", "expected_close", "0999-01-01", "out of range"),
    ("stages", "probability", 150, "150 is not between 0 and 100"),
    ("interactions", "kind", "telepathy", "is not one of: call, email"),
    ("tasks", "rrule", "FREQ=SECONDLY", "repeats more often than daily"),
    ("tasks", "priority", 7, "is not one of: 0, 1, 2, 3"),
]


@pytest.mark.parametrize(
    ("table", "field", "value", "message"),
    BAD_ROWS,
    ids=[f"{t}.{f}-{i}" for i, (t, f, _, _) in enumerate(BAD_ROWS)],
)
def test_a_bad_row_is_refused_with_its_table_row_and_field(
    exported, sqlite_cli, tmp_path, table, field, value, message
):
    import copy

    doc = copy.deepcopy(exported)
    row = doc["tables"][table][0]
    if value is None:
        del row[field]
    else:
        row[field] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    r = sqlite_cli("import", "json", str(bad))
    where = f"table {table}, row 1" + (f" (id {row['id']})" if isinstance(row.get("id"), int) else "")
    assert r.exit_code == 2, r.stderr
    assert r.stderr.count("\n") == 1 and where in r.stderr and message in r.stderr, r.stderr
    if field in row or value is None:
        assert f"field {field}" in r.stderr or "has no field" in r.stderr
    assert "\x1b" not in r.stderr and "\x00" not in r.stderr and "unexpected" not in r.stderr
    assert sqlite_cli("contact", "list", "--json").json == []  # nothing stored


def test_duplicate_keys_are_refused(exported, sqlite_cli, tmp_path):
    import copy

    doc = copy.deepcopy(exported)
    doc["tables"]["contacts"].append(dict(doc["tables"]["contacts"][0], id=999))  # the same uid again
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    r = sqlite_cli("import", "json", str(bad))
    n = len(doc["tables"]["contacts"])
    assert r.exit_code == 2 and f"table contacts, row {n} (id 999): another row has the same uid" in r.stderr


def test_a_restore_over_data_leaves_it_as_it_was(exported, cli, tmp_path):
    """Atomic and checked on both stores: a bad row anywhere, and everything stays as it was."""
    import copy

    cli("add-contact", "Kept Person", "--birthday", "1990-01-02")
    before = dump(cli.url)
    doc = copy.deepcopy(exported)
    first(doc, "tasks", title="Every week")["due_at"] = "next week"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    r = cli("restore", str(bad), "--yes")
    assert r.exit_code == 2 and "table tasks, row 2 (id 2), field due_at" in r.stderr, r.stderr
    assert dump(cli.url) == before
    # the export itself restores, and the calendar of what it restored can be exported
    good = tmp_path / "good.json"
    good.write_text(json.dumps(exported), encoding="utf-8")
    r = cli("restore", str(good), "--yes")
    assert r.exit_code == 0, r.stderr
    assert cli("export", "ical", str(tmp_path / "cal.ics")).exit_code == 0


def test_kept_vcard_properties_and_the_audit_log_restore_as_they_are(exported, sqlite_cli, tmp_path):
    """What the services store without checking (a card's own properties) and the history of what was stored
    restore as they are: a restore never refuses a backup tinycrm itself made."""
    import copy

    doc = copy.deepcopy(exported)
    doc["tables"]["contact_extras"][0]["value"] = "kept\x7f\x1bas the card had it"
    doc["tables"]["audit_log"][0]["changes"] = '{"notes": [null, "old\x7f"]}'
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc), encoding="utf-8")
    r = sqlite_cli("import", "json", str(good))
    assert r.exit_code == 0, r.stderr
    doc["tables"]["contact_extras"][0]["value"] = "nul\x00"
    good.write_text(json.dumps(doc), encoding="utf-8")
    r = Cli(f"sqlite:///{tmp_path / 'other.sqlite3'}")("import", "json", str(good))
    assert r.exit_code == 2 and "table contact_extras, row 1" in r.stderr and "NUL" in r.stderr
