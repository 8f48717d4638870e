"""`crm report conversion|forecast --method|accuracy|kpis` and `crm deal edit --category` end to end on both
stores: the issue's figures through the command line, and bad input (one line, exit 2, nothing changed)."""

from __future__ import annotations

import csv
import io
import json

import pytest


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


def refused(cli, args: list[str], text: str) -> None:
    r = cli(*args)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("crm: error: ") and text in lines[0], r.stderr


@pytest.fixture
def crm(cli, monkeypatch):
    """Stage A (50 %) of pipeline P: 10 deals added on 1 December 2025, 4 won and 6 lost on 15 December."""

    def on(day: str, *args: str):
        return ok(cli(*args, env={"TINYCRM_NOW": f"{day}T10:00:00+00:00", "TZ": "UTC"}))

    on("2025-12-01", "pipeline", "add", "P", "--stage", "A:50", "--stage", "B:80")
    for i in range(10):
        on("2025-12-01", "deal", "add", f"old {i}", "--value", "100", "--currency", "EUR", "-p", "P")
    for i in range(1, 5):
        on("2025-12-15", "deal", "win", str(i))
    for i in range(5, 11):
        on("2025-12-15", "deal", "lose", str(i), "--reason", "price")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-10T12:00:00+00:00")
    cli.on = on
    return cli


def test_conversion_and_blend_forecast(crm):
    doc = json.loads(ok(crm("report", "conversion", "--pipeline", "P", "--json")).stdout)
    a = doc["stages"][0]
    assert (a["won"], a["closed"], a["learned_pct"], a["blend_pct"]) == (4, 10, "40.0", "45.0")
    ok(
        crm(
            "deal", "add", "march", "--value", "1000", "--currency", "EUR", "-p", "P", "--close", "2026-03-20"
        )
    )
    ok(crm("deal", "edit", "march", "--category", "commit"))
    shown = json.loads(ok(crm("deal", "show", "march", "--json")).stdout)
    assert shown["forecast_category"] == "commit"
    listed = json.loads(ok(crm("deal", "list", "--json")).stdout)
    assert {d["title"]: d["forecast_category"] for d in listed} == {"march": "commit"}
    f = json.loads(ok(crm("report", "forecast", "--method", "blend", "--months", "1", "--json")).stdout)
    assert f["method"] == "blend" and f["k"] == 10
    assert [(p["stage"], p["pct"]) for p in f["probabilities"] if p["pipeline"] == "P"] == [
        ("A", "45.0"),
        ("B", "80.0"),
    ]
    (row,) = f["rows"]
    assert (row["weighted"], row["commit"], row["pipeline"]) == ("450.00", "1000.00", "1000.00")
    out = ok(crm("report", "forecast", "--method", "historical", "--months", "1", "--csv")).stdout
    (line,) = list(csv.DictReader(io.StringIO(out)))
    assert line["weighted"] == "400.00"


def test_a_terminal_table_rounds_to_the_currency_and_scripts_get_every_digit(crm):
    """A weighted value keeps four decimals (1000.03 EUR at 45 % is 450.0135): the forecast table a person reads
    shows cents (450.01), yen whole (1001 JPY at 45 %: 450), while --json and a pipe get the exact figure."""
    for value, code in (("1000.03", "EUR"), ("1001", "JPY")):
        ok(
            crm(
                "deal",
                "add",
                f"d {code}",
                "--value",
                value,
                "--currency",
                code,
                "-p",
                "P",
                "--close",
                "2026-03-20",
            )
        )
    doc = json.loads(ok(crm("report", "forecast", "--method", "blend", "--months", "1", "--json")).stdout)
    assert sorted((r["currency"], r["weighted"]) for r in doc["rows"]) == [
        ("EUR", "450.0135"),
        ("JPY", "450.45"),
    ]
    piped = ok(crm("report", "forecast", "--method", "blend", "--months", "1")).stdout
    assert "450.0135" in piped and "450.45" in piped
    terminal = {"TINYCRM_FORCE_TTY": "1", "NO_COLOR": "1", "COLUMNS": "100"}
    table = ok(crm("report", "forecast", "--method", "blend", "--months", "1", env=terminal)).stdout
    assert "450.01" in table and "450.0135" not in table
    assert "450.45" not in table and " 450 " in table
    shown = ok(crm("deal", "show", "d EUR", env=terminal)).stdout
    assert "500.02 EUR (50 %)" in shown  # the stage's own 50 %: 500.015, half up


def test_kpis_and_accuracy_outputs(crm):
    k = json.loads(ok(crm("report", "kpis", "--since", "2025-12-01", "--json")).stdout)
    assert (k["total"]["won"], k["total"]["lost"], k["total"]["win_rate_pct"]) == (4, 6, "40.0")
    lines = list(csv.reader(io.StringIO(ok(crm("report", "kpis", "--since", "2025-12-01", "--csv")).stdout)))
    assert ["", "avg_won", "EUR", "100.00"] in lines
    acc = json.loads(ok(crm("report", "accuracy", "--quarters", "1", "--json")).stdout)
    assert acc["quarters"] == ["2025-Q4"]


def test_bad_input(crm):
    before = ok(crm("deal", "list", "--status", "all", "--json")).stdout
    refused(crm, ["report", "forecast", "--method", "magic"], "--method")
    refused(crm, ["report", "forecast", "--method", "blend", "--as-of", "2031-01-01"], "future")
    refused(crm, ["report", "conversion", "--window", "0"], "--window")
    refused(crm, ["report", "conversion", "--window", "0m"], "--window")
    refused(crm, ["deal", "edit", "1", "--category", "maybe"], "category must be one of")
    refused(crm, ["report", "accuracy", "--quarters", "0"], "--quarters")
    assert ok(crm("deal", "list", "--status", "all", "--json")).stdout == before


def test_a_restored_export_from_before_the_value_history_gives_the_same_accuracy(crm, other_url, tmp_path):
    """`crm restore` of an export made before revision 0017 (no deal_value_history): the report of the restored
    database is the source's. Y (1000 EUR, closing 15 Feb) was raised to 3000 on 1 February and won on the 10th:
    Q1's forecast of 1 January counts it at 1000 (weighted 500, historical 400, blend 450) against 3000 won."""
    from crm_testkit import Cli

    crm.on("2025-12-20", "deal", "add", "Y", "--value", "1000", "--currency", "EUR", "-p", "P",
           "--close", "2026-02-15")  # fmt: skip
    crm.on("2026-02-01", "deal", "edit", "Y", "--value", "3000")
    crm.on("2026-02-10", "deal", "win", "Y")
    now = {"TINYCRM_NOW": "2026-04-10T12:00:00+00:00"}
    source = json.loads(ok(crm("report", "accuracy", "--quarters", "1", "--json", env=now)).stdout)
    got = {r["method"]: (r["forecast"], r["actual"]) for r in source["rows"]}
    assert got == {"weighted": ("500.00", "3000.00"), "historical": ("400.00", "3000.00"),
                   "blend": ("450.00", "3000.00")}  # fmt: skip
    doc = json.loads(ok(crm("export", "json", "-")).stdout)
    doc["schema_revision"] = "0016"
    del doc["tables"]["deal_value_history"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    other = Cli(other_url)
    ok(other("restore", str(old), "--yes"))
    restored = json.loads(ok(other("report", "accuracy", "--quarters", "1", "--json", env=now)).stdout)
    assert restored == source
