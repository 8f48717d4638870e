"""``crm campaign add|preview|test|send|show|list|recipients``."""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import confirm, contact_id
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of

campaign_app = typer.Typer(
    help="Campaigns: add, preview, test, send (resumable), show, list.", no_args_is_help=True
)


def _read_template(path: str) -> str:
    from pathlib import Path

    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.mail.templating import MAX_TEMPLATE_BYTES

    file = Path(path)
    if not file.is_file():
        raise InvalidInput(f"--template {path}: no such file; give the path of a Markdown file")
    if file.stat().st_size > MAX_TEMPLATE_BYTES:
        raise InvalidInput(
            f"--template {path}: larger than {MAX_TEMPLATE_BYTES // 1024} kB; a mail is shorter"
        )
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"--template {path}: not UTF-8 text; re-encode it") from None


def _show(c: Any, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    def human() -> None:
        counts = ", ".join(f"{k} {n}" for k, n in c.counts.items())
        render.record(
            [
                ("name", c.name),
                ("segment", c.segment),
                ("subject", c.subject),
                ("from", c.sender),
                ("reply to", c.reply_to),
                ("state", c.state),
                ("frozen", show(c.frozen_at) if c.frozen_at else None),
                ("finished", show(c.finished_at) if c.finished_at else None),
                ("recipients", str(c.recipients) if c.frozen_at else None),
                ("by state", counts),
                ("reply rate", f"{c.reply_rate:.1%}" if c.reply_rate is not None else None),
                ("opt-outs", str(c.opt_outs) if c.frozen_at else None),
                ("bounces", str(c.bounces) if c.frozen_at else None),
                ("deals opened (30 days)", str(c.deals_opened) if c.frozen_at else None),
            ]
        )

    render.emit(c, as_json, human)


@campaign_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="The campaign's name."),
    segment: str = typer.Option(..., "--segment", help="Who gets it: a segment's name."),
    subject: str = typer.Option(..., "--subject", help="The subject line (merge fields allowed)."),
    template: str = typer.Option(..., "--template", help="A Markdown file with Jinja2 merge fields."),
    sender: str = typer.Option(None, "--from", help="The sender; default: [smtp] from."),
    reply_to: str = typer.Option(None, "--reply-to", help="Where replies go."),
    allow_unknown: bool = typer.Option(
        False, "--allow-unknown", help="Also addresses whose consent is unknown (one-to-one business mail)."
    ),
    as_json: bool = JSON,
) -> None:
    """Add a campaign; its template is checked now (unknown merge fields are an error)."""
    from tinycrm.services.marketing import campaigns

    c = campaigns.add(
        state.db(),
        name,
        segment=segment,
        subject=subject,
        template=_read_template(template),
        sender=sender,
        reply_to=reply_to,
        allow_unknown=allow_unknown,
    )
    _show(c, as_json)


@campaign_app.command("preview")
def preview_cmd(
    name: str = typer.Argument(..., help="The campaign's name."),
    contact: str = typer.Option(
        None, "--contact", help="Render it for this contact (default: the first member)."
    ),
    html: bool = typer.Option(False, "--html", help="Print the HTML part instead of the text."),
) -> None:
    """Show the mail one recipient would get."""
    from tinycrm.services.marketing import campaigns

    message = campaigns.preview(state.db(), name, contact_id(contact) if contact else None)
    for key in (
        "From",
        "To",
        "Reply-To",
        "Subject",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Precedence",
    ):
        if message[key]:
            render.out(f"{key}: {message[key]}")
    render.out()
    part = message.get_body(("html",) if html else ("plain",))
    render.out(part.get_content().rstrip("\n"))


@campaign_app.command("test")
def test_cmd(
    name: str = typer.Argument(..., help="The campaign's name."),
    to: str = typer.Option(..., "--to", help="Send it to this address (yours)."),
    contact: str = typer.Option(
        None, "--contact", help="Render it for this contact (default: the first member)."
    ),
) -> None:
    """Send one copy to yourself; nothing is recorded."""
    from tinycrm.services.marketing import campaigns

    address = campaigns.send_test(state.db(), name, to, contact_id(contact) if contact else None)
    render.note(f"sent a test of {name} to {address}")


