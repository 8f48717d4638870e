"""Team members on PostgreSQL are real database roles: a viewer cannot write with any client, a member can,
an admin can add members. On SQLite, crm team says the file's permissions are the boundary."""

from __future__ import annotations

import re
import uuid

import pytest

from crm_testkit import Cli, _pg_admin_execute, _pg_unavailable, pg_database

PASSWORD = "Sekr1t pass:w@rd $1"  # spaces, ':' '@' '$': must survive as a password, never reach a message


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


def cannot_create_roles() -> str | None:
    """Why the test server's user cannot run these tests (it must create roles), or None."""
    reason = _pg_unavailable()
    if reason:
        return reason
    import psycopg

    from crm_testkit import pg_admin_url
    from tinycrm.store.database import pg_conninfo

    with psycopg.connect(pg_conninfo(pg_admin_url()), autocommit=True) as conn:
        ok = conn.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    return None if ok and ok[0] else "the PostgreSQL user of TINYCRM_TEST_PG may not create roles"


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


def url_as(url: str, user: str, password: str = PASSWORD) -> str:
    from urllib.parse import quote

    return re.sub(r"//[^@/]*@", f"//{user}:{quote(password, safe='')}@", url, count=1)


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
    assert r.exit_code == 1 and "permission denied" in r.stderr


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
