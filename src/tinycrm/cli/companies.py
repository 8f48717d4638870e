"""``crm company add|list|show|edit|delete``."""

from __future__ import annotations

import typer

from tinycrm.cli import render, state
from tinycrm.cli.common import company_id, delete_confirmed, edit_record, option_changes, owner_of
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of, not_blank, read_text_arg, split_kv

company_app = typer.Typer(help="Companies and their people.", no_args_is_help=True)


def show_company(c, as_json: bool) -> None:  # noqa: ANN001
    from tinycrm.domain.dates import show

    def human() -> None:
        render.record(
            [
                ("id", str(c.id)),
                ("name", c.name),
                ("domain", c.domain),
                ("website", c.website),
                ("phone", c.phone),
                ("address", c.address),
                ("tags", ", ".join(c.tags)),
                *[(k, val) for k, val in c.fields.items()],
                ("people", ", ".join(f"{p.name} ({p.id})" for p in c.people)),
                ("owner", c.owner),
                ("notes", c.notes),
                ("updated", f"{show(c.updated_at)} (version {c.version})"),
            ]
        )

    render.emit(c, as_json, human)


@company_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="Company name."),
    domain: str = typer.Option(None, "--domain", help="Email domain, e.g. acme.com (one company each)."),
    website: str = typer.Option(None, "--website"),
    phone: str = typer.Option(None, "--phone"),
    address: str = typer.Option(None, "--address"),
    note: str = typer.Option(None, "--note", help="Notes; '-' reads standard input."),
    tag: list[str] = typer.Option([], "--tag", help="Tag, repeatable."),
    field: list[str] = typer.Option([], "--field", "-f", help="Custom field KEY=VALUE, repeatable."),
    as_json: bool = JSON,
) -> None:
    """Add a company and print its id."""
    from tinycrm.domain.people import CompanyInput
    from tinycrm.services.people import companies

    c = companies.create(
        state.db(),
        CompanyInput(
            name=name,
            domain=domain,
            website=website,
            phone=phone,
            address=address,
            notes=read_text_arg(note, "--note"),
            tags=tag,
            fields=split_kv(field),
        ),
    )
    render.emit(c, as_json, lambda: render.out(str(c.id)))


@company_app.command("list")
def list_cmd(
    tag: str = typer.Option(None, "--tag", callback=not_blank, help="Only companies with this tag."),
    owner: str = typer.Option(
        None, "--owner", metavar="NAME", callback=not_blank, help="Only those this user owns."
    ),
    mine: bool = typer.Option(False, "--mine", help="Only mine (the current user's)."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """List companies with how many people work there."""
    from tinycrm.services.people import companies

    page = companies.list_companies(
        state.db(),
        limit=limit_of(limit, show_all),
        offset=offset,
        tag=tag,
        owner=owner_of(owner, mine),
        stream=show_all,
    )

    def human() -> None:
        render.table(
            ((c.id, c.name, c.domain or "", c.contacts, ", ".join(c.tags)) for c in page.items),
            ["id", "name", "domain", "people", "tags"],
            styles=["dim", "bold", "cyan", None, "magenta"],
        )

    render.emit_page(page, "companies", as_json, human)


@company_app.command("show")
def show_cmd(
    company: str = typer.Argument(..., help="Id, domain, name or part of one."), as_json: bool = JSON
) -> None:
    """Show a company and its people."""
    from tinycrm.services.people import companies

    show_company(companies.get(state.db(), company_id(company)), as_json)


@company_app.command("edit")
def edit_cmd(
    company: str = typer.Argument(..., help="Id, domain, name or part of one."),
    name: str = typer.Option(None, "--name"),
    domain: str = typer.Option(None, "--domain", help="Email domain (one company each); '' for none."),
    website: str = typer.Option(None, "--website"),
    phone: str = typer.Option(None, "--phone"),
    address: str = typer.Option(None, "--address"),
    note: str = typer.Option(None, "--note", help="Replace the notes; '-' reads standard input."),
    tag: list[str] = typer.Option([], "--tag", help="Replace the tags (repeatable)."),
    field: list[str] = typer.Option([], "--field", help="Set custom field KEY=VALUE."),
    unset_field: list[str] = typer.Option([], "--unset-field", help="Remove a custom field."),
    owner: str = typer.Option(None, "--owner", metavar="NAME", help="Give the company to this user."),
    expect_version: int = typer.Option(
        None, "--expect-version", metavar="N", help="Fail if the company changed since you read version N."
    ),
    as_json: bool = JSON,
) -> None:
    """Change a company."""
    from tinycrm.services.people import companies

    changes = option_changes(
        (("name", name), ("domain", domain), ("website", website), ("phone", phone), ("address", address)),
        note=note,
        fields=field,
        unset_fields=unset_field,
        owner=owner,
    )
    if tag:
        changes["tags"] = tag
    if not changes:  # the form in $EDITOR
        c = edit_record(
            "company",
            company_id(company),
            companies.get,
            companies.update,
            expect_version,
            nothing_given="nothing to change: give --name, --domain, --note, --tag, --field...",
        )
        if c is None:
            render.note("no changes")
            return
    else:
        c = companies.update(state.db(), company_id(company), changes, expected_version=expect_version)
    show_company(c, as_json)


@company_app.command("delete")
def delete_cmd(
    company: str = typer.Argument(..., help="Id, domain, name or part of one."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Delete a company; its people stay, without a company."""
    from tinycrm.services.people import companies

    cid = company_id(company)
    c = companies.get(state.db(), cid)
    delete_confirmed(
        f"Delete company {c.name} (id {c.id})?",
        yes,
        lambda: companies.delete(state.db(), cid),
        as_json,
        lambda gone: f"deleted company {gone.name} (id {gone.id})",
    )


def register(app: typer.Typer) -> None:
    app.add_typer(company_app, name="company")
