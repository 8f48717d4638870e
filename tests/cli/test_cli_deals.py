"""`crm deal`, `crm pipeline` and `crm report` end to end, on both stores."""

from __future__ import annotations

import csv
import io

import pytest


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-10T12:00:00+00:00")


def snapshot(url: str) -> dict:
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            return {
                t: [tuple(r) for r in tx.all(f"SELECT * FROM {t} ORDER BY 1, 2")]
                for t in ("deals", "deal_stage_history", "deal_contacts", "audit_log", "stages", "pipelines")
            }
    finally:
        db.close()


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


def refused(r, text: str):
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    first = r.stderr.splitlines()[0]
    assert first.startswith("crm: error: ") and text in first, r.stderr
    return r


def test_deal_lifecycle(cli):
    ok(cli("add-contact", "Ada Lovelace", "--email", "ada@acme.com", "--company", "Acme"))
    did = int(
        ok(
            cli(
                "deal",
                "add",
                "Website redesign",
                "--value",
                "5000",
                "--currency",
                "EUR",
                "--contact",
                "ada",
                "--close",
                "2026-04-30",
                "--next-step",
                "Send proposal",
                "--next-step-due",
                "2026-03-12",
            )
        ).stdout
    )
    r = ok(cli("deal", "list"))
    assert r.stdout == f"{did}\tWebsite redesign\tLead\t5000.00\tEUR\t2026-04-30\tAcme\ttester\topen\n"
    doc = ok(cli("deal", "show", "website", "--json")).json
    assert (
        doc["value"] == "5000.00"
        and doc["company"] == "Acme"
        and doc["contacts"][0]["name"] == "Ada Lovelace"
    )
    assert [e["kind"] for e in doc["timeline"]] == ["created"]
    assert (
        ok(cli("deal", "move", "website", "Proposal")).stdout == f"{did}\tWebsite redesign\tProposal\topen\n"
    )
    ok(cli("log", "ada", "--kind", "call", "--summary", "Walked through the proposal", "--deal", "website"))
    r = ok(cli("deal", "show", str(did)))
    assert "stage: Proposal" in r.stdout and "weighted: 2500.00 EUR (50 %)" in r.stdout
    assert "Walked through the proposal (with Ada Lovelace)" in r.stdout
    assert "Lead -> Proposal" in r.stdout
    ok(cli("deal", "edit", "website", "--value", "6000.50", "--close", "", "--expect-version", "2"))
    assert ok(cli("deal", "show", "website", "--json")).json["value"] == "6000.50"
    r = cli("deal", "edit", "website", "--value", "1", "--expect-version", "2")
    assert r.exit_code == 1 and "version" in r.stderr
    assert "won" in ok(cli("deal", "win", "website")).stdout
    assert ok(cli("deal", "list")).stdout == ""
    assert ok(cli("deal", "list", "--status", "won", "--json")).json[0]["status"] == "won"
    assert ok(cli("deal", "reopen", "website")).stdout.endswith("\topen\n")
    assert "lost (price)" in ok(cli("deal", "lose", "website", "--reason", "price")).stdout
    r = ok(cli("deal", "timeline", "website"))
    kinds = [line.split("\t")[1] for line in r.stdout.splitlines()]
    # the clock is fixed: everything happened at the same moment, stage events in the order they were made
    assert [k for k in kinds if k != "call"] == [
        "lost",
        "reopened",
        "won",
        "moved",
        "created",
    ] and "call" in kinds
    ok(cli("deal", "delete", "website", "--yes"))
    refused(cli("deal", "show", str(did)), "no deal")


def test_bad_input_exits_2_and_changes_nothing(cli):
    ok(cli("deal", "add", "Lost deal", "--value", "10", "--currency", "EUR"))
    ok(cli("deal", "lose", "Lost deal", "--reason", "price"))
    ok(cli("deal", "add", "Open deal", "--value", "10", "--currency", "EUR"))
    ok(cli("pipeline", "add", "Hiring", "--stage", "Applied:5", "--stage", "Offer:80:7"))
    before = snapshot(cli.url)
    refused(cli("deal", "add", "X", "--value", "-5", "--currency", "EUR"), "negative")
    refused(cli("deal", "add", "X", "--value", "5", "--currency", "EUX"), "ISO 4217")
    refused(
        cli("deal", "add", "X", "--value", "5", "--currency", "EUR", "--close", "flibbertigibbet"),
        "close date",
    )
    refused(
        cli("deal", "add", "X", "--value", "5", "--currency", "EUR", "--close", "2026-02-30"), "close date"
    )
    refused(cli("deal", "add", "X", "--value", "5"), "currency")
    refused(cli("deal", "move", "Open deal", "Offer"), "belongs to pipeline 'Hiring'")
    refused(cli("deal", "win", "Lost deal"), "reopen")
    refused(cli("deal", "edit", "Open deal", "--value", "1e5"), "not an amount")
    refused(cli("deal", "edit", "Open deal"), "nothing to change")
    refused(cli("deal", "lose", "Open deal", "--reason", " "), "reason")
    refused(cli("deal", "show", "nothing"), "no deal matches")
    refused(cli("deal", "list", "--owner", "ghost"), "no user")
    refused(cli("deal", "list", "--owner", "tester", "--mine"), "not both")
    refused(cli("pipeline", "stages", "remove", "Lead"), "--move-to")
    refused(cli("pipeline", "stages", "set", "Lead", "--probability", "101"), "probability")
    refused(cli("report", "forecast", "--csv", "--json"), "not both")
    assert snapshot(cli.url) == before


