"""``crm kb`` on both stores: add from a file or standard input, list, show by id or slug, search, edit,
export, and bad input."""

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


def test_kb_commands(cli, tmp_path):
    body = tmp_path / "reset.md"
    body.write_text("# Reset\n\nClick **Zurücksetzen**.\n", encoding="utf-8")
    r = cli("kb", "add", "Reset your password", "--file", str(body), "--tag", "account")
    assert (r.exit_code, r.stdout) == (0, "1\treset-your-password\n")
    r = cli("kb", "add", "Printer jams", "--body", "-", "--draft", input="Open the tray.")
    assert r.exit_code == 0
    assert cli("kb", "list").stdout.splitlines() == [
        "2\tprinter-jams\tPrinter jams\tdraft\t",
        "1\treset-your-password\tReset your password\tpublished\taccount",
    ]
    assert [a["slug"] for a in cli("kb", "list", "--published", "--json").json] == ["reset-your-password"]
    assert "Click **Zurücksetzen**." in cli("kb", "show", "reset-your-password").stdout
    assert cli("kb", "show", "2", "--json").json["published"] is False
    assert [a["id"] for a in cli("kb", "search", "zuruck", "--json").json] == [1]
    assert cli("kb", "search", "tray", "--json").json == []
    assert [a["id"] for a in cli("kb", "search", "tray", "--drafts", "--json").json] == [2]
    r = cli("kb", "edit", "printer-jams", "--publish", "--tag", "printer", "--json")
    assert (r.json["published"], r.json["tags"], r.json["version"]) == (True, ["printer"], 2)
    r = cli("kb", "export", str(tmp_path / "site"))
    assert r.exit_code == 0 and "wrote 2 articles" in r.stderr
    assert (tmp_path / "site" / "printer-jams.md").read_text().startswith('---\ntitle: "Printer jams"\n')


def test_kb_bad_input(cli, tmp_path):
    for args, word in [
        (("kb", "add", "   "), "title"),
        (("kb", "add", "T", "--body", "x", "--file", "f"), "not both"),
        (("kb", "add", "T", "--file", str(tmp_path / "missing.md")), "missing.md"),
        (("kb", "show", "nope"), "no article 'nope'"),
        (("kb", "edit", "nope", "--title", "x"), "no article 'nope'"),
        (("kb", "search", "!!!"), "no letters or digits"),
    ]:
        r = cli(*args)
        assert r.exit_code == 2 and word in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    assert cli("kb", "list", "--json").json == []


def test_articles_are_found_again_after_a_restore_and_a_reindex(cli, tmp_path):
    from crm_testkit import Cli

    assert cli("kb", "add", "Reset your password", "--body", "Open the settings.").exit_code == 0
    dump = tmp_path / "all.json"
    assert cli("export", "json", str(dump)).exit_code == 0
    other = Cli(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    r = other("import", "json", str(dump))
    assert r.exit_code == 0, r.stderr
    found = other("kb", "search", "passw", "--json")
    assert found.exit_code == 0 and [a["title"] for a in found.json] == ["Reset your password"]
    from tinycrm.store.database import open_db

    db = open_db(other.url)
    with db.write() as tx:
        tx.execute("DELETE FROM kb_search")
    db.close()
    assert other("kb", "search", "passw", "--json").json == []
    assert other("db", "reindex").exit_code == 0
    assert [a["title"] for a in other("kb", "search", "passw", "--json").json] == ["Reset your password"]
