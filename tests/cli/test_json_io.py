"""`crm export json` / `crm import json`: everything out, and back into an empty database identically."""

from __future__ import annotations

import json
from pathlib import Path

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
    # the restore itself is audited: one entry more, at the end
    assert after["audit_log"][-1]["action"] == "import"
    after["audit_log"] = after["audit_log"][:-1]
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
