"""Passwords, lock-out and API tokens (tinycrm.services.team.accounts), on both stores, and their commands."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tinycrm.domain.errors import InvalidInput, NotFound, Refused
from tinycrm.services.team import accounts, users

PASSWORD = "correct horse battery"


@pytest.fixture
def team(db):  # noqa: ANN001
    users.add(db, "bob", role="viewer")
    accounts.set_password(db, "tester", PASSWORD)
    return db


def test_password_is_stored_as_argon2_and_checked(team) -> None:  # noqa: ANN001
    with team.read() as tx:
        stored = tx.scalar("SELECT password_hash FROM user_passwords")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.check_password(team, "tester", PASSWORD).name == "tester"
    with pytest.raises(accounts.SignInFailed, match="wrong user name or password"):
        accounts.check_password(team, "tester", PASSWORD + "x")
    with pytest.raises(accounts.SignInFailed, match="wrong user name or password"):
        accounts.check_password(team, "nobody", PASSWORD)
    with pytest.raises(accounts.SignInFailed):  # no password yet
        accounts.check_password(team, "bob", PASSWORD)
    with pytest.raises(InvalidInput, match="too short"):
        accounts.set_password(team, "bob", "short")


def test_lock_out_after_failures_then_unlock(team) -> None:  # noqa: ANN001
    for _ in range(2):
        with pytest.raises(accounts.SignInFailed) as err:
            accounts.check_password(team, "tester", "wrong", max_failures=3)
        assert not isinstance(err.value, accounts.LockedOut)
    with pytest.raises(accounts.LockedOut) as err:
        accounts.check_password(team, "tester", "wrong", max_failures=3)
    assert err.value.retry_after > 60
    # now even the right password is refused, in the database (a new process would see it too)
    with pytest.raises(accounts.LockedOut, match="try again in 15 minutes"):
        accounts.check_password(team, "tester", PASSWORD, max_failures=3)
    assert accounts.unlock(team, "tester") is True
    assert accounts.check_password(team, "tester", PASSWORD).name == "tester"


def test_a_success_resets_the_count(team) -> None:  # noqa: ANN001
    for _ in range(2):
        with pytest.raises(accounts.SignInFailed):
            accounts.check_password(team, "tester", "wrong", max_failures=3)
    accounts.check_password(team, "tester", PASSWORD, max_failures=3)
    for _ in range(2):
        with pytest.raises(accounts.SignInFailed) as err:
            accounts.check_password(team, "tester", "wrong", max_failures=3)
        assert not isinstance(err.value, accounts.LockedOut)


def test_switched_off_user_cannot_sign_in_and_new_password_ends_sessions(team) -> None:  # noqa: ANN001
    stamp = accounts.session_stamp(team, "tester")
    assert accounts.session_user(team, "tester", stamp).name == "tester"
    accounts.set_password(team, "tester", PASSWORD + "!")
    assert accounts.session_user(team, "tester", stamp) is None
    accounts.set_password(team, "bob", PASSWORD)
    users.edit(team, "bob", {"active": False})
    with pytest.raises(accounts.SignInFailed):
        accounts.check_password(team, "bob", PASSWORD)
    assert accounts.has_password(team) is True
    assert accounts.has_password(team, "bob") is False


def test_tokens_hashed_scoped_expiring_revocable(team) -> None:  # noqa: ANN001
    token_id, secret = accounts.create_token(team, "tester", "invoicing", scope="write")
    assert secret.startswith("tcrm_") and len(secret) > 40
    with team.read() as tx:
        stored = tx.scalar("SELECT secret_hash FROM api_tokens WHERE id = :i", {"i": token_id})
    assert secret not in stored and len(stored) == 64
    user, scope = accounts.check_token(team, secret)
    assert (user.name, scope) == ("tester", "write")
    assert accounts.may_write(user, scope)
    assert accounts.list_tokens(team)[0].last_used_at is not None
    viewer_id, viewer_secret = accounts.create_token(team, "bob", "read-only", scope="write")
    user, scope = accounts.check_token(team, viewer_secret)
    assert not accounts.may_write(user, scope)  # a viewer's token never writes, whatever its scope
    accounts.revoke_token(team, token_id)
    with pytest.raises(accounts.SignInFailed):
        accounts.check_token(team, secret)
    with pytest.raises(accounts.SignInFailed):
        accounts.check_token(team, "tcrm_" + "x" * 43)
    _, short = accounts.create_token(team, "tester", "soon", expires=timedelta(seconds=1))
    with team.write() as tx:
        tx.execute("UPDATE api_tokens SET expires_at = created_at WHERE name = 'soon'")
    with pytest.raises(accounts.SignInFailed, match="expired"):
        accounts.check_token(team, short)
    assert [t.name for t in accounts.list_tokens(team, "bob")] == ["read-only"]
    page = accounts.token_page(team, limit=1)
    assert len(page.items) == 1 and page.total == 3 and page.more
    with pytest.raises(NotFound):
        accounts.revoke_token(team, 999)
    with pytest.raises(InvalidInput):
        accounts.create_token(team, "tester", "x", scope="admin")
    assert viewer_id != token_id


def test_a_member_manages_only_their_own(team) -> None:  # noqa: ANN001
    users.add(team, "carol", role="member")
    team.actor = "carol"  # who acts (on PostgreSQL the owner login keeps the configured name)
    accounts.set_password(team, "carol", PASSWORD)
    token_id, _ = accounts.create_token(team, "carol", "mine")
    with pytest.raises(Refused, match="only an admin"):
        accounts.set_password(team, "bob", PASSWORD)
    with pytest.raises(Refused, match="only an admin"):
        accounts.create_token(team, "bob", "theirs")
    accounts.revoke_token(team, token_id)


def test_cli_password_from_a_pipe_and_tokens(cli) -> None:  # noqa: ANN001
    assert cli("user", "add", "ada").exit_code == 0
    r = cli("user", "password", "ada", input=PASSWORD + "\n")
    assert r.exit_code == 0, r.stderr
    assert cli("user", "password", "ada", input="short\n").exit_code == 2
    assert cli("user", "password", "nobody", input=PASSWORD + "\n").exit_code == 2
    r = cli("token", "create", "--user", "ada", "--name", "n8n", "--scope", "write", "--expires", "90d")
    assert r.exit_code == 0 and r.stdout.strip().startswith("tcrm_")
    assert cli("token", "create", "--user", "ada", "--name", "x", "--expires", "soon").exit_code == 2
    listed = cli("token", "list", "--json").json
    assert [t["name"] for t in listed] == ["n8n"] and "secret" not in listed[0]
    assert cli("token", "revoke", str(listed[0]["id"])).exit_code == 0
    assert cli("token", "list", "--json").json[0]["revoked_at"] is not None
    assert cli("token", "revoke", "77").exit_code == 2
