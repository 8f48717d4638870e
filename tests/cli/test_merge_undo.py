"""`crm merge undo [MERGE_ID]` and `crm merge --list`: a merge records what it changed, and undoing it gives back
every row of every table as it was, or refuses in one line when something the merge touched changed since."""

from __future__ import annotations

from typing import Any

import pytest

from crm_testkit import OTHER_CARD

#: tables that change by design: the audit log gets the undo, the merge log its record
LOGS = ("audit_log", "contact_merges")


def rows_of_every_table(url: str) -> dict[str, list[dict[str, Any]]]:
    from tinycrm.store import tables
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            return {t: list(tables.rows(tx, t)) for t in tables.table_order() if t not in LOGS}
    finally:
        db.close()


def run_sql(url: str, sql: str, params: dict[str, Any] | None = None) -> Any:
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.write() as tx:
            return tx.execute(sql, params or {})
    finally:
        db.close()


@pytest.fixture
def pair(cli, tmp_path):
    """Two contacts for one person, each with a history: emails, phones, a photo, vCard extras, tags, fields,
    interactions (one with both), a deal, a task, a ticket, a lead, a dismissed pair with a third contact."""
    keep = cli(
        "add-contact", "Ada Lovelace", "--email", "work:ada@engines.example", "--company", "Engines",
        "--title", "Programmer", "--tag", "math", "--field", "source=fair", "--json",
    ).json["id"]  # fmt: skip
    card = tmp_path / "other.vcf"
    card.write_text(OTHER_CARD)
    assert cli("import", "vcard", str(card)).exit_code == 0
    other = cli("contact", "show", "ada@home.example", "--json").json["id"]
    third = cli("add-contact", "A. Lovelace", "--json").json["id"]
    assert cli("log", str(keep), "--kind", "call", "--summary", "Keep call").exit_code == 0
    assert cli("log", str(other), "--kind", "email", "--summary", "Other email").exit_code == 0
    assert cli("log", str(keep), "--kind", "meeting", "--summary", "Both met").exit_code == 0
    both = cli("timeline", str(keep), "--json").json[0]["id"]
    run_sql(
        cli.url,
        "INSERT INTO interaction_contacts (interaction_id, contact_id) VALUES (:i, :c)",
        {"i": both, "c": other},
    )
    r = cli("deal", "add", "Engine", "--value", "100", "--currency", "GBP", "--contact", str(other))
    assert r.exit_code == 0, r.stderr
    assert cli("task", "add", "Write to A.", "--contact", str(other)).exit_code == 0
    assert cli("task", "add", "Call Ada", "--contact", str(keep)).exit_code == 0
    assert cli("ticket", "add", "Engine broken", "--contact", str(other)).exit_code == 0
    assert cli("lead", "add", "Ada L.", "--email", "ada@home.example", "--contact", str(other)).exit_code == 0
    assert cli("duplicates", "dismiss", str(other), str(third)).exit_code == 0
    return keep, other, third


def test_undo_gives_back_every_row_of_every_table(cli, pair):
    keep, other, _ = pair
    before = rows_of_every_table(cli.url)
    r = cli("merge", str(keep), str(other), "--yes")
    assert r.exit_code == 0, r.stderr
    assert "crm merge undo 1" in r.stderr
    merged = rows_of_every_table(cli.url)
    assert merged != before
    listed = cli("merge", "--list", "--json").json
    assert [(m["id"], m["keep_id"], m["other_id"], m["undone_at"]) for m in listed] == [
        (1, keep, other, None)
    ]
    r = cli("merge", "undo", "--json")
    assert r.exit_code == 0, r.stderr
    assert (r.json["id"], r.json["other_id"]) == (1, other) and r.json["undone_at"]
    after = rows_of_every_table(cli.url)
    for table in before:
        assert after[table] == before[table], table
    # the search index follows: each address finds its own contact again
    assert [x["id"] for x in cli("search", "ada@home.example", "--json").json] == [other]
    assert cli("merge", "--list", "--json").json[0]["undone_by"]
    # once only
    r = cli("merge", "undo", "1")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "undone already" in r.stderr
    assert cli("merge", "undo").exit_code == 2  # nothing left to undo
    # and the merge can be done again, and undone again
    assert cli("merge", str(keep), str(other), "--yes").exit_code == 0
    assert cli("merge", "undo", "2").exit_code == 0
    assert rows_of_every_table(cli.url) == before


