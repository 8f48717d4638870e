"""Bad input for every command and option: a clear one-line error, exit 2, and the database exactly as it was
(a dump of every table before and after); or, for text that merely looks dangerous, the text stored as is.

Each refused command is its own case, named after its arguments. The cases share one database per store
with one of everything in it, since each checks that it changed nothing; one that did is failed and the
database is built again for the next.
"""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from crm_testkit import Cli, _empty_pg, _pg_for_module, pg_database, store_url  # noqa: F401 - store_url: one PostgreSQL database per module

BAD = b"caf\xe9 \xff".decode(
    "utf-8", "surrogateescape"
)  # bytes that are not UTF-8, as Python gets them in argv
SQL = "'; DROP TABLE contacts; --"
CRM = str(Path(sys.executable).with_name("crm"))


def dump(url: str) -> dict:
    """Every row of every table, the search index included, as text."""
    from tinycrm.store.database import Database
    from tinycrm.store.schema import metadata

    db = Database(url)
    out = {}
    try:
        with db.read() as tx:
            for table in metadata.sorted_tables:
                cols = [c.name for c in table.columns]
                rows = tx.all(f"SELECT {', '.join(cols)} FROM {table.name}")
                out[table.name] = sorted(tuple(repr(r[i]) for i in range(len(cols))) for r in rows)
            if db.is_sqlite:
                rows = tx.all("SELECT rowid, name, email, phone, company, notes, tags FROM contact_search")
            else:
                rows = tx.all(
                    "SELECT contact_id, all_v::text, name_v::text, tags_v::text FROM contact_search"
                )
            out["contact_search"] = sorted(tuple(repr(x) for x in r) for r in rows)
            out["alembic_version"] = tx.column("SELECT version_num FROM alembic_version")
    finally:
        db.close()
    return out


SEED = (
    (
        "add-contact",
        "Ada Lovelace",
        "--email",
        "ada@example.com",
        "--company",
        "Acme",
        "--tag",
        "vip",
        "--field",
        "source=web",
    ),
    ("add-contact", "Bob Babbage", "--phone", "+44 20 7946 0000"),
    ("company", "add", "Globex", "--domain", "globex.com"),
    ("log", "ada", "--kind", "call", "--summary", "Intro"),
)
ADA_UID = "<ada's uid>"  # stands for the uid of the seeded Ada in a case's arguments


def seed(cli: Cli) -> None:
    """One of everything: two contacts, two companies, a tag, a field and an interaction."""
    for args in SEED:
        r = cli(*args)
        assert r.exit_code == 0, r.stderr


@pytest.fixture
def crm(cli):
    """A database with one of everything, and ``crm`` on it."""
    seed(cli)
    return cli


@dataclass
class Seeded:
    """A seeded database shared by the refused cases of one store, with the dump it must keep."""

    cli: Cli
    reference: dict | None = None
    ada_uid: str = ""

    def ready(self) -> "Seeded":
        if self.reference is None:
            if self.cli.url.startswith("sqlite"):
                path = self.cli.url.removeprefix("sqlite:///")
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(path + suffix).unlink(missing_ok=True)
            else:
                _empty_pg(self.cli.url)
            seed(self.cli)
            self.ada_uid = self.cli("contact", "show", "ada", "--json").json["uid"]
            self.reference = dump(self.cli.url)
        return self

    def unchanged(self) -> bool:
        """Whether the database still holds the reference; when not, the next case builds it again."""
        if dump(self.cli.url) == self.reference:
            return True
        self.reference = None
        return False


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_url(request, tmp_path_factory):
    """A database on each store for the refused cases, kept for the whole module."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('refused') / 'crm.sqlite3'}"
        return
    yield from pg_database()


@pytest.fixture(scope="module")
def seeded_db(seeded_url):
    return Seeded(Cli(seeded_url))


@pytest.fixture
def seeded(seeded_db, _isolated_home):
    """The shared seeded database, built (again) under this test's isolated home when needed."""
    return seeded_db.ready()


def refused(db: Seeded, args: tuple, stdin=None, code: int = 2) -> None:
    args = tuple(db.ada_uid if a == ADA_UID else a for a in args)
    r = db.cli(*args, input=stdin)
    unchanged = db.unchanged()
    assert r.exit_code == code, (args, r.exit_code, r.stdout, r.stderr)
    assert r.stderr.startswith("crm: error: "), (args, r.stderr)
    assert r.stderr.count("\n") == 1, (args, r.stderr)
    assert len(r.stderr) < 400, (args, r.stderr)
    assert "Traceback" not in r.stderr and r.stdout == "", args
    assert unchanged, f"{args} changed the database"


