"""Signing in: users' passwords (argon2) and API tokens for programs.

Passwords
    :func:`set_password` stores an argon2id hash (argon2-cffi's defaults); :func:`check_password` verifies a
    name and password and returns the user. Failed attempts are counted per name in ``sign_in_failures`` (in the
    database, so every server process and every restart sees them): after ``max_failures`` failures within
    ``window`` the name is locked for ``lockout``, right or wrong password. Each failure is counted, and the lock
    set, in one statement (an UPSERT), so guesses sent at once from many connections or server processes are
    all counted. Names that are no user are counted too, and are answered exactly like a wrong password, after
    as much work, so a stranger cannot learn which names exist.

API tokens
    :func:`create_token` returns ``(id, secret)``; the secret (``tcrm_`` + 43 characters, 256 random bits) is
    shown once and only its SHA-256 is kept. A slow hash such as argon2 protects *guessable* secrets (people's
    passwords); a 256-bit random secret cannot be found from its SHA-256 by any amount of guessing, and a fast
    hash lets every API request find its token by an index lookup in microseconds. A token has a scope, ``read``
    or ``write``: what it may do is the lesser of its scope and its user's role (:func:`may_write`).

These functions check who may do what as ``crm user`` does: an admin sets anyone's password and manages every
token; a user may set their own password and make or revoke their own tokens.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tinycrm.domain.errors import InvalidInput, NotFound, Refused
from tinycrm.domain.rows import Page
from tinycrm.services.common import actor, audit, now
from tinycrm.services.team import users
from tinycrm.services.team.users import UserRead
from tinycrm.store.database import Database, Tx, as_datetime

SCOPES = ("read", "write")
TOKEN_PREFIX = "tcrm_"
MIN_PASSWORD = 10
MAX_PASSWORD = 1024

#: the sign-in limits unless the [web] settings say otherwise
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


class SignInFailed(Refused):
    """The name or the password (or the token) is wrong, or the user is switched off. One message for all,
    so the answer does not tell which."""


class LockedOut(SignInFailed):
    """Too many failed sign-ins for this name: ``retry_after`` seconds until the next try is looked at."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class TokenRead:
    id: int
    user: str
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now())


def _at(value: Any) -> datetime:
    """A stored timestamp that is never NULL."""
    out = as_datetime(value)
    assert out is not None
    return out


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _hasher().hash(secrets.token_urlsafe(16))
    return _DUMMY


_DUMMY: str | None = None


def _user(tx: Tx, name: str) -> UserRead:
    """The user ``name`` without counting what they own (that count reads every record they own: too slow for
    every request)."""
    row = tx.one("SELECT u.*, 0 AS owns FROM users u WHERE u.name = :n", {"n": name})
    if row is None:
        raise NotFound(f"no user named {name!r}", hint="list them with: crm user list")
    return users._row(row)


def _may_manage(tx: Tx, username: str, what: str) -> None:
    """An admin may manage anyone's credentials; a user their own."""
    if actor(tx.db) != username:
        users.require_admin(tx, what)


def check_new_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"the password is too short: use at least {MIN_PASSWORD} characters", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            f"the password is too long: use at most {MAX_PASSWORD} characters", field="password"
        )
    if password.strip() == "" or any(c in password for c in "\x00\r\n"):
        raise InvalidInput("the password cannot be blank or hold line breaks or NUL", field="password")
    return password


def set_password(db: Database, username: str, password: str) -> UserRead:
    """Give ``username`` a new password (replacing any); their lock-out, if any, is lifted."""
    check_new_password(password)
    hashed = _hasher().hash(password)  # slow on purpose: outside the transaction
    with db.write() as tx:
        user = _user(tx, username)
        _may_manage(tx, username, "set other users' passwords")
        had = tx.scalar("SELECT count(*) FROM user_passwords WHERE user_id = :u", {"u": user.id})
        if had:
            tx.execute(
                "UPDATE user_passwords SET password_hash = :h, changed_at = :t WHERE user_id = :u",
                {"h": hashed, "t": now(), "u": user.id},
            )
        else:
            tx.execute(
                "INSERT INTO user_passwords (user_id, password_hash, changed_at) VALUES (:u, :h, :t)",
                {"h": hashed, "t": now(), "u": user.id},
            )
        tx.execute("DELETE FROM sign_in_failures WHERE name = :n", {"n": _key(username)})
        audit(tx, "update", "user", user.id, {"password": (None, "changed" if had else "set")})
        return user


