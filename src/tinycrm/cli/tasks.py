"""Tasks and follow-ups on the command line: task ..., follow-up, agenda, stale, remind, export ical."""

from __future__ import annotations

import os
import sys

import typer

from tinycrm.cli import common, render, state
from tinycrm.cli.common import company_id, contact_id, delete_confirmed, edit_record, option_changes
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of, not_blank, read_text_arg
from tinycrm.cli.transfer import export_app

task_app = typer.Typer(
    help="Tasks: to-dos with due dates, repeats and links to contacts, companies, deals.",
    no_args_is_help=True,
)

OWNER = typer.Option(
    None, "--owner", metavar="USER", callback=not_blank, help="Only this user's (assignee, else owner)."
)
MINE = typer.Option(False, "--mine", help="Only mine (the acting user's).")


# --- shared ---------------------------------------------------------------------------------------------


def resolve(ref: str) -> int:
    from tinycrm.services.work import tasks

    return tasks.resolve(state.db(), ref)


def _links(contact: str | None, company: str | None, deal: str | None) -> dict:
    """Ids of the records named on the command line; ``''`` means: no link."""
    out: dict = {}
    if contact is not None:
        out["contact_id"] = contact_id(contact) if contact.strip() else None
    if company is not None:
        out["company_id"] = company_id(company) if company.strip() else None
    if deal is not None:
        from tinycrm.services.sales import deals

        out["deal_id"] = deals.resolve(state.db(), deal) if deal.strip() else None
    return out


def _owner(owner: str | None, mine: bool) -> str | None:
    """``--owner USER`` / ``--mine`` (see :func:`tinycrm.cli.common.owner_of`)."""
    return common.owner_of(owner, mine, both="give --owner USER or --mine, not both")


def due_text(t) -> str:  # noqa: ANN001 - a TaskRead
    from tinycrm.domain.dates import show

    if t.due_at is None:
        return ""
    return t.due_date.isoformat() if t.all_day else show(t.due_at)


def _task_links(t) -> str:  # noqa: ANN001
    parts = [
        t.contact.name if t.contact else None,
        t.company.name if t.company else None,
        f"deal: {t.deal.name}" if t.deal else None,
    ]
    return ", ".join(p for p in parts if p)


def show_tasks(page, as_json: bool, what: str = "tasks") -> None:  # noqa: ANN001
    from tinycrm.domain.dates import show
    from tinycrm.domain.tasks import PRIORITY_NAMES

    def human() -> None:
        render.table(
            (
                (
                    t.id,
                    due_text(t),
                    t.title,
                    _task_links(t),
                    t.repeat or "",
                    PRIORITY_NAMES.get(t.priority, ""),
                    f"snoozed until {show(t.snoozed_until)}"
                    if t.status == "snoozed"
                    else (f"done {show(t.done_at)}" if t.done_at else ""),
                )
                for t in page.items
            ),
            ["id", "due", "title", "links", "repeats", "priority", "status"],
            styles=["dim", "yellow", "bold", "cyan", "magenta", "red", "dim"],
        )

    render.emit_page(page, what, as_json, human)


def show_task(t, as_json: bool) -> None:  # noqa: ANN001
    from tinycrm.domain.dates import show
    from tinycrm.domain.tasks import PRIORITY_NAMES

    def human() -> None:
        render.record(
            [
                ("id", str(t.id)),
                ("title", t.title),
                ("due", (due_text(t) + (" (all day)" if t.all_day else "")) if t.due_at else None),
                (
                    "repeats",
                    f"{t.repeat}" + (f"  [{t.rrule}]" if t.repeat != t.rrule else "") if t.rrule else None,
                ),
                ("priority", PRIORITY_NAMES.get(t.priority)),
                ("contact", f"{t.contact.name} (id {t.contact.id})" if t.contact else None),
                ("company", f"{t.company.name} (id {t.company.id})" if t.company else None),
                ("deal", f"{t.deal.name} (id {t.deal.id})" if t.deal else None),
                ("status", t.status),
                (
                    "snoozed until",
                    show(t.snoozed_until) if t.snoozed_until and t.status == "snoozed" else None,
                ),
                ("done", show(t.done_at)),
                ("owner", t.owner),
                ("assignee", t.assignee),
                ("notes", t.notes),
                ("uid", t.uid),
                ("updated", f"{show(t.updated_at)} (version {t.version})"),
            ]
        )

    render.emit(t, as_json, human)


