"""``crm search`` and ``crm contact list`` have two ways in: the fast path (tinycrm.cli.fast), which answers
them before Typer is imported, and the Typer commands. Both must print the same stdout and stderr and end with
the same exit code, for every command line in the table below, on both stores; what the fast path does not read
(help, a value click refuses, a table for a terminal) it must leave to Typer."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field

import pytest
from address_book_data import seeded_url

from crm_testkit import Result


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def book(request, tmp_path_factory):
    """A seeded address book on each store, shared by the module (every case only reads)."""
    yield from seeded_url(request.param, tmp_path_factory.mktemp("book"))


@dataclass
class Case:
    args: list[str]
    #: the exit code both paths give
    code: int
    #: the fast path answers (True), or leaves it to Typer (False)
    fast: bool = True
    env: dict[str, str] = field(default_factory=dict)
    #: what stdout must hold, besides being the same on both paths
    shows: str = ""
    #: pass the database as TINYCRM_DB instead of --db; "missing": a database that does not exist
    db: str = "option"


CASES = {
    "search": Case(["search", "ada"], 0, shows="Ada Lovelace\tAcme\tada@example.com"),
    "search --json": Case(["search", "ada", "--json"], 0, shows='"display_name": "Ada Lovelace"'),
    "two words": Case(["search", "ada", "lovelace"], 0, shows="Ada Lovelace"),
    "a phrase": Case(["search", '"ada lovelace"'], 0, shows="Ada Lovelace"),
    "a field": Case(["search", "tag:vip"], 0, shows="Bob Builder"),
    "accents": Case(["search", "muller"], 0, shows="Grete Müller"),
    "--tag": Case(["search", "ada", "--tag", "vip"], 0, shows="Ada Lovelace"),
    "--tag=": Case(["search", "ada", "--tag=vip"], 0, shows="Ada Lovelace"),
    "--company": Case(["search", "ada", "--company", "Acme"], 0, shows="Adam Noemail"),
    "unknown company": Case(["search", "ada", "--company", "Initech"], 2),
    "--include-archived": Case(["search", "ada", "--include-archived"], 0, shows="Ada Byron"),
    "--owner": Case(["search", "tag:vip", "--owner", "bob"], 0, shows="Bob Builder"),
    "unknown owner": Case(["search", "ada", "--owner", "carol"], 2),
    "--mine": Case(["search", "tag:vip", "--mine"], 0, shows="Ada Lovelace"),
    "--mine and --owner": Case(["search", "ada", "--mine", "--owner", "bob"], 2),
    "cut page": Case(["search", "person", "--limit", "3"], 0, shows="Person 02"),
    "-n and --offset": Case(["search", "person", "-n", "2", "--offset", "5"], 0, shows="Person 06"),
    "past the end": Case(["search", "person", "--offset", "100"], 0),
    "--all": Case(["search", "person", "--all"], 0, shows="Person 24"),
    "-a --json": Case(["search", "person", "-a", "--json"], 0, shows="Person 24"),
    "cut page --json": Case(["search", "person", "--limit=2", "--json"], 0, shows="Person 01"),
    "no match": Case(["search", "nobody"], 0),
    "nothing to search": Case(["search", "🦄"], 2),
    "blank query": Case(["search", " "], 2),
    "empty field": Case(["search", "tag:"], 2),
    "--": Case(["search", "--", "-ada"], 0, shows="Ada Lovelace"),
    "contact search": Case(["contact", "search", "lovelace"], 0, shows="Ada Lovelace"),
    "mutt": Case(["search", "--format", "mutt", "ada"], 0, shows="ada.l@mail.example.net\tAda Lovelace"),
    "aerc": Case(["search", "ada", "--format=aerc"], 0, shows="ada@example.com\tAda Lovelace\twork, Acme"),
    "mutt, no match": Case(["search", "--format", "mutt", "nobody"], 1, shows="no contact with an email"),
    "mutt, no address": Case(["search", "--format", "mutt", "noemail"], 1, shows="no contact with an email"),
    "mutt, an odd name": Case(["search", "--format", "mutt", "tabby"], 0, shows="Tabby Cat the Second"),
    "mutt and --json": Case(["search", "--format", "mutt", "ada", "--json"], 2),
    "unknown format": Case(["search", "--format", "vcard", "ada"], 2),
    "mutt, no database": Case(["search", "--format", "mutt", "ada"], 2, db="missing"),
    "list": Case(["contact", "list"], 0, shows="Ada Lovelace"),
    "list --json": Case(["contact", "list", "--json"], 0, shows='"email": "ada@example.com"'),
    "list -n": Case(["contact", "list", "-n", "2"], 0, shows="Ada Lovelace"),
    "list --all": Case(["contact", "list", "--all"], 0, shows="Tabby Cat the Second"),
    "list --archived": Case(["contact", "list", "--archived"], 0, shows="Ada Byron"),
    "list --include-archived": Case(["contact", "list", "--include-archived", "--limit", "50"], 0),
    "list --sort created": Case(["contact", "list", "--sort", "created"], 0, shows="Bob Builder"),
    "list --sort company": Case(["contact", "list", "--sort", "company", "--json"], 0),
    "list --sort shoe size": Case(["contact", "list", "--sort", "shoe size"], 2),
    "list --tag --company": Case(["contact", "list", "--tag", "vip", "--company", "acme"], 0),
    "list --offset too large": Case(["contact", "list", "--offset", "99999999999"], 2),
    "list, TINYCRM_DB": Case(["contact", "list", "--tag", "bulk"], 0, shows="Person 19", db="env"),
    "list, no database": Case(["contact", "list"], 2, db="missing"),
    "NO_COLOR": Case(["search", "ada"], 0, env={"NO_COLOR": "1"}, shows="Ada Lovelace"),
    "terminal, --json": Case(["search", "ada", "--json"], 0, env={"TINYCRM_FORCE_TTY": "1"}),
    "terminal, mutt": Case(
        ["search", "-n", "1", "--format", "mutt", "ada"], 0, env={"TINYCRM_FORCE_TTY": "1"}
    ),
    # left to Typer
    "terminal": Case(["search", "ada"], 0, fast=False, env={"TINYCRM_FORCE_TTY": "1", "NO_COLOR": "1"}),
    "help": Case(["search", "--help"], 0, fast=False),
    "--limit 0": Case(["search", "ada", "--limit", "0"], 2, fast=False),
    "--limit x": Case(["contact", "list", "--limit", "x"], 2, fast=False),
    "--tag ''": Case(["search", "ada", "--tag", ""], 2, fast=False),
    "no query": Case(["search"], 2, fast=False),
    "unknown option": Case(["contact", "list", "--colour"], 2, fast=False),
    "an argument": Case(["contact", "list", "ada"], 2, fast=False),
    "-an": Case(["search", "-an", "5", "ada"], 0, fast=False),
    "a value missing": Case(["search", "ada", "--offset"], 2, fast=False),
}


def _missing(url: str) -> str:
    if url.startswith("sqlite"):
        return url.replace("book.sqlite3", "no-such-book.sqlite3")
    return url.rsplit("/", 1)[0] + "/tinycrm_no_such_book"


def _argv_env(case: Case, url: str) -> tuple[list[str], dict[str, str]]:
    if case.db == "env":
        return case.args, {**case.env, "TINYCRM_DB": url}
    return ["--db", _missing(url) if case.db == "missing" else url, *case.args], case.env


def _in_process(call, env: dict[str, str]) -> Result | None:  # noqa: ANN001
    """Run ``call()`` (it gives an exit code, or None) with ``env`` and captured output, as ``crm`` would."""
    from tinycrm import config
    from tinycrm.cli import state

    out, err = io.StringIO(), io.StringIO()
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    config.reset()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = call()
    finally:
        if state._db is not None:  # noqa: SLF001 - the Typer path keeps its database open
            state._db.close()  # noqa: SLF001
        state.set_url(None)
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        config.reset()
    return None if code is None else Result(code, out.getvalue(), err.getvalue())


def both(case: Case, url: str) -> tuple[Result | None, Result]:
    """What the fast path gives (None: it left the command to Typer), and what Typer gives."""
    from tinycrm.cli import fast, run
    from tinycrm.cli.app import build

    argv, env = _argv_env(case, url)
    quick = _in_process(lambda: fast.answer(list(argv)), env)
    typer = _in_process(lambda: run(build(), list(argv)), env)
    assert typer is not None
    return quick, typer


@pytest.mark.parametrize("name", CASES)
def test_both_paths_print_the_same(book, name):
    case = CASES[name]
    quick, typer = both(case, book)
    # no database: exit 2 for a file that is not there, 1 for a server that has no such database
    assert typer.exit_code == (1 if case.db == "missing" and book.startswith("postgresql") else case.code), (
        typer
    )
    assert case.shows in typer.stdout, typer
    if not case.fast:
        assert quick is None, "the fast path should have left this to Typer"
        return
    assert quick is not None, "the fast path should have answered this"
    assert (quick.stdout, quick.stderr, quick.exit_code) == (typer.stdout, typer.stderr, typer.exit_code)


def test_the_table_covers_what_matters():
    fast = [c for c in CASES.values() if c.fast]
    assert len(fast) >= 30
    assert any("--json" in c.args for c in fast) and any("--all" in c.args for c in fast)
    assert {0, 1, 2} <= {c.code for c in fast}
    assert any(c.db == "missing" for c in fast) and any("NO_COLOR" in c.env for c in fast)


# the real entry point: a process, through tinycrm.cli.main (fast path, then os._exit), against Typer in-process
REAL = [
    "search",
    "mutt",
    "mutt, no match",
    "cut page --json",
    "list, no database",
    "unknown format",
    "--limit 0",
]


@pytest.mark.parametrize("name", REAL)
def test_the_crm_process_prints_what_typer_prints(book, name, tmp_path):
    case = CASES[name]
    argv, env = _argv_env(case, book)
    env = {**os.environ, **env, "TINYCRM_HOME": str(tmp_path), "TINYCRM_USER": "tester"}
    env.pop("TINYCRM_FORCE_TTY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "tinycrm", *argv], env=env, capture_output=True, text=True, timeout=60
    )
    _, typer = both(case, book)
    assert (proc.stdout, proc.stderr, proc.returncode) == (typer.stdout, typer.stderr, typer.exit_code)
