"""The store and its schema: where the database lives, how SQLite connections are set up, and Alembic
migrations that give exactly the schema of models.py on both stores."""

import os
import sqlite3
import stat
import uuid
from pathlib import Path

import pytest

from tinycrm.domain.errors import Conflict, StoreError
from tinycrm.store import migrate
from tinycrm.store.database import Database, connect_sqlite, open_db, resolve_url
from tinycrm.store.migrations import HEAD

# --- migrations -----------------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_urls(request, tmp_path):
    """A factory of URLs to new, empty (not even migrated) databases on one store."""
    made: list[str] = []
    if request.param == "postgresql":
        import crm_testkit

        reason = crm_testkit._pg_unavailable()
        if reason:
            pytest.skip(reason)

    def new() -> str:
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}"
        import crm_testkit

        name = f"tinycrm_m_{uuid.uuid4().hex[:12]}"
        crm_testkit._pg_admin_execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return crm_testkit._pg_url_for(name)

    yield new
    if made:
        import crm_testkit

        for name in made:
            crm_testkit.drop_pg_database(name)


def _env_filter():
    """``include_object`` of migrations/env.py (which runs migrations when imported, so it is read, not imported)."""
    import ast

    tree = ast.parse((migrate.MIGRATIONS / "env.py").read_text())
    keep = [
        n
        for n in tree.body
        if isinstance(n, (ast.Assign, ast.FunctionDef))
        and (
            isinstance(n, ast.FunctionDef)
            and n.name == "include_object"
            or isinstance(n, ast.Assign)
            and all(isinstance(t, ast.Name) and t.id.isupper() for t in n.targets)
        )
    ]
    namespace: dict = {}
    exec(compile(ast.Module(body=keep, type_ignores=[]), "env.py", "exec"), namespace)
    return namespace["include_object"]


_include = _env_filter()


def _is_index_table(name: str) -> bool:
    return name == "alembic_version" or not _include(None, name, "table", True, None)