def clear_password(db: Database, username: str) -> UserRead:
    """Take ``username``'s password away: they can no longer sign in to the web app (their tokens stay)."""
    with db.write() as tx:
        user = _user(tx, username)
        _may_manage(tx, username, "remove other users' passwords")
        if tx.execute("DELETE FROM user_passwords WHERE user_id = :u", {"u": user.id}):
            audit(tx, "update", "user", user.id, {"password": ("set", None)})
        return user


def has_password(db: Database, username: str | None = None) -> bool:
    """``username`` (or, without one, any active user) can sign in with a password."""
    sql = "SELECT count(*) FROM user_passwords p JOIN users u ON u.id = p.user_id WHERE u.active"
    with db.read() as tx:
        if username is None:
            return bool(tx.scalar(sql))
        return bool(tx.scalar(sql + " AND u.name = :n", {"n": username}))


def password_hashes(db: Database) -> list[tuple[str, str]]:
    """Every active user with a password, and its argon2 hash (``crm dav serve`` lets them sign in to CardDAV
    and CalDAV with the same password: Radicale checks the same hashes)."""
    with db.read() as tx:
        rows = tx.all(
            "SELECT u.name, p.password_hash FROM users u JOIN user_passwords p ON p.user_id = u.id "
            "WHERE u.active ORDER BY u.name"
        )
    return [(r["name"], r["password_hash"]) for r in rows]


def _key(name: str) -> str:
    return (name or "").strip().casefold()[:200]


def _locked(tx: Tx, key: str, at: datetime) -> int:
    """Seconds until ``key`` may try again (0: it may now)."""
    until = tx.scalar("SELECT locked_until FROM sign_in_failures WHERE name = :n", {"n": key})
    if until is None:
        return 0
    left = (_at(until) - at).total_seconds()
    return max(0, int(left) + 1) if left > 0 else 0


#: one failure counted in one statement (as tinycrm.services.ratelimit counts hits): the row of the name is made or
#: locked by the UPSERT, and every SET expression reads the row as it was (on PostgreSQL its newest committed
#: version, after waiting for a writer holding it), so failures from processes at once are never lost. A streak
#: older than the window starts again at 1; the failure that reaches ``max`` locks the name and starts a new
#: streak (0); a lock already set is never shortened by a failure that slipped past the check at the same time.
_COUNT = "CASE WHEN sign_in_failures.first_at < :since THEN 1 ELSE sign_in_failures.failures + 1 END"
_RECORD_FAILURE = (
    "INSERT INTO sign_in_failures (name, failures, first_at, locked_until) VALUES (:n, :f1, :t, :l1) "
    "ON CONFLICT (name) DO UPDATE SET "
    f"failures = CASE WHEN {_COUNT} >= :max THEN 0 ELSE {_COUNT} END, "
    f"first_at = CASE WHEN {_COUNT} >= :max OR sign_in_failures.first_at < :since THEN :t "
    "ELSE sign_in_failures.first_at END, "
    f"locked_until = CASE WHEN {_COUNT} >= :max AND (sign_in_failures.locked_until IS NULL "
    "OR sign_in_failures.locked_until < :until) THEN :until ELSE sign_in_failures.locked_until END "
    "RETURNING locked_until"
)


def _record_failure(db: Database, key: str, max_failures: int, window: timedelta, lockout: timedelta) -> int:
    """Count one failure of ``key``; the seconds it is now locked for (0: not locked)."""
    at = now()
    until = at + lockout
    first_locks = max_failures <= 1
    with db.write() as tx:
        locked = tx.scalar(
            _RECORD_FAILURE,
            {
                "n": key,
                "t": at,
                "since": at - window,
                "max": int(max_failures),
                "until": until,
                "f1": 0 if first_locks else 1,
                "l1": until if first_locks else None,
            },
        )
    if locked is None:
        return 0
    return max(0, math.ceil((_at(locked) - at).total_seconds()))


def _locked_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return f"too many failed sign-ins for this name: try again in {minutes} minute{'s' * (minutes != 1)}"


