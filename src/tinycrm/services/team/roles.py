"""Team members on PostgreSQL: real database logins in three group roles, so rights hold for every client.

* ``tinycrm_viewer``: ``SELECT`` on every table -- a viewer cannot change the data, whatever program they
  connect with (they may keep their own reminder bookkeeping, see :mod:`tinycrm.services.team.guards`);
* ``tinycrm_member``: ``SELECT, INSERT, UPDATE, DELETE`` on every table (not the schema version) and the
  sequences, narrowed by :mod:`~tinycrm.services.team.guards`: the audit log is append-only, roles and names
  of users are not theirs to change, search index rows are replaced, never removed;
* ``tinycrm_admin``: ``SELECT, INSERT, UPDATE, DELETE`` (with grant option) but for the append-only audit
  log, plus each admin login gets ``CREATEROLE`` and may hand out the three group roles, so admins add and
  remove members.

The group roles are created once per server (PostgreSQL roles are server-wide); their rights are granted per
database each time ``crm team add-member`` runs there as the owner of the tables (or a superuser), with
default privileges so tables added by later schema upgrades get the same grants. Each member is also a row
of ``users`` with the same name and role: the login is the user (:mod:`tinycrm.services.team.identity`).

On a SQLite file there are no logins: the file's permissions are the boundary (see docs/team.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tinycrm.domain.errors import Conflict, InvalidInput, NotFound, Refused
from tinycrm.services.common import audit, now
from tinycrm.services.team import identity
from tinycrm.services.team.users import ROLES, check_role
from tinycrm.store.database import Database, Tx

GROUPS = {"admin": "tinycrm_admin", "member": "tinycrm_member", "viewer": "tinycrm_viewer"}
#: what each role's login is a direct member of (an admin holds all three, with ADMIN OPTION)
MEMBERSHIP = {"admin": ("admin", "member", "viewer"), "member": ("member",), "viewer": ("viewer",)}
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,62}$")
_RESERVED = {"public", "none", "current_user", "session_user", "current_role"}
_GROUP_LIST = "('tinycrm_admin', 'tinycrm_member', 'tinycrm_viewer')"


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    #: the strongest tinycrm group role the login holds (admin, member, viewer), or None
    role: str | None
    can_login: bool
    superuser: bool
    #: the users row: registered, its full name, email, role and active flag
    registered: bool
    full_name: str | None = None
    email: str | None = None
    user_role: str | None = None
    active: bool | None = None


def require_postgres(db: Database) -> None:
    if db.is_sqlite:
        raise InvalidInput(
            "team members are PostgreSQL logins, and this database is a SQLite file: there the file's "
            "permissions are the boundary (whoever can open it can change everything). Record who is who "
            "with: crm user add NAME --role ROLE; for real per-person rights move to PostgreSQL with: "
            "crm db copy --to postgresql+psycopg://... (see docs/team.md)"
        )


def check_role_name(name: str | None) -> str:
    name = (name or "").strip()
    if not _ROLE_NAME.match(name) or name.startswith("pg_") or name in _RESERVED or name in GROUPS.values():
        raise InvalidInput(
            f"{name!r} cannot be a database login: use 1-63 lower-case letters, digits, '_', '.' or '-', "
            "starting with a letter (not pg_..., not a tinycrm_ group)",
            field="name",
        )
    return name


# --- low level ------------------------------------------------------------------------------------------


def ddl(tx: Tx, statement: str, *parts: Any) -> None:
    """Run a statement that takes no parameters (CREATE ROLE, GRANT...), composed with psycopg's quoting."""
    import psycopg
    from psycopg import sql

    args = [sql.Identifier(p) if isinstance(p, str) else p for p in parts]
    try:
        tx.db.connection().execute(sql.SQL(statement).format(*args))
    except psycopg.Error as exc:
        mapped = tx.db.dialect.translate_error(exc)
        if mapped is exc:
            raise
        raise mapped from exc


def _literal(value: str) -> Any:
    from psycopg import sql

    return sql.Literal(value)


