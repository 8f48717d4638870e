"""Start-up cost: every module imports on its own, and imports only what it needs. Each check runs in a fresh
Python and looks at sys.modules afterwards.

- Every module of the package (found with pkgutil.walk_packages) is imported alone in a process that has
  loaded nothing else, and may load no heavy library at import except the ones its layer is built on (Typer
  for the CLI, Textual for the app, SQLModel for the schema, Alembic for the migrations): everything else is
  imported inside the function that needs it.
- ``crm --help`` and the read commands never load SQLAlchemy, SQLModel, pydantic, Alembic, dateutil, Rich,
  vobject or Textual.
- The fast path (``crm search``, ``crm contact list``, ``--format mutt``) loads no Typer, Click or Rich at all.
"""

import fcntl
import json
import os
import pkgutil
import subprocess
import sys

import pytest

import tinycrm

HEAVY_FOR_CLI = ("textual", "vobject", "sqlmodel", "sqlalchemy", "pydantic", "rich")
HEAVY_FOR_READS = ("sqlalchemy", "sqlmodel", "pydantic", "alembic", "dateutil", "textual", "vobject", "rich")

# What no module may load just by being imported...
HEAVY = set(HEAVY_FOR_READS) | {"psycopg", "typer", "click", "textual_serve", "aiohttp"}
# ...except the libraries its layer is built on (the longest matching prefix decides).
BUILT_ON = {
    "tinycrm.cli": {"typer", "click"},
    "tinycrm.tui": {"textual", "rich"},
    "tinycrm.web": {"aiohttp"},
    "tinycrm.web.tui": {"aiohttp", "textual_serve"},
    "tinycrm.web.tui_downloads": {"aiohttp", "textual_serve"},
    "tinycrm.store.schema": {"sqlmodel", "sqlalchemy", "pydantic"},
    "tinycrm.store.schema_web": {"sqlmodel", "sqlalchemy", "pydantic"},
    "tinycrm.store.schema_leads": {"sqlmodel", "sqlalchemy", "pydantic"},
    "tinycrm.store.schema_mail": {"sqlmodel", "sqlalchemy", "pydantic"},
    "tinycrm.store.schema_hooks": {"sqlmodel", "sqlalchemy", "pydantic"},
    "tinycrm.store.schema_marketing": {"sqlmodel", "sqlalchemy", "pydantic"},
    "tinycrm.store.schema_support": {"sqlmodel", "sqlalchemy", "pydantic"},
    "tinycrm.store.migrations": {"alembic", "sqlmodel", "sqlalchemy", "pydantic"},
}
NOT_IMPORTABLE_ALONE = {
    "tinycrm.__main__": "runs the command line when imported (python -m tinycrm is checked below)",
    "tinycrm.store.migrations.env": "Alembic's environment script: runs only inside Alembic",
}


def built_on(module: str) -> set[str]:
    if module.startswith("tinycrm.store.schema_"):  # the tables of one area, part of the schema
        module = "tinycrm.store.schema"
    prefixes = [p for p in BUILT_ON if module == p or module.startswith(p + ".")]
    return BUILT_ON[max(prefixes, key=len)] if prefixes else set()


MODULES = sorted(m.name for m in pkgutil.walk_packages(tinycrm.__path__, "tinycrm."))
CHECKED = [m for m in MODULES if m not in NOT_IMPORTABLE_ALONE]

# Imports each module in a child forked from a Python that has loaded only the standard library, two at a
# time, and writes {module: {"error": ..., "loaded": [top-level names]}} as JSON to argv[2] (argv[3]: a
# directory for the children's reports).
IMPORT_EACH = """
import importlib, json, os, sys
names, out, work = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
running, results = {}, {}
def start(i, name):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            importlib.import_module(name)
            error = None
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
        loaded = sorted({m.split(".")[0] for m in sys.modules})
        with open(os.path.join(work, str(i)), "w") as f:
            json.dump({"error": error, "loaded": loaded}, f)
        os._exit(0)
    running[pid] = (i, name)
def finish():
    pid, status = os.wait()
    i, name = running.pop(pid)
    try:
        with open(os.path.join(work, str(i))) as f:
            results[name] = json.load(f)
    except OSError:
        results[name] = {"error": f"the importing process died (wait status {status})", "loaded": []}
for i, name in enumerate(names):
    if len(running) >= 2:
        finish()
    start(i, name)
while running:
    finish()
with open(out, "w") as f:
    json.dump(results, f)
"""

