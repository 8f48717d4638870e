"""Leads on the command line: ``crm lead add|list|show|edit|status|log|convert|rescore|delete``."""

from __future__ import annotations

from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import ALL, JSON, LIMIT, OFFSET, limit_of, not_blank

lead_app = typer.Typer(
    help="Leads: people who might buy. Add, list by score, qualify, convert into a contact and a deal.",
    no_args_is_help=True,
)


def resolve(ref: str) -> int:
    from tinycrm.services.leads import records

    return records.resolve(state.db(), ref)


def _value(lead: Any) -> str:
    return f"{lead.value} {lead.currency}" if lead.value is not None else ""


def show_leads(page: Any, as_json: bool) -> None:
    def human() -> None:
        render.table(
            (
                (
                    lead.id,
                    lead.name,
                    lead.email or "",
                    lead.company or "",
                    lead.score,
                    lead.status,
                    lead.source,
                    _value(lead),
                    lead.owner or "",
                    "dup" if lead.duplicate_of else "",
                )
                for lead in page.items
            ),
            ["id", "name", "email", "company", "score", "status", "source", "value", "owner", ""],
            styles=["dim", "bold", None, None, "cyan", "magenta", "dim", None, "dim", "red"],
        )

    render.emit_page(page, "leads", as_json, human)


def show_lead(lead: Any, as_json: bool) -> None:
    from tinycrm.domain.dates import show

    if as_json:
        render.print_json(lead)
        return
    converted = None
    if lead.status == "converted":
        parts = [f"contact {lead.converted_contact_id}"]
        parts += [f"company {lead.converted_company_id}"] if lead.converted_company_id else []
        parts += [f"deal {lead.converted_deal_id}"] if lead.converted_deal_id else []
        converted = ", ".join(parts) + (f" ({show(lead.converted_at)})" if lead.converted_at else "")
    render.record(
        [
            ("id", str(lead.id)),
            ("name", lead.name),
            ("email", lead.email),
            ("phone", lead.phone),
            ("company", lead.company),
            ("title", lead.title),
            ("status", lead.status + (f" ({lead.reason})" if lead.reason else "")),
            ("source", lead.source + (f" ({lead.source_detail})" if lead.source_detail else "")),
            ("value", _value(lead)),
            ("score", str(lead.score)),
            *[
                (f"  {s.rule}", f"{s.points:+d}" + (f" ({s.times}x)" if s.times > 1 else ""))
                for s in lead.score_lines
            ],
            ("tags", ", ".join(lead.tags)),
            *[(f"field {k}", val) for k, val in lead.fields.items()],
            ("contact", str(lead.contact_id) if lead.contact_id else None),
            ("duplicate of?", ", ".join(lead.duplicate_of)),
            ("converted to", converted),
            ("owner", lead.owner),
            ("notes", lead.notes),
            ("created", show(lead.created_at)),
            ("updated", f"{show(lead.updated_at)} (version {lead.version})"),
        ]
    )


def _warn_duplicates(items: list[Any]) -> None:
    for lead in items:
        if lead.duplicate_of:
            render.note(f"crm: lead {lead.id} has the email address of {', '.join(lead.duplicate_of)}")


def _read_json_leads() -> list[Any]:
    from tinycrm.cli.options import read_json_items
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.domain.leads import LeadInput

    items = read_json_items()
    known = set(LeadInput.__dataclass_fields__)
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise InvalidInput(
                f'lead {n}: give an object such as {{"name": "Ann", "email": "ann@example.com"}}'
            )
        unknown = sorted(set(item) - known)
        if unknown:
            raise InvalidInput(f"lead {n}: unknown field {unknown[0]!r}; known: {', '.join(sorted(known))}")
        if (
            "value" in item
            and isinstance(item["value"], (int, float))
            and not isinstance(item["value"], bool)
        ):
            item["value"] = str(item["value"])
        out.append(LeadInput(**item))
    return out


