"""The people who use tinycrm: names, full names, email addresses, roles, and whether they are active.

A user is a row of ``users``; records point at it as their owner (tasks also as their assignee). The acting
user (:func:`tinycrm.services.common.actor`) registers on their first change. Roles are ``admin``, ``member``
and ``viewer``. On PostgreSQL they are also real database roles (see :mod:`tinycrm.services.team.roles`), and
changing a team member's role or switching them off here changes their database rights in the same
transaction. On a SQLite file the roles are labels: whoever can open the file can change everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tinycrm.domain import validation as v
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound, Refused
from tinycrm.services.common import actor, audit, now, user_id
from tinycrm.services.team import identity
from tinycrm.store.database import Database, Tx, as_datetime

ROLES = ("admin", "member", "viewer")
EDITABLE = ("full_name", "email", "role", "active")
_NAME = re.compile(r"^[^\s:/'\"\\]{1,100}$")


@dataclass(frozen=True, slots=True)
class UserRead:
    id: int
    name: str
    full_name: str | None
    email: str | None
    role: str
    active: bool
    created_at: datetime
    #: contacts, companies, deals and tasks this user owns (open tasks assigned count as owned)
    owns: int = 0


def check_name(name: str | None) -> str:
    name = (name or "").strip()
    if not _NAME.match(name):
        raise InvalidInput(
            f"user name {name!r} is not valid: use 1-100 characters without spaces, quotes, ':' or '/' "
            "(a login name such as ada or ada.lovelace)",
            field="name",
        )
    return name


def check_role(role: str | None) -> str:
    value = (role or "").strip().lower()
    if value not in ROLES:
        raise InvalidInput(f"role {role!r} is not one of: {', '.join(ROLES)}", field="role")
    return value


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    if "full_name" in out:
        out["full_name"] = v.line(out["full_name"], "full name", max_len=200)
    if "email" in out and out["email"]:
        out["email"] = v.email(out["email"])
    elif "email" in out:
        out["email"] = None
    if "role" in out:
        out["role"] = check_role(out["role"])
    if "active" in out:
        out["active"] = bool(out["active"])
    return out


_SELECT = (
    "SELECT u.*, (SELECT count(*) FROM contacts c WHERE c.owner_id = u.id) "
    "+ (SELECT count(*) FROM companies c WHERE c.owner_id = u.id) "
    "+ (SELECT count(*) FROM deals d WHERE d.owner_id = u.id) "
    "+ (SELECT count(*) FROM tasks t WHERE t.owner_id = u.id) AS owns FROM users u"
)


def _row(r: Any) -> UserRead:
    return UserRead(
        id=r["id"],
        name=r["name"],
        full_name=r["full_name"],
        email=r["email"],
        role=r["role"],
        active=bool(r["active"]),
        created_at=as_datetime(r["created_at"]),
        owns=int(r["owns"] or 0),
    )


def read_in(tx: Tx, name: str) -> UserRead:
    row = tx.one(f"{_SELECT} WHERE u.name = :n", {"n": name})
    if row is None:
        raise NotFound(f"no user named {name!r}", hint="list them with: crm user list")
    return _row(row)


def get(db: Database, name: str) -> UserRead:
    with db.read() as tx:
        return read_in(tx, name)


def list_users(db: Database, *, include_inactive: bool = True) -> list[UserRead]:
    cond = "" if include_inactive else " WHERE u.active"
    with db.read() as tx:
        return [_row(r) for r in tx.all(f"{_SELECT}{cond} ORDER BY u.name")]


def require_admin(tx: Tx, what: str) -> None:
    """Refuse unless the acting user is an admin (or there is no active admin at all yet).

    On PostgreSQL a team login is an admin when it holds the ``tinycrm_admin`` role (not when its ``users``
    row says so), and the database's own grants are the boundary; on a SQLite file this is a courtesy."""
    me = actor(tx.db)
    held = identity.team_role(tx)
    if held == "admin":
        return
    if held is not None:
        raise Refused(
            f"only an admin can {what}; your database login {me} is a tinycrm {held}: ask an admin "
            "(crm team list)"
        )
    role = tx.scalar("SELECT role FROM users WHERE name = :n AND active", {"n": me})
    if role is None and tx.scalar("SELECT count(*) FROM users WHERE name = :n", {"n": me}) == 0:
        user_id(tx)  # registers the actor: the first user is the admin
        role = tx.scalar("SELECT role FROM users WHERE name = :n", {"n": me})
    if role == "admin":
        return
    if not tx.scalar("SELECT count(*) FROM users WHERE role = 'admin' AND active"):
        return  # nobody could do it otherwise
    raise Refused(
        f"only an admin can {what}; you ({me}) are {role or 'inactive'}: ask an admin (crm user list)"
    )


