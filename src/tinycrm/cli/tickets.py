"""The support desk on the command line: ``crm ticket add|list|show|reply|note|status|assign|close|merge|
attachment``, ``crm template list|show`` and ``crm report support`` (see docs/support.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import contact_id, owner_of
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of, not_blank, read_text_arg
from tinycrm.cli.reports import report_app

ticket_app = typer.Typer(
    help="Support tickets: add, list, show, reply, note, status, assign, close, merge.", no_args_is_help=True
)
template_app = typer.Typer(help="Canned replies: the templates in the config folder.", no_args_is_help=True)

NUMBER = typer.Argument(..., metavar="N", help="The ticket number (crm ticket list shows them).")


def number(ref: str) -> int:
    from tinycrm.services.support.tickets import number

    return number(ref)


def countdown(due: datetime | None, breached: bool = False) -> str:
    """An SLA due time as a person reads it: ``in 2h 10m``, ``overdue 35m``."""
    if due is None:
        return ""
    from tinycrm.domain import clock

    minutes = int((due - clock.now()).total_seconds() // 60)
    span = abs(minutes)
    text = f"{span // 1440}d {span % 1440 // 60}h" if span >= 1440 else f"{span // 60}h {span % 60:02d}m"
    return f"overdue {text}" if minutes < 0 or breached and minutes < 0 else f"in {text}"


def printable(text: str) -> str:
    """Mail text as it may reach a terminal: no escape sequences or other control characters."""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


def show_list(page: Any, as_json: bool) -> None:
    from tinycrm.domain.dates import to_iso

    def human() -> None:
        rows = []
        for t in page.items:
            due = countdown(t.sla_due) if render.is_tty() else (to_iso(t.sla_due) if t.sla_due else "")
            rows.append(
                [
                    t.id,
                    t.status + ("!" if t.breached and render.is_tty() else ""),
                    t.priority,
                    due,
                    t.subject,
                    t.contact.name if t.contact else "",
                    t.assignee or "",
                ]
            )
        render.table(rows, ["#", "status", "priority", "sla", "subject", "contact", "assignee"])

    render.emit_page(page, "tickets", as_json, human)


def show_ticket(t: Any, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    def when(value: datetime | None, breached: bool = False) -> str | None:
        if value is None:
            return None
        return show(value) + (" (breached)" if breached else "")

    def human() -> None:
        render.record(
            [
                ("ticket", f"#{t.id}"),
                ("subject", t.subject),
                ("status", t.status + (f" until {show(t.pending_until)}" if t.pending_until else "")),
                ("priority", t.priority),
                (
                    "contact",
                    f"{t.contact.name} <{t.contact_email or '-'}> ({t.contact.id})" if t.contact else None,
                ),
                ("company", t.company.name if t.company else None),
                ("assignee", t.assignee),
                ("tags", ", ".join(t.tags)),
                ("channel", t.channel),
                ("created", show(t.created_at)),
                ("first response due", when(t.first_response_due, t.first_response_breached)),
                ("first responded", when(t.first_responded_at)),
                ("resolution due", when(t.resolution_due, t.resolution_breached)),
                ("resolved", when(t.resolved_at)),
                ("closed", when(t.closed_at)),
                ("merged into", f"#{t.merged_into}" if t.merged_into else None),
            ]
        )
        labels = {"in": "from", "out": "reply by", "auto": "acknowledged by", "note": "note by"}
        for m in t.messages:
            render.out("")
            render.out(f"--- {show(m.created_at)}  {labels[m.kind]} {render.clean(m.author)}")
            render.out(printable(m.body).rstrip("\n"))
            for a in m.attachments:
                size = "dropped: too large" if a.dropped else f"{a.size} bytes"
                render.out(f"[attachment: {render.clean(a.filename)}, {a.content_type}, {size}]")

    render.emit(t, as_json, human)


@ticket_app.command("add")
def add_cmd(
    subject: str = typer.Argument(..., help="What the ticket is about (one line)."),
    contact: str = typer.Option(..., "--contact", "-c", help="The customer (id, email or name)."),
    priority: str = typer.Option("normal", "--priority", "-p", help="low, normal, high or urgent."),
    body: str = typer.Option(None, "--body", "-b", help="The customer's message; '-' reads standard input."),
    assign: str = typer.Option(None, "--assign", callback=not_blank, help="Give it to this user."),
    tag: list[str] = typer.Option([], "--tag", "-t", help="A tag (repeatable)."),
    channel: str = typer.Option("manual", "--channel", help="mail, phone or manual."),
    as_json: bool = JSON,
) -> None:
    """Add a ticket for a contact and print it."""
    from tinycrm.services.support import tickets

    t = tickets.create(
        state.db(),
        subject_=subject,
        contact_id=contact_id(contact),
        priority_=priority,
        body=read_text_arg(body, "--body"),
        assignee=assign,
        tags=tag,
        channel=channel,
    )
    render.emit(
        t, as_json, lambda: render.out(f"#{t.id}" if not render.is_tty() else f"added ticket #{t.id}")
    )


@ticket_app.command("list")
def list_cmd(
    status: list[str] = typer.Option(
        [],
        "--status",
        "-s",
        help="new, open, pending, resolved, closed (repeatable; default: new, open and pending).",
    ),
    mine: bool = typer.Option(False, "--mine", help="Only tickets assigned to me."),
    owner: str = typer.Option(
        None, "--owner", callback=not_blank, help="Only tickets assigned to this user."
    ),
    breaching: bool = typer.Option(
        False, "--breaching", help="Only open work past or within an hour of its SLA."
    ),
    unassigned: bool = typer.Option(False, "--unassigned", help="Only tickets nobody is assigned to."),
    contact: str = typer.Option(None, "--contact", callback=not_blank, help="Only this contact's tickets."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """List tickets: open work first, the soonest SLA due time first."""
    from tinycrm.services.support import tickets

    page = tickets.list_page(
        state.db(),
        statuses=status,
        owner=owner_of(owner, mine),
        breaching=breaching,
        contact_id=contact_id(contact) if contact else None,
        unassigned=unassigned,
        limit=limit_of(limit, show_all),
        offset=offset,
    )
    show_list(page, as_json)


@ticket_app.command("show")
def show_cmd(ticket: str = NUMBER, as_json: bool = JSON) -> None:
    """Show a ticket and its thread (messages, replies, notes, attachments)."""
    from tinycrm.services.support import tickets

    show_ticket(tickets.get(state.db(), number(ticket)), as_json)


def _editor_body(tid: int) -> str:
    from tinycrm.cli.common import editor_command, run_editor
    from tinycrm.services.support import replies

    command = editor_command("no reply given: use --body TEXT, --body - or --template NAME")
    text = run_editor(command, replies.quoted_last(state.db(), tid), "reply")
    return text


@ticket_app.command("reply")
def reply_cmd(
    ticket: str = NUMBER,
    body: str = typer.Option(None, "--body", "-b", help="The reply; '-' reads standard input."),
    template: str = typer.Option(None, "--template", "-T", callback=not_blank, help="A canned reply."),
    status: str = typer.Option(None, "--status", "-s", help="Then set the ticket pending or resolved."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the mail instead of sending it."),
    as_json: bool = JSON,
) -> None:
    """Answer the customer by mail (no --body: $EDITOR with the last message quoted)."""
    from tinycrm.services.support import replies

    tid = number(ticket)
    text = read_text_arg(body, "--body")
    if text is None and template is None:
        text = _editor_body(tid)
    result = replies.reply(state.db(), tid, body=text, template=template, new_status=status, dry_run=dry_run)
    if dry_run:
        render.emit(
            {"message": result.message, "sent": False},
            as_json,
            lambda: render.out(result.message.rstrip("\n")),
        )
        return
    t = result.ticket
    assert t is not None
    render.emit(t, as_json, lambda: render.note(f"sent the reply on ticket #{t.id}; it is {t.status}"))


@ticket_app.command("note")
def note_cmd(
    ticket: str = NUMBER,
    text: str = typer.Argument(..., help="The note; '-' reads standard input."),
    as_json: bool = JSON,
) -> None:
    """Add an internal note (never sent to the customer)."""
    from tinycrm.services.support import thread

    t = thread.note(state.db(), number(ticket), read_text_arg(text, "TEXT") or "")
    render.emit(t, as_json, lambda: render.note(f"noted on ticket #{t.id}"))


@ticket_app.command("status")
def status_cmd(
    ticket: str = NUMBER,
    status: str = typer.Argument(..., help="open, pending, resolved or closed."),
    until: str = typer.Option(None, "--until", help="pending: open again after this date ('next monday')."),
    as_json: bool = JSON,
) -> None:
    """Change a ticket's status."""
    from tinycrm.services.support import tickets

    t = tickets.set_status(state.db(), number(ticket), status, until=until)
    render.emit(t, as_json, lambda: render.note(f"ticket #{t.id} is {t.status}"))


