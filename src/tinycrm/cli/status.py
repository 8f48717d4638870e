"""``crm`` with no arguments: counts and the main commands."""

from __future__ import annotations

from tinycrm.cli import render, state

MAIN_COMMANDS = [
    ("crm add-contact NAME", "add a contact (--email, --phone, --company, --tag...)"),
    ("crm search QUERY", "find contacts (tag:vip company:acme email:@acme.com)"),
    ("crm contact list", "list contacts (--tag, --company, --all)"),
    ("crm log CONTACT", "log a call, email or meeting"),
    ("crm timeline CONTACT", "what happened with someone"),
    ("crm company list", "companies and their people"),
    ("crm agenda", "what is overdue, due today and coming up"),
    ("crm pipeline", "deals by stage, with weighted values"),
    ("crm tui", "the full-screen app"),
    ("crm demo", "try tinycrm on a demo database"),
]


def show_status() -> None:
    from tinycrm.domain.errors import NoDatabase
    from tinycrm.services.status import status

    try:
        db = state.db()
    except NoDatabase as exc:  # a fresh install: nothing is created until something is added
        render.out(f"tinycrm  no database yet at {exc.path}")
        render.out("  crm add-contact NAME starts it; crm demo shows tinycrm on a demo database\n")
        _commands()
        return
    s = status(db, with_due=True)
    lines = [
        f"tinycrm  {s.database}",
        f"  {s.contacts} contacts ({s.archived} archived), {s.companies} companies, "
        f"{s.interactions} interactions, {s.tags} tags",
    ]
    for key, count in s.due.items():
        lines.append(f"  {count} {key}")
    if s.due:
        lines.append("  (crm agenda shows them)")
    render.out("\n".join(lines))
    render.out("")
    _commands()


def _commands() -> None:
    width = max(len(c) for c, _ in MAIN_COMMANDS)
    for cmd, what in MAIN_COMMANDS:
        render.out(f"  {cmd.ljust(width)}  {what}")
    render.out("\nMore: crm --help")
