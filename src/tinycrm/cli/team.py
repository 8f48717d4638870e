"""``crm user add|list|edit``, ``crm team add-member|list|remove``, ``crm history`` and ``crm audit``."""

from __future__ import annotations

import os

import typer

from tinycrm.cli import render, state, web
from tinycrm.cli.common import option_changes
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of, not_blank

user_app = typer.Typer(
    help="The people who use this database: names, roles, active or not.", no_args_is_help=True
)
team_app = typer.Typer(
    help="PostgreSQL team members: database logins with admin/member/viewer rights.", no_args_is_help=True
)

ROLE_HELP = "admin, member or viewer."


# --- users ----------------------------------------------------------------------------------------------


def show_users(items, as_json: bool) -> None:  # noqa: ANN001
    def human() -> None:
        render.table(
            (
                (u.name, u.full_name or "", u.email or "", u.role, "yes" if u.active else "no", u.owns)
                for u in items
            ),
            ["name", "full name", "email", "role", "active", "owns"],
            styles=["bold", None, "cyan", "magenta", None, "dim"],
        )

    render.emit(items, as_json, human)


def show_user(u, as_json: bool) -> None:  # noqa: ANN001
    from tinycrm.domain.dates import show

    render.emit(
        u,
        as_json,
        lambda: render.record(
            [
                ("name", u.name),
                ("full name", u.full_name),
                ("email", u.email),
                ("role", u.role),
                ("active", "yes" if u.active else "no"),
                ("owns", str(u.owns)),
                ("since", show(u.created_at)),
            ]
        ),
    )


@user_app.command("add")
def user_add_cmd(
    name: str = typer.Argument(..., help="The user name people act as (their login or TINYCRM_USER)."),
    full_name: str = typer.Option(
        None, "--full-name", metavar="TEXT", help="The name people read ('Ada Lovelace')."
    ),
    email: str = typer.Option(None, "--email", metavar="EMAIL", help="Email address (for reminders)."),
    role: str = typer.Option("member", "--role", metavar="ROLE", help=ROLE_HELP),
    as_json: bool = JSON,
) -> None:
    """Register a user (on PostgreSQL, crm team add-member also creates their database login)."""
    from tinycrm.services.team import users

    show_user(users.add(state.db(), name, full_name=full_name, email=email, role=role), as_json)


@user_app.command("list")
def user_list_cmd(
    active_only: bool = typer.Option(False, "--active", help="Only active users."),
    as_json: bool = JSON,
) -> None:
    """List users with their role and how many records each owns."""
    from tinycrm.services.team import users

    show_users(users.list_users(state.db(), include_inactive=not active_only), as_json)


@user_app.command("edit")
def user_edit_cmd(
    name: str = typer.Argument(..., help="User name."),
    full_name: str = typer.Option(None, "--full-name", metavar="TEXT", help="Full name; '' for none."),
    email: str = typer.Option(None, "--email", metavar="EMAIL", help="Email address; '' for none."),
    role: str = typer.Option(None, "--role", metavar="ROLE", help=ROLE_HELP),
    active: bool = typer.Option(None, "--active/--inactive", help="Switch the user on or off."),
    as_json: bool = JSON,
) -> None:
    """Change a user's full name, email, role or active flag (a team member's database rights follow)."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.team import users

    changes = option_changes(
        (("full_name", full_name), ("email", email), ("role", role), ("active", active)),
        as_given=("role", "active"),
    )
    if not changes:
        raise InvalidInput("nothing to change: give --full-name, --email, --role or --active/--inactive")
    show_user(users.edit(state.db(), name, changes), as_json)


user_app.command("password")(web.password_cmd)
user_app.command("unlock")(web.unlock_cmd)


# --- team -----------------------------------------------------------------------------------------------


def show_members(items, as_json: bool) -> None:  # noqa: ANN001
    def human() -> None:
        render.table(
            (
                (
                    m.name,
                    m.role or "(none)",
                    m.full_name or "",
                    m.email or "",
                    "superuser" if m.superuser else ("" if m.can_login else "no login"),
                )
                for m in items
            ),
            ["login", "role", "full name", "email", "note"],
            styles=["bold", "magenta", None, "cyan", "dim"],
        )

    render.emit(items, as_json, human)


@team_app.command("add-member")
def add_member_cmd(
    name: str = typer.Argument(..., help="Their database login (lower case), also their tinycrm user name."),
    role: str = typer.Option("member", "--role", metavar="ROLE", help=ROLE_HELP),
    password_env: str = typer.Option(
        None, "--password-env", metavar="VAR", help="Set the login's password from this environment variable."
    ),
    full_name: str = typer.Option(None, "--full-name", metavar="TEXT"),
    email: str = typer.Option(None, "--email", metavar="EMAIL"),
    as_json: bool = JSON,
) -> None:
    """Give someone a PostgreSQL login with admin, member or viewer rights (again: change their role)."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.team import roles as team

    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise InvalidInput(
                f"--password-env {password_env}: that environment variable is not set or empty"
            )
    m = team.add_member(state.db(), name, role=role, password=password, full_name=full_name, email=email)

    def human() -> None:
        hint = "" if password else " (no password given: set one with --password-env VAR)"
        render.note(f"{m.name} is a team {m.role} of this database{hint}")

    render.emit(m, as_json, human)