def test_ambiguous_deal_lists_candidates(cli):
    a = ok(cli("deal", "add", "Website redesign", "--value", "1", "--currency", "EUR")).stdout.strip()
    b = ok(cli("deal", "add", "Website hosting", "--value", "2", "--currency", "USD")).stdout.strip()
    r = refused(cli("deal", "show", "website"), "matches 2 deals")
    lines = r.stderr.splitlines()[1:]
    assert lines[0].split("\t")[0].strip() == a and lines[1].split("\t")[0].strip() == b
    assert "Website hosting" in lines[1]


def test_board_and_stages(cli):
    ok(cli("deal", "add", "A", "--value", "1000", "--currency", "EUR"))
    ok(cli("deal", "add", "B", "--value", "300", "--currency", "USD"))
    ok(cli("deal", "add", "C", "--value", "2000", "--currency", "EUR", "--stage", "Proposal"))
    assert ok(cli("pipeline")).stdout == (
        "Lead\t1\tEUR\t1000.00\t100.00\nLead\t1\tUSD\t300.00\t30.00\nQualified\t0\t\t\t\n"
        "Proposal\t1\tEUR\t2000.00\t1000.00\nNegotiation\t0\t\t\t\n"
    )
    assert ok(cli("pipeline", "Sales")).stdout == ok(cli("pipeline", "show")).stdout
    doc = ok(cli("pipeline", "--json")).json
    assert doc["columns"][0]["count"] == 2 and doc["columns"][0]["totals"] == {
        "EUR": "1000.00",
        "USD": "300.00",
    }
    assert [d["title"] for d in doc["columns"][0]["deals"]] == ["A", "B"]
    assert ok(cli("pipeline", "--mine", "--json")).json["columns"][2]["count"] == 1
    r = ok(
        cli("pipeline", "stages", "add", "Demo", "--probability", "40", "--idle-days", "7", "--position", "2")
    )
    assert [line.split("\t")[1] for line in r.stdout.splitlines()] == [
        "Lead",
        "Demo",
        "Qualified",
        "Proposal",
        "Negotiation",
    ]
    ok(cli("pipeline", "stages", "rename", "Demo", "Demo call"))
    ok(cli("pipeline", "stages", "move", "Demo call", "3"))
    ok(cli("pipeline", "stages", "set", "Demo call", "--probability", "45", "--idle-days", "0"))
    r = ok(cli("pipeline", "stages", "--json"))
    demo = r.json["stages"][2]
    assert (demo["name"], demo["probability"], demo["idle_days"]) == ("Demo call", 45, None)
    ok(cli("pipeline", "stages", "remove", "Lead", "--move-to", "Demo call"))
    assert [s["name"] for s in ok(cli("pipeline", "stages", "Sales", "--json")).json["stages"]] == [
        "Qualified",
        "Demo call",
        "Proposal",
        "Negotiation",
    ]
    r = ok(cli("pipeline", "list"))
    assert r.stdout.startswith("1\tSales\t4\t3\t")
    ok(cli("pipeline", "add", "Hiring"))
    ok(cli("pipeline", "rename", "Hiring", "Recruiting"))
    assert ok(cli("pipeline", "Recruiting")).stdout.count("\t0\t") == 4
    ok(cli("pipeline", "remove", "Recruiting", "--yes"))
    r = cli("pipeline", "--help")
    assert r.exit_code == 0 and "stages" in r.stdout