def case_id(case) -> str:
    """A readable test id: the arguments as typed, long runs shortened (pytest escapes what is unprintable)."""
    args, stdin = case if isinstance(case[0], tuple) else (case, None)

    def show(text: str | bytes) -> str:
        text = text.decode("latin-1") if isinstance(text, bytes) else text.replace(BAD, "<not UTF-8>")
        text = re.sub(r"(.)\1{19,}", lambda m: f"{m[1]}*{len(m[0])}", text, flags=re.DOTALL)
        return text if text and " " not in text else f'"{text}"'

    shown = " ".join(show(a) for a in args)
    return shown if stdin is None else f"{shown} < {show(stdin)}"


def cases(table: list) -> list:
    return [pytest.param(*(c if isinstance(c[0], tuple) else (c, None)), id=case_id(c)) for c in table]


LONG_NOTE = "x" * 2_000_001

ADD_CONTACT = [
    ("add-contact", ""),
    ("add-contact", "   "),
    ("add-contact", "Ada\x1b[31m"),
    ("add-contact", "Bad\u009bName"),  # a C1 control character (CSI)
    ("add-contact", "\u200b\u200c\u2060"),  # only zero-width characters
    ("add-contact", "n" * 401),
    ("add-contact", BAD),
    ("add-contact", "X", "--email", "not-an-email"),
    ("add-contact", "X", "--email", ""),
    ("add-contact", "X", "--email", f"{BAD}@example.com"),
    ("add-contact", "X", "--email", "a@b.com", "-e", "bad"),
    ("add-contact", "X", "--phone", "call me"),
    ("add-contact", "X", "--phone", "12"),
    ("add-contact", "X", "--phone", BAD),
    ("add-contact", "X", "--company", "c" * 301),
    ("add-contact", "X", "--company", BAD),
    ("add-contact", "X", "--role", "r" * 301),
    ("add-contact", "X", "--title", "t" * 301),
    ("add-contact", "X", "--title", BAD),
    ("add-contact", "X", "--tag", ""),
    ("add-contact", "X", "--tag", "a,b"),
    ("add-contact", "X", "--tag", BAD),
    ("add-contact", "X", "--tag", "t" * 101),
    ("add-contact", "X", "--note", BAD),
    ("add-contact", "X", "--note", "bell\x07"),
    ("add-contact", "X", "--birthday", "someday"),
    ("add-contact", "X", "--birthday", "2999-01-01"),
    ("add-contact", "X", "--birthday", "13-45"),
    ("add-contact", "X", "--birthday", BAD),
    ("add-contact", "X", "--field", "novalue"),
    ("add-contact", "X", "--field", "=v"),
    ("add-contact", "X", "--field", f"k={BAD}"),
    ("add-contact", "X", "--field", f"{BAD}=v"),
    ("add-contact", "X", "--address", "a;b;c;" + "9" * 51),
    ("add-contact", "X", "--address", BAD),
    ("add-contact", "X", "--given", "g" * 201),
    ("add-contact", "X", "--family", BAD),
    ("add-contact", "X", "--cadence", "-1"),
    ("add-contact", "X", "--cadence", "0"),
    ("add-contact", "X", "--cadence", "often"),
    ("add-contact", "X", "--cadence", "99999999999"),
    ("add-contact", "X", "--uid", "u" * 256),
    ("add-contact", "X", "--uid", BAD),
    ("add-contact", "X", "--bogus"),
    ("add-contact",),
    (("add-contact", "X", "--note", "-"), LONG_NOTE),
    (("add-contact", "X", "--note", "-"), b"caf\xe9 au lait\n"),
    (("contact", "add", "X", "--note", "-"), b"\xff\xfe\x00\x00"),
]