@team_app.command("list")
def team_list_cmd(as_json: bool = JSON) -> None:
    """The team: database logins holding a tinycrm role."""
    from tinycrm.services.team import roles as team

    show_members(team.list_members(state.db()), as_json)


@team_app.command("remove")
def remove_member_cmd(
    name: str = typer.Argument(..., help="The member's database login."),
    drop_role: bool = typer.Option(False, "--drop-role", help="Also drop the login itself."),
    as_json: bool = JSON,
) -> None:
    """Take a member's rights away (they keep nothing to read or change) and mark the user inactive."""
    from tinycrm.services.team import roles as team

    m = team.remove_member(state.db(), name, drop_role=drop_role)
    gone = "; the login was dropped" if drop_role else ""
    render.emit(m, as_json, lambda: render.note(f"{m.name} has no tinycrm rights any more{gone}"))


# --- history and audit ----------------------------------------------------------------------------------


def show_entries(page, as_json: bool, *, with_record: bool) -> None:  # noqa: ANN001
    from tinycrm.domain.dates import show

    def human() -> None:
        render.table(
            (
                (e.id, show(e.at), e.user, e.action, *([_record(e)] if with_record else []), e.summary())
                for e in page.items
            ),
            ["#", "when", "who", "action", *(["record"] if with_record else []), "changes"],
            styles=["dim", "cyan", "bold", "magenta", *([None] if with_record else []), None],
        )

    render.emit_page(page, "entries", as_json, human)


def _record(e) -> str:  # noqa: ANN001
    return e.record_type if e.record_id is None else f"{e.record_type} {e.record_id}"


def history_cmd(
    kind: str = typer.Argument(
        ..., metavar="TYPE", help="contact, company, deal, task, interaction, user, pipeline, stage."
    ),
    ref: str = typer.Argument(
        ..., metavar="RECORD", help="Id; a contact also by email or name, a company by name."
    ),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """Who changed a record, when, and each field's old and new value (newest first)."""
    from tinycrm.services.team import audit

    kind = audit.record_type(kind)
    page = audit.history(
        state.db(),
        kind,
        audit.record_id(state.db(), kind, ref),
        limit=limit_of(limit, show_all),
        offset=offset,
    )
    show_entries(page, as_json, with_record=False)


def audit_cmd(
    since: str = typer.Option(
        None,
        "--since",
        metavar="WHEN",
        callback=not_blank,
        help="From when: 'yesterday', '2 weeks ago', ISO...",
    ),
    until: str = typer.Option(None, "--until", metavar="WHEN", callback=not_blank, help="Up to when."),
    user: str = typer.Option(
        None, "--user", metavar="NAME", callback=not_blank, help="Only what this user did."
    ),
    action: str = typer.Option(
        None,
        "--action",
        metavar="ACTION",
        callback=not_blank,
        help="create, update, delete, merge, import...",
    ),
    kind: str = typer.Option(
        None,
        "--type",
        metavar="TYPE",
        callback=not_blank,
        help="Only this record type (contact, company, deal...).",
    ),
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show at most this many."),
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """The audit log: every change, who made it and when, newest first."""
    from tinycrm.domain.dates import parse_when
    from tinycrm.services.team import audit

    page = audit.entries(
        state.db(),
        since=parse_when(since, what="--since") if since else None,
        until=parse_when(until, what="--until") if until else None,
        user=user,
        action=action,
        kind=kind,
        limit=limit_of(limit, show_all),
        offset=offset,
    )
    show_entries(page, as_json, with_record=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(team_app, name="team")
    app.command("history")(history_cmd)
    app.command("audit")(audit_cmd)