def test_idle_deals(cli, monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-01T12:00:00+00:00")
    ok(cli("deal", "add", "Old", "--value", "1", "--currency", "EUR"))
    ok(cli("deal", "add", "Fresh", "--value", "1", "--currency", "EUR"))
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-20T12:00:00+00:00")
    ok(cli("deal", "move", "Fresh", "Qualified"))
    r = ok(cli("deal", "idle"))
    assert r.stdout.splitlines() == ["1\tOld\tLead\t1.00\tEUR\t\t\ttester\topen\t19 days in Lead (limit 14)"]
    assert ok(cli("deal", "idle", "--mine", "--json")).json[0]["idle_reason"] == "19 days in Lead (limit 14)"


def test_reports_in_every_format(cli, monkeypatch):
    ok(cli("add-contact", "Ada"))
    ok(cli("deal", "add", "A", "--value", "1000", "--currency", "EUR", "--close", "2026-03-20"))
    ok(
        cli(
            "deal",
            "add",
            "B",
            "--value",
            "10",
            "--currency",
            "USD",
            "--close",
            "2026-04-02",
            "--stage",
            "Proposal",
        )
    )
    ok(cli("deal", "add", "W", "--value", "500", "--currency", "EUR"))
    ok(cli("deal", "win", "W"))
    ok(cli("deal", "add", "L", "--value", "5", "--currency", "EUR"))
    ok(cli("deal", "lose", "L", "--reason", "price"))
    ok(cli("log", "Ada", "--kind", "call", "--summary", "Hi", "--when", "2026-03-09 10:00"))

    r = ok(cli("report", "forecast", "--months", "2"))
    assert r.stdout.splitlines() == [
        "2026-03\tEUR\t1\t1000.00\t100.00\t1\t500.00",
        "2026-03\tUSD\t0\t0.00\t0.00\t0\t0.00",
        "2026-04\tEUR\t0\t0.00\t0.00\t0\t0.00",
        "2026-04\tUSD\t1\t10.00\t5.00\t0\t0.00",
    ]
    rows = list(csv.reader(io.StringIO(ok(cli("report", "forecast", "--months", "2", "--csv")).stdout)))
    assert rows[0] == ["month", "currency", "open_deals", "open_value", "weighted", "won_deals", "won"]
    assert rows[1] == ["2026-03", "EUR", "1", "1000.00", "100.00", "1", "500.00"]
    assert ok(cli("report", "forecast", "--json")).json["months"][0] == "2026-03"

    r = ok(cli("report", "pipeline"))
    assert r.stdout.splitlines()[0] == "Lead\t10\t1\t1000.00 EUR\t100.00 EUR\t4\t50.0\t1\t25.0"
    rows = list(csv.reader(io.StringIO(ok(cli("report", "pipeline", "--csv")).stdout)))
    assert rows[0][:3] == ["stage", "probability", "open_deals"] and len(rows) == 5
    assert ok(cli("report", "pipeline", "Sales", "--json")).json["won"] == 1

    r = ok(cli("report", "wins"))
    assert "win_rate_pct\t\t50.0\t\t" in r.stdout.splitlines()
    assert "lost_reason\tprice\t1\t\t" in r.stdout.splitlines()
    assert ok(cli("report", "wins", "--json")).json["won_value"][0] == {
        "currency": "EUR",
        "count": 1,
        "total": "500.00",
        "average": "500.00",
    }
    rows = list(csv.reader(io.StringIO(ok(cli("report", "wins", "--csv", "--since", "2026-01-01")).stdout)))
    assert rows[0] == ["metric", "key", "count", "total", "average"]

    r = ok(cli("report", "activity", "--weeks", "2"))
    assert r.stdout.splitlines() == ["2026-03-02\t0\t0\t0\t0\t0\t0\t0", "2026-03-09\t1\t0\t0\t0\t0\t0\t1"]
    rows = list(csv.reader(io.StringIO(ok(cli("report", "activity", "--weeks", "1", "--csv")).stdout)))
    assert rows == [
        ["week", "call", "email", "meeting", "message", "note", "other", "total"],
        ["2026-03-09", "1", "0", "0", "0", "0", "0", "1"],
    ]
    assert ok(cli("report", "activity", "--mine", "--json")).json["weeks"][-1]["total"] == 1


def test_terminal_output_draws_tables_and_bars(cli, monkeypatch):
    ok(cli("deal", "add", "A", "--value", "1000", "--currency", "EUR", "--close", "2026-03-20"))
    ok(cli("deal", "add", "B", "--value", "5", "--currency", "EUR"))
    ok(cli("deal", "lose", "B", "--reason", "price"))
    monkeypatch.setenv("TINYCRM_FORCE_TTY", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "1,000.00 EUR" in ok(cli("pipeline")).stdout
    assert "█" in ok(cli("report", "forecast")).stdout
    assert "█" in ok(cli("report", "pipeline")).stdout
    assert "Lost reasons" in ok(cli("report", "wins")).stdout
    ok(cli("report", "activity"))
    assert "Lead" in ok(cli("deal", "show", "A")).stdout
    assert "Sales" in ok(cli("pipeline", "stages")).stdout
