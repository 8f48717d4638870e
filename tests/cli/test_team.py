"""Team members on PostgreSQL are real database roles: a viewer cannot write with any client, a member can,
an admin can add members; the server, not the client, says who is acting, and keeps the audit log append-only
and the search index whole. On SQLite, crm team says the file's permissions are the boundary."""

from __future__ import annotations

import uuid

import pytest

from crm_testkit import (
    PASSWORD,
    Cli,
    _pg_admin_execute,
    cannot_create_roles,
    pg_database,
    url_as,
)


def test_team_on_sqlite_says_the_file_is_the_boundary(sqlite_cli):
    for args in (
        ["team", "add-member", "bob", "--role", "viewer"],
        ["team", "list"],
        ["team", "remove", "bob"],
    ):
        r = sqlite_cli(*args)
        assert r.exit_code == 2, r.stderr
        assert "SQLite file" in r.stderr and "file's permissions are the boundary" in r.stderr
        assert "crm user add" in r.stderr and r.stderr.count("\n") == 1


# --- PostgreSQL ------------------------------------------------------------------------------------------


@pytest.fixture
def pg_url():
    yield from pg_database(cannot_create_roles)


@pytest.fixture
def logins():
    """Unique login names for this test (roles are server-wide), dropped afterwards."""
    made: list[str] = []
    prefix = f"t{uuid.uuid4().hex[:8]}"

    def new(what: str) -> str:
        made.append(f"{prefix}_{what}")
        return made[-1]

    yield new
    for name in reversed(made):
        try:
            _pg_admin_execute(f'DROP ROLE IF EXISTS "{name}"')
        except Exception:  # noqa: BLE001 - cleanup is best effort
            pass


def connect_as(url: str, user: str):
    import psycopg

    from tinycrm.store.database import pg_conninfo

    return psycopg.connect(pg_conninfo(url_as(url, user)), autocommit=True)


def add(cli: Cli, name: str, role: str, *extra: str):
    r = cli(
        "team",
        "add-member",
        name,
        "--role",
        role,
        "--password-env",
        "TEAM_PW",
        *extra,
        env={"TEAM_PW": PASSWORD},
    )
    assert r.exit_code == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr
    return r


def test_a_viewer_cannot_write_with_any_client(pg_url, logins):
    import psycopg

    owner = Cli(pg_url)
    owner("add-contact", "Ada Lovelace")
    viewer = logins("ann")
    add(owner, viewer, "viewer", "--full-name", "Ann Viewer")

    with connect_as(pg_url, viewer) as conn:
        assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 1
        for statement in (
            "INSERT INTO tags (name, name_key) VALUES ('x', 'x')",
            "UPDATE contacts SET notes = 'changed'",
            "DELETE FROM audit_log",
            "UPDATE alembic_version SET version_num = 'x'",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)

    as_viewer = Cli(url_as(pg_url, viewer))
    r = as_viewer("contact", "list", "--json", env={"TINYCRM_USER": viewer})
    assert r.exit_code == 0 and [c["display_name"] for c in r.json] == ["Ada Lovelace"]
    r = as_viewer("add-contact", "Grace Hopper", env={"TINYCRM_USER": viewer})
    assert r.exit_code == 1
    assert r.stderr.startswith("crm: error: the database refused the change: permission denied")
    assert r.stderr.count("\n") == 1
    r = as_viewer("contact", "edit", "1", "--title", "Countess", env={"TINYCRM_USER": viewer})
    assert r.exit_code == 1 and "permission denied" in r.stderr
    assert owner("contact", "show", "1", "--json").json["job_title"] is None


def test_a_member_writes_but_cannot_manage_roles_or_the_schema(pg_url, logins):
    import psycopg

    owner = Cli(pg_url)
    bob = logins("bob")
    add(owner, bob, "member")
    as_bob = Cli(url_as(pg_url, bob))
    r = as_bob(
        "add-contact", "Grace Hopper", "--company", "Navy", "--tag", "pioneer", env={"TINYCRM_USER": bob}
    )
    assert r.exit_code == 0, r.stderr
    assert (
        as_bob("contact", "edit", r.stdout.strip(), "--title", "Admiral", env={"TINYCRM_USER": bob}).exit_code
        == 0
    )
    assert owner("contact", "show", "1", "--json").json["owner"] == bob
    with connect_as(pg_url, bob) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE alembic_version SET version_num = version_num")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE ROLE should_not_exist")
    r = as_bob("team", "add-member", logins("eve"), "--role", "admin", env={"TINYCRM_USER": bob})
    assert r.exit_code == 1 and "only a tinycrm admin can add, change or remove members" in r.stderr


