"""Who is acting on PostgreSQL: a team member is their database login, not a name the client picks.

A *team login* is a login that holds one of the tinycrm group roles (see :mod:`tinycrm.services.team.roles`)
and is not a superuser. ``crm team add-member`` registers each one as the tinycrm user of the same name, so
the login *is* the user: the ``user`` setting and ``TINYCRM_USER`` cannot make bob act as ada. The database
applies the same rule to the audit log (a trigger writes the login into every entry a team login adds, see
:func:`tinycrm.services.team.roles.ensure_grants`), so a client that lies is corrected by the server.

Any other login -- the owner of the tables, a superuser -- can change everything anyway, so tinycrm keeps
the configured name for it; on a SQLite file there are no logins at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tinycrm.store.database import Database, Tx

#: the strongest tinycrm group role of the session's login (admin, member, viewer), or NULL for a superuser
#: or a login outside the team. ``session_user`` is the login itself: ``SET ROLE`` does not change it.
#: The same query is the body of the server's ``tinycrm_team_role()``, so both sides agree.
TEAM_ROLE_SQL = (
    "SELECT CASE WHEN r.rolsuper THEN NULL "
    + " ".join(
        f"WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles g WHERE g.rolname = 'tinycrm_{role}' "
        f"AND pg_catalog.pg_has_role(r.oid, g.oid, 'MEMBER')) THEN '{role}'"
        for role in ("admin", "member", "viewer")
    )
    + " END FROM pg_catalog.pg_roles r WHERE r.rolname = session_user"
)


def team_role(tx: Tx) -> str | None:
    """The tinycrm group role of the login this connection uses, or None (SQLite, owner, superuser)."""
    if tx.db.is_sqlite:
        return None
    return tx.scalar(TEAM_ROLE_SQL)


def team_login(db: Database) -> str | None:
    """The login name when the connection's login is a team member (it is then the acting user), else None."""
    if db.is_sqlite:
        return None
    with db.read() as tx:
        row = tx.one(f"SELECT session_user AS login, ({TEAM_ROLE_SQL}) AS role")
    return str(row["login"]) if row is not None and row["role"] else None
