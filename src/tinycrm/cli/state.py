"""What the root command's options set for every command: the database URL, opened on first use.

Only a command that adds something may create the database: ``crm add-contact`` on a new machine starts one,
but ``crm --db sqlite:///typo/crm.sqlite3 search ada`` says there is no database there (exit 2) and leaves no
file or folder behind. :data:`CREATES` lists those commands; every other one opens an existing database only.
The full-screen app (``crm tui``, ``crm`` alone on a terminal) opens its own and may create it.
"""

from __future__ import annotations

from typing import Any

_url: str | None = None
_db: Any = None

#: the commands (as typed, without options) that add something and so may create a database that does not
#: exist yet; a test checks that each is a real command
CREATES = frozenset(
    {
        "add-contact",
        "contact add",
        "company add",
        "deal add",
        "lead add",
        "form add",
        "task add",
        "pipeline add",
        "pipeline stages add",
        "user add",
        "team add-member",
        "import vcard",
        "import csv",
        "import json",
        "restore",
    }
)


def set_url(url: str | None) -> None:
    global _url, _db
    _url, _db = url, None


def db(*, create: bool | None = None) -> Any:
    """The opened database (upgraded on first use; created only for the commands in :data:`CREATES`, or as
    ``create`` says: an import's ``--dry-run`` creates nothing)."""
    global _db
    if _db is None:
        from tinycrm.store.database import open_db

        _db = open_db(_url, create=command() in CREATES if create is None else create)
    return _db


def db_for_preview() -> Any:
    """The existing database a ``--dry-run`` compares with; none yet is a one-line error (exit 2) that says
    the import itself would start one."""
    from tinycrm.domain.errors import NoDatabase

    try:
        return db(create=False)
    except NoDatabase as exc:
        raise NoDatabase(
            f"no database at {exc.path} yet, so there is nothing to compare with: every record would be new "
            "(run the import without --dry-run to start one)",
            path=exc.path,
        ) from None


def url() -> str | None:
    return _url


def command() -> str:
    """The command running, as typed without options: ``"contact add"``; ``""`` for ``crm`` alone or outside
    a command."""
    try:  # Typer's own copy of click keeps the stack of running commands
        from typer._click.globals import get_current_context
    except ImportError:  # a Typer that runs on click itself
        from click import get_current_context  # type: ignore[no-redef]

    ctx = get_current_context(silent=True)
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(reversed(names))
