"""Password hashes and API token hashes on a PostgreSQL team database: a viewer cannot read them with any
client; a member reaches only their own (so no member can give someone else a password or a token they know);
an admin manages all of them."""

from __future__ import annotations

import uuid

import pytest

from crm_testkit import PASSWORD, Cli, _pg_admin_execute, cannot_create_roles, pg_database, url_as


@pytest.fixture
def pg_url():
    yield from pg_database(cannot_create_roles)


@pytest.fixture
def logins():
    made: list[str] = []
    prefix = f"s{uuid.uuid4().hex[:8]}"

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


def test_viewers_cannot_read_secrets_and_members_reach_only_their_own(pg_url, logins):
    import psycopg

    owner = Cli(pg_url)
    ada, bob, vic = logins("ada"), logins("bob"), logins("vic")
    for name, role in ((ada, "admin"), (bob, "member"), (vic, "viewer")):
        r = owner("team", "add-member", name, "--role", role, "--password-env", "PW", env={"PW": PASSWORD})
        assert r.exit_code == 0, r.stderr
    as_ada = Cli(url_as(pg_url, ada))
    for name in (ada, bob, vic):  # an admin sets them
        r = as_ada("user", "password", name, input="web password 1\n", env={"TINYCRM_USER": ada})
        assert r.exit_code == 0, r.stderr
        r = as_ada("token", "create", "--user", name, "--name", "script", env={"TINYCRM_USER": ada})
        assert r.exit_code == 0, r.stderr

    with connect_as(pg_url, vic) as conn:
        for table in ("user_passwords", "api_tokens"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM {table}")
        assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0  # the rest reads as before
    r = Cli(url_as(pg_url, vic))("token", "list", env={"TINYCRM_USER": vic})
    assert r.exit_code == 1 and "permission denied" in r.stderr and r.stderr.count("\n") == 1

    with connect_as(pg_url, bob) as conn:
        bob_id = conn.execute("SELECT id FROM users WHERE name = %s", (bob,)).fetchone()[0]
        ada_id = conn.execute("SELECT id FROM users WHERE name = %s", (ada,)).fetchone()[0]
        assert conn.execute("SELECT user_id FROM user_passwords").fetchall() == [(bob_id,)]
        assert conn.execute("SELECT DISTINCT user_id FROM api_tokens").fetchall() == [(bob_id,)]
        # another user's password or a token of theirs: not reachable, not writable
        assert (
            conn.execute(
                "UPDATE user_passwords SET password_hash = 'x' WHERE user_id = %s", (ada_id,)
            ).rowcount
            == 0
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO api_tokens (user_id, name, scope, secret_hash, created_at) "
                "VALUES (%s, 'mine now', 'write', 'abc', now())",
                (ada_id,),
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE user_passwords SET user_id = %s", (ada_id,))
    as_bob = Cli(url_as(pg_url, bob))
    assert as_bob("token", "create", "--user", bob, "--name", "own", env={"TINYCRM_USER": bob}).exit_code == 0
    assert as_bob("user", "password", bob, input="web password 2\n", env={"TINYCRM_USER": bob}).exit_code == 0
    mine = as_bob("token", "list", "--json", env={"TINYCRM_USER": bob}).json
    assert sorted(t["name"] for t in mine) == ["own", "script"] and {t["user"] for t in mine} == {bob}

    with connect_as(pg_url, ada) as conn:  # an admin manages everyone's
        assert conn.execute("SELECT count(*) FROM user_passwords").fetchone()[0] == 3
        assert conn.execute("SELECT count(*) FROM api_tokens").fetchone()[0] == 4
    everyone = as_ada("token", "list", "--json", env={"TINYCRM_USER": ada}).json
    assert len(everyone) == 4