CONTACT = [
    ("contact", "show", "nobody"),
    ("contact", "show", "999"),
    ("contact", "show", ""),
    ("contact", "show", BAD),
    ("contact", "show", "99999999999999999999"),
    ("contact", "show", "%"),
    ("contact", "edit", "nobody", "--title", "x"),
    ("contact", "edit", "ada", "--name", ""),
    ("contact", "edit", "ada", "--email", "bad"),
    ("contact", "edit", "ada", "--add-email", "bad"),
    ("contact", "edit", "ada", "--remove-email", "nobody@example.com"),
    ("contact", "edit", "ada", "--phone", "x"),
    ("contact", "edit", "ada", "--add-phone", "abc"),
    ("contact", "edit", "bob", "--remove-phone", "123456"),
    ("contact", "edit", "ada", "--birthday", "later"),
    ("contact", "edit", "ada", "--cadence", "-5"),
    ("contact", "edit", "ada", "--field", "novalue"),
    ("contact", "edit", "ada", "--unset-field", "nope"),
    ("contact", "edit", "ada", "--title", BAD),
    ("contact", "edit", "ada", "--company", "c" * 301),
    ("contact", "edit", "ada", "--address", "a;b;c;" + "9" * 51),
    ("contact", "edit", "ada", "--role", BAD),
    (("contact", "edit", "ada", "--note", "-"), b"\xc3\x28"),
    (("contact", "edit", "ada", "--note", "-"), LONG_NOTE),
    ("contact", "list", "--limit", "0"),
    ("contact", "list", "--limit", "many"),
    ("contact", "list", "--offset", "-1"),
    ("contact", "list", "--offset", "99999999999999999999"),
    ("contact", "list", "--sort", "age"),
    ("contact", "list", "--tag", BAD),
    ("contact", "list", "--company", BAD),
    ("contact", "archive", "nobody"),
    ("contact", "archive", "ada", "nobody"),
    ("contact", "unarchive", "999"),
    ("contact", "delete", "nobody", "--yes"),
    ("contact", "delete", "ada"),
    ("contact", "tag", "nobody", "x"),
    ("contact", "tag", "ada", ""),
    ("contact", "tag", "ada", "a,b"),
    ("contact", "tag", "ada", BAD),
    ("contact", "untag", "nobody", "vip"),
    ("contact", "untag", "ada", BAD),
    ("contact", "tag", "ada"),
]

ACTIVITY = [
    ("log", "nobody", "--summary", "x"),
    ("log", "ada", "--kind", "fax", "--summary", "x"),
    ("log", "ada", "--summary", ""),
    ("log", "ada", "--summary", "s" * 501),
    ("log", "ada", "--summary", BAD),
    ("log", "ada", "--summary", "x", "--when", "the other day"),
    ("log", "ada", "--summary", "x", "--when", BAD),
    ("log", "ada", "--summary", "x", "--when", "in 3 years"),
    ("log", "ada", "--summary", "x", "--body", "\x07"),
    ("log", "ada", "--summary", "x", "--with", "nobody"),
    ("log", "ada"),
    (("log", "ada", "--summary", "x", "--body", "-"), b"\x80abc"),
    (("log", "ada", "--summary", "x", "--body", "-"), LONG_NOTE),
    ("timeline", "nobody"),
    ("timeline", "ada", "--kind", "fax"),
    ("timeline", "ada", "--limit", "0"),
    ("search", 'colour:"red"'),
    ("search", BAD),
    ("search", "x", "--limit", "0"),
    ("search", "x", "--offset", "-2"),
    ("search", "q" * 1001),
    ("search",),
    ("contact", "search", BAD),
]

COMPANY = [
    ("company", "add", ""),
    ("company", "add", BAD),
    ("company", "add", "c" * 301),
    ("company", "add", "Initech", "--domain", "not a domain"),
    ("company", "add", "Initech", "--phone", "call"),
    ("company", "add", "Initech", "--tag", "a,b"),
    ("company", "add", "Initech", "--field", "novalue"),
    ("company", "add", "Initech", "--website", BAD),
    ("company", "add", "Initech", "--address", "\x07"),
    (("company", "add", "Initech", "--note", "-"), b"\xfe"),
    ("company", "show", "nobody"),
    ("company", "show", "999"),
    ("company", "show", "²"),
    ("company", "edit", "acme"),
    ("company", "edit", "nobody", "--name", "x"),
    ("company", "edit", "acme", "--domain", "nope"),
    ("company", "edit", "acme", "--phone", "none"),
    ("company", "edit", "acme", "--field", f"k={BAD}"),
    ("company", "edit", "acme", "--tag", ""),
    ("company", "delete", "nobody", "--yes"),
    ("company", "delete", "acme"),
]


CONFLICTS = [
    ("company", "add", "ACME"),
    ("company", "edit", "globex", "--name", "acme"),
    ("add-contact", "Uid Twice", "--uid", ADA_UID),
]

