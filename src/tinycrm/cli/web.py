"""``crm user password|unlock`` and ``crm token create|list|revoke``: signing in to the web server."""

from __future__ import annotations

import re
import sys
from datetime import timedelta

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of, not_blank

token_app = typer.Typer(help="API tokens for programs: create, list, revoke.", no_args_is_help=True)

_DURATION = re.compile(r"^\s*(\d{1,6})\s*(m|min|h|d|w|y)\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str | None) -> timedelta | None:
    """``90d``, ``12h``, ``2w``, ``1y``, ``30m``; ``never`` or nothing for no expiry."""
    from tinycrm.domain.errors import InvalidInput

    if text is None or text.strip().lower() in ("", "never", "none"):
        return None
    m = _DURATION.match(text)
    if not m or int(m.group(1)) == 0:
        raise InvalidInput(
            f"--expires {text!r} is not a duration: use a number and m, h, d, w or y (90d), or never"
        )
    n, unit = int(m.group(1)), m.group(2).lower()
    if unit == "y":
        return timedelta(days=365 * n)
    return timedelta(**{_UNITS[unit]: n})


def read_password(name: str) -> str:
    """The new password: typed twice at a terminal (not shown), or the first line of standard input."""
    from tinycrm.domain.errors import InvalidInput

    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        first = getpass.getpass(f"new password for {name}: ")
        again = getpass.getpass("the same again: ")
        if first != again:
            raise InvalidInput("the two passwords differ; nothing was changed")
        return first
    if sys.stdin is None:
        raise InvalidInput("no password: type it at a terminal or pipe it to standard input")
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def password_cmd(
    name: str = typer.Argument(..., help="User name."),
    clear: bool = typer.Option(False, "--clear", help="Take the password away (no web sign-in)."),
    as_json: bool = JSON,
) -> None:
    """Set a user's web sign-in password: typed twice at a terminal, or piped on standard input (never an
    argument)."""
    from tinycrm.cli.team import show_user
    from tinycrm.services.team import accounts

    if clear:
        user = accounts.clear_password(state.db(), name)
        render.note(f"{name} can no longer sign in with a password")
    else:
        accounts.check_new_password(password := read_password(name))
        user = accounts.set_password(state.db(), name, password)
        render.note(f"password of {name} set")
    if as_json:
        show_user(user, True)


def unlock_cmd(name: str = typer.Argument(..., help="User name.")) -> None:
    """Lift a sign-in lock-out (after too many wrong passwords) before it runs out."""
    from tinycrm.services.team import accounts

    lifted = accounts.unlock(state.db(), name)
    render.note(f"{name} may sign in again" if lifted else f"{name} was not locked out")


def _show_tokens(items, as_json: bool, page=None) -> None:  # noqa: ANN001
    from tinycrm.domain.dates import show

    def human() -> None:
        render.table(
            (
                (
                    t.id,
                    t.user,
                    t.name,
                    t.scope,
                    "revoked" if t.revoked_at else ("active" if t.active else "expired"),
                    show(t.expires_at) if t.expires_at else "never",
                    show(t.last_used_at) if t.last_used_at else "",
                )
                for t in items
            ),
            ["id", "user", "name", "scope", "state", "expires", "last used"],
            styles=["dim", "bold", None, "magenta", None, None, "dim"],
        )

    if page is not None:
        render.emit_page(page, "tokens", as_json, human)
    else:
        render.emit(items, as_json, human)


@token_app.command("create")
def token_create_cmd(
    user: str = typer.Option(..., "--user", "-u", callback=not_blank, help="Whose token (a user name)."),
    name: str = typer.Option(..., "--name", callback=not_blank, help="What it is for ('invoicing')."),
    scope: str = typer.Option("read", "--scope", help="read (look only) or write (change records too)."),
    expires: str = typer.Option(None, "--expires", metavar="DURATION", help="Expire after 90d, 12h, 2w, 1y."),
    as_json: bool = JSON,
) -> None:
    """Make an API token and print its secret, once: it is not stored and cannot be shown again."""
    from tinycrm.services.team import accounts

    db = state.db()
    token_id, secret = accounts.create_token(db, user, name, scope=scope, expires=parse_duration(expires))
    if as_json:
        token = accounts.get_token(db, token_id)
        render.print_json({**_token_json(token), "secret": secret})
        return
    render.out(secret)
    render.note(f"token {token_id} for {user} ({scope}); the secret above is shown only now: keep it safe")


def _token_json(token) -> dict:  # noqa: ANN001
    from dataclasses import asdict

    return {**asdict(token), "active": token.active}


@token_app.command("list")
def token_list_cmd(
    user: str = typer.Option(None, "--user", "-u", callback=not_blank, help="Only this user's tokens."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """API tokens, newest first (never their secrets)."""
    from tinycrm.services.team import accounts

    page = accounts.token_page(state.db(), user, limit=limit_of(limit, show_all), offset=offset)
    if as_json:
        render.print_json([_token_json(t) for t in page.items])
        render.page_notice(page, "tokens", as_json=True)
        return
    _show_tokens(page.items, False, page)


@token_app.command("revoke")
def token_revoke_cmd(
    token_id: int = typer.Argument(..., help="The token's id (crm token list)."),
    as_json: bool = JSON,
) -> None:
    """Revoke a token: programs using it are refused from now on."""
    from tinycrm.services.team import accounts

    token = accounts.revoke_token(state.db(), token_id)
    if as_json:
        render.print_json(_token_json(token))
    else:
        render.note(f"token {token.id} ({token.name}, {token.user}) revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(token_app, name="token")
