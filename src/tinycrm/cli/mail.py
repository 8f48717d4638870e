"""``crm mail ingest`` (messages from standard input, files, a Maildir, an mbox) and ``crm mail fetch`` (an IMAP
mailbox), both through the one mail pipeline (services/mail/inbound.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

mail_app = typer.Typer(
    help="Mail in: log mail on contacts' timelines (and whatever else the pipeline's handlers take).",
    no_args_is_help=True,
)

QUIET = typer.Option(False, "--quiet", "-q", help="Print only failures (for procmail and .forward).")


def _line(outcome: Any) -> str:
    """One message's line: ``SOURCE: SUMMARY`` on a terminal, tab-separated fields to a pipe."""
    if render.is_tty():
        return f"{outcome.source}: {outcome.summary}"
    fields = (outcome.source, outcome.status, outcome.kind, outcome.message_id or "", outcome.summary)
    return "\t".join(render.clean(f) for f in fields)


def _report(outcomes: Any, *, as_json: bool, quiet: bool, closing: bool = True) -> int:
    """Print each outcome as it comes (or all as JSON at the end); exit 1 if any message failed."""
    from tinycrm.services.mail.inbound import summary

    done = []
    for outcome in outcomes:
        done.append(outcome)
        if as_json:
            continue
        for note in outcome.notes:
            render.note(f"{outcome.source}: {note}")
        if not outcome.ok:
            render.note(f"crm: error: {outcome.source}: {outcome.summary}")
        if not quiet and (outcome.ok or not render.is_tty()):
            render.out(_line(outcome))
    counts = summary(done)
    if as_json:
        render.print_json({"messages": done, "summary": counts})
    elif closing and not quiet and len(done) > 1:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts["kinds"].items()))
        render.note(
            f"{counts['messages']} messages: {kinds + ', ' if kinds else ''}{counts['ignored']} ignored, "
            f"{counts['duplicate']} handled before, {counts['failed']} failed"
        )
    return 1 if counts["failed"] else 0


@mail_app.command("ingest")
def ingest_cmd(
    files: list[str] = typer.Argument(
        None, metavar="[FILE|-]...", help="Message files; '-' (or nothing, from a pipe) reads one from stdin."
    ),
    maildir: list[Path] = typer.Option(None, "--maildir", metavar="DIR", help="Every message of a Maildir."),
    mbox: list[Path] = typer.Option(None, "--mbox", metavar="FILE", help="Every message of an mbox file."),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    """Take mail in: each message is logged on the timeline of the contacts it is from or to (or taken by
    another handler), or counted as ignored. A message handled before is not handled again. Exit 0 when
    every message was handled or ignored, 1 when any could not be read or handled (the rest still are)."""
    from itertools import chain

    from tinycrm import config
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.mail import sources
    from tinycrm.services.mail.inbound import ingest

    names = list(files or [])
    if not names and not maildir and not mbox:
        if sys.stdin is None or sys.stdin.isatty():
            raise InvalidInput(
                "nothing to ingest: pipe a message in (crm mail ingest - < message.eml), or give FILE, "
                "--maildir DIR or --mbox FILE"
            )
        names = ["-"]
    if names.count("-") > 1:
        raise InvalidInput("'-' (standard input) can be given once: it holds one message")
    paths = [sources.check_file(Path(n)) for n in names if n != "-"]
    for d in maildir or []:
        if not d.is_dir():
            raise InvalidInput(
                f"--maildir {d}: not a folder; give a Maildir (with cur/, new/ and tmp/ in it)"
            )
    for m in mbox or []:
        sources.check_file(m, "mbox file")
    settings = config.load()
    db = state.db()
    streams = []
    if "-" in names:
        streams.append(iter([("stdin", _stdin_bytes())]))
    streams.append(sources.files(paths))
    streams += [sources.maildir(d) for d in maildir or []]
    streams += [sources.mbox(m) for m in mbox or []]
    raise typer.Exit(_report(ingest(db, chain(*streams), settings=settings), as_json=as_json, quiet=quiet))


def _stdin_bytes() -> bytes:
    stream = getattr(sys.stdin, "buffer", None)
    return stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")


@mail_app.command("fetch")
def fetch_cmd(
    account: str = typer.Option(
        None, "--account", metavar="NAME", help="Only this account ([mail.accounts.NAME]; 'default': [mail])."
    ),
    quiet: bool = QUIET,
    as_json: bool = JSON,
) -> None:
    """For cron: read new messages from the IMAP mailbox of [mail] (and [mail.accounts.*]) and take each in
    like 'crm mail ingest'. A message is never taken twice. Prints nothing when nothing is new; exit 75 when
    the server cannot be reached (cron tries again), 1 when a message could not be handled."""
    from tinycrm import config
    from tinycrm.services.mail import fetch

    settings = config.load()
    accounts = fetch.accounts_to_read(settings, account)
    db = state.db()
    outcomes = fetch.fetch(db, settings, accounts)
    new = (o for o in outcomes if as_json or o.status != "duplicate")
    raise typer.Exit(_report(new, as_json=as_json, quiet=quiet))


def register(app: typer.Typer) -> None:
    app.add_typer(mail_app, name="mail")
