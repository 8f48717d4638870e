"""``crm form add|edit|list|show|remove|send``: web forms that post leads into tinycrm (docs/web.md, "Forms")."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import JSON

form_app = typer.Typer(help="Web forms: a public address for a website's contact form; posts become leads.")

BASE_URL = typer.Option(
    "http://127.0.0.1:8484",
    "--base-url",
    envvar="TINYCRM_BASE_URL",
    help="Where crm serve is reached from the web (https://crm.example.com behind a proxy).",
)


def _show(form, base_url: str, as_json: bool) -> None:  # noqa: ANN001
    from tinycrm.services.forms import snippet

    if as_json:
        render.print_json(
            {**form.as_json(), "url": base_url.rstrip("/") + form.path(), "html": snippet(form, base_url)}
        )
        return
    render.out(base_url.rstrip("/") + form.path())
    render.note(f"form {form.name}: fields {', '.join(form.fields)}; paste this into your page:")
    render.note(snippet(form, base_url))


@form_app.command("add")
def add(
    name: str = typer.Argument(..., help="A name for the form (shown in each lead's source)."),
    fields: str = typer.Option(
        "name,email,message",
        "--fields",
        help="Comma-separated: name, email, phone, company, title, message...",
    ),
    redirect: str | None = typer.Option(None, "--redirect", help="Where the browser goes after sending."),
    tag: list[str] = typer.Option(
        [], "--tag", "-t", help="A tag every lead from the form gets (repeatable)."
    ),
    double_opt_in: bool = typer.Option(
        False,
        "--double-opt-in",
        help="A post becomes a lead once its address confirms it by a link mailed to it (records consent).",
    ),
    base_url: str = BASE_URL,
    as_json: bool = JSON,
) -> None:
    """Make a form: prints its public address (stdout) and an HTML snippet for your website (stderr)."""
    from tinycrm.services.forms import add_form

    form = add_form(
        state.db(), name, fields.split(","), redirect=redirect, tags=tag, double_opt_in=double_opt_in
    )
    _show(form, base_url, as_json)


@form_app.command("edit")
def edit(
    ref: str = typer.Argument(..., help="The form's name or key."),
    name: str | None = typer.Option(None, "--name", help="A new name for the form."),
    fields: str | None = typer.Option(
        None, "--fields", help="The fields it takes from now on, comma-separated (name, email, message...)."
    ),
    redirect: str | None = typer.Option(
        None, "--redirect", help="Where the browser goes after sending ('' for the thank-you page)."
    ),
    tag: list[str] = typer.Option(
        [],
        "--tag",
        "-t",
        help="The tags every lead from the form gets from now on (repeatable; replaces them).",
    ),
    no_tags: bool = typer.Option(False, "--no-tags", help="Leads from the form get no tag from now on."),
    double_opt_in: bool | None = typer.Option(
        None,
        "--double-opt-in/--no-double-opt-in",
        help="Whether a post waits for its address to confirm it (posts already waiting stay confirmable).",
    ),
    base_url: str = BASE_URL,
    as_json: bool = JSON,
) -> None:
    """Change a form; its address stays the same. Prints the address (stdout) and the HTML snippet (stderr):
    paste the snippet again when the fields changed."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.forms import edit_form

    if no_tags and tag:
        raise InvalidInput("--tag and --no-tags contradict each other: give one of them")
    form = edit_form(
        state.db(),
        ref,
        name=name,
        fields=None if fields is None else fields.split(","),
        redirect=redirect,
        tags=[] if no_tags else (tag or None),
        double_opt_in=double_opt_in,
    )
    _show(form, base_url, as_json)


@form_app.command("show")
def show(
    ref: str = typer.Argument(..., help="The form's name or key."),
    base_url: str = BASE_URL,
    as_json: bool = JSON,
) -> None:
    """A form's address and its HTML snippet."""
    from tinycrm.services.forms import get_form

    _show(get_form(state.db(), ref), base_url, as_json)


@form_app.command("list")
def list_cmd(base_url: str = BASE_URL, as_json: bool = JSON) -> None:
    """Every form, with its address."""
    from tinycrm.services.forms import list_forms

    forms = list_forms(state.db())
    if as_json:
        render.print_json([{**f.as_json(), "url": base_url.rstrip("/") + f.path()} for f in forms])
        return
    render.table(
        [
            [
                f.name,
                base_url.rstrip("/") + f.path(),
                ",".join(f.fields),
                ",".join(f.tags),
                f.redirect,
                "double opt-in" if f.double_opt_in else "",
            ]
            for f in forms
        ],
        ["name", "address", "fields", "tags", "redirect", "confirm"],
    )


@form_app.command("send")
def send_cmd(as_json: bool = JSON) -> None:
    """For cron: send the confirmation mails of double opt-in forms that are due (a running server sends them
    too); prints nothing unless a mail could not be sent. Exit 75 when the mail server cannot take them now."""
    from tinycrm.domain.errors import EXIT_TEMPFAIL
    from tinycrm.services.form_optin import send_due

    done = send_due(state.db())
    if as_json:
        render.print_json(
            {"sent": done.sent, "retrying": done.retrying, "failed": done.failed, "error": done.error}
        )
    elif done.error:
        render.note(f"sent {done.sent}, to retry {done.retrying}, failed {done.failed}: {done.error}")
    if done.retrying:
        raise typer.Exit(EXIT_TEMPFAIL)


@form_app.command("remove")
def remove(ref: str = typer.Argument(..., help="The form's name or key."), as_json: bool = JSON) -> None:
    """Remove a form: its address answers 404 from now on; the leads it brought stay."""
    from tinycrm.services.forms import remove_form

    gone = remove_form(state.db(), ref)
    render.emit(gone.as_json(), as_json, lambda: render.note(f"removed form {gone.name}"))


def register(app: typer.Typer) -> None:
    app.add_typer(form_app, name="form")
