"""crm contact export-personal and crm contact erase, and the suppression that outlives an erased person."""

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


def test_export_then_erase(cli, tmp_path):
    ok(cli("add-contact", "Ada Lovelace", "--email", "ada@example.com", "--tag", "vip"))
    ok(cli("add-contact", "Bob Stone", "--email", "bob@example.com"))
    ok(cli("log", "ada", "--summary", "Lunch at the club"))
    ok(cli("log", "ada", "--summary", "Meeting with Bob", "--with", "bob"))
    ok(cli("consent", "ada", "opt-in", "--source", "web form"))
    data = ok(cli("contact", "export-personal", "ada")).json
    assert data["contact"]["display_name"] == "Ada Lovelace"
    assert [c["status"] for c in data["consent"]] == ["opted-in"]
    assert [e["source"] for e in data["consent_log"]] == ["web form"]
    assert sorted(i["summary"] for i in data["interactions"]) == ["Lunch at the club", "Meeting with Bob"]

    r = cli("contact", "erase", "ada")
    assert r.exit_code == 2 and "--yes" in r.stderr
    ok(cli("contact", "erase", "ada", "--yes"))
    assert ok(cli("search", "ada", "--json")).json == []
    # the shared meeting stays with Bob; the lunch is gone
    assert [i["summary"] for i in ok(cli("timeline", "bob", "--json")).json] == ["Meeting with Bob"]
    audit = ok(cli("audit", "--json")).json
    assert not any("Lovelace" in str(e) or "Lunch" in str(e) for e in audit)
    assert any(e["action"] == "erase" for e in audit)
    # re-imported, the address stays suppressed: never opted in by an import, never mailed
    (tmp_path / "p.csv").write_text("Name,E-mail Address\nAda Lovelace,ada@example.com\n")
    ok(cli("import", "csv", str(tmp_path / "p.csv"), "--consent", "opted-in", "--source", "event"))
    shown = ok(cli("consent", "show", "ada@example.com", "--json")).json
    assert shown == [{**shown[0], "address": "ada@example.com", "status": "unknown", "suppressed": True}]