def check_password(
    db: Database,
    username: str,
    password: str,
    *,
    max_failures: int = MAX_FAILURES,
    window: timedelta = WINDOW,
    lockout: timedelta = LOCKOUT,
) -> UserRead:
    """The active user ``username`` when ``password`` is theirs; else :class:`SignInFailed` (or
    :class:`LockedOut` while the name is locked, whatever the password)."""
    from argon2.exceptions import InvalidHashError, VerificationError

    key = _key(username)
    with db.read() as tx:
        wait = _locked(tx, key, now())
        row = tx.one(
            "SELECT u.name, u.active, p.password_hash FROM users u JOIN user_passwords p ON p.user_id = u.id "
            "WHERE u.name = :n",
            {"n": (username or "").strip()},
        )
    if wait:
        raise LockedOut(_locked_message(wait), retry_after=wait)
    hasher = _hasher()
    stored = row["password_hash"] if row is not None else _dummy_hash()
    try:
        ok = hasher.verify(stored, password or "") and row is not None and bool(row["active"])
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        locked = _record_failure(db, key, max_failures, window, lockout)
        if locked:
            raise LockedOut(_locked_message(locked), retry_after=locked)
        raise SignInFailed("wrong user name or password")
    with db.write() as tx:
        tx.execute("DELETE FROM sign_in_failures WHERE name = :n", {"n": key})
        if hasher.check_needs_rehash(stored):
            tx.execute(
                "UPDATE user_passwords SET password_hash = :h WHERE user_id = "
                "(SELECT id FROM users WHERE name = :n)",
                {"h": hasher.hash(password), "n": row["name"]},
            )
        return _user(tx, row["name"])


def unlock(db: Database, username: str) -> bool:
    """Lift a lock-out of ``username`` (admins); whether there was one."""
    with db.write() as tx:
        users.require_admin(tx, "lift lock-outs")
        return bool(tx.execute("DELETE FROM sign_in_failures WHERE name = :n", {"n": _key(username)}))


def _stamp(stored: str) -> str:
    return hashlib.sha256(stored.encode()).hexdigest()[:16]


def session_stamp(db: Database, username: str) -> str | None:
    """A short fingerprint of ``username``'s password hash, or None when they cannot sign in (no password,
    switched off). A web session carries it: setting a new password ends every session signed in with the old
    one."""
    with db.read() as tx:
        stored = tx.scalar(
            "SELECT p.password_hash FROM users u JOIN user_passwords p ON p.user_id = u.id "
            "WHERE u.name = :n AND u.active",
            {"n": username},
        )
    return None if stored is None else _stamp(stored)


def generation(db: Database) -> int:
    """A number that changes whenever a password, a user (switched off, another role) or an API token changes
    (every such change is in the audit log): a server forgets the sessions and tokens it remembers then."""
    with db.read() as tx:
        return int(tx.scalar("SELECT max(id) FROM audit_log WHERE record_type IN ('user', 'api_token')") or 0)


def session_user(db: Database, username: str, stamp: str) -> UserRead | None:
    """The user a web session names, while it is still good: active, and the same password as when the session
    began (``stamp`` from :func:`session_stamp`); else None."""
    with db.read() as tx:
        row = tx.one(
            "SELECT u.*, 0 AS owns, p.password_hash FROM users u JOIN user_passwords p ON p.user_id = u.id "
            "WHERE u.name = :n AND u.active",
            {"n": username},
        )
    if row is None or not secrets.compare_digest(_stamp(row["password_hash"]), stamp or ""):
        return None
    return users._row(row)


# --- API tokens -----------------------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def check_scope(scope: str | None) -> str:
    value = (scope or "").strip().lower()
    if value not in SCOPES:
        raise InvalidInput(f"scope {scope!r} is not one of: {', '.join(SCOPES)}", field="scope")
    return value


def may_write(user: UserRead, scope: str) -> bool:
    """A token (or session, with scope ``write``) may change records: a write scope and a member or admin."""
    return scope == "write" and user.role in ("admin", "member") and user.active


_TOKEN_SELECT = (
    "SELECT t.id, u.name AS user_name, t.name, t.scope, t.created_at, t.expires_at, t.last_used_at, "
    "t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id"
)


def _token(r: Any) -> TokenRead:
    def ts(value: Any) -> datetime | None:
        return None if value is None else as_datetime(value)

    return TokenRead(
        id=int(r["id"]),
        user=r["user_name"],
        name=r["name"],
        scope=r["scope"],
        created_at=_at(r["created_at"]),
        expires_at=ts(r["expires_at"]),
        last_used_at=ts(r["last_used_at"]),
        revoked_at=ts(r["revoked_at"]),
    )