def is_login(tx: Tx, name: str) -> bool:
    return bool(tx.scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = :n", {"n": name}))


def _memberships(tx: Tx, name: str) -> dict[str, bool]:
    """The tinycrm groups ``name`` is directly a member of: role -> has ADMIN OPTION."""
    out: dict[str, bool] = {}
    for row in tx.all(
        "SELECT g.rolname AS grp, m.admin_option FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        f"JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :n AND g.rolname IN {_GROUP_LIST}",
        {"n": name},
    ):
        role = row["grp"].removeprefix("tinycrm_")
        out[role] = out.get(role, False) or bool(row["admin_option"])
    return out


def _strongest(roles: Any) -> str | None:
    for role in ROLES:  # admin, member, viewer: strongest first
        if role in roles:
            return role
    return None


def db_role_in(tx: Tx, name: str) -> str | None:
    """The strongest tinycrm group role of login ``name``, or None."""
    return _strongest(_memberships(tx, name))


def ensure_groups(tx: Tx) -> None:
    """Create the three group roles if this server has not got them yet."""
    import psycopg
    import psycopg.sql

    have = set(tx.column(f"SELECT rolname FROM pg_roles WHERE rolname IN {_GROUP_LIST}"))
    for group in GROUPS.values():
        if group not in have:
            conn = tx.db.connection()
            try:
                with conn.transaction():  # a savepoint: someone may create it at the same moment
                    conn.execute(
                        psycopg.sql.SQL("CREATE ROLE {} NOLOGIN").format(psycopg.sql.Identifier(group))
                    )
            except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
                pass
            except psycopg.Error as exc:
                raise tx.db.dialect.translate_error(exc) from exc


def ensure_grants(tx: Tx) -> None:
    """Give the group roles their rights on this database's tables, and install what the server enforces
    beyond them (:func:`tinycrm.services.team.guards.protect`). Only the tables' owner (or a superuser) can;
    each of their runs applies everything again (so a newer tinycrm's rules reach a database set up by an
    older one), while runs by an admin find the rights in place and leave them."""
    schema = tx.scalar("SELECT current_schema()")
    owner = tx.scalar(
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'contacts'"
    )
    can_grant = tx.scalar(
        "SELECT rolsuper OR pg_has_role(current_user, :o, 'USAGE') FROM pg_roles "
        "WHERE rolname = current_user",
        {"o": owner},
    )
    if not can_grant:
        ready = tx.scalar(
            "SELECT has_table_privilege('tinycrm_viewer', 'contacts', 'SELECT') "
            "AND has_table_privilege('tinycrm_member', 'contacts', 'INSERT') "
            "AND has_table_privilege('tinycrm_admin', 'contacts', 'INSERT')"
        )
        if not ready:
            raise Refused(
                "the tinycrm roles have no rights in this database yet",
                hint=f"run crm team add-member once as the owner of its tables ({owner}) or a superuser",
            )
        return
    groups = [GROUPS[r] for r in ("admin", "member", "viewer")]
    ddl(tx, "GRANT USAGE ON SCHEMA {} TO {}, {}, {}", schema, *groups)
    ddl(tx, "GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}", schema, GROUPS["viewer"])
    ddl(tx, "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}", schema, GROUPS["member"])
    ddl(tx, "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}", schema, GROUPS["member"])
    ddl(
        tx,
        "REVOKE INSERT, UPDATE, DELETE ON TABLE {}.{} FROM {}",
        schema,
        "alembic_version",
        GROUPS["member"],
    )
    ddl(
        tx,
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {} WITH GRANT OPTION",
        schema,
        GROUPS["admin"],
    )
    ddl(tx, "GRANT ALL ON ALL SEQUENCES IN SCHEMA {} TO {} WITH GRANT OPTION", schema, GROUPS["admin"])
    # tables a later schema upgrade (run by the owner) creates get the same rights
    for what, privileges, group, extra in (
        ("TABLES", "SELECT", "viewer", ""),
        ("TABLES", "SELECT, INSERT, UPDATE, DELETE", "member", ""),
        ("SEQUENCES", "USAGE, SELECT", "member", ""),
        ("TABLES", "SELECT, INSERT, UPDATE, DELETE", "admin", " WITH GRANT OPTION"),
        ("SEQUENCES", "ALL", "admin", " WITH GRANT OPTION"),
    ):
        grant = f"GRANT {privileges} ON {what} TO {{}}{extra}"
        ddl(tx, "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} " + grant, owner, schema, GROUPS[group])
    # (databases set up before admins lost TRUNCATE and TRIGGER granted them on tables to come)
    ddl(
        tx,
        "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} REVOKE TRUNCATE, TRIGGER, REFERENCES ON TABLES FROM {}",
        owner,
        schema,
        GROUPS["admin"],
    )
    from tinycrm.services.team import guards

    guards.protect(tx, schema)


def apply_role(tx: Tx, name: str, role: str | None) -> None:
    """Make login ``name`` hold exactly the group roles of ``role`` (None: none at all)."""
    have = _memberships(tx, name)
    want = MEMBERSHIP[role] if role else ()
    admin = role == "admin"
    for r, admin_option in have.items():
        if r not in want:
            ddl(tx, "REVOKE {} FROM {}", GROUPS[r], name)
        elif admin_option and not admin:
            ddl(tx, "REVOKE ADMIN OPTION FOR {} FROM {}", GROUPS[r], name)
    for r in want:
        if r not in have or (admin and not have[r]):
            ddl(tx, "GRANT {} TO {}" + (" WITH ADMIN OPTION" if admin else ""), GROUPS[r], name)
    createrole = bool(tx.scalar("SELECT rolcreaterole FROM pg_roles WHERE rolname = :n", {"n": name}))
    if admin and not createrole:
        ddl(tx, "ALTER ROLE {} CREATEROLE", name)
    elif not admin and createrole and have.get("admin"):
        ddl(tx, "ALTER ROLE {} NOCREATEROLE", name)


def _set_password(tx: Tx, name: str, password: str) -> None:
    """Store a password as the server's hash (SCRAM), computed here: the clear text never reaches the server
    or its logs."""
    if not password:
        raise InvalidInput("the password is empty", field="password")
    conn = tx.db.connection()
    verifier = conn.pgconn.encrypt_password(password.encode("utf-8"), name.encode("utf-8"), None)
    ddl(tx, "ALTER ROLE {} PASSWORD {}", name, _literal(verifier.decode("ascii")))


# --- the commands ---------------------------------------------------------------------------------------


def _member(tx: Tx, name: str) -> Member:
    row = tx.one(
        "SELECT r.rolname, r.rolcanlogin, r.rolsuper, u.full_name, u.email, u.role AS user_role, u.active, "
        "u.id AS user_id FROM pg_roles r LEFT JOIN users u ON u.name = r.rolname WHERE r.rolname = :n",
        {"n": name},
    )
    if row is None:
        raise NotFound(f"no database login named {name!r}", hint="list the team with: crm team list")
    return Member(
        name=row["rolname"],
        role=db_role_in(tx, name),
        can_login=bool(row["rolcanlogin"]),
        superuser=bool(row["rolsuper"]),
        registered=row["user_id"] is not None,
        full_name=row["full_name"],
        email=row["email"],
        user_role=row["user_role"],
        active=None if row["active"] is None else bool(row["active"]),
    )


def require_role_maker(tx: Tx) -> None:
    """Refuse, saying what to do, unless this login may create roles and hand out the group roles: a
    superuser, or a login with ``CREATEROLE`` (the owner, made as docs/team.md says, and every admin)."""
    row = tx.one("SELECT rolname, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")
    if row is None or row["rolsuper"] or row["rolcreaterole"]:
        return
    held = identity.team_role(tx)
    if held is not None:
        raise Refused(
            f"only a tinycrm admin can add, change or remove members; your database login {row['rolname']} "
            f"is a tinycrm {held}: ask an admin (crm team list)"
        )
    raise Refused(
        f"crm team needs a database login that may create roles, and {row['rolname']} may not: as the "
        f"server's superuser run: ALTER ROLE {row['rolname']} CREATEROLE (see docs/team.md)"
    )


def add_member(
    db: Database,
    name: str,
    *,
    role: str = "member",
    password: str | None = None,
    full_name: str | None = None,
    email: str | None = None,
) -> Member:
    """Create (or update) the database login ``name`` in the group role of ``role``, and register the user.

    Running it again for an existing member changes their role (and password, if given)."""
    require_postgres(db)
    name = check_role_name(name)
    role = check_role(role)
    from tinycrm.services.team import users

    details = users._clean({"full_name": full_name, "email": email})  # noqa: SLF001 - same validation
    with db.write() as tx:
        require_role_maker(tx)
        ensure_groups(tx)
        ensure_grants(tx)
        existing = tx.one("SELECT rolcanlogin FROM pg_roles WHERE rolname = :n", {"n": name})
        if existing is None:
            ddl(tx, "CREATE ROLE {} LOGIN", name)
        elif not existing["rolcanlogin"]:
            raise Conflict(
                f"a database role named {name!r} exists but cannot log in (a group?); pick another name"
            )
        if password is not None:
            _set_password(tx, name, password)
        old_db_role = db_role_in(tx, name)
        apply_role(tx, name, role)
        row = tx.one("SELECT id, role, active, full_name, email FROM users WHERE name = :n", {"n": name})
        if row is None:
            uid = tx.insert(
                "INSERT INTO users (name, full_name, email, role, active, created_at) "
                "VALUES (:n, :f, :e, :r, :a, :t) RETURNING id",
                {
                    "n": name,
                    "f": details["full_name"],
                    "e": details["email"],
                    "r": role,
                    "a": True,
                    "t": now(),
                },
            )
            changes: dict[str, tuple[Any, Any]] = {"name": (None, name), "role": (None, role)}
            changes.update({k: (None, val) for k, val in details.items() if val})
            changes["database role"] = (old_db_role, role)
            audit(tx, "create", "user", uid, changes)
        else:
            new = {"role": role, "active": True, **{k: val for k, val in details.items() if val is not None}}
            stored = {k: (bool(row[k]) if k == "active" else row[k]) for k in new}
            changes = {k: (stored[k], val) for k, val in new.items() if stored[k] != val}
            if changes:
                tx.execute(
                    f"UPDATE users SET {', '.join(f'{k} = :{k}' for k in changes)} WHERE id = :i",
                    {**{k: val for k, (_, val) in changes.items()}, "i": row["id"]},
                )
            if old_db_role != role:
                changes["database role"] = (old_db_role, role)
            if password is not None:
                changes["password"] = ("(kept)", "(changed)")
            if changes:
                audit(tx, "update", "user", row["id"], changes)
        return _member(tx, name)


def list_members(db: Database) -> list[Member]:
    """Logins holding a tinycrm group role, with their users rows."""
    require_postgres(db)
    with db.read() as tx:
        names = tx.column(
            "SELECT DISTINCT r.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            f"JOIN pg_roles r ON r.oid = m.member WHERE g.rolname IN {_GROUP_LIST} AND r.rolname NOT IN "
            f"{_GROUP_LIST} ORDER BY r.rolname"
        )
        return [_member(tx, n) for n in names]


def remove_member(db: Database, name: str, *, drop_role: bool = False) -> Member:
    """Take every tinycrm group role away from login ``name`` (they can no longer read or change anything)
    and mark the user inactive; ``drop_role`` also drops the login itself."""
    require_postgres(db)
    with db.write() as tx:
        require_role_maker(tx)
        before = _member(tx, name)
        if name == tx.scalar("SELECT current_user"):
            raise Refused("you cannot remove the login you are connected as; ask another admin")
        apply_role(tx, name, None)
        changes: dict[str, tuple[Any, Any]] = {"database role": (before.role, None)}
        if drop_role:
            import psycopg

            try:
                ddl(tx, "DROP ROLE {}", name)
            except psycopg.errors.DependentObjectsStillExist as exc:
                detail = " ".join((exc.diag.message_detail or "").split())
                raise Conflict(
                    f"cannot drop the login {name}: {exc.diag.message_primary}"
                    + (f" ({detail})" if detail else "")
                    + "; nothing was changed: run without --drop-role to keep the login without rights"
                ) from None
            changes["login"] = (name, None)
        uid = tx.scalar("SELECT id FROM users WHERE name = :n", {"n": name})
        if uid is not None:
            if before.active:
                tx.execute("UPDATE users SET active = :f WHERE id = :i", {"f": False, "i": uid})
                changes["active"] = (True, False)
            audit(tx, "update", "user", uid, changes)
        return Member(
            name=before.name,
            role=None,
            can_login=before.can_login and not drop_role,
            superuser=before.superuser,
            registered=before.registered,
            full_name=before.full_name,
            email=before.email,
            user_role=before.user_role,
            active=False if before.registered else None,
        )