VERSION_NEVER_HAD = [("contact", "edit", "ada", "--title", "x", "--expect-version", "7")]


@pytest.mark.parametrize("args, stdin", cases(ADD_CONTACT))
def test_add_contact(seeded, args, stdin):
    refused(seeded, args, stdin)


@pytest.mark.parametrize("args, stdin", cases(CONTACT))
def test_contact_commands(seeded, args, stdin):
    refused(seeded, args, stdin)


@pytest.mark.parametrize("args, stdin", cases(ACTIVITY))
def test_log_timeline_search(seeded, args, stdin):
    refused(seeded, args, stdin)


@pytest.mark.parametrize("args, stdin", cases(COMPANY))
def test_companies(seeded, args, stdin):
    refused(seeded, args, stdin)


@pytest.mark.parametrize("args, stdin", cases(CONFLICTS))
def test_conflicts_exit_1_and_change_nothing(seeded, args, stdin):
    refused(seeded, args, stdin, code=1)


@pytest.mark.parametrize("args, stdin", cases(VERSION_NEVER_HAD))
def test_a_version_the_record_never_had_exits_2(seeded, args, stdin):
    refused(seeded, args, stdin)


def test_text_that_looks_like_sql_is_stored_as_is(crm):
    r = crm(
        "add-contact",
        SQL,
        "--note",
        SQL,
        "--title",
        SQL,
        "--company",
        SQL,
        "--tag",
        SQL.replace(",", ""),
        "--field",
        f"{SQL.replace('=', '')}={SQL}",
        "--email",
        "o'brien@example.com",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    c = crm("contact", "show", str(r.json["id"]), "--json").json
    assert c["display_name"] == c["notes"] == c["job_title"] == c["company"]["name"] == SQL
    assert c["tags"] == [SQL] and c["fields"] == {SQL: SQL}
    assert crm("log", str(c["id"]), "--summary", SQL, "--body", SQL).exit_code == 0
    assert crm("timeline", str(c["id"]), "--json").json[0]["summary"] == SQL
    assert [x["id"] for x in crm("search", SQL, "--json").json] == [c["id"]]
    assert crm("contact", "show", "o'brien@example.com", "--json").json["id"] == c["id"]
    assert crm("contact", "show", SQL, "--json").json["id"] == c["id"]
    assert len(crm("contact", "list", "--json").json) == 3, "the contacts table is still there"


def test_long_text(crm):
    note = ("Lorem ipsum dolor sit amet. " * 4000)[:100_000]
    r = crm("add-contact", "Long Notes", "--note", "-", "--json", input=note)
    assert r.exit_code == 0, r.stderr
    assert crm("contact", "show", "long notes", "--json").json["notes"] == note
    r = crm("contact", "edit", "long notes", "--note", "-", input="x" * 2_000_000)
    assert r.exit_code == 2 and "2,000,000 characters long; at most 1,000,000" in r.stderr
    assert crm("contact", "show", "long notes", "--json").json["notes"] == note


def test_text_from_stdin_is_taken_as_is(crm):
    body = "Ünïcödé — 山田 — emoji 🎉\nsecond line\ttab\n"
    r = crm("log", "ada", "--summary", "From stdin", "--body", "-", "--json", input=body.encode("utf-8"))
    assert r.exit_code == 0, r.stderr
    assert r.json["body"] == body


@pytest.mark.parametrize(
    "argv",
    [
        [b"add-contact", b"caf\xe9"],
        [b"contact", b"show", b"\xff"],
        [b"search", b"\xfe\xff"],
        [b"add-contact", b"Ok", b"--note", b"\xe9t\xe9"],
    ],
    ids=lambda argv: " ".join(a.decode("latin-1") for a in argv),
)
def test_non_utf8_argv_in_a_real_process(seeded, argv, tmp_path):
    env = {**os.environ, "TINYCRM_DB": seeded.cli.url, "TINYCRM_HOME": str(tmp_path), "LC_ALL": "C.UTF-8"}
    out = subprocess.run([CRM.encode(), *argv], env=env, capture_output=True, timeout=60)
    unchanged = seeded.unchanged()
    assert out.returncode == 2, (argv, out.stderr)
    err = out.stderr.decode("utf-8", "replace")
    assert err.startswith("crm: error: ") and err.count("\n") == 1 and "UTF-8" in err, err
    assert unchanged, f"{argv} changed the database"