def test_an_admin_adds_members_and_changes_roles(pg_url, logins):
    owner = Cli(pg_url)
    cy = logins("cy")
    add(owner, cy, "admin")
    as_cy = Cli(url_as(pg_url, cy))
    dan = logins("dan")
    r = as_cy(
        "team",
        "add-member",
        dan,
        "--role",
        "viewer",
        "--password-env",
        "TEAM_PW",
        "--email",
        "dan@x.org",
        env={"TEAM_PW": PASSWORD, "TINYCRM_USER": cy},
    )
    assert r.exit_code == 0, r.stderr
    as_dan = Cli(url_as(pg_url, dan))
    assert as_dan("add-contact", "Nope", env={"TINYCRM_USER": dan}).exit_code == 1
    # promoted: the same login can write now
    r = as_cy("team", "add-member", dan, "--role", "member", env={"TINYCRM_USER": cy})
    assert r.exit_code == 0, r.stderr
    assert as_dan("add-contact", "Yes", env={"TINYCRM_USER": dan}).exit_code == 0
    members = {m["name"]: m for m in owner("team", "list", "--json").json}
    assert {cy, dan} <= set(members)
    assert (members[cy]["role"], members[dan]["role"], members[dan]["email"]) == (
        "admin",
        "member",
        "dan@x.org",
    )
    users = {u["name"]: u for u in owner("user", "list", "--json").json}
    assert users[cy]["role"] == "admin" and users[dan]["role"] == "member"
    # demoted through crm user edit: the database rights follow
    r = as_cy("user", "edit", dan, "--role", "viewer", env={"TINYCRM_USER": cy})
    assert r.exit_code == 0, r.stderr
    assert as_dan("add-contact", "No more", env={"TINYCRM_USER": dan}).exit_code == 1
    history = owner("history", "user", dan, "--json").json
    assert history[0]["changes"]["database role"] == ["member", "viewer"]
    assert history[0]["user"] == cy


def test_remove_takes_every_right_away(pg_url, logins):
    import psycopg

    owner = Cli(pg_url)
    eve = logins("eve")
    add(owner, eve, "member")
    r = owner("team", "remove", eve, "--json")
    assert r.exit_code == 0, r.stderr
    with connect_as(pg_url, eve) as conn:  # the login stays...
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # ...but may not even read
            conn.execute("SELECT count(*) FROM contacts")
    r = Cli(url_as(pg_url, eve))("contact", "list", env={"TINYCRM_USER": eve})
    assert r.exit_code == 1 and "permission denied" in r.stderr
    assert eve not in {m["name"] for m in owner("team", "list", "--json").json}
    assert {u["name"]: u for u in owner("user", "list", "--json").json}[eve]["active"] is False
    # back again, then gone for good
    add(owner, eve, "viewer")
    assert owner("team", "remove", eve, "--drop-role").exit_code == 0
    with pytest.raises(psycopg.OperationalError):
        connect_as(pg_url, eve)


def test_switching_a_user_off_revokes_their_rights(pg_url, logins):
    owner = Cli(pg_url)
    fay = logins("fay")
    add(owner, fay, "member")
    assert owner("user", "edit", fay, "--inactive").exit_code == 0
    assert Cli(url_as(pg_url, fay))("contact", "list", env={"TINYCRM_USER": fay}).exit_code == 1
    assert owner("user", "edit", fay, "--active").exit_code == 0
    assert Cli(url_as(pg_url, fay))("contact", "list", env={"TINYCRM_USER": fay}).exit_code == 0


def test_tables_added_later_get_the_same_grants(pg_url, logins):
    """Default privileges: a table a later schema upgrade creates (as the owner) is readable by viewers."""
    import psycopg

    from tinycrm.store.database import pg_conninfo

    owner = Cli(pg_url)
    gus = logins("gus")
    add(owner, gus, "viewer")
    with psycopg.connect(pg_conninfo(pg_url), autocommit=True) as conn:
        conn.execute("CREATE TABLE later_table (id serial PRIMARY KEY, v text)")
        conn.execute("INSERT INTO later_table (v) VALUES ('x')")
    with connect_as(pg_url, gus) as conn:
        assert conn.execute("SELECT v FROM later_table").fetchone()[0] == "x"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO later_table (v) VALUES ('y')")


@pytest.mark.parametrize("name", ["Bob", "pg_bob", "tinycrm_admin", "bob smith", "public", "1bob", ""])
def test_invalid_login_names_exit_2(pg_url, name):
    r = Cli(pg_url)("team", "add-member", name)
    assert r.exit_code == 2 and "cannot be a database login" in r.stderr