# --- task ... -------------------------------------------------------------------------------------------


@task_app.command("add")
def add_cmd(
    title: str = typer.Argument(..., help="What to do."),
    due: str = typer.Option(
        None, "--due", "-d", help="When: 'tomorrow 9am', 'next monday', 'in 3 days', ISO."
    ),
    repeat: str = typer.Option(
        None,
        "--repeat",
        "-r",
        help="daily, weekly, monthly, yearly, 'every 2 weeks', 'every weekday', "
        "'every monday', or an RRULE (FREQ=WEEKLY;BYDAY=MO).",
    ),
    contact: str = typer.Option(None, "--contact", "-c", help="Link a contact (id, email or name)."),
    company: str = typer.Option(None, "--company", help="Link a company (id or name)."),
    deal: str = typer.Option(None, "--deal", help="Link a deal (id or title)."),
    priority: str = typer.Option(None, "--priority", "-p", help="none, low, normal, high (or 0-3)."),
    note: str = typer.Option(None, "--note", help="Notes; '-' reads them from standard input."),
    assign: str = typer.Option(None, "--assign", metavar="USER", help="Assign it to a team member."),
    as_json: bool = JSON,
) -> None:
    """Add a task and print its id (with --json, the whole task)."""
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.work import tasks

    links = _links(contact, company, deal)
    notes = read_text_arg(note, "--note")
    data = TaskInput(
        title=title, due=due, repeat=repeat, priority=priority, notes=notes, assignee=assign, **links
    )
    t = tasks.create(state.db(), data)
    render.emit(t, as_json, lambda: render.out(str(t.id)))


