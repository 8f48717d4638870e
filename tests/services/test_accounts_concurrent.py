"""Failed sign-ins for one name from several server processes at once (tinycrm.services.team.accounts), on both
stores: every failure is counted, so guessing in parallel does not dodge the lock-out."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from tinycrm.services.team import accounts, users
from tinycrm.store.database import open_db

PASSWORD = "correct horse battery"
THREADS = 8
TRIES = 20


def _guess_at_once(url: str, name: str, max_failures: int) -> list[str]:
    """TRIES wrong passwords for ``name`` from THREADS connections of their own (as server processes have),
    started together; what each was answered: "failed" or "locked"."""
    answers: list[str] = []
    left = list(range(TRIES))
    guard = threading.Lock()
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def client() -> None:
        own = open_db(url)
        try:
            barrier.wait()
            while True:
                with guard:
                    if not left:
                        return
                    left.pop()
                try:
                    accounts.check_password(own, name, "wrong guess", max_failures=max_failures)
                except accounts.LockedOut:
                    answers.append("locked")
                except accounts.SignInFailed:
                    answers.append("failed")
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=client) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return answers


@pytest.fixture(autouse=True)
def _team(db, monkeypatch):  # noqa: ANN001, ANN202
    # a cheap argon2 (the parameters travel in each hash): the guesses reach the counting together, as they do
    # from many processes on many cores, instead of queueing behind two slow hashes at a time
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        accounts, "_hasher", lambda: PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    monkeypatch.setattr(accounts, "_DUMMY", None)
    users.add(db, "bob", role="viewer")  # team mode: the first user added makes the one running it an admin
    accounts.set_password(db, "tester", PASSWORD)


def _row(db, name: str):  # noqa: ANN001, ANN202
    with db.read() as tx:
        return tx.one("SELECT failures, locked_until FROM sign_in_failures WHERE name = :n", {"n": name})


@pytest.mark.parametrize("who", ["tester", "nobody-at-all"])
def test_parallel_failures_all_count_and_the_last_one_locks(db, who: str) -> None:  # noqa: ANN001
    """TRIES failures at once with max_failures = TRIES: none is locked out before the last is counted, so
    exactly one answer is the lock-out, and the name ends locked (for a user and for a name that is no user)."""
    answers = _guess_at_once(db.url, who, max_failures=TRIES)
    assert len(answers) == TRIES
    assert answers.count("locked") == 1, answers
    row = _row(db, who)
    assert row is not None and row["locked_until"] is not None
    assert row["failures"] == 0  # a lock starts a new streak: no failure was left over
    with pytest.raises(accounts.LockedOut):
        accounts.check_password(db, who, PASSWORD, max_failures=TRIES)


def test_parallel_failures_are_counted_exactly(db) -> None:  # noqa: ANN001
    """Below the limit: the count is exactly the number of failures (no update lost)."""
    answers = _guess_at_once(db.url, "tester", max_failures=TRIES + 1)
    assert answers == ["failed"] * TRIES
    row = _row(db, "tester")
    assert row is not None and row["failures"] == TRIES and row["locked_until"] is None
    with pytest.raises(accounts.LockedOut):  # one more is the limit
        accounts.check_password(db, "tester", "wrong", max_failures=TRIES + 1)
    accounts.set_password(db, "tester", PASSWORD + "!")  # a new password lifts it
    assert _row(db, "tester") is None
    assert accounts.check_password(db, "tester", PASSWORD + "!").name == "tester"


def test_an_old_streak_starts_again_and_a_lock_is_kept(db) -> None:  # noqa: ANN001
    """Failures older than the window do not count; a failure never shortens a lock."""
    from tinycrm.domain import clock

    window = timedelta(minutes=15)
    for _ in range(2):
        with pytest.raises(accounts.SignInFailed):
            accounts.check_password(db, "tester", "wrong", max_failures=3, window=window)
    with clock.frozen(accounts.now() + window + timedelta(seconds=1)):
        with pytest.raises(accounts.SignInFailed) as err:
            accounts.check_password(db, "tester", "wrong", max_failures=3, window=window)
        assert not isinstance(err.value, accounts.LockedOut)
        assert _row(db, "tester")["failures"] == 1
    # a lock longer than the window: a failure that slipped past the check (another process's, at once) while
    # the name is locked starts a new streak but leaves the lock as it is
    start = accounts.now() + window * 2
    with clock.frozen(start):
        for _ in range(3):
            with pytest.raises(accounts.SignInFailed):
                accounts.check_password(
                    db, "tester", "wrong", max_failures=3, window=window, lockout=window * 4
                )
    with clock.frozen(start + window * 2):
        wait = accounts._record_failure(db, "tester", 3, window, window * 4)
        assert wait == (window * 2).total_seconds()  # locked for the rest of the first lock-out
        assert _row(db, "tester")["failures"] == 1