def test_team_errors(pg_url, logins):
    owner = Cli(pg_url)
    r = owner("team", "add-member", logins("hal"), "--password-env", "NO_SUCH_VARIABLE_HERE")
    assert r.exit_code == 2 and "NO_SUCH_VARIABLE_HERE" in r.stderr
    r = owner("team", "add-member", logins("ivy"), "--role", "boss")
    assert r.exit_code == 2 and "admin, member, viewer" in r.stderr
    r = owner("team", "remove", "tinycrm_no_such_login")
    assert r.exit_code == 2 and "no database login" in r.stderr
    r = owner("team", "remove", "postgres")
    assert r.exit_code == 1 and "connected as" in r.stderr


# --- the server decides who is acting and what the audit log says ------------------------------------------


def refused(conn, statement: str) -> None:
    """``statement`` (committed on its own) is refused by the server for lack of a right."""
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_a_member_cannot_act_as_someone_else_through_crm(pg_url, logins):
    owner = Cli(pg_url)
    ada, bob = logins("ada"), logins("bob")
    add(owner, ada, "admin")
    add(owner, bob, "member")
    as_bob = Cli(url_as(pg_url, bob))
    spoof = {"TINYCRM_USER": ada}
    r = as_bob("add-contact", "Grace Hopper", env=spoof)
    assert r.exit_code == 0, r.stderr
    assert owner("contact", "show", "1", "--json").json["owner"] == bob
    assert [c["display_name"] for c in as_bob("contact", "list", "--mine", "--json", env=spoof).json] == [
        "Grace Hopper"
    ]
    assert {e["user"] for e in owner("history", "contact", "1", "--json").json} == {bob}
    r = as_bob("user", "edit", bob, "--full-name", "Bob Builder", env=spoof)  # their own details: fine
    assert r.exit_code == 0, r.stderr
    assert owner("history", "user", bob, "--json").json[0]["user"] == bob
    # admin checks ask the server which role the login holds
    r = as_bob("user", "add", "trudy", "--role", "admin", env=spoof)
    assert r.exit_code == 1 and f"your database login {bob} is a tinycrm member" in r.stderr
    r = as_bob("user", "edit", bob, "--role", "admin", env=spoof)
    assert r.exit_code == 1 and "only an admin can change roles" in r.stderr
    r = as_bob("team", "add-member", logins("trudy"), "--role", "admin", env=spoof)
    assert r.exit_code == 1 and "only a tinycrm admin" in r.stderr
    users = {u["name"]: u for u in owner("user", "list", "--json").json}
    assert "trudy" not in users and users[bob]["role"] == "member"
    # an admin too is their login, whoever they claim to be
    r = Cli(url_as(pg_url, ada))("contact", "edit", "1", "--title", "Admiral", env={"TINYCRM_USER": bob})
    assert r.exit_code == 0, r.stderr
    assert owner("history", "contact", "1", "--json").json[0]["user"] == ada
    # the owner of the tables (here a superuser) can do anything anyway: it keeps its configured name
    assert owner("contact", "edit", "1", "--title", "RADM").exit_code == 0
    assert owner("history", "contact", "1", "--json").json[0]["user"] == "tester"