@task_app.command("list")
def list_cmd(
    done: bool = typer.Option(False, "--done", help="Done tasks instead of open ones, latest first."),
    overdue: bool = typer.Option(False, "--overdue", help="Only open tasks past due."),
    contact: str = typer.Option(
        None, "--contact", "-c", callback=not_blank, help="Only tasks linked to this contact."
    ),
    deal: str = typer.Option(None, "--deal", callback=not_blank, help="Only tasks linked to this deal."),
    owner: str = OWNER,
    mine: bool = MINE,
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """List open tasks, soonest due first (snoozed ones included)."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.work import tasks

    if done and overdue:
        raise InvalidInput("give --done or --overdue, not both")
    links = _links(contact, None, deal)
    page = tasks.list_tasks(
        state.db(),
        status="done" if done else "open",
        overdue=overdue,
        contact_id=links.get("contact_id"),
        deal_id=links.get("deal_id"),
        owner=_owner(owner, mine),
        limit=limit_of(limit, show_all),
        offset=offset,
        stream=show_all,
    )
    show_tasks(page, as_json)


@task_app.command("show")
def show_cmd(task: str = typer.Argument(..., help="Id or words of the title."), as_json: bool = JSON) -> None:
    """Show a task."""
    from tinycrm.services.work import tasks

    show_task(tasks.get(state.db(), resolve(task)), as_json)


@task_app.command("done")
def done_cmd(task: str = typer.Argument(..., help="Id or words of the title."), as_json: bool = JSON) -> None:
    """Mark a task done. A repeating task gets its next occurrence (printed as 'next')."""
    from tinycrm.services.work import tasks

    t, nxt = tasks.complete(state.db(), resolve(task))
    if as_json:
        render.print_json({"done": t, "next": nxt})
        return
    render.out(f"{t.id}\tdone\t{t.title}")
    if nxt is not None:
        render.out(f"{nxt.id}\tnext\t{due_text(nxt)}\t{nxt.title}")


@task_app.command("snooze")
def snooze_cmd(
    task: str = typer.Argument(..., help="Id or words of the title."),
    when: list[str] = typer.Argument(
        ..., metavar="WHEN", help="Until when: tomorrow, 'in 2 hours', 'next monday'."
    ),
    as_json: bool = JSON,
) -> None:
    """Snooze a task: no reminders until WHEN (its due date stays)."""
    from tinycrm.domain.dates import show
    from tinycrm.services.work import tasks

    t = tasks.snooze(state.db(), resolve(task), " ".join(when))
    render.emit(t, as_json, lambda: render.out(f"{t.id}\tsnoozed until {show(t.snoozed_until)}\t{t.title}"))


@task_app.command("edit")
def edit_cmd(
    task: str = typer.Argument(..., help="Id or words of the title."),
    title: str = typer.Option(None, "--title", help="New title."),
    due: str = typer.Option(None, "--due", "-d", help="New due date; '' for none."),
    repeat: str = typer.Option(None, "--repeat", "-r", help="New repeat rule; 'never' to stop repeating."),
    contact: str = typer.Option(None, "--contact", "-c", help="Link a contact; '' to unlink."),
    company: str = typer.Option(None, "--company", help="Link a company; '' to unlink."),
    deal: str = typer.Option(None, "--deal", help="Link a deal; '' to unlink."),
    priority: str = typer.Option(None, "--priority", "-p", help="none, low, normal, high (or 0-3)."),
    note: str = typer.Option(None, "--note", help="Replace the notes; '' clears, '-' reads standard input."),
    assign: str = typer.Option(None, "--assign", metavar="USER", help="Assign to a user; '' to unassign."),
    owner: str = typer.Option(None, "--owner", metavar="USER", help="Hand the task to another owner."),
    unsnooze: bool = typer.Option(False, "--unsnooze", help="Wake a snoozed task."),
    reopen: bool = typer.Option(False, "--reopen", help="Mark a done task open again."),
    expect_version: int = typer.Option(None, "--expect-version", help="Fail if the task changed since."),
    as_json: bool = JSON,
) -> None:
    """Change a task."""
    from tinycrm.services.work import tasks

    tid = resolve(task)
    changes: dict = _links(contact, company, deal)
    changes.update(
        option_changes(
            (
                ("title", title),
                ("repeat", repeat),
                ("priority", priority),
                ("owner", owner),
                ("due", due),
                ("assignee", assign),
            ),
            as_given=("title", "repeat", "priority", "owner"),
            note=note,
        )
    )
    if unsnooze:
        changes["snoozed_until"] = None
    if reopen:
        changes["done"] = False
    if not changes:  # the form in $EDITOR
        t = edit_record(
            "task",
            tid,
            tasks.get,
            tasks.update,
            expect_version,
            nothing_given="nothing to change: give e.g. --title, --due, --repeat, --priority or --note",
            refs=("contact", "company", "deal"),
        )
        if t is None:
            render.note("no changes")
            return
    else:
        t = tasks.update(state.db(), tid, changes, expected_version=expect_version)
    show_task(t, as_json)


@task_app.command("delete")
def delete_cmd(
    task: str = typer.Argument(..., help="Id or words of the title."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Delete a task for good (done keeps it in the history instead)."""
    from tinycrm.services.work import tasks

    tid = resolve(task)
    t = tasks.get(state.db(), tid)
    delete_confirmed(
        f"Delete task {t.id} '{t.title}'?",
        yes,
        lambda: tasks.delete(state.db(), tid),
        as_json,
        lambda gone: f"deleted task {gone.id} ({gone.title})",
    )


# --- follow-up, stale, agenda ---------------------------------------------------------------------------


def follow_up_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    when: str = typer.Argument(..., help="When: 'next monday', 'in 3 days', 'tomorrow 9am'."),
    title: str = typer.Argument(None, help="Default: 'Follow up with NAME'."),
    note: str = typer.Option(None, "--note", help="Notes; '-' reads them from standard input."),
    priority: str = typer.Option(None, "--priority", "-p", help="none, low, normal, high (or 0-3)."),
    as_json: bool = JSON,
) -> None:
    """Add a task to follow up with a contact and print its id."""
    from tinycrm.services.work import tasks

    t = tasks.follow_up(
        state.db(), contact_id(contact), when, title, notes=read_text_arg(note, "--note"), priority=priority
    )
    render.emit(t, as_json, lambda: render.out(str(t.id)))


