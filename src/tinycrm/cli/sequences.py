"""``crm sequence add|enroll|show|stop`` and ``crm automate``."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import contact_id
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of

sequence_app = typer.Typer(help="Sequences: timed follow-up mails and tasks.", no_args_is_help=True)


def _show(data: dict, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    def human() -> None:
        render.note(
            f"sequence {data['name']}: "
            + "; ".join(f"{s['days']}d {s['action']} {s['subject']}" for s in data["steps"])
        )
        render.table(
            (
                (
                    m["contact_id"],
                    m["name"],
                    m["state"],
                    m["step"] or "",
                    show(m["next_due"]) if m["next_due"] else "",
                    m["end_reason"] or "",
                )
                for m in data["members"]
            ),
            ["id", "contact", "state", "step", "next due", "ended because"],
        )

    render.emit(data, as_json, human)


@sequence_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="The sequence's name."),
    step: list[str] = typer.Option(
        ...,
        "--step",
        help="'0d mail welcome.md' or '7d task Call {{ contact.display_name }}', repeatable, in order.",
    ),
    as_json: bool = JSON,
) -> None:
    """Add a sequence; mail steps read a Markdown file (a first line 'Subject: ...' gives the subject)."""
    from pathlib import Path

    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.mail.templating import MAX_TEMPLATE_BYTES
    from tinycrm.services.marketing import sequences

    steps = []
    for spec in step:
        days, action, arg = sequences.parse_step(spec)
        if action == "task":
            steps.append(sequences.StepInput(days, "task", arg))
            continue
        path = Path(arg)
        if not path.is_file() or path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise InvalidInput(f"--step {spec!r}: {arg} is not a readable Markdown file of at most 512 kB")
        steps.append(sequences.mail_step(days, path.read_text(encoding="utf-8", errors="replace"), name))
    _show(sequences.add(state.db(), name, steps), as_json)


@sequence_app.command("enroll")
def enroll_cmd(
    name: str = typer.Argument(..., help="The sequence's name."),
    segment: str = typer.Option(None, "--segment", help="Enroll a segment's members."),
    contact: str = typer.Option(None, "--contact", help="Enroll one contact."),
) -> None:
    """Enroll contacts; one already in the sequence is left where they are."""
    from tinycrm.services.marketing import sequences

    n = sequences.enroll(
        state.db(), name, contact_id=contact_id(contact) if contact else None, segment=segment
    )
    render.note(f"enrolled {n} in {name}")


@sequence_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="The sequence's name."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """A sequence's steps, and each member's step and next due time."""
    from tinycrm.services.marketing import sequences

    _show(sequences.show(state.db(), name, limit=limit_of(limit, show_all), offset=offset), as_json)


@sequence_app.command("stop")
def stop_cmd(
    name: str = typer.Argument(..., help="The sequence's name."),
    contact: str = typer.Option(..., "--contact", help="The contact to take out."),
) -> None:
    """Take a contact out of a sequence."""
    from tinycrm.services.marketing import sequences

    n = sequences.stop(state.db(), name, contact_id(contact))
    render.note(f"stopped {name} for {contact}" if n else f"{contact} is not active in {name}")


def automate(as_json: bool = JSON) -> None:
    """For cron: send the sequence mails and make the tasks that are due, each once; nothing when nothing is."""
    from tinycrm.services.mail.mailer import MailUnavailable
    from tinycrm.services.marketing import automate as auto

    report = auto.run(state.db())
    if as_json:
        render.print_json(report)
    else:
        for line in report["done"]:
            render.out(line)
    if report["stopped"]:
        raise MailUnavailable(f"{report['stopped']}; run crm automate again later")


def register(app: typer.Typer) -> None:
    app.add_typer(sequence_app, name="sequence")
    app.command("automate")(automate)
