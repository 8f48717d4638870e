"""Start-up cost: the command line imports only what the command needs. Each check runs in a fresh Python and
looks at sys.modules when the process ends."""

import json
import os
import subprocess
import sys

import pytest

HEAVY_FOR_CLI = ("textual", "vobject", "sqlmodel", "sqlalchemy", "pydantic", "rich")
HEAVY_FOR_READS = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "dateutil", "textual", "vobject", "rich")

WRAPPER = """
import atexit, json, sys
def report():
    sys.__stderr__.write("MODULES " + json.dumps(sorted(m.split(".")[0] for m in sys.modules)) + "\\n")
atexit.register(report)
sys.argv = ["crm", *json.loads(sys.argv[1])]
from tinycrm.cli import main
main()
"""


def loaded(code_or_args, env: dict, *, wrapper: bool = True) -> tuple[set[str], subprocess.CompletedProcess]:
    if wrapper:
        cmd = [sys.executable, "-c", WRAPPER, json.dumps(code_or_args)]
    else:
        cmd = [
            sys.executable,
            "-c",
            code_or_args + "\nimport sys, json\n"
            "sys.stderr.write('MODULES ' + json.dumps(sorted(m.split('.')[0] for m in sys.modules)) + '\\n')",
        ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("MODULES ")]
    assert lines, out.stderr
    return set(json.loads(lines[-1][len("MODULES ") :])), out


@pytest.fixture
def env(sqlite_url, tmp_path):
    return {**os.environ, "TINYCRM_DB": sqlite_url, "TINYCRM_HOME": str(tmp_path / "home")}


@pytest.fixture
def existing(env, sqlite_url):
    """A database that exists and is current, with a contact in it."""
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts, interactions
    from tinycrm.store.database import open_db

    db = open_db(sqlite_url)
    c = contacts.create(db, ContactInput("Ada Lovelace", emails=[Labeled("ada@example.com")], tags=["vip"]))
    interactions.log(db, contact_ids=[c.id], kind_="call", summary="Intro")
    db.close()
    return env


def test_importing_the_cli_is_cheap(env):
    mods, _ = loaded("import tinycrm.cli", env, wrapper=False)
    assert not mods & set(HEAVY_FOR_CLI)
    assert "typer" not in mods, "typer loads when a command runs, not on import"


def test_help_is_cheap(env):
    mods, out = loaded(["--help"], env)
    assert out.returncode == 0 and "add-contact" in out.stdout
    assert not mods & set(HEAVY_FOR_CLI), mods & set(HEAVY_FOR_CLI)


@pytest.mark.parametrize(
    "args",
    [
        ["search", "x"],
        ["search", "ada"],
        ["contact", "list"],
        ["contact", "show", "ada"],
        ["timeline", "ada"],
        ["tags"],
        ["company", "list"],
        [],
        ["contact", "list", "--json"],
    ],
)
def test_reads_on_an_existing_database_are_cheap(existing, args):
    mods, out = loaded(args, existing)
    assert out.returncode == 0, out.stderr
    assert not mods & set(HEAVY_FOR_READS), mods & set(HEAVY_FOR_READS)


def test_common_writes_skip_alembic_and_sqlalchemy(existing):
    for args in (
        ["add-contact", "Grace", "--email", "g@example.com", "--tag", "x"],
        ["log", "ada", "--summary", "s"],
        ["contact", "tag", "ada", "y"],
    ):
        mods, out = loaded(args, existing)
        assert out.returncode == 0, out.stderr
        assert not mods & {"sqlalchemy", "sqlmodel", "pydantic", "alembic"}, (args, mods)


def test_a_new_database_needs_alembic_only_once(env, sqlite_url):
    mods, out = loaded(["add-contact", "Ada"], env)
    assert out.returncode == 0, out.stderr
    assert "alembic" in mods, "a new database is migrated"
    mods, out = loaded(["contact", "list"], env)
    assert "alembic" not in mods and "sqlalchemy" not in mods


def test_the_lower_layers_never_import_a_face(env):
    code = (
        "import tinycrm.store.database, tinycrm.store.search, tinycrm.domain.people, tinycrm.domain.dates, tinycrm.domain.validation, "
        "tinycrm.services.people.contacts, tinycrm.services.people.companies, tinycrm.services.people.interactions, "
        "tinycrm.services.status, tinycrm.formats.editform"
    )
    mods, _ = loaded(code, env, wrapper=False)
    assert not mods & {"typer", "click", "rich", "textual", "sqlalchemy", "sqlmodel", "alembic", "dateutil"}