@ticket_app.command("priority")
def priority_cmd(
    ticket: str = NUMBER,
    priority: str = typer.Argument(..., help="low, normal, high or urgent."),
    as_json: bool = JSON,
) -> None:
    """Change a ticket's priority (its SLA targets follow)."""
    from tinycrm.services.support import tickets

    t = tickets.set_priority(state.db(), number(ticket), priority)
    render.emit(t, as_json, lambda: render.note(f"ticket #{t.id} is {t.priority}"))


@ticket_app.command("assign")
def assign_cmd(
    ticket: str = NUMBER,
    user: str = typer.Argument(..., help="A user name; '' for nobody."),
    as_json: bool = JSON,
) -> None:
    """Give a ticket to a user."""
    from tinycrm.services.support import tickets

    t = tickets.assign(state.db(), number(ticket), user.strip() or None)
    render.emit(t, as_json, lambda: render.note(f"ticket #{t.id} is assigned to {t.assignee or 'nobody'}"))


@ticket_app.command("close")
def close_cmd(ticket: str = NUMBER, as_json: bool = JSON) -> None:
    """Close a ticket."""
    from tinycrm.services.support import tickets

    t = tickets.close(state.db(), number(ticket))
    render.emit(t, as_json, lambda: render.note(f"ticket #{t.id} is closed"))


