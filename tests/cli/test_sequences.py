"""Sequences and crm automate on both stores, mailing a real SMTP server: steps come due by the clock, each runs
once, a reply or an opt-out ends a person's sequence, nobody is in one sequence twice at once."""

from __future__ import annotations

import textwrap

import pytest
from mail_server import Server

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm import config
from tinycrm.domain.mail import InboundMessage

DAY1 = "2026-03-02T09:00:00+00:00"
DAY4 = "2026-03-05T09:00:00+00:00"
DAY9 = "2026-03-11T09:00:00+00:00"


def ok(r):
    assert r.exit_code == 0, r.stderr
    return r


@pytest.fixture
def welcome(cli, _isolated_home, tmp_path, monkeypatch):
    server = Server()
    server.__enter__()
    (_isolated_home / "config.toml").write_text(
        textwrap.dedent(
            f"""\
            [smtp]
            host = "127.0.0.1"
            port = {server.port}
            from = "hello@acme.example"
            [marketing]
            unsubscribe_address = "leave@acme.example"
            """
        )
    )
    monkeypatch.setenv("TINYCRM_NOW", DAY1)
    for name, address in (("Ada Lovelace", "ada@example.com"), ("Bob Stone", "bob@example.com")):
        ok(cli("add-contact", name, "--email", address, "--tag", "lead"))
    ok(cli("segment", "add", "leads", "--query", "tag:lead"))
    (tmp_path / "welcome.md").write_text("Subject: Welcome, {{ contact.given_name }}\nGlad you are here.\n")
    (tmp_path / "follow.md").write_text("How is it going?\n")
    ok(
        cli(
            "sequence",
            "add",
            "welcome",
            "--step",
            f"0d mail {tmp_path / 'welcome.md'}",
            "--step",
            f"3d mail {tmp_path / 'follow.md'}",
            "--step",
            "7d task Call {{ contact.display_name }}",
        )
    )
    ok(cli("sequence", "enroll", "welcome", "--segment", "leads"))
    yield cli, server.box
    server.__exit__()


def test_steps_run_once_when_due(welcome, monkeypatch, db):
    cli, box = welcome
    r = ok(cli("automate"))
    assert sorted(m["To"] for _, _, m in box.messages) == [
        "Ada Lovelace <ada@example.com>",
        "Bob Stone <bob@example.com>",
    ]
    assert {m["Subject"] for _, _, m in box.messages} == {"Welcome, Ada", "Welcome, Bob"}
    assert "welcome: mailed ada@example.com (step 1)" in r.stdout
    # nothing more is due today: silent, nothing sent; enrolling again changes nothing
    assert ok(cli("automate")).stdout == "" and len(box.messages) == 2
    ok(cli("sequence", "enroll", "welcome", "--contact", "ada"))
    assert len(ok(cli("sequence", "show", "welcome", "--json")).json["members"]) == 2
    # Bob replies to the welcome mail: his sequence ends
    ((_, _, to_bob),) = [m for m in box.messages if "bob@" in m[1][0]]
    with db.write() as tx:
        from tinycrm.services.marketing import inbound

        got = inbound.handle(
            tx,
            InboundMessage(
                "r1@example.com",
                "Re: Welcome",
                "bob@example.com",
                "Bob",
                in_reply_to=to_bob["Message-ID"].strip("<>"),
            ),
            config.load(),
        )
    assert got.kind == "sequence.reply"
    monkeypatch.setenv("TINYCRM_NOW", DAY4)
    ok(cli("automate"))
    assert [m[1] for m in box.messages[2:]] == [["ada@example.com"]]
    monkeypatch.setenv("TINYCRM_NOW", DAY9)
    r = ok(cli("automate"))
    assert "task 'Call Ada Lovelace'" in r.stdout and len(box.messages) == 3
    tasks = ok(cli("task", "list", "--json")).json
    assert [t["title"] for t in tasks] == ["Call Ada Lovelace"]
    members = {m["name"]: m for m in ok(cli("sequence", "show", "welcome", "--json")).json["members"]}
    assert members["Ada Lovelace"]["state"] == "done"
    assert (members["Bob Stone"]["state"], members["Bob Stone"]["end_reason"]) == ("ended", "replied")
    assert ok(cli("automate")).stdout == ""


def test_an_opt_out_ends_the_sequence(welcome, monkeypatch):
    cli, box = welcome
    ok(cli("consent", "bob", "opt-out"))
    ok(cli("automate"))
    assert [m[1] for m in box.messages] == [["ada@example.com"]]
    members = {m["name"]: m for m in ok(cli("sequence", "show", "welcome", "--json")).json["members"]}
    assert members["Bob Stone"]["state"] == "ended" and "opted-out" in members["Bob Stone"]["end_reason"]
    ok(cli("sequence", "stop", "welcome", "--contact", "ada"))
    monkeypatch.setenv("TINYCRM_NOW", DAY9)
    assert ok(cli("automate")).stdout == "" and len(box.messages) == 1


def test_bad_steps(welcome, tmp_path):
    cli, _ = welcome
    for spec, words in (
        ("3 mail x.md", "write DAYSd mail FILE.md"),
        ("1d mail nowhere.md", "not a readable"),
        ("1d task Call {{ contact.nick }}", "no attribute 'nick'"),
    ):
        r = cli("sequence", "add", "bad", "--step", spec)
        assert r.exit_code == 2 and words in r.stderr, r.stderr