def stale_cmd(
    owner: str = OWNER,
    mine: bool = MINE,
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """Contacts to get in touch with: their stay-in-touch cadence has run out. Longest overdue first."""
    from tinycrm.domain.dates import show
    from tinycrm.services.work import due

    page = due.stale_contacts(
        state.db(), owner=_owner(owner, mine), limit=limit_of(limit, show_all), offset=offset
    )

    def human() -> None:
        render.table(
            (
                (
                    s.id,
                    s.display_name,
                    f"every {s.cadence_days} days",
                    show(s.last_interaction_at, with_time=False) if s.last_interaction_at else "never",
                    f"{s.days_overdue} days overdue" if s.days_overdue else "due today",
                )
                for s in page.items
            ),
            ["id", "name", "cadence", "last contact", "due"],
            styles=["dim", "bold", None, "cyan", "red"],
        )

    render.emit_page(page, "contacts to get in touch with", as_json, human)


def _when_text(item, today) -> str:  # noqa: ANN001
    from datetime import date, datetime

    from tinycrm.domain import clock

    value = item.when
    if isinstance(value, datetime):
        local = clock.to_local(value)
        return local.strftime("%H:%M") if local.date() == today else local.strftime("%a %Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.strftime("%a %Y-%m-%d")
    return ""


def agenda_cmd(
    days: int = typer.Option(7, "--days", min=0, max=366, help="How many days ahead."),
    owner: str = OWNER,
    mine: bool = MINE,
    limit: int = typer.Option(20, "--limit", "-n", min=1, help="Show at most this many of each section."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many first of each section."),
    show_all: bool = typer.Option(False, "--all", "-a", help="Show everything, no paging."),
    as_json: bool = JSON,
) -> None:
    """Overdue, today and the next days: tasks, people to get in touch with, birthdays, idle deals."""
    from tinycrm.domain.people import Page
    from tinycrm.services.work import agenda

    a = agenda.agenda(
        state.db(), days=days, owner=_owner(owner, mine), limit=limit_of(limit, show_all), offset=offset
    )
    sections = [
        ("overdue", "Overdue", a.overdue),
        ("today", "Today", a.today),
        (f"next {days} days", f"Next {days} days", a.upcoming),
    ]
    cut = [
        (Page(items, a.totals.get(name, len(items)), limit_of(limit, show_all), offset), what)
        for name, items, what in (
            ("overdue", a.overdue, "overdue items"),
            ("today", a.today, "items due today"),
            ("upcoming", a.upcoming, f"items of the next {days} days"),
        )
    ]
    if as_json:
        render.print_json(a)
        for page, what in cut:
            render.page_notice(page, what, as_json=True)
        return
    for note in a.notes:
        render.note(note)
    _show_agenda(a, sections)
    for page, what in cut:
        if page.items or page.total:
            render.page_notice(page, what)


def _show_agenda(a, sections) -> None:  # noqa: ANN001 - an Agenda and its sections
    if not render.is_tty():
        for key, _, items in sections:
            for i in items:
                render.out(
                    "\t".join(
                        render.clean(c) for c in (key, i.kind, _when_text(i, a.day), i.title, i.detail, i.ref)
                    )
                )
        return
    shown = False
    for _, label, items in sections:
        if not items:
            continue
        shown = True
        render.table(
            ((_when_text(i, a.day), i.kind, i.title, i.detail or "", i.ref) for i in items),
            ["when", "what", "item", "details", "ref"],
            title=label,
            styles=["yellow", "dim", "bold", None, "dim"],
        )
    if not shown:
        render.note("nothing due")


# --- remind ---------------------------------------------------------------------------------------------


def remind_cmd(
    show_all: bool = typer.Option(
        False, "--all", "-a", help="Everything due, also what was reminded already."
    ),
    limit: int = typer.Option(
        100, "--limit", "-n", min=1, help="At most this many, the most urgent (the rest come in later runs)."
    ),
    offset: int = OFFSET,
    owner: str = OWNER,
    mine: bool = MINE,
    mail_to: str = typer.Option(
        None,
        "--mail-to",
        metavar="ADDRESS",
        help="Send the digest as one e-mail (settings: [smtp] in the config file).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do not record what was reminded."),
    as_json: bool = JSON,
) -> None:
    """For cron: print what is due (overdue and today's tasks, people to get in touch with, upcoming
    birthdays, idle deals); print nothing when nothing is due. Exit 0, or 75 when the database is
    temporarily unavailable. An item is not repeated until it changes or a new day begins (--all: repeat)."""
    from tinycrm.services.work import remind

    mail = remind.delivery(mail_to)  # options and settings are checked on every run, also when nothing is due
    db = state.db()
    who = _owner(owner, mine)
    page = remind.due_page(
        db, owner=who, include_seen=show_all, limit=limit_of(limit, show_all), offset=offset
    )
    items = page.items
    if not items:
        if as_json:
            render.print_json([])
        return
    total = page.total if page.more else None
    if mail:
        remind.mail_digest(items, mail, total=total)
    if as_json:
        render.print_json(items)
    elif not mail:
        sys.stdout.write(remind.render_digest(items, total=total))
        sys.stdout.flush()
    render.page_notice(page, "items due", as_json=as_json)
    if not dry_run:
        remind.mark_sent(db, items, remind.recipient(db, who))


# --- export ical ----------------------------------------------------------------------------------------


@export_app.command("ical")
def export_ical_cmd(
    file: str = typer.Argument(..., metavar="FILE", help="The .ics file to write; '-' for standard output."),
    force: bool = typer.Option(False, "--force", "-f", help="Replace FILE if it exists."),
    owner: str = OWNER,
    mine: bool = MINE,
    include_done: bool = typer.Option(False, "--include-done", help="Done tasks too (as completed to-dos)."),
    as_json: bool = JSON,
) -> None:
    """Tasks (VTODO), birthdays and expected deal closes (VEVENT) as an iCalendar file a calendar app can
    subscribe to; re-exports update entries instead of duplicating them."""
    from tinycrm.formats import ical
    from tinycrm.services.work import agenda

    data = agenda.calendar_data(state.db(), owner=_owner(owner, mine), include_done=include_done)
    text = ical.to_ical(data)
    counts = {"tasks": len(data.tasks), "birthdays": len(data.birthdays), "deals": len(data.deals)}
    if file == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from tinycrm.services.interchange.exporting import write_file

    write_file(state.db(), file, text.encode("utf-8"), force=force)
    if as_json:
        render.print_json({"file": os.path.abspath(file), **counts})
    else:
        render.note(
            f"wrote {counts['tasks']} tasks, {counts['birthdays']} birthdays and {counts['deals']} "
            f"deal dates to {file}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(task_app, name="task")
    app.command("follow-up")(follow_up_cmd)
    app.command("agenda")(agenda_cmd)
    app.command("stale")(stale_cmd)
    app.command("remind")(remind_cmd)