WRAPPER = """
import atexit, json, os, sys
def report():
    sys.__stderr__.write("MODULES " + json.dumps(sorted(m.split(".")[0] for m in sys.modules)) + "\\n")
    sys.__stderr__.flush()
atexit.register(report)
_exit = os._exit
def exit_now(code):  # the fast path ends with os._exit, past atexit
    report()
    _exit(code)
os._exit = exit_now
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


@pytest.fixture(scope="session")
def imported_alone(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """What importing each module alone gives; computed once per run, also when pytest-xdist splits the cases
    of this file over several workers (the first one computes, under a lock, and the others read)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    result = shared / "imported_alone.json"
    with open(shared / "imported_alone.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            work, home = shared / "imported_alone", shared / "imported_alone_home"
            work.mkdir(exist_ok=True)
            home.mkdir(exist_ok=True)
            env = {**os.environ, "TINYCRM_HOME": str(home)}
            cmd = [sys.executable, "-c", IMPORT_EACH, json.dumps(CHECKED), str(result), str(work)]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
            assert out.returncode == 0 and result.exists(), out.stderr
    return json.loads(result.read_text())


def test_every_module_is_found():
    assert len(CHECKED) > 80, MODULES
    layers = {m.split(".")[1] for m in MODULES}
    assert {"cli", "tui", "services", "store", "domain", "formats", "config", "paths"} <= layers, layers
    assert "tinycrm.services.people.contacts" in CHECKED and "tinycrm.tui.screens.contacts" in CHECKED


@pytest.mark.parametrize("module", CHECKED)
def test_each_module_imports_alone_and_loads_only_its_layer(imported_alone, module):
    got = imported_alone[module]
    assert got["error"] is None, f"importing {module} alone fails: {got['error']}"
    extra = sorted(set(got["loaded"]) & (HEAVY - built_on(module)))
    assert not extra, f"importing {module} loads {extra}: import them inside the function that needs them"


def test_python_dash_m_runs_the_command_line(env):
    out = subprocess.run(
        [sys.executable, "-m", "tinycrm", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "add-contact" in out.stdout, out.stderr


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


FAST = [
    ["search", "ada"],
    ["search", "ada", "--json"],
    ["search", "--format", "mutt", "ada"],
    ["search", "--format", "aerc", "--", "ada"],
    ["contact", "search", "lovelace", "--limit", "5"],
    ["contact", "list"],
    ["contact", "list", "--json", "--tag", "vip", "--sort", "created"],
]


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_the_fast_path_loads_no_typer_click_or_rich(existing, args):
    mods, out = loaded(args, existing)
    assert out.returncode == 0, out.stderr
    assert "Ada Lovelace" in out.stdout
    assert not mods & {"typer", "click", "rich"}, mods & {"typer", "click", "rich"}
    assert not mods & set(HEAVY_FOR_READS), mods & set(HEAVY_FOR_READS)


def test_the_fast_path_says_no_match_without_typer(existing):
    mods, out = loaded(["search", "--format", "mutt", "nobody"], existing)
    assert (out.returncode, out.stdout) == (1, "crm: no contact with an email address matches 'nobody'\n"), (
        out.stderr
    )
    assert not mods & {"typer", "click", "rich"}


@pytest.mark.parametrize(
    "args", [["search", "--help"], ["search", "ada", "--limit", "0"], ["contact", "list", "x"]]
)
def test_what_the_fast_path_does_not_read_goes_to_typer(existing, args):
    mods, out = loaded(args, existing)
    assert "typer" in mods, (args, out.stderr)
