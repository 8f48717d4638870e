"""`crm log` refuses the future; `crm interaction show|edit|delete` on both stores."""

from __future__ import annotations

import shlex

import pytest
from terminal import on_terminal, terminal_env

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


@pytest.fixture(autouse=True)
def fixed_clock(clock):
    clock("2026-03-25T10:30:00+01:00", tz="Europe/Paris")


@pytest.fixture
def logged(cli):
    cli("add-contact", "Ada Lovelace", "--company", "Acme")
    cli("add-contact", "Bob Babbage")
    cli("deal", "add", "Engine order", "--value", "1000", "--currency", "EUR", "--contact", "ada")
    r = cli(
        "log",
        "ada",
        "--kind",
        "call",
        "--summary",
        "Intro call",
        "--when",
        "yesterday 15:00",
        "--body",
        "Hello",
    )
    assert r.exit_code == 0, r.stderr
    return int(r.stdout)


def count(cli) -> int:
    return len(cli("timeline", "ada", "--json").json)


@pytest.mark.parametrize("when", ["next year", "tomorrow", "in 1 hour", "2026-03-25 12:00"])
def test_log_refuses_the_future_and_points_to_a_follow_up(cli, logged, when):
    r = cli("log", "ada", "--summary", "Planned call", "--when", when)
    assert r.exit_code == 2 and r.stderr.count("\n") == 1
    assert (
        "in the future" in r.stderr
        and f"add a follow-up task instead: crm follow-up ada {shlex.quote(when)}" in r.stderr
    )
    assert count(cli) == 1


def test_log_allows_a_little_clock_skew(cli, logged):
    r = cli("log", "ada", "--summary", "Just now", "--when", "in 2 minutes", "--json")
    assert r.exit_code == 0 and r.json["happened_at"] == "2026-03-25T09:32:00Z"


def test_show_plain_and_json(cli, logged):
    r = cli("interaction", "show", str(logged))
    assert r.exit_code == 0
    lines = dict(line.split(": ", 1) for line in r.stdout.splitlines())
    assert lines["summary"] == "Intro call" and lines["when"] == "2026-03-24 15:00"
    assert lines["with"] == "Ada Lovelace (1)" and lines["company"] == "Acme (1)" and lines["body"] == "Hello"
    assert lines["updated"].endswith("(version 1)")
    doc = cli("interaction", "show", f"#{logged}", "--json").json
    assert (
        doc["id"] == logged and doc["version"] == 1 and doc["contacts"] == [{"id": 1, "name": "Ada Lovelace"}]
    )


def test_edit_by_options(cli, logged):
    r = cli(
        "interaction",
        "edit",
        str(logged),
        "--summary",
        "Long intro call",
        "--kind",
        "Meeting",
        "--when",
        "2026-03-20 09:30",
        "--deal",
        "engine",
        "--contact",
        "ada",
        "--contact",
        "bob",
        "--body",
        "-",
        "--json",
        input="Line one\nline two\n",
    )
    assert r.exit_code == 0, r.stderr
    doc = r.json
    assert (doc["summary"], doc["kind"], doc["happened_at"]) == (
        "Long intro call",
        "meeting",
        "2026-03-20T08:30:00Z",
    )
    assert doc["deal"]["name"] == "Engine order" and doc["body"] == "Line one\nline two\n"
    assert [p["name"] for p in doc["contacts"]] == ["Ada Lovelace", "Bob Babbage"]
    assert doc["version"] == 2
    assert len(cli("timeline", "bob", "--json").json) == 1
    r = cli("interaction", "edit", str(logged), "--deal", "", "--company", "", "--body", "", "--json")
    assert (r.json["deal"], r.json["company"], r.json["body"], r.json["version"]) == (None, None, None, 3)
    history = cli("history", "interaction", str(logged), "--json").json
    assert [e["action"] for e in history] == ["update", "update", "create"]


@pytest.mark.parametrize(
    "args, code, words",
    [
        (["--when", "next year"], 2, "follow-up task instead: crm follow-up CONTACT 'next year'"),
        (["--kind", "fax"], 2, "not one of"),
        (["--summary", " "], 2, "summary must not be empty"),
        (["--deal", "no such deal"], 2, "no deal matches"),
        (["--contact", "nobody at all"], 2, "nobody at all"),
        (["--expect-version", "7", "--summary", "x"], 2, "version 7 does not exist"),
        (["--expect-version", "7"], 2, "version 7 does not exist"),
    ],
)
def test_a_refused_edit_changes_nothing(cli, logged, args, code, words):
    before = cli("interaction", "show", str(logged), "--json").json
    r = cli("interaction", "edit", str(logged), *args)
    assert r.exit_code == code and words in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert cli("interaction", "show", str(logged), "--json").json == before


@pytest.mark.parametrize("ref, words", [("x", "not an interaction id"), ("99", "no interaction with id 99")])
def test_bad_ids(cli, logged, ref, words):
    for args in (["show", ref], ["edit", ref, "--summary", "x"], ["delete", ref, "--yes"]):
        r = cli("interaction", *args)
        assert r.exit_code == 2 and words in r.stderr, (args, r.stderr)
    r = cli("interaction", "show", str(2**40))
    assert r.exit_code == 2 and "no interaction" in r.stderr


def test_delete_needs_yes_off_a_terminal(cli, logged):
    r = cli("interaction", "delete", str(logged))
    assert r.exit_code == 2 and "needs confirmation: add --yes" in r.stderr
    assert count(cli) == 1
    r = cli("interaction", "delete", str(logged), "--yes", "--json")
    assert r.exit_code == 0 and r.json["summary"] == "Intro call"
    assert count(cli) == 0
    r = cli("interaction", "delete", str(logged), "--yes")
    assert r.exit_code == 2
    assert [e["action"] for e in cli("history", "interaction", str(logged), "--json").json] == [
        "delete",
        "create",
    ]


def test_delete_asks_on_a_terminal(cli, logged, tmp_path, _isolated_home):
    env = terminal_env(cli, _isolated_home, "true")
    code, out = on_terminal(["interaction", "delete", str(logged)], env, ["n"], prompt=b"[y/N]")
    assert code == 1 and "Delete the call 'Intro call'" in out and "nothing changed" in out
    assert count(cli) == 1
    code, out = on_terminal(["interaction", "delete", str(logged)], env, ["y"], prompt=b"[y/N]")
    assert code == 0 and "deleted call 'Intro call'" in out
    assert count(cli) == 0


def test_the_command_is_listed(cli):
    r = cli("--help")
    assert "  interaction " in r.stdout
    r = cli("interaction", "--help")
    assert all(word in r.stdout for word in ("show", "edit", "delete"))
