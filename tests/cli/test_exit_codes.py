"""The exit codes of docs/cli.md: 2 for bad usage (a missing --yes, a database URL tinycrm cannot open), 1 for a
failed operation (a PostgreSQL server that refuses the password), 75 only for a server that is down or busy.
Every error is one line on stderr and never shows a password."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm_testkit import Cli, _pg_unavailable, pg_admin_url


def one_line(r, code: int, words: str, secret: str | None = None) -> None:
    assert r.exit_code == code, (r.exit_code, r.stderr)
    assert r.stderr.startswith("crm: error: ") and r.stderr.count("\n") == 1, r.stderr
    assert words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    if secret:
        assert secret not in r.stdout + r.stderr


@pytest.fixture
def server() -> str:
    """The test PostgreSQL server's URL (user postgres, password postgres)."""
    reason = _pg_unavailable()
    if reason:
        pytest.skip(reason)
    return pg_admin_url()


def with_password(url: str, password: str) -> str:
    return re.sub(r"^([^:]+://[^:/@]+)(:[^@]*)?@", rf"\1:{password}@", url)


# --- PostgreSQL: a refused login is no "try again later" -----------------------------------------------


def test_a_wrong_password_is_exit_1_not_75(server):
    url = with_password(server, "Wr0ngSecret")
    for args in (("contact", "list"), ("search", "ada"), ("remind",), ("db", "status")):
        r = Cli(url)(*args)
        one_line(r, 1, 'password authentication failed for user "postgres"', secret="Wr0ngSecret")
        assert ":***@" in r.stderr and "check the user name and password" in r.stderr


def test_a_wrong_password_in_the_query_is_hidden_too(server):
    url = re.sub(r"^([^:]+://[^:/@]+)(:[^@]*)?@", r"\1@", server) + "?password=Wr0ngSecret"
    one_line(Cli(url)("contact", "list"), 1, "password authentication failed", secret="Wr0ngSecret")


def test_an_unknown_user_or_database_is_exit_1(server):
    nobody = re.sub(r"^([^:]+://)[^:/@]+", r"\1tinycrm_nobody", with_password(server, "Wr0ngSecret"))
    one_line(Cli(nobody)("contact", "list"), 1, "tinycrm_nobody", secret="Wr0ngSecret")
    missing = server.rpartition("/")[0] + "/tinycrm_no_such_database"
    one_line(Cli(missing)("contact", "list"), 1, 'database "tinycrm_no_such_database" does not exist')


def test_a_server_that_is_not_there_is_75():
    r = Cli("postgresql+psycopg://postgres:Wr0ngSecret@127.0.0.1:1/none")("contact", "list")
    one_line(r, 75, "try again later", secret="Wr0ngSecret")


# --- database URLs tinycrm cannot open: bad usage ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (
            "mysql://user:Wr0ngSecret@host/db",
            "is not one tinycrm opens: use sqlite:///PATH or postgresql+psycopg://",
        ),
        ("sqlite:/x.sqlite3", "names no file: write sqlite:///PATH"),
        ("sqlite:///", "names no file"),
        (
            "postgresql+psycopg://u:Wr0ngSecret@127.0.0.1:5432/db?nosuch=1",
            'invalid URI query parameter: "nosuch"',
        ),
        (
            "postgresql+psycopg://u:Wr0ng@Secret@127.0.0.1/db",
            "has an @ in its user name or password: write it as %40",
        ),
        ("postgresql+psycopg://u:Wr0ngSecret@127.0.0.1:notaport/db", 'invalid integer value "notaport"'),
        ("postgresql+psycopg://u:Wr0ngSecret@127.0.0.1/db?sslmode=sometimes", "invalid sslmode value"),
        ("postgresql+psycopg://u:Wr0ngSecret@[::1/db", "is not valid"),
    ],
)
def test_a_bad_url_is_bad_usage(url, words):
    one_line(Cli(url)("contact", "list"), 2, words, secret="Secret")


def test_a_bad_url_in_the_config_file_says_where_it_came_from(monkeypatch, tmp_path):
    import io
    import os
    from contextlib import redirect_stderr

    from tinycrm.cli import run
    from tinycrm.cli.app import build

    (tmp_path / "home" / "config.toml").write_text('db = "mysql://x/y"\n')
    monkeypatch.setenv("TINYCRM_HOME", str(tmp_path / "home"))
    assert os.environ.get("TINYCRM_DB") is None
    err = io.StringIO()
    with redirect_stderr(err):
        code = run(build(), ["contact", "list"])
    assert code == 2 and "config.toml:1: db must be a database URL" in err.getvalue(), (
        "names the file and line"
    )


# --- "needs --yes" is bad usage everywhere -------------------------------------------------------------


def test_needs_yes_is_exit_2_everywhere(cli, tmp_path):
    assert cli("add-contact", "Ada Lovelace", "--email", "ada@example.com").exit_code == 0
    assert cli("add-contact", "Ada King", "--email", "ada@example.com").exit_code == 0
    assert cli("company", "add", "Acme").exit_code == 0
    assert cli("deal", "add", "Website", "--currency", "EUR").exit_code == 0
    assert cli("task", "add", "Call Ada").exit_code == 0
    assert cli("pipeline", "add", "Partners").exit_code == 0
    export = tmp_path / "export.json"
    assert cli("export", "json", str(export)).exit_code == 0
    for args in (
        ("contact", "delete", "1"),
        ("company", "delete", "acme"),
        ("deal", "delete", "website"),
        ("task", "delete", "1"),
        ("pipeline", "remove", "partners"),
        ("merge", "1", "2"),
        ("restore", str(export)),
        ("import", "json", str(export)),
    ):
        r = cli(*args)
        assert r.exit_code == 2, (args, r.stderr)
        assert r.stderr.startswith("crm: error: ") and "--yes" in r.stderr, (args, r.stderr)
    assert len(cli("contact", "list", "--json").json) == 2, "nothing changed"


def _text_file(tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("hello\n")
    return tmp / "notes.txt"


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda tmp: Path("/dev/null"), "/dev/null is not a regular file"),
        (lambda tmp: tmp, "is not a regular file"),
        (_text_file, "is not a SQLite database"),
    ],
    ids=["dev-null", "a folder", "a text file"],
)
def test_a_db_that_is_not_a_database_file_is_bad_usage(tmp_path, make, words):
    target = make(tmp_path)
    before = target.read_bytes() if target.is_file() else None
    for args in (["search", "x"], ["add-contact", "Ada"]):
        one_line(Cli(f"sqlite:///{target}")(*args), 2, words)
    if before is not None:
        assert target.read_bytes() == before, "the file is left as it was"


def test_a_clock_that_is_not_a_time_is_bad_usage(cli, monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "garbage")
    one_line(cli("add-contact", "Ada"), 2, "TINYCRM_NOW='garbage' is not a date and time")