def schema_diffs(db: Database) -> list:
    """What Alembic's autogenerate finds between the database and models.py (what a new migration would do)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tinycrm.store.schema import metadata

    engine = migrate.sa_engine(db)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(
                conn, opts={"include_object": _include, "compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(ctx, metadata)
    finally:
        engine.dispose()


def schema_snapshot(db: Database) -> dict:
    """Tables, columns, keys and indexes as SQLAlchemy reflects them, in a comparable form."""
    import sqlalchemy as sa

    engine = migrate.sa_engine(db)
    out = {}
    try:
        insp = sa.inspect(engine)
        for table in sorted(insp.get_table_names()):
            if _is_index_table(table):
                continue
            out[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in insp.get_columns(table)
                ],
                "pk": insp.get_pk_constraint(table)["constrained_columns"],
                "fks": sorted(
                    (
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        tuple(f["referred_columns"]),
                        (f.get("options") or {}).get("ondelete"),
                    )
                    for f in insp.get_foreign_keys(table)
                ),
                "indexes": sorted(
                    (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table)),
            }
            if db.is_sqlite:
                # SQLAlchemy does not reflect it: ids that are never reused (see schema.IDS_NEVER_REUSED)
                with engine.connect() as conn:
                    sql = conn.exec_driver_sql(
                        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
                    ).scalar_one()
                out[table]["autoincrement"] = "AUTOINCREMENT" in sql.upper()
    finally:
        engine.dispose()
    return out


def created_from_models(url: str) -> Database:
    from tinycrm.store.schema import metadata

    db = Database(url)
    engine = migrate.sa_engine(db)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    return db


def test_migrated_database_matches_the_models(empty_urls):
    upgraded = open_db(empty_urls())
    assert migrate.current_revision(upgraded) == HEAD
    assert schema_diffs(upgraded) == []

    from_models = created_from_models(empty_urls())
    assert schema_diffs(from_models) == []

    stepwise = Database(empty_urls())
    first = known_revisions_in_order()[0]
    migrate.stamp_and_upgrade_from(stepwise, first)
    assert migrate.current_revision(stepwise) == HEAD

    expected = schema_snapshot(from_models)
    assert "contacts" in expected and "interaction_contacts" in expected
    if from_models.is_sqlite:
        assert expected["contacts"]["autoincrement"] and not expected["contact_tags"]["autoincrement"]
    assert schema_snapshot(upgraded) == expected
    assert schema_snapshot(stepwise) == expected
    for db in (upgraded, from_models, stepwise):
        db.close()


def known_revisions_in_order() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrate.MIGRATIONS))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def test_head_is_the_newest_script():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrate.MIGRATIONS))
    assert script.get_current_head() == HEAD
    assert sorted(known_revisions_in_order()) == migrate.known_revisions()


def test_the_search_index_is_created_by_the_migration(db):
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM contact_search") == 0
        assert tx.scalar("SELECT count(*) FROM stages") == 4, "the default Sales pipeline"


def test_a_newer_schema_is_a_clear_error(db):
    with db.write() as tx:
        tx.execute("UPDATE alembic_version SET version_num = '9999'")
    db.close()
    with pytest.raises(StoreError) as info:
        open_db(db.url)
    msg = info.value.message
    assert "9999" in msg and "newer" in msg and "upgrade tinycrm" in msg and "\n" not in msg
    from crm_testkit import Cli

    cli = Cli(db.url)
    for args in (("contact", "list"), ("db", "upgrade"), ()):
        r = cli(*args)
        assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "newer than this tinycrm" in r.stderr, args
    status = cli("db", "status", "--json")
    assert status.exit_code == 0 and status.json["current"] == "9999" and status.json["up_to_date"] is False


def test_opening_migrates_and_db_commands_report(empty_urls):
    from crm_testkit import Cli

    url = empty_urls()
    cli = Cli(url)
    status = cli("db", "status", "--json").json
    assert status == {**status, "current": None, "head": HEAD, "up_to_date": False}
    assert "schema: (empty)" in cli("db", "status").stdout
    if url.startswith("sqlite"):
        assert not Database(url).path.exists(), "db status does not create anything"
    assert migrate.current_revision(Database(url)) is None, "db status does not create anything"
    r = cli("db", "upgrade")
    assert r.exit_code == 0 and f"schema (empty) -> {HEAD}" in r.stderr
    assert "is current" in cli("db", "upgrade").stderr
    assert cli("db", "status", "--json").json["up_to_date"] is True

    other = empty_urls()
    assert Cli(other)("add-contact", "Ada").exit_code == 0, "any command migrates a new database"
    assert migrate.current_revision(Database(other)) == HEAD


# --- where the database lives ---------------------------------------------------------------------------


def test_default_location_is_the_platform_data_dir(monkeypatch, tmp_path):
    from tinycrm import config, paths

    monkeypatch.delenv("TINYCRM_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    config.reset()
    from platformdirs import user_data_dir

    expected = Path(user_data_dir("tinycrm", appauthor=False)) / "tinycrm.sqlite3"
    assert expected == tmp_path / "xdg-data" / "tinycrm" / "tinycrm.sqlite3"
    assert resolve_url() == f"sqlite:///{expected}"
    assert paths.config_file() == tmp_path / "xdg-config" / "tinycrm" / "config.toml"
    assert paths.cache_dir() == tmp_path / "xdg-cache" / "tinycrm"

    from tinycrm.cli import run
    from tinycrm.cli.app import build

    assert run(build(), ["add-contact", "Ada"]) == 0
    assert expected.is_file()
    assert stat.S_IMODE(expected.stat().st_mode) == 0o600
    assert stat.S_IMODE(expected.parent.stat().st_mode) == 0o700


def test_tinycrm_home_overrides_every_location(monkeypatch, tmp_path):
    from tinycrm import config, paths

    home = tmp_path / "crm-home"
    monkeypatch.setenv("TINYCRM_HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "elsewhere"))
    config.reset()
    assert paths.default_db_path() == home / "tinycrm.sqlite3"
    assert paths.demo_db_path() == home / "demo.sqlite3"
    assert paths.config_file() == home / "config.toml"
    assert paths.cache_dir().is_relative_to(home)
    assert resolve_url() == f"sqlite:///{home / 'tinycrm.sqlite3'}"


def test_the_database_url_from_env_config_or_option(monkeypatch, tmp_path):
    from tinycrm import config

    home = Path(os.environ["TINYCRM_HOME"])
    (home / "config.toml").write_text(f'db = "sqlite:///{tmp_path / "from-config.db"}"\n')
    config.reset()
    assert resolve_url() == f"sqlite:///{tmp_path / 'from-config.db'}"
    monkeypatch.setenv("TINYCRM_DB", f"sqlite:///{tmp_path / 'from-env.db'}")
    config.reset()
    assert resolve_url() == f"sqlite:///{tmp_path / 'from-env.db'}"
    assert resolve_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"

    from crm_testkit import Cli

    r = Cli(f"sqlite:///{tmp_path / 'from-option.db'}")("add-contact", "Ada")
    assert r.exit_code == 0
    assert (tmp_path / "from-option.db").exists() and not (tmp_path / "from-env.db").exists()


# --- SQLite connections ---------------------------------------------------------------------------------


def test_new_database_file_is_private(tmp_path):
    old = os.umask(0)  # the mode must not depend on the user's umask
    try:
        path = tmp_path / "new" / "crm.sqlite3"
        db = open_db(f"sqlite:///{path}")
        from tinycrm.domain.people import ContactInput
        from tinycrm.services.people import contacts

        contacts.create(db, ContactInput("Ada"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600
        db.close()
    finally:
        os.umask(old)


def test_every_sqlite_connection_has_the_pragmas(sqlite_url, tmp_path):
    db = open_db(sqlite_url)
    db.close()
    fresh = Database(sqlite_url)
    connections = [fresh.connection(), connect_sqlite(tmp_path / "another.sqlite3")]
    engine = migrate.sa_engine(fresh)
    with engine.connect() as sa_conn:
        connections.append(sa_conn.connection.dbapi_connection)
        for conn in connections:
            assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 60_000
            assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    engine.dispose()
    fresh.close()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(Conflict):
        with db.write() as tx:
            tx.execute(
                "INSERT INTO contact_emails (contact_id, position, value, value_key) "
                "VALUES (424242, 0, 'x@example.com', 'x@example.com')"
            )
    with db.read() as tx:
        assert tx.scalar("SELECT count(*) FROM contact_emails") == 0


def test_a_read_inside_a_write_sees_the_write(db):
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts

    with db.write() as tx:
        cid = contacts.insert(tx, ContactInput("Inside"))
        assert contacts.get(db, cid).display_name == "Inside"
    assert contacts.get(db, cid).display_name == "Inside"


def test_a_damaged_file_is_a_clear_error(tmp_path):
    path = tmp_path / "damaged.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    from crm_testkit import Cli

    r = Cli(f"sqlite:///{path}")("contact", "list")
    assert r.exit_code == 2 and r.stderr.startswith("crm: error: ") and r.stderr.count("\n") == 1
    assert "is not a SQLite database" in r.stderr
    assert "Traceback" not in r.stderr
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT * FROM sqlite_master").fetchall()