@lead_app.command("add")
def add_cmd(
    name: str = typer.Argument(
        None, help="The person's name; '-' with --json reads leads from standard input."
    ),
    email: str = typer.Option(None, "--email", "-e"),
    phone: str = typer.Option(None, "--phone"),
    company: str = typer.Option(None, "--company", help="The company's name (text; converting adds it)."),
    title: str = typer.Option(None, "--title", help="Job title."),
    source: str = typer.Option(
        None, "--source", help="web, referral, event, import, mail, other, or any word."
    ),
    source_detail: str = typer.Option(None, "--source-detail", help="Which event, who referred them..."),
    value: str = typer.Option(None, "--value", "-v", help="Estimated value, exact (5000, 1234.50)."),
    currency: str = typer.Option(None, "--currency", "-c", help="ISO 4217 code; default: [sales] currency."),
    owner: str = typer.Option(None, "--owner", help="A user name; default: [leads] assign, else you."),
    tag: list[str] = typer.Option([], "--tag", "-t", help="A tag (repeatable)."),
    note: str = typer.Option(None, "--note", help="Notes."),
    contact: str = typer.Option(
        None, "--contact", callback=not_blank, help="An existing contact it is about."
    ),
    as_json: bool = JSON,
) -> None:
    """Add a lead and print its id; `crm lead add --json -` reads one lead or an array of them (JSON objects
    with the fields of --json output: name, email, phone, company, title, source, value, currency...)."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.domain.leads import LeadInput
    from tinycrm.services.leads import records

    if name == "-":
        if not as_json:
            raise InvalidInput("reading leads from standard input needs --json: crm lead add --json -")
        items = records.create_many(state.db(), _read_json_leads())
        _warn_duplicates(items)
        render.print_json(items)
        return
    if name is None and email is None:
        raise InvalidInput("give the lead's NAME (or --email), or '-' with --json to read JSON")
    from tinycrm.cli.common import contact_id

    data = LeadInput(
        name=name,
        email=email,
        phone=phone,
        company=company,
        title=title,
        source=source,
        source_detail=source_detail,
        value=value,
        currency=currency,
        owner=owner,
        tags=tag,
        notes=note,
        contact_id=contact_id(contact) if contact else None,
    )
    lead = records.create(state.db(), data)
    _warn_duplicates([lead])
    render.emit(lead, as_json, lambda: render.out(str(lead.id)))


@lead_app.command("list")
def list_cmd(
    status: str = typer.Option(
        "open", "--status", help="open (new, contacted, qualified), a status, or all."
    ),
    source: str = typer.Option(None, "--source", callback=not_blank, help="Only leads from this source."),
    owner: str = typer.Option(None, "--owner", callback=not_blank, help="Only leads of this user."),
    mine: bool = typer.Option(False, "--mine", help="Only my leads."),
    sort: str = typer.Option("score", "--sort", help="score (highest first) or created (newest first)."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """The leads inbox: open leads, highest score first."""
    from tinycrm.cli.common import owner_of
    from tinycrm.services.leads import records

    page = records.list_leads(
        state.db(),
        status=status,
        source=source,
        owner=owner_of(owner, mine),
        sort=sort,
        limit=limit_of(limit, show_all),
        offset=offset,
    )
    show_leads(page, as_json)


@lead_app.command("show")
def show_cmd(
    lead: str = typer.Argument(..., help="Id, email or (part of) the name."), as_json: bool = JSON
) -> None:
    """Show a lead, with the rules that make its score."""
    from tinycrm.services.leads import records

    show_lead(records.get(state.db(), resolve(lead), explain=True), as_json)


@lead_app.command("edit")
def edit_cmd(
    lead: str = typer.Argument(..., help="Id, email or (part of) the name."),
    name: str = typer.Option(None, "--name"),
    email: str = typer.Option(None, "--email", "-e", help="'' for none."),
    phone: str = typer.Option(None, "--phone", help="'' for none."),
    company: str = typer.Option(None, "--company", help="'' for none."),
    title: str = typer.Option(None, "--title", help="'' for none."),
    source: str = typer.Option(None, "--source"),
    source_detail: str = typer.Option(None, "--source-detail"),
    value: str = typer.Option(None, "--value", "-v", help="'' for none."),
    currency: str = typer.Option(None, "--currency", "-c"),
    owner: str = typer.Option(None, "--owner", help="A user name; '' for none."),
    tag: list[str] = typer.Option(None, "--tag", "-t", help="Replace the tags (repeatable)."),
    note: str = typer.Option(None, "--note", help="Replace the notes; '-' reads standard input."),
    expect_version: int = typer.Option(None, "--expect-version", help="Refuse if it changed since."),
    as_json: bool = JSON,
) -> None:
    """Change a lead's fields; its score is recomputed."""
    from tinycrm.cli.common import option_changes
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.leads import records

    options = [
        ("name", name), ("email", email), ("phone", phone), ("company", company), ("title", title),
        ("source", source), ("source_detail", source_detail), ("value", value), ("currency", currency),
    ]  # fmt: skip
    changes = option_changes(options, note=note, owner=owner)
    if tag:
        changes["tags"] = list(tag)
    if not changes:
        raise InvalidInput("give at least one change, e.g. --title CTO or --value 5000")
    show_lead(records.update(state.db(), resolve(lead), changes, expected_version=expect_version), as_json)


@lead_app.command("status")
def status_cmd(
    lead: str = typer.Argument(..., help="Id, email or (part of) the name."),
    status: str = typer.Argument(..., help="new, contacted, qualified or disqualified."),
    reason: str = typer.Option(None, "--reason", help="Why it is disqualified."),
    as_json: bool = JSON,
) -> None:
    """Move a lead along: new -> contacted -> qualified, or disqualified with a reason."""
    from tinycrm.services.leads import records

    done = records.set_status(state.db(), resolve(lead), status, reason=reason)
    render.emit(done, as_json, lambda: render.note(f"lead {done.id} is {done.status}"))


