"""`crm merge KEEP OTHER`: everything of OTHER moves to KEEP, nothing is lost, in one audited transaction."""

from __future__ import annotations

import pytest

from crm_testkit import OTHER_CARD


@pytest.fixture
def pair(cli, tmp_path):
    r = cli(
        "add-contact",
        "Ada Lovelace",
        "--email",
        "work:ada@engines.example",
        "--company",
        "Engines",
        "--title",
        "Programmer",
        "--tag",
        "math",
        "--field",
        "source=fair",
        "--json",
    )
    keep = r.json["id"]
    card = tmp_path / "other.vcf"
    card.write_text(OTHER_CARD)
    assert cli("import", "vcard", str(card)).exit_code == 0
    other = cli("contact", "show", "ada@home.example", "--json").json["id"]
    # history on both, one interaction with both, a deal and a task with OTHER
    assert cli("log", str(keep), "--kind", "call", "--summary", "Keep call").exit_code == 0
    assert cli("log", str(other), "--kind", "email", "--summary", "Other email").exit_code == 0
    r = cli("log", str(keep), "--kind", "meeting", "--summary", "Both met")
    assert r.exit_code == 0, r.stderr
    both = cli("timeline", str(keep), "--json").json[0]["id"]
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    with db.write() as tx:
        tx.execute(
            "INSERT INTO interaction_contacts (interaction_id, contact_id) VALUES (:i, :c)",
            {"i": both, "c": other},
        )
    db.close()
    assert (
        cli("deal", "add", "Engine", "--value", "100", "--currency", "GBP", "--contact", str(other)).exit_code
        == 0
    )
    assert cli("task", "add", "Write to A.", "--contact", str(other)).exit_code == 0
    return keep, other, card


def test_merge_moves_everything_and_loses_nothing(cli, pair):
    keep, other, card = pair
    r = cli("merge", str(keep), str(other))
    assert r.exit_code == 2 and "--yes" in r.stderr  # asks first (no terminal here: refuses)
    assert "+ email (home): ada@home.example" in r.stdout and "kept: job title: Programmer" in r.stdout
    assert cli("contact", "show", str(other)).exit_code == 0  # nothing changed yet
    r = cli("merge", str(keep), str(other), "--yes", "--json")
    assert r.exit_code == 0, r.stderr
    c = r.json
    assert cli("contact", "show", str(other)).exit_code == 2
    assert [e["value"] for e in c["emails"]] == ["ada@engines.example", "ada@home.example"]
    assert [p["value"] for p in c["phones"]] == ["+44 20 7946 0001"]
    assert sorted(c["tags"]) == ["math", "poetry"]
    assert c["job_title"] == "Programmer" and c["birthday"] == "1815-12-10"
    assert c["fields"] == {"source": "fair", "shoe": "38"}
    assert "job title: Mathematician" in c["notes"] and "field source: salon" in c["notes"]
    assert "Met at the salon." in c["notes"] and "other-uid-1" in c["notes"]
    assert sorted(i["summary"] for i in cli("timeline", str(keep), "--json").json) == [
        "Both met",
        "Keep call",
        "Other email",
    ]
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    with db.read() as tx:
        assert tx.column("SELECT contact_id FROM deal_contacts") == [keep]
        assert tx.column("SELECT contact_id FROM tasks") == [keep]
        assert tx.column("SELECT contact_id FROM contact_photos") == [keep]
        assert "X-TWITTER" in tx.column("SELECT name FROM contact_extras WHERE contact_id = :k", {"k": keep})
        assert tx.scalar("SELECT count(*) FROM interaction_contacts WHERE contact_id = :o", {"o": other}) == 0
        actions = tx.all("SELECT action, record_id FROM audit_log WHERE action = 'merge' ORDER BY id")
        assert [(a["action"], a["record_id"]) for a in actions] == [("merge", keep), ("merge", other)]
    db.close()
    # the search index knows the merged contact by OTHER's address, and not OTHER any more
    assert [x["id"] for x in cli("search", "ada@home.example", "--json").json] == [keep]
    # importing OTHER's card again finds KEEP through the merged UID instead of bringing OTHER back
    r = cli("import", "vcard", str(card))
    assert r.exit_code == 0 and "created 0" in r.stdout
    assert len(cli("contact", "list", "--json").json) == 1


def test_merge_refuses_the_same_contact_twice(cli):
    cid = cli("add-contact", "Solo", "--json").json["id"]
    r = cli("merge", str(cid), str(cid), "--yes")
    assert r.exit_code == 2 and "itself" in r.stderr
    assert cli("merge", str(cid), "999999", "--yes").exit_code == 2


def test_merge_fills_what_keep_lacks(cli):
    keep = cli("add-contact", "Grace Hopper", "--json").json["id"]
    other = cli(
        "add-contact",
        "Grace B. Hopper",
        "--company",
        "Navy",
        "--title",
        "Admiral",
        "--birthday",
        "1906-12-09",
        "--cadence",
        "30",
        "--json",
    ).json["id"]
    c = cli("merge", str(keep), str(other), "--yes", "--json").json
    assert (c["company"]["name"], c["job_title"], c["birthday"], c["cadence_days"]) == (
        "Navy",
        "Admiral",
        "1906-12-09",
        30,
    )
    assert c["display_name"] == "Grace Hopper" and "Grace B. Hopper" in c["notes"]


def test_merge_keeps_when_the_kept_contact_was_last_in_touch(cli):
    """The other's interactions count for the contact kept: its stay-in-touch clock (last_interaction_at,
    which the agenda reads through an index) moves to the latest of both."""
    keep = cli("add-contact", "Keep Kay", "--email", "kay@example.org", "--json").json["id"]
    other = cli("add-contact", "Other Kay", "--email", "other.kay@example.org", "--json").json["id"]
    assert cli("log", str(keep), "--summary", "old call", "--when", "2026-01-05 10:00").exit_code == 0
    assert cli("log", str(other), "--summary", "new mail", "--when", "2026-03-01 10:00").exit_code == 0
    assert cli("merge", str(keep), str(other), "--yes").exit_code == 0
    from tinycrm.store.database import as_datetime, open_db

    db = open_db(cli.url)
    with db.read() as tx:
        last = as_datetime(tx.scalar("SELECT last_interaction_at FROM contacts WHERE id = :k", {"k": keep}))
    db.close()
    assert last is not None and (last.month, last.day) == (3, 1)
