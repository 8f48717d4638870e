"""`crm lead ...` end to end on both stores: JSON in and out, the inbox, converting, and bad input (one line,
exit 2, nothing changed)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-10T12:00:00+00:00")


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


def snapshot(url: str) -> dict:
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            return {
                t: [tuple(r) for r in tx.all(f"SELECT * FROM {t} ORDER BY 1")]
                for t in ("leads", "contacts", "deals", "lead_tags", "tasks", "audit_log")
            }
    finally:
        db.close()


def refused(cli, args: list[str], text: str, input: str | None = None):
    before = snapshot(cli.url)
    r = cli(*args, input=input)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: error: ") and text in lines[0], r.stderr
    assert snapshot(cli.url) == before


def test_add_list_show_convert(cli):
    assert ok(cli("lead", "add", "Ann", "--email", "ann@acme.test", "--company", "Acme", "--source", "referral",
                  "--value", "500", "--currency", "EUR")).stdout == "1\n"  # fmt: skip
    r = ok(cli("lead", "add", "Ann Again", "--email", "ANN@acme.test"))
    assert "has the email address of lead 1" in r.stderr
    items = json.loads(
        ok(cli("lead", "add", "--json", "-", input='[{"name": "Bo", "value": 7, "currency": "USD"}, {"email": "c@d.test"}]')).stdout
    )  # fmt: skip
    assert [(i["id"], i["name"], i["value"]) for i in items] == [(3, "Bo", "7.00"), (4, "c@d.test", None)]
    listed = json.loads(ok(cli("lead", "list", "--json")).stdout)
    assert [i["id"] for i in listed] == [1, 4, 2, 3]  # by score: 45, 5 (4 and 2: newest first), 0
    shown = ok(cli("lead", "show", "1")).stdout
    assert "source.referral: +30" in shown and "score: 45" in shown
    done = json.loads(ok(cli("lead", "convert", "1", "--json")).stdout)
    assert (done["contact_reused"], done["deal_id"]) == (False, 1)
    refused(cli, ["lead", "convert", "1"], "converted already")


def test_bad_input(cli):
    ok(cli("lead", "add", "Dee", "--value", "5", "--currency", "EUR"))
    ok(cli("lead", "status", "1", "disqualified", "--reason", "no budget"))
    refused(cli, ["lead", "convert", "1"], "disqualified")
    refused(cli, ["lead", "add", "Neg", "--value", "-5", "--currency", "EUR"], "negative")
    refused(cli, ["lead", "add", "Bad", "--email", "not-an-address"], "email")
    refused(cli, ["lead", "status", "1", "converted"], "converting")
    refused(cli, ["lead", "add", "--json", "-"], "unknown field", input='[{"name": "A"}, {"nom": "B"}]')
    refused(cli, ["lead", "list", "--sort", "size"], "sort must be one of")


def test_csv_import_duplicates_and_agenda(cli, tmp_path):
    ok(cli("add-contact", "Ann Known", "--email", "ann@acme.test"))
    path = tmp_path / "leads.csv"
    path.write_text("Name,E-mail,Company,Value,Currency\nAnn,ann@acme.test,Acme,100,EUR\nBo,bo@b.test,B,,\n")
    r = ok(
        cli(
            "import",
            "csv",
            str(path),
            "--as",
            "leads",
            "--map",
            "Value=field:value",
            "--map",
            "Currency=field:currency",
        )
    )
    assert "2 leads added, 0 rows skipped" in r.stderr
    assert "lead 1 has the email address" in r.stderr
    leads = {i["name"]: i for i in json.loads(ok(cli("lead", "list", "--json")).stdout)}
    assert (leads["Ann"]["value"], leads["Ann"]["currency"], leads["Ann"]["source"]) == (
        "100.00",
        "EUR",
        "import",
    )
    dupes = json.loads(ok(cli("duplicates", "--leads", "--json")).stdout)
    assert [(d["lead_id"], d["other_kind"], d["other_id"]) for d in dupes] == [(1, "contact", 1)]
    # a day and a half later, nobody answered them: both are overdue in the agenda; one touched is not
    later = {"TINYCRM_NOW": "2026-03-11T23:00:00+00:00"}
    ok(cli("lead", "status", "2", "contacted"))
    items = json.loads(ok(cli("agenda", "--json", env=later)).stdout)["overdue"]
    assert [(i["kind"], i["key"]) for i in items] == [("lead", "lead:1")]
    assert "lead 1" in ok(cli("remind", env=later)).stdout


def test_lead_tags_survive_contact_untagging(cli):
    """Regression: removing a tag from a contact dropped every tag no contact or company used, lead tags too."""
    ok(cli("add-contact", "Cy", "--tag", "expo"))
    ok(cli("lead", "add", "Dee", "--tag", "expo", "--tag", "webinar"))
    ok(cli("contact", "untag", "1", "expo"))
    assert json.loads(ok(cli("lead", "show", "1", "--json")).stdout)["tags"] == ["expo", "webinar"]