def test_a_member_cannot_rewrite_roles_the_audit_log_or_the_index_through_sql(pg_url, logins):
    import psycopg

    owner = Cli(pg_url)
    owner("add-contact", "Ada Lovelace", "--email", "ada@example.com")
    ada, bob = logins("ada"), logins("bob")
    add(owner, ada, "admin")
    add(owner, bob, "member")
    with connect_as(pg_url, bob) as conn:
        refused(conn, f"UPDATE users SET role = 'admin' WHERE name = '{bob}'")
        refused(conn, f"UPDATE users SET name = 'x' WHERE name = '{ada}'")
        refused(conn, f"UPDATE users SET active = false WHERE name = '{ada}'")
        refused(conn, "INSERT INTO users (name, role, created_at) VALUES ('trudy', 'admin', now())")
        refused(conn, f"DELETE FROM users WHERE name = '{ada}'")
        refused(conn, "UPDATE audit_log SET user_name = 'nobody'")
        refused(conn, "DELETE FROM audit_log")
        refused(conn, "TRUNCATE audit_log")
        refused(conn, "DELETE FROM contact_search")
        refused(conn, "UPDATE contact_search SET all_v = ''")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # refused at commit
            with conn.transaction():
                conn.execute("DELETE FROM contact_search WHERE contact_id = 1")
        # a temporary table cannot stand in for a real one in the server's checks
        conn.execute("CREATE TEMP TABLE contacts (id integer)")
        conn.execute("SET search_path = pg_temp, public")
        refused(conn, "DELETE FROM public.contact_search")
        conn.execute("RESET search_path")
        # what a member may do: change a full name, add to the audit log -- under their own login
        conn.execute(f"UPDATE users SET full_name = 'Bob B' WHERE name = '{bob}'")
        conn.execute(
            "INSERT INTO audit_log (at, user_name, action, record_type, record_id) "
            f"VALUES (now(), '{ada}', 'delete', 'contact', 1)"
        )
        assert conn.execute("SELECT user_name FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0] == bob
    with connect_as(pg_url, ada) as conn:  # an admin may not rewrite history either
        refused(conn, "UPDATE audit_log SET user_name = 'nobody'")
        refused(conn, "DELETE FROM audit_log")
        refused(conn, "TRUNCATE audit_log")
        refused(conn, "TRUNCATE contact_search")
        refused(conn, "DELETE FROM contact_search")
        conn.execute(f"UPDATE users SET role = 'admin' WHERE name = '{bob}'")  # admins manage users
    assert [c["display_name"] for c in owner("search", "ada", "--json").json] == ["Ada Lovelace"]


def test_the_owner_adding_a_member_again_brings_an_older_setup_up_to_date(pg_url, logins):
    import psycopg

    from tinycrm.store.database import pg_conninfo

    owner = Cli(pg_url)
    owner("add-contact", "Ada Lovelace")
    bob = logins("bob")
    add(owner, bob, "member")
    with psycopg.connect(pg_conninfo(pg_url), autocommit=True) as conn:  # as an older tinycrm left it
        conn.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO tinycrm_member")
        conn.execute("DROP TRIGGER tinycrm_audit_login ON audit_log")
        conn.execute("DROP TRIGGER tinycrm_search_kept ON contact_search")
    with connect_as(pg_url, bob) as conn:
        conn.execute("TRUNCATE audit_log")
    add(owner, bob, "member")
    with connect_as(pg_url, bob) as conn:
        refused(conn, "DELETE FROM audit_log")
        refused(conn, "TRUNCATE audit_log")
        refused(conn, "DELETE FROM contact_search")
        refused(conn, f"UPDATE users SET role = 'admin' WHERE name = '{bob}'")
        conn.execute(
            "INSERT INTO audit_log (at, user_name, action, record_type) VALUES (now(), 'x', 'y', 'z')"
        )
        assert conn.execute("SELECT user_name FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()[0] == bob


def test_a_members_edits_still_keep_the_index_and_the_audit_log(pg_url, logins):
    owner = Cli(pg_url)
    bob = logins("bob")
    add(owner, bob, "member")
    as_bob = Cli(url_as(pg_url, bob))
    env = {"TINYCRM_USER": "someone-else"}
    assert as_bob("add-contact", "Grace Hopper", "--email", "grace@navy.mil", env=env).exit_code == 0
    assert as_bob("add-contact", "Alan Turing", env=env).exit_code == 0
    r = as_bob("contact", "edit", "1", "--title", "Admiral", "--company", "Navy", env=env)
    assert r.exit_code == 0, r.stderr
    assert as_bob("contact", "tag", "1", "cobol", env=env).exit_code == 0
    assert [c["id"] for c in as_bob("search", "company:navy admiral", "--json", env=env).json] == [1]
    assert [c["id"] for c in as_bob("search", "tag:cobol", "--json", env=env).json] == [1]
    assert [c["id"] for c in as_bob("search", "navy", "--json", env=env).json] == [1]
    assert as_bob("contact", "delete", "2", "--yes", env=env).exit_code == 0
    r = as_bob("db", "reindex", env=env)
    assert r.exit_code == 0, r.stderr
    assert [c["id"] for c in as_bob("search", "grace", "--json", env=env).json] == [1]
    log = owner("audit", "--json").json
    assert {e["user"] for e in log if e["record_type"] == "contact"} == {bob}


def test_a_viewers_remind_records_what_it_sent_and_only_that(pg_url, logins):
    owner = Cli(pg_url)
    cy = logins("cy")
    add(owner, cy, "viewer")
    day = {"TINYCRM_NOW": "2026-03-27T08:00:00+01:00", "TZ": "Europe/Berlin"}
    assert owner("task", "add", "Pay invoice", "--due", "yesterday", "--assign", cy, env=day).exit_code == 0
    assert owner("task", "add", "Owner's own", "--due", "yesterday", env=day).exit_code == 0
    assert owner("remind", "--mine", env=day).exit_code == 0  # the owner's bookkeeping, under tester
    as_cy = Cli(url_as(pg_url, cy))
    r = as_cy("remind", "--mine", env={**day, "TINYCRM_USER": cy})
    assert (r.exit_code, r.stderr) == (0, "")
    assert "Pay invoice" in r.stdout and "Owner's own" not in r.stdout
    # cron, an hour later (claiming to be someone else changes nothing): nothing new
    r = as_cy("remind", "--mine", env={**day, "TINYCRM_USER": "tester"})
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
    assert owner("audit", "--action", "remind", "--json").json[0]["user"] == cy
    with connect_as(pg_url, cy) as conn:
        refused(
            conn, "UPDATE reminders_sent SET sent_at = now() - interval '2 days' WHERE user_name = 'tester'"
        )
        refused(conn, "DELETE FROM reminders_sent")
        refused(
            conn,
            "INSERT INTO reminders_sent (user_name, item_key, item_state, sent_at) "
            "VALUES ('tester', 'task:2', 'x', now())",
        )
        refused(
            conn,
            "INSERT INTO audit_log (at, user_name, action, record_type, record_id) "
            "VALUES (now(), 'tester', 'delete', 'contact', 1)",
        )
        refused(conn, "INSERT INTO tags (name, name_key) VALUES ('x', 'x')")
        conn.execute(f"DELETE FROM reminders_sent WHERE user_name = '{cy}'")  # their own: may forget it
    r = as_cy("add-contact", "Nope")
    assert r.exit_code == 1 and "permission denied" in r.stderr


def _pg_admin_value(sql: str):
    import psycopg

    from crm_testkit import pg_admin_url
    from tinycrm.store.database import pg_conninfo

    with psycopg.connect(pg_conninfo(pg_admin_url()), autocommit=True) as conn:
        return conn.execute(sql).fetchone()[0]


def test_following_docs_team_md_step_by_step(logins):
    """docs/team.md, 'Set up a team database': the owner is made with createuser --createrole --pwprompt and
    owns a new, empty database; the first command creates the schema; the owner adds the team."""
    if cannot_create_roles():
        pytest.skip(cannot_create_roles())
    from crm_testkit import _pg_url_for, drop_pg_database

    crm_owner, dbname = logins("crm_owner"), f"tinycrm_docs_{uuid.uuid4().hex[:10]}"
    ada, bob, cy = logins("ada"), logins("bob"), logins("cy")
    # createuser --pwprompt crm_owner, as the docs used to say: no CREATEROLE
    _pg_admin_execute(f"CREATE ROLE \"{crm_owner}\" LOGIN PASSWORD '{PASSWORD}'")
    try:
        _pg_admin_execute(f'CREATE DATABASE "{dbname}" OWNER "{crm_owner}"')
        url = url_as(_pg_url_for(dbname), crm_owner)
        as_owner = Cli(url)
        assert as_owner("add-contact", "Ada Lovelace", env={"TINYCRM_USER": ada}).exit_code == 0
        r = as_owner("team", "add-member", ada, "--role", "admin")
        assert r.exit_code == 1 and f"ALTER ROLE {crm_owner} CREATEROLE" in r.stderr, r.stderr
        assert r.stderr.count("\n") == 1
        assert not _pg_admin_value(f"SELECT count(*) FROM pg_roles WHERE rolname = '{ada}'")
        # createuser --createrole --pwprompt crm_owner, as they say now
        _pg_admin_execute(f'ALTER ROLE "{crm_owner}" CREATEROLE')
        for name, role in ((ada, "admin"), (bob, "member"), (cy, "viewer")):
            r = as_owner(
                "team", "add-member", name, "--role", role, "--password-env", "PW", env={"PW": PASSWORD}
            )
            assert r.exit_code == 0, r.stderr
        as_bob = Cli(url_as(url, bob))
        assert as_bob("add-contact", "Grace Hopper", env={"TINYCRM_USER": bob}).exit_code == 0
        assert Cli(url_as(url, cy))("contact", "show", "2", "--json").json["owner"] == bob
        r = Cli(url_as(url, ada))("team", "add-member", logins("dan"), "--role", "viewer")
        assert r.exit_code == 0, r.stderr
        with connect_as(url, bob) as conn:
            refused(conn, "DELETE FROM audit_log")
    finally:
        drop_pg_database(dbname)