def test_undo_refuses_when_a_moved_row_changed_since(cli, pair):
    keep, other, _ = pair
    assert cli("merge", str(keep), str(other), "--yes").exit_code == 0
    moved = cli("task", "list", "--json").json
    task = next(t["id"] for t in moved if t["title"] == "Write to A.")
    assert cli("task", "done", str(task)).exit_code == 0
    merged = rows_of_every_table(cli.url)
    r = cli("merge", "undo")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "cannot undo merge 1" in r.stderr and "tasks" in r.stderr
    assert rows_of_every_table(cli.url) == merged  # nothing changed
    assert cli("merge", "--list", "--json").json[0]["undone_at"] is None


def test_undo_refuses_when_keep_was_edited_or_deleted(cli, pair):
    keep, other, _ = pair
    assert cli("merge", str(keep), str(other), "--yes").exit_code == 0
    assert cli("contact", "edit", str(keep), "--title", "Countess").exit_code == 0
    r = cli("merge", "undo")
    assert r.exit_code == 1 and f"contact {keep}" in r.stderr and "changed since" in r.stderr, r.stderr
    assert cli("contact", "delete", str(keep), "--yes").exit_code == 0
    r = cli("merge", "undo", "1")
    assert r.exit_code == 1 and "was deleted since" in r.stderr, r.stderr
    assert cli("contact", "show", str(other)).exit_code == 2  # OTHER stays gone


def test_rows_added_to_keep_since_stay_with_keep(cli, pair):
    keep, other, _ = pair
    assert cli("merge", str(keep), str(other), "--yes").exit_code == 0
    assert cli("task", "add", "Follow up", "--contact", str(keep)).exit_code == 0
    r = cli("merge", "undo")
    assert r.exit_code == 0, r.stderr
    titles = {t["title"]: t["contact"]["id"] for t in cli("task", "list", "--json").json}
    assert titles["Follow up"] == keep and titles["Write to A."] == other and titles["Call Ada"] == keep


def test_undo_an_older_merge_by_id(cli):
    ids = [cli("add-contact", f"Twin {n}", "--json").json["id"] for n in range(4)]
    assert cli("merge", str(ids[0]), str(ids[1]), "--yes").exit_code == 0
    assert cli("merge", str(ids[2]), str(ids[3]), "--yes").exit_code == 0
    assert [m["id"] for m in cli("merge", "--list", "--json").json] == [2, 1]
    r = cli("merge", "--list", "--limit", "1", "--json")
    assert [m["id"] for m in r.json] == [2] and "--offset 1" in r.stderr
    assert cli("merge", "undo", "1").exit_code == 0
    assert cli("contact", "show", str(ids[1])).exit_code == 0
    assert cli("contact", "show", str(ids[3])).exit_code == 2
    r = cli("merge", "undo", "7")
    assert r.exit_code == 2 and "no merge with id 7" in r.stderr
    r = cli("merge", "undo", "last")
    assert r.exit_code == 2 and "not a merge id" in r.stderr
    r = cli("merge", str(ids[0]))
    assert r.exit_code == 2 and "crm merge KEEP OTHER" in r.stderr


def test_undo_refuses_when_a_moved_row_was_deleted_since(cli, pair):
    keep, other, _ = pair
    assert cli("merge", str(keep), str(other), "--yes").exit_code == 0
    ticket = cli("ticket", "list", "--json").json[0]["id"]
    run_sql(cli.url, "DELETE FROM tickets WHERE id = :i", {"i": ticket})
    merged = rows_of_every_table(cli.url)
    r = cli("merge", "undo", "--json")
    assert r.exit_code == 1 and f"tickets row {ticket} was deleted since" in r.stderr, r.stderr
    assert r.stdout == ""
    assert rows_of_every_table(cli.url) == merged


def test_a_merge_moves_leads_and_consents_to_keep(cli, pair):
    """OTHER's lead and consent follow the person to KEEP instead of losing their contact; undo gives them back."""
    keep, other, _ = pair
    r = cli("consent", "set", str(other), "opt-in", "--address", "ada@home.example")
    assert r.exit_code == 0, r.stderr

    def owners() -> tuple[Any, Any]:
        from tinycrm.store.database import open_db

        db = open_db(cli.url)
        try:
            with db.read() as tx:
                lead = tx.scalar("SELECT contact_id FROM leads WHERE name = 'Ada L.'")
                consent = tx.scalar("SELECT contact_id FROM consents WHERE contact_id IS NOT NULL")
                return lead, consent
        finally:
            db.close()

    assert owners() == (other, other)
    assert cli("merge", str(keep), str(other), "--yes").exit_code == 0
    assert owners() == (keep, keep)
    assert cli("consent", "show", str(keep), "--json").exit_code == 0
    assert cli("merge", "undo").exit_code == 0
    assert owners() == (other, other)