@campaign_app.command("send")
def send_cmd(
    name: str = typer.Argument(..., help="The campaign's name."),
    rate: int = typer.Option(None, "--rate", metavar="N", help="At most N messages a minute."),
    limit: int = typer.Option(None, "--limit", metavar="N", help="Send to at most N recipients this run."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Send (or go on sending) a campaign: each recipient once; run it again after any interruption."""
    from tinycrm.services.marketing import campaigns, sending

    c = campaigns.get(state.db(), name)
    if c.state == "done":
        render.emit(
            {"campaign": c.name, "sent": 0, "left": 0},
            as_json,
            lambda: render.note(f"{c.name} was sent already: nothing to send"),
        )
        return
    if c.state == "draft":
        confirm(f"Send {c.name} to the consenting members of segment {c.segment}?", yes)
    bar = _progress() if render.is_tty() and not as_json else None
    try:
        report = sending.send(state.db(), name, rate=rate, limit=limit, progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()
    _report(report, as_json)


def _report(report: Any, as_json: bool) -> None:
    from tinycrm.services.mail.mailer import MailUnavailable

    if report.frozen == 0:
        render.emit(
            report,
            as_json,
            lambda: render.note(
                f"{report.campaign}: no recipients (nobody in the segment consents); nothing sent"
            ),
        )
        return
    render.emit(
        report,
        as_json,
        lambda: render.note(
            f"{report.campaign}: sent {report.sent}, failed {report.failed}, left {report.left} of {report.frozen}"
        ),
    )
    if report.stopped:
        raise MailUnavailable(
            f"{report.stopped}; {report.left} left: run crm campaign send {report.campaign} again"
        )


class _progress:  # noqa: N801 - a small helper used like a function
    def __init__(self) -> None:
        from rich.progress import Progress

        self.bar = Progress(console=render.console(stderr=True), transient=True)
        self.task = self.bar.add_task("sending", total=None)
        self.bar.start()

    def update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def close(self) -> None:
        self.bar.stop()


@campaign_app.command("show")
def show_cmd(name: str = typer.Argument(..., help="The campaign's name."), as_json: bool = JSON) -> None:
    """A campaign with counts per state, reply rate, opt-outs, bounces and deals opened."""
    from tinycrm.services.marketing import campaigns

    _show(campaigns.get(state.db(), name), as_json)


@campaign_app.command("list")
def list_cmd(as_json: bool = JSON) -> None:
    """Every campaign, newest first."""
    from tinycrm.services.marketing import campaigns

    items = campaigns.list_campaigns(state.db())
    render.emit(
        items,
        as_json,
        lambda: render.table(
            (
                (
                    c.id,
                    c.name,
                    c.state,
                    c.segment or "",
                    c.recipients,
                    c.counts.get("sent", 0) + c.counts.get("replied", 0),
                )
                for c in items
            ),
            ["id", "name", "state", "segment", "recipients", "sent"],
        ),
    )


@campaign_app.command("recipients")
def recipients_cmd(
    name: str = typer.Argument(..., help="The campaign's name."),
    state_: str = typer.Option(None, "--state", help="Only those in this state (queued, sent, failed...)."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """A campaign's recipients and what became of each mail."""
    from tinycrm.domain.dates import show
    from tinycrm.services.marketing import campaigns

    page = campaigns.recipients(
        state.db(), name, state=state_, limit=limit_of(limit, show_all), offset=offset
    )
    render.emit_page(
        page,
        "recipients",
        as_json,
        lambda: render.table(
            ((r.address, r.state, show(r.sent_at) if r.sent_at else "", r.error or "") for r in page.items),
            ["address", "state", "sent", "error"],
        ),
    )


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")