@lead_app.command("log")
def log_cmd(
    lead: str = typer.Argument(..., help="Id, email or (part of) the name."),
    kind: str = typer.Argument(..., help="call, email, meeting, message, note or other."),
    summary: str = typer.Argument(..., help="What happened, in one line."),
    when: str = typer.Option(None, "--when", help="When it happened (default: now)."),
    as_json: bool = JSON,
) -> None:
    """Log an interaction with a lead (it moves to the contact when the lead is converted)."""
    from tinycrm.services.leads import records

    lid = resolve(lead)
    iid = records.log(state.db(), lid, kind=kind, summary=summary, when=when)
    render.emit({"id": iid, "lead_id": lid}, as_json, lambda: render.out(str(iid)))


@lead_app.command("convert")
def convert_cmd(
    lead: str = typer.Argument(..., help="Id, email or (part of) the name."),
    deal: str = typer.Option(None, "--deal", help="The deal's title (default: company: name)."),
    pipeline: str = typer.Option(None, "--pipeline", "-p", callback=not_blank, help="The deal's pipeline."),
    stage: str = typer.Option(None, "--stage", "-s", callback=not_blank, help="The deal's stage."),
    no_deal: bool = typer.Option(False, "--no-deal", help="Make the contact (and company) only."),
    as_json: bool = JSON,
) -> None:
    """Turn a lead into a contact (an existing one with the same email is reused), its company and a deal
    with the lead's value; its notes, tags and interactions move to the contact. One transaction."""
    from tinycrm.services.leads import convert

    done = convert.convert(
        state.db(), resolve(lead), deal_title=deal, pipeline=pipeline, stage=stage, no_deal=no_deal
    )
    if done.contact_reused:
        render.note(f"crm: using the existing contact {done.contact_id} (same email address or linked)")
    if as_json:
        render.print_json(done)
        return
    render.note(
        f"lead {done.lead_id} converted: contact {done.contact_id}"
        + (f", company {done.company_id}" if done.company_id else "")
        + (f", deal {done.deal_id}" if done.deal_id else "")
        + f"; moved {done.moved_interactions} interactions, {done.moved_tags} tags"
        + (", the notes" if done.moved_notes else "")
    )
    render.out(str(done.deal_id or done.contact_id))


@lead_app.command("rescore")
def rescore_cmd(
    lead: list[str] = typer.Argument(None, help="Leads to rescore (default: every open lead)."),
    as_json: bool = JSON,
) -> None:
    """Recompute scores (after changing [leads.score], or for the weekly decay)."""
    from tinycrm.services.leads import records

    ids = [resolve(ref) for ref in lead] if lead else None
    changed = records.rescore(state.db(), ids)
    render.emit({"changed": changed}, as_json, lambda: render.note(f"{changed} scores changed"))


@lead_app.command("delete")
def delete_cmd(
    lead: str = typer.Argument(..., help="Id, email or (part of) the name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete without asking."),
    as_json: bool = JSON,
) -> None:
    """Delete a lead for good (its interactions stay)."""
    from tinycrm.cli.common import delete_confirmed
    from tinycrm.services.leads import records

    lid = resolve(lead)
    delete_confirmed(
        f"Delete lead {lid}?",
        yes,
        lambda: records.delete(state.db(), lid),
        as_json,
        lambda g: f"deleted lead {g.id}",
    )


def show_lead_duplicates(limit: int | None, offset: int, as_json: bool) -> None:
    """``crm duplicates --leads``: open leads whose address a contact or another open lead has."""
    from tinycrm.services.leads import duplicates

    page = render.page_of(duplicates.find(state.db()), limit, offset)

    def human() -> None:
        render.table(
            (
                (d.lead_id, d.lead_name, d.email, f"{d.other_kind} {d.other_id}", d.other_name)
                for d in page.items
            ),
            ["lead", "name", "email", "same as", ""],
            styles=["dim", "bold", None, "magenta", "bold"],
        )

    render.emit_page(page, "leads that may be known already", as_json, human)


def import_leads(kind: str, file: Any, read: dict[str, Any], *, dry_run: bool, as_json: bool) -> None:
    """``crm import csv --as leads``."""
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.leads import importing

    if kind != "leads":
        raise InvalidInput(f"--as must be contacts or leads (got {kind!r})")
    if dry_run:
        raise InvalidInput(
            "--dry-run is for contacts; leads are added in one transaction, all or the good rows"
        )
    report = importing.import_csv(state.db(), file, read=read)
    if as_json:
        render.print_json(report)
        return
    for where, why in report.skipped[:20]:
        render.note(f"crm: {where}: skipped: {why}")
    for lid in report.duplicates:
        render.note(f"crm: lead {lid} has the email address of a contact or another open lead")
    render.note(f"{len(report.added)} leads added, {len(report.skipped)} rows skipped")


def register(app: typer.Typer) -> None:
    app.add_typer(lead_app, name="lead")