@ticket_app.command("merge")
def merge_cmd(
    ticket: str = NUMBER,
    into: str = typer.Argument(..., metavar="M", help="The ticket that takes N's thread."),
    as_json: bool = JSON,
) -> None:
    """Merge ticket N into ticket M: the thread moves, N is closed."""
    from tinycrm.services.support import tickets

    t = tickets.merge(state.db(), number(ticket), number(into))
    render.emit(t, as_json, lambda: render.note(f"merged #{number(ticket)} into #{t.id}"))


@ticket_app.command("attachment")
def attachment_cmd(
    ticket: str = NUMBER,
    name: str = typer.Argument(..., help="The attachment's file name (crm ticket show lists them)."),
    output: str = typer.Option(
        ..., "--output", "-o", help="Where to save it; '-' writes to standard output."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Save an attachment of a ticket."""
    import os
    import sys

    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.support import thread

    found, data = thread.attachment(state.db(), number(ticket), name)
    if output == "-":
        sys.stdout.buffer.write(data)
        return
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(output, flags, 0o600)
    except FileExistsError:
        raise InvalidInput(f"{output} exists; give another path or --force") from None
    except OSError as exc:
        raise InvalidInput(f"cannot write {output}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    render.note(f"saved {found.filename} ({len(data)} bytes) to {output}")


@template_app.command("list")
def template_list_cmd(as_json: bool = JSON) -> None:
    """The canned replies (files in the config folder's templates/)."""
    from tinycrm.services.support import replies

    names = replies.templates()
    render.emit(names, as_json, lambda: render.out("\n".join(names)) if names else None)
    if not names and not as_json:
        render.note(f"no templates; put them in {replies.template_dir()}")


@template_app.command("show")
def template_show_cmd(
    name: str = typer.Argument(..., help="The template's name."), as_json: bool = JSON
) -> None:
    """Print a template's source and where it is."""
    from tinycrm.services.support import replies

    source, path = replies.template_source(name)
    render.emit(
        {"name": name, "path": str(path), "source": source}, as_json, lambda: render.out(source.rstrip("\n"))
    )


@report_app.command("support")
def support_report_cmd(
    since: str = typer.Option(
        None, "--since", callback=not_blank, help="Tickets opened since this day (default: 12 weeks)."
    ),
    as_json: bool = JSON,
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV (the weekly rows)."),
) -> None:
    """Support: opened and resolved per week, response and resolution times, breaches, backlog."""
    from tinycrm.cli.support_report import show_report

    show_report(since, as_json, as_csv)


def register(app: typer.Typer) -> None:
    app.add_typer(ticket_app, name="ticket")
    app.add_typer(template_app, name="template")
