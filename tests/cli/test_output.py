"""What the commands print: plain tab-separated text with no colour to a pipe, JSON with --json, pages of
lists, one-line errors with the documented exit codes, the status screen and the demo."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module

CRM = str(Path(sys.executable).with_name("crm"))
COLOUR_ENV = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "FORCE_COLOR": "1", "CLICOLOR_FORCE": "1"}


@pytest.fixture
def filled(cli):
    """25 people at Acme, one call logged."""
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts, interactions
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    with db.write() as tx:
        ids = [
            contacts.insert(
                tx,
                ContactInput(
                    f"Person {i:02d}", emails=[Labeled(f"p{i}@acme.com")], company="Acme", tags=["t"]
                ),
            )
            for i in range(25)
        ]
    interactions.log(db, contact_ids=ids[:1], kind_="call", summary="Call")
    db.close()
    return cli


def test_json_shapes(filled):
    cli = filled
    lists = [
        ("contact", "list"),
        ("search", "person"),
        ("timeline", "1"),
        ("tags",),
        ("company", "list"),
        ("contact", "archive", "24"),
        ("contact", "unarchive", "24"),
    ]
    for args in lists:
        r = cli(*args, "--json")
        assert r.exit_code == 0, (args, r.stderr)
        data = r.json
        assert isinstance(data, list) and data and all(isinstance(x, dict) for x in data), args
    records = [
        ("contact", "show", "1"),
        ("company", "show", "acme"),
        ("add-contact", "X"),
        ("log", "1", "--summary", "s"),
        ("contact", "tag", "1", "a"),
        ("contact", "untag", "1", "a"),
        ("contact", "edit", "1", "--title", "T"),
        ("company", "add", "Globex"),
        ("company", "edit", "globex", "--domain", "globex.com"),
    ]
    for args in records:
        r = cli(*args, "--json")
        assert r.exit_code == 0, (args, r.stderr)
        assert isinstance(r.json, dict) and isinstance(r.json["id"], int), args
    assert cli("search", "nothing-matches", "--json").json == []


def test_lists_page_by_default(filled):
    cli = filled
    assert len(cli("contact", "list").stdout.splitlines()) == 20
    assert len(cli("contact", "list", "--json").json) == 20
    assert len(cli("contact", "list", "--all").stdout.splitlines()) == 25
    page = cli("contact", "list", "--limit", "10", "--offset", "20", "--json").json
    assert [c["display_name"] for c in page] == [
        "Person 20",
        "Person 21",
        "Person 22",
        "Person 23",
        "Person 24",
    ]
    assert len(cli("search", "person", "-n", "5").stdout.splitlines()) == 5
    assert len(cli("search", "acme", "--all", "--json").json) == 25
    notice = "1-20 of 25 contacts; --offset 20 for the next page, --all for everything\n"
    assert cli("contact", "list").stderr == notice, "a cut page says so, also to a pipe"
    assert cli("contact", "list", "--all").stderr == "", "a whole list says nothing"


def test_plain_text_to_a_pipe_has_no_colour(filled):
    cli = filled
    commands = [
        (),
        ("contact", "list"),
        ("contact", "show", "1"),
        ("search", "person"),
        ("timeline", "1"),
        ("tags",),
        ("company", "list"),
        ("company", "show", "acme"),
        ("--help",),
        ("db", "status"),
    ]
    for args in commands:
        r = cli(*args, env=COLOUR_ENV)
        assert r.exit_code == 0, (args, r.stderr)
        assert r.stdout and "\x1b" not in r.stdout + r.stderr, args
    rows = cli("contact", "list", "--limit", "1").stdout
    assert rows == "1\tPerson 00\tAcme\tp0@acme.com\t\tt\n"


def test_a_real_pipe(sqlite_url, tmp_path):
    env = {**os.environ, **COLOUR_ENV, "TINYCRM_DB": sqlite_url, "TINYCRM_HOME": str(tmp_path)}
    outs = []
    for args in (["add-contact", "Zoë Müller", "--tag", "vip"], ["contact", "list"], ["search", "zoe"], []):
        out = subprocess.run([CRM, *args], env=env, capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert b"\x1b" not in out.stdout + out.stderr
        outs.append(out.stdout.decode("utf-8"))
    assert outs[:3] == ["1\n", "1\tZoë Müller\t\t\t\tvip\n", "1\tZoë Müller\t\t\t\tvip\n"]
    assert "1 contacts (0 archived)" in outs[3], "crm alone, not on a terminal: the status"


def test_a_reader_that_goes_away_and_a_closed_stdin(sqlite_url, tmp_path):
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts
    from tinycrm.store.database import open_db

    db = open_db(sqlite_url)
    with db.write() as tx:
        for i in range(3000):
            contacts.insert(tx, ContactInput(f"Person {i:04d}", notes="x" * 50))
    db.close()
    env = {**os.environ, "TINYCRM_DB": sqlite_url, "TINYCRM_HOME": str(tmp_path)}
    for args in ("contact list --all", "search person --all --json"):
        out = subprocess.run(
            f"'{CRM}' {args} | head -1; echo \"rc=${{PIPESTATUS[0]}}\"",
            shell=True,
            executable="/bin/bash",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.stdout.splitlines()[-1] == "rc=0", (args, out.stdout[-200:], out.stderr)
        assert out.stderr == "", out.stderr
    for args in (
        ["add-contact", "X", "--note", "-"],
        ["log", "1", "--summary", "s", "--body", "-"],
        ["contact", "delete", "1"],
    ):
        out = subprocess.run(
            [CRM, *args],
            env=env,
            stdin=None,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=lambda: os.close(0),
        )
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.startswith("crm: error: ") and out.stderr.count("\n") == 1, out.stderr


def test_a_terminal_gets_a_table_and_a_page_note(filled):
    cli = filled
    r = cli("contact", "list", env={"TINYCRM_FORCE_TTY": "1", "NO_COLOR": "1"})
    assert r.exit_code == 0
    assert "name" in r.stdout.splitlines()[0] and "Person 00" in r.stdout
    assert r.stderr == "1-20 of 25 contacts; --offset 20 for the next page, --all for everything\n"
    assert "\x1b" not in r.stdout, "NO_COLOR is respected"


def test_cells_stay_on_one_line(cli):
    cli("add-contact", "Tab\tby   name", "--note", "two\nlines", "--title", "A\tB")
    row = cli("contact", "list").stdout
    assert row.count("\n") == 1 and row.split("\t")[1] == "Tab by name"
    shown = cli("contact", "show", "1").stdout
    assert "notes: two\nlines" in shown


def test_errors_are_one_line_with_exit_codes(cli):
    assert cli("add-contact", "Ada", "--email", "ada@example.com").exit_code == 0
    cases = [
        (("contact", "show", "999"), 2, "no contact with id 999"),
        (("add-contact", "X", "--email", "bad"), 2, "is not an email address"),
        (("log", "ada", "--summary", "x", "--when", "someday"), 2, "cannot understand the date"),
        (("contact", "list", "--limit", "0"), 2, "--limit"),
        (("contact", "list", "--bogus"), 2, "No such option"),
        (("nosuchcommand",), 2, "No such command"),
        (("add-contact",), 2, "Missing argument"),
        (("company", "add", "Acme"), 0, None),
        (("company", "add", "ACME"), 1, "exists already"),
        (("contact", "edit", "ada", "--title", "x", "--expect-version", "9"), 2, "does not exist"),
    ]
    for args, code, words in cases:
        r = cli(*args)
        assert r.exit_code == code, (args, r.stderr)
        if words:
            assert r.stderr.startswith("crm: error: ") and words in r.stderr, (args, r.stderr)
            assert r.stderr.count("\n") == 1, (args, r.stderr)
            assert r.stdout == "", args
        assert "Traceback" not in r.stderr


def test_an_unreachable_database(tmp_path):
    import contextlib
    import io

    from tinycrm.cli import run
    from tinycrm.cli.app import build

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = run(
            build(), ["--db", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none", "contact", "list"]
        )
    assert code == 75
    assert err.getvalue().count("\n") == 1 and "secret" not in err.getvalue() and "***" in err.getvalue()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run(build(), ["--db", "mysql://x/y", "contact", "list"])
    assert code == 2 and "is not one tinycrm opens" in err.getvalue()


def test_demo(sqlite_cli, monkeypatch):
    r = sqlite_cli("demo", "--contacts", "30")
    assert r.exit_code == 0, r.stderr
    home = Path(os.environ["TINYCRM_HOME"])
    db_path = home / "demo.sqlite3"
    assert f"built the demo database {db_path}: 30 contacts" in r.stderr
    lines = r.stdout.splitlines()
    assert f"The demo database: {db_path}" in lines
    assert f"Try: crm --db sqlite:///{db_path} search ada" in lines
    companies = lines[lines.index("Companies (first 5):") + 1 :][:5]
    assert all(len(row.split("\t")) == 4 and "." in row.split("\t")[2] for row in companies), companies
    board = lines[lines.index("Pipeline (stage, open deals, currency, total, weighted):") + 1 :]
    assert board[0].startswith("Lead\t"), board
    assert "deals" in r.stderr and "tasks" in r.stderr and "tickets" in r.stderr and "leads" in r.stderr
    assert r.stderr.count("\n") == 1, "samples titled 'first 10' need no page notice"
    # the note counts what the database holds, as crm status does (tickets and leads log interactions too)
    said = int(r.stderr.split(" interactions")[0].rsplit(" ", 1)[1])
    status = sqlite_cli("--db", f"sqlite:///{db_path}")  # crm alone: the database's summary
    assert f", {said} interactions," in status.stdout, (said, status.stdout)
    # the demo never touches the database the command was pointed at
    assert json.loads(sqlite_cli("contact", "list", "--json").stdout) == []
    again = sqlite_cli("demo")
    assert again.exit_code == 0 and "built" not in again.stderr