def _last_admin_guard(tx: Tx, name: str, values: dict[str, Any], before: UserRead) -> None:
    leaving = (
        before.role == "admin"
        and before.active
        and (values.get("role", "admin") != "admin" or not values.get("active", True))
    )
    if (
        leaving
        and tx.scalar(
            "SELECT count(*) FROM users WHERE role = 'admin' AND active AND name <> :n", {"n": name}
        )
        == 0
    ):
        raise Refused(f"{name} is the last active admin; make someone else admin first")


def add(
    db: Database,
    name: str,
    *,
    full_name: str | None = None,
    email: str | None = None,
    role: str = "member",
    active: bool = True,
) -> UserRead:
    """Register a user. On PostgreSQL this does not create a database login: ``crm team add-member`` does."""
    name = check_name(name)
    values = _clean({"full_name": full_name, "email": email, "role": role, "active": active})
    with db.write() as tx:
        require_admin(tx, "add users")
        if tx.scalar("SELECT id FROM users WHERE name = :n", {"n": name}) is not None:
            raise Conflict(
                f"there is already a user named {name!r}", hint=f"change them with: crm user edit {name}"
            )
        tx.execute(
            "INSERT INTO users (name, full_name, email, role, active, created_at) "
            "VALUES (:n, :f, :e, :r, :a, :t) ON CONFLICT (name) DO NOTHING",
            {
                "n": name,
                "f": values["full_name"],
                "e": values["email"],
                "r": values["role"],
                "a": values["active"],
                "t": now(),
            },
        )
        uid = tx.scalar("SELECT id FROM users WHERE name = :n", {"n": name})
        audit(
            tx,
            "create",
            "user",
            uid,
            {"name": (None, name), **{k: (None, val) for k, val in values.items() if val not in (None, "")}},
        )
        return read_in(tx, name)


def edit(db: Database, name: str, changes: dict[str, Any]) -> UserRead:
    """Change a user's full name, email, role or active flag.

    A PostgreSQL team member's database rights follow: a new role moves them to that group role; switching
    them off takes every tinycrm group role away (their login stays: ``crm team remove --drop-role`` drops
    it).
    """
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(
            f"cannot change {', '.join(sorted(unknown))} of a user; use: {', '.join(EDITABLE)}"
        )
    values = _clean(changes)
    with db.write() as tx:
        if "role" in values or "active" in values:
            require_admin(tx, "change roles")
        tx.lock_rows("users", [tx.scalar("SELECT id FROM users WHERE name = :n", {"n": name}) or 0])
        before = read_in(tx, name)
        changed = {k: (getattr(before, k), val) for k, val in values.items() if getattr(before, k) != val}
        if not changed:
            return before
        _last_admin_guard(tx, name, values, before)
        tx.execute(
            f"UPDATE users SET {', '.join(f'{k} = :{k}' for k in changed)} WHERE id = :i",
            {**{k: new for k, (_, new) in changed.items()}, "i": before.id},
        )
        if ("role" in changed or "active" in changed) and not db.is_sqlite:
            from tinycrm.services.team import roles as team

            old_db = team.db_role_in(tx, name) if team.is_login(tx, name) else None
            coming_back = changed.get("active") == (False, True)
            # a team member (or one switched off before, coming back); other logins on the server are not ours
            if old_db is not None or (coming_back and team.is_login(tx, name)):
                after_active = values.get("active", before.active)
                new_db = values.get("role", before.role) if after_active else None
                team.apply_role(tx, name, new_db)
                if new_db != old_db:
                    changed["database role"] = (old_db, new_db)
        audit(tx, "update", "user", before.id, changed)
        return read_in(tx, name)