def create_token(
    db: Database, username: str, name: str, scope: str = "read", expires: timedelta | None = None
) -> tuple[int, str]:
    """A new API token for ``username``: ``(id, secret)``. The secret is not stored: show it now."""
    from tinycrm.domain import validation as v

    label = v.line(name, "token name", max_len=100, required=True)
    scope = check_scope(scope)
    if expires is not None and expires <= timedelta(0):
        raise InvalidInput("--expires must be a time in the future (such as 90d)", field="expires")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    at = now()
    with db.write() as tx:
        user = _user(tx, username)
        _may_manage(tx, username, "make tokens for other users")
        if not user.active:
            raise Refused(
                f"{username} is switched off; switch them on first",
                hint=f": crm user edit {username} --active",
            )
        token_id = tx.insert(
            "INSERT INTO api_tokens (user_id, name, scope, secret_hash, created_at, expires_at) "
            "VALUES (:u, :n, :s, :h, :t, :e) RETURNING id",
            {
                "u": user.id,
                "n": label,
                "s": scope,
                "h": _digest(secret),
                "t": at,
                "e": None if expires is None else at + expires,
            },
        )
        audit(
            tx,
            "create",
            "api_token",
            token_id,
            {"user": (None, username), "name": (None, label), "scope": (None, scope)},
        )
    return token_id, secret


def list_tokens(
    db: Database, username: str | None = None, *, limit: int | None = None, offset: int = 0
) -> list[TokenRead]:
    """Tokens (revoked and expired ones too), newest first; only ``username``'s when given."""
    where, params = "", dict[str, Any]()
    if username is not None:
        where, params = " WHERE u.name = :n", {"n": username}
    page = ""
    if limit is not None:
        page = " LIMIT :lim OFFSET :off"
        params = {**params, "lim": int(limit), "off": int(offset)}
    with db.read() as tx:
        if username is not None:
            _user(tx, username)
        return [_token(r) for r in tx.all(f"{_TOKEN_SELECT}{where} ORDER BY t.id DESC{page}", params)]


def token_page(
    db: Database, username: str | None = None, *, limit: int | None = 20, offset: int = 0
) -> Page[TokenRead]:
    """One page of :func:`list_tokens`, with how many there are in all."""
    where, params = ("", {}) if username is None else (" WHERE u.name = :n", {"n": username})
    items = list_tokens(db, username, limit=limit, offset=offset)
    with db.read() as tx:
        total = int(
            tx.scalar(f"SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id{where}", params)
        )
    return Page(items, total, limit, offset)


def get_token(db: Database, token_id: int) -> TokenRead:
    with db.read() as tx:
        row = tx.one(f"{_TOKEN_SELECT} WHERE t.id = :i", {"i": int(token_id)})
    if row is None:
        raise NotFound(f"no API token with id {token_id}", hint="list them with: crm token list")
    return _token(row)


def revoke_token(db: Database, token_id: int) -> TokenRead:
    """Revoke a token for good (it stays listed, marked revoked). Revoking a revoked token changes nothing."""
    with db.write() as tx:
        row = tx.one(f"{_TOKEN_SELECT} WHERE t.id = :i", {"i": int(token_id)})
        if row is None:
            raise NotFound(f"no API token with id {token_id}", hint="list them with: crm token list")
        _may_manage(tx, row["user_name"], "revoke other users' tokens")
        if row["revoked_at"] is None:
            tx.execute(
                "UPDATE api_tokens SET revoked_at = :t WHERE id = :i", {"t": now(), "i": int(token_id)}
            )
            audit(tx, "update", "api_token", int(token_id), {"revoked": (False, True)})
        return _token(tx.one(f"{_TOKEN_SELECT} WHERE t.id = :i", {"i": int(token_id)}))


#: how stale ``last_used_at`` may get before a request writes it again (not a write per request)
LAST_USED_EVERY = timedelta(minutes=1)


def check_token(db: Database, secret: str) -> tuple[UserRead, str]:
    """The user and scope of the API token ``secret``; :class:`SignInFailed` when it is unknown, revoked,
    expired or its user is switched off."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise SignInFailed("the API token is not valid")
    at = now()
    with db.read() as tx:
        row = tx.one(
            "SELECT t.id, t.scope, t.expires_at, t.revoked_at, t.last_used_at, u.name, u.active "
            "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = :h",
            {"h": _digest(secret)},
        )
        if row is None or row["revoked_at"] is not None or not row["active"]:
            raise SignInFailed("the API token is not valid (unknown, revoked, or its user is switched off)")
        if row["expires_at"] is not None and _at(row["expires_at"]) <= at:
            raise SignInFailed("the API token has expired", hint="make a new one: crm token create")
        user = _user(tx, row["name"])
    used = row["last_used_at"]
    if used is None or _at(used) < at - LAST_USED_EVERY:
        with db.write() as tx:
            tx.execute("UPDATE api_tokens SET last_used_at = :t WHERE id = :i", {"t": at, "i": row["id"]})
    return user, str(row["scope"])
