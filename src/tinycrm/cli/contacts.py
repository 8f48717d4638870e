"""Contacts on the command line: add-contact, contact ..., log, timeline, search, tags."""

from __future__ import annotations

import typer

from tinycrm.cli import lookup, render, state
from tinycrm.cli.common import contact_id, delete_confirmed, edit_record, option_changes
from tinycrm.cli.lookup import summary_table  # noqa: F401 - crm demo shows contacts the same way
from tinycrm.cli.options import (
    ALL,
    JSON,
    LIMIT,
    OFFSET,
    address,
    labeled,
    limit_of,
    not_blank,
    read_text_arg,
    split_kv,
)

contact_app = typer.Typer(help="Browse and change contacts.", no_args_is_help=True)


# --- shared ---------------------------------------------------------------------------------------------


def show_contact(c, as_json: bool) -> None:  # noqa: ANN001
    from tinycrm.domain.dates import show

    def human() -> None:
        render.record(
            [
                ("id", str(c.id)),
                ("name", c.display_name),
                ("given", c.given_name),
                ("family", c.family_name),
                ("title", c.job_title),
                (
                    "company",
                    c.company.name + (f" ({c.company_role})" if c.company_role else "")
                    if c.company
                    else None,
                ),
                ("role", None if c.company else c.company_role),
                *[(f"email ({e.label})" if e.label else "email", e.value) for e in c.emails],
                *[(f"phone ({p.label})" if p.label else "phone", p.value) for p in c.phones],
                *[(f"address ({a.label})" if a.label else "address", a.one_line()) for a in c.addresses],
                ("birthday", c.birthday),
                ("tags", ", ".join(c.tags)),
                *[(f"{k}", val) for k, val in c.fields.items()],
                ("stay in touch", f"every {c.cadence_days} days" if c.cadence_days else None),
                ("last contact", show(c.last_interaction_at)),
                ("archived", "yes" if c.archived else None),
                ("owner", c.owner),
                ("notes", c.notes),
                ("uid", c.uid),
                ("updated", f"{show(c.updated_at)} (version {c.version})"),
            ],
        )

    render.emit(c, as_json, human)


OWNER = typer.Option(None, "--owner", metavar="NAME", callback=not_blank, help="Only those this user owns.")
MINE = typer.Option(False, "--mine", help="Only mine (the current user's: config user, TINYCRM_USER, login).")


# --- add ------------------------------------------------------------------------------------------------


def add_contact(
    name: str = typer.Argument(
        ...,
        help="The contact's name as people read it ('Ada Lovelace'); '-' with --json reads contacts from "
        "standard input.",
    ),
    email: list[str] = typer.Option(
        [], "--email", "-e", help="[LABEL:]ADDRESS, repeatable (work:ada@x.com)."
    ),
    phone: list[str] = typer.Option(
        [], "--phone", "-p", help="[LABEL:]NUMBER, repeatable (mobile:+44 20...)."
    ),
    company: str = typer.Option(
        None, "--company", "-c", help="Company: id, domain or name (part of one will do); a new name adds it."
    ),
    role: str = typer.Option(None, "--role", help="Role, at the company if any ('decision maker')."),
    title: str = typer.Option(None, "--title", "-t", help="Job title."),
    tag: list[str] = typer.Option([], "--tag", help="Tag, repeatable."),
    note: str = typer.Option(None, "--note", help="Notes; '-' reads them from standard input."),
    birthday: str = typer.Option(None, "--birthday", help="YYYY-MM-DD, or MM-DD without a year."),
    field: list[str] = typer.Option([], "--field", "-f", help="Custom field KEY=VALUE, repeatable."),
    address_: list[str] = typer.Option(
        [], "--address", help="[LABEL:]street; city; region; postcode; country."
    ),
    given: str = typer.Option(None, "--given", help="Given name (default: from NAME)."),
    family: str = typer.Option(None, "--family", help="Family name (default: from NAME)."),
    cadence: int = typer.Option(None, "--cadence", help="Stay in touch every N days."),
    uid: str = typer.Option(None, "--uid", help="A stable UID (default: a new UUID)."),
    owner: str = typer.Option(None, "--owner", metavar="NAME", help="Owner (default: you)."),
    as_json: bool = JSON,
) -> None:
    """Add a contact and print its id (with --json, the whole record). `crm add-contact --json -` reads one
    contact (a JSON object shaped like `crm contact show --json`) or an array of them from standard input."""
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts

    if name == "-":
        options = (email, phone, company, role, title, tag, note, birthday, field, address_, given, family)
        _add_from_stdin(as_json, any(options) or any(o is not None for o in (cadence, uid, owner)))
        return
    data = ContactInput(
        display_name=name,
        given_name=given,
        family_name=family,
        emails=labeled(email),
        phones=labeled(phone),
        addresses=address(address_),
        job_title=title,
        company=company,
        company_role=role,
        birthday=birthday,
        notes=read_text_arg(note, "--note"),
        tags=tag,
        fields=split_kv(field),
        cadence_days=cadence,
        uid=uid,
        owner=owner,
    )
    added: list = []
    c = contacts.create(state.db(), data, on_new_company=added.append)
    _say_added(added)
    render.emit(c, as_json, lambda: render.out(str(c.id)))


def _add_from_stdin(as_json: bool, with_options: bool) -> None:
    from tinycrm.cli.contact_json import read_contacts
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.people import contacts

    if not as_json:
        raise InvalidInput("reading contacts from standard input needs --json: crm add-contact --json -")
    if with_options:
        raise InvalidInput(
            "with '-' every value comes from the JSON on standard input; leave out the options"
        )
    added: list = []
    made = contacts.create_many(state.db(), read_contacts(), on_new_company=added.append)
    _say_added(added)
    render.print_json(made)


def _say_added(companies: list) -> None:
    """Say which companies a ``--company NAME`` added (once the change is stored)."""
    for ref in companies:
        render.note(f"added company {ref.name} (id {ref.id})")


# --- contact ... ----------------------------------------------------------------------------------------


@contact_app.command("list")
def list_cmd(
    tag: str = typer.Option(None, "--tag", callback=not_blank, help="Only contacts with this tag."),
    company: str = typer.Option(
        None, "--company", callback=not_blank, help="Only people at this company (id, domain or name)."
    ),
    archived: bool = typer.Option(False, "--archived", help="Only archived contacts."),
    everyone: bool = typer.Option(False, "--include-archived", help="Archived contacts too."),
    sort: str = typer.Option("name", "--sort", help="name, created, updated or company."),
    owner: str = OWNER,
    mine: bool = MINE,
    segment: str = typer.Option(None, "--segment", callback=not_blank, help="Only the members of a segment."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """List contacts, by name, a page at a time."""
    lookup.list_contacts(
        state.db,
        segment=segment,
        tag=tag,
        company=company,
        archived=archived,
        everyone=everyone,
        sort=sort,
        owner=owner,
        mine=mine,
        limit=limit,
        offset=offset,
        show_all=show_all,
        as_json=as_json,
    )


@contact_app.command("show")
def show_cmd(contact: str = typer.Argument(..., help="Id, email or name."), as_json: bool = JSON) -> None:
    """Show everything about a contact."""
    from tinycrm.services.people import contacts
    from tinycrm.services.sync.conflicts import for_contact

    c = contacts.get(state.db(), contact_id(contact))
    show_contact(c, as_json)
    for conflict in [] if as_json else for_contact(state.db(), c.id):
        render.note(
            f"sync conflict: {conflict.file_name} in {conflict.folder} changed too; "
            f"crm sync resolve {c.id} --use crm|file"
        )


@contact_app.command("edit")
def edit_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    name: str = typer.Option(None, "--name", help="Display name."),
    given: str = typer.Option(None, "--given"),
    family: str = typer.Option(None, "--family"),
    email: list[str] = typer.Option([], "--email", help="Replace all emails ([LABEL:]ADDRESS, repeatable)."),
    add_email: list[str] = typer.Option([], "--add-email", help="Add an email."),
    remove_email: list[str] = typer.Option([], "--remove-email", help="Remove an email."),
    phone: list[str] = typer.Option([], "--phone", help="Replace all phones."),
    add_phone: list[str] = typer.Option([], "--add-phone", help="Add a phone."),
    remove_phone: list[str] = typer.Option([], "--remove-phone", help="Remove a phone."),
    address_: list[str] = typer.Option([], "--address", help="Replace all addresses."),
    company: str = typer.Option(
        None, "--company", help="Company: id, domain or name; a new name adds it; '' for none."
    ),
    role: str = typer.Option(None, "--role", help="Role, at the company if any; '' for none."),
    title: str = typer.Option(None, "--title"),
    note: str = typer.Option(None, "--note", help="Replace the notes; '-' reads standard input."),
    birthday: str = typer.Option(None, "--birthday"),
    field: list[str] = typer.Option([], "--field", help="Set custom field KEY=VALUE."),
    unset_field: list[str] = typer.Option([], "--unset-field", help="Remove a custom field."),
    cadence: int = typer.Option(None, "--cadence", help="Stay in touch every N days; 0 to stop."),
    owner: str = typer.Option(None, "--owner", metavar="NAME", help="Give the contact to this user."),
    expect_version: int = typer.Option(None, "--expect-version", help="Fail if the contact changed since."),
    as_json: bool = JSON,
) -> None:
    """Change a contact. With no field options, open $EDITOR on a readable form."""
    from tinycrm.services.people import contacts

    db = state.db()
    cid = contact_id(contact)
    changes = option_changes(
        (
            ("display_name", name),
            ("given_name", given),
            ("family_name", family),
            ("company", company),
            ("company_role", role),
            ("job_title", title),
            ("birthday", birthday),
            ("cadence_days", cadence),
        ),
        note=note,
        fields=field,
        unset_fields=unset_field,
        owner=owner,
    )
    for key, items, convert in (
        ("emails", email, labeled),
        ("add_emails", add_email, labeled),
        ("remove_emails", remove_email, list),
        ("phones", phone, labeled),
        ("add_phones", add_phone, labeled),
        ("remove_phones", remove_phone, list),
        ("addresses", address_, address),
    ):
        if items:
            changes[key] = convert(items)
    if not changes:
        c = edit_record(
            "contact",
            cid,
            contacts.get,
            contacts.update,
            expect_version,
            nothing_given="nothing to change: give options such as --email or --title",
        )
        if c is None:
            render.note("no changes")
            return
    else:
        added: list = []
        c = contacts.update(db, cid, changes, expected_version=expect_version, on_new_company=added.append)
        _say_added(added)
    show_contact(c, as_json)


@contact_app.command("archive")
def archive_cmd(
    contacts_: list[str] = typer.Argument(..., metavar="CONTACT..."), as_json: bool = JSON
) -> None:
    """Archive contacts: hidden from lists and search, kept with their history."""
    _archive(contacts_, True, as_json)


@contact_app.command("unarchive")
def unarchive_cmd(
    contacts_: list[str] = typer.Argument(..., metavar="CONTACT..."), as_json: bool = JSON
) -> None:
    """Bring archived contacts back."""
    _archive(contacts_, False, as_json)


def _archive(refs: list[str], flag: bool, as_json: bool) -> None:
    from tinycrm.services.people import contacts

    ids = [contact_id(r) for r in refs]
    done = [contacts.archive(state.db(), i, archived=flag) for i in ids]

    def human() -> None:
        for c in done:
            render.out(f"{c.id}\t{c.display_name}\t{'archived' if c.archived else 'active'}")

    render.emit(done, as_json, human)


@contact_app.command("delete")
def delete_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = JSON,
) -> None:
    """Delete a contact for good (archive keeps the history instead)."""
    from tinycrm.services.people import contacts

    cid = contact_id(contact)
    c = contacts.get(state.db(), cid)
    delete_confirmed(
        f"Delete {c.display_name} (id {c.id}) and their history?",
        yes,
        lambda: contacts.delete(state.db(), cid),
        as_json,
        lambda gone: f"deleted {gone.display_name} (id {gone.id})",
    )


@contact_app.command("tag")
def tag_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    tags: list[str] = typer.Argument(..., metavar="TAG..."),
    as_json: bool = JSON,
) -> None:
    """Add tags to a contact."""
    from tinycrm.services.people import contacts

    _retag(contacts.tag, contact, tags, as_json)


@contact_app.command("untag")
def untag_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    tags: list[str] = typer.Argument(..., metavar="TAG..."),
    as_json: bool = JSON,
) -> None:
    """Remove tags from a contact."""
    from tinycrm.services.people import contacts

    _retag(contacts.untag, contact, tags, as_json)


def _retag(change, contact: str, tags: list[str], as_json: bool) -> None:  # noqa: ANN001 - contacts.tag or untag
    c = change(state.db(), [contact_id(contact)], tags)[0]
    render.emit(c, as_json, lambda: render.out(f"{c.id}\t{c.display_name}\t{', '.join(c.tags)}"))


# --- search, log, timeline, tags ------------------------------------------------------------------------


def search_cmd(
    query: list[str] = typer.Argument(
        ..., metavar="QUERY...", help='Words (prefixes), "phrases", field:value.'
    ),
    tag: str = typer.Option(None, "--tag", callback=not_blank, help="Only contacts with this tag."),
    company: str = typer.Option(
        None, "--company", callback=not_blank, help="Only people at this company (id, domain or name)."
    ),
    archived: bool = typer.Option(False, "--include-archived", help="Archived contacts too."),
    owner: str = OWNER,
    mine: bool = MINE,
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
    fmt: str = typer.Option(
        None,
        "--format",
        metavar="mutt|aerc",
        help="One line per email address, for a mail client's address book (mutt's query_command, "
        "aerc's address-book-cmd); exit 1 when nothing matches.",
    ),
) -> None:
    """Search contacts by name, email, phone, company, notes and tags.

    Fields: name: email: phone: company: notes: tag:  e.g.  crm search tag:vip company:acme
    """
    code = lookup.search(
        state.db,
        query,
        tag=tag,
        company=company,
        archived=archived,
        owner=owner,
        mine=mine,
        limit=limit,
        offset=offset,
        show_all=show_all,
        as_json=as_json,
        fmt=fmt,
    )
    if code:
        raise typer.Exit(code)


def log_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    kind: str = typer.Option("note", "--kind", "-k", help="call, email, meeting, message, note or other."),
    summary: str = typer.Option(..., "--summary", "-s", help="One line: what happened."),
    when: str = typer.Option(
        None,
        "--when",
        "-w",
        help="When it happened: 'yesterday 15:00', ISO... Default: now. Not in the future: plan with follow-up.",
    ),
    body: str = typer.Option(None, "--body", "-b", help="Details; '-' reads them from standard input."),
    with_: list[str] = typer.Option([], "--with", help="Another contact who was there, repeatable."),
    deal: str = typer.Option(None, "--deal", help="Link it to a deal (id or part of the title)."),
    as_json: bool = JSON,
) -> None:
    """Log an interaction (call, email, meeting...) with a contact and print its id."""
    from tinycrm.services.people import interactions

    ids = [contact_id(contact), *[contact_id(r) for r in with_]]
    deal_id = None
    if deal:
        from tinycrm.services.sales import deals

        deal_id = deals.resolve(state.db(), deal)
    text = read_text_arg(body, "--body")
    from tinycrm.cli.interactions import follow_up_hint

    with follow_up_hint(contact, when):
        i = interactions.log(
            state.db(), contact_ids=ids, kind_=kind, summary=summary, when=when, body=text, deal_id=deal_id
        )
    render.emit(i, as_json, lambda: render.out(str(i.id)))


def timeline_cmd(
    contact: str = typer.Argument(..., help="Id, email or name."),
    kind: str = typer.Option(None, "--kind", help="Only this kind."),
    limit: int = LIMIT,
    offset: int = OFFSET,
    show_all: bool = ALL,
    as_json: bool = JSON,
) -> None:
    """A contact's interactions, newest first."""
    from tinycrm.domain.dates import show
    from tinycrm.services.people import interactions

    page = interactions.timeline(
        state.db(),
        contact_id(contact),
        limit=limit_of(limit, show_all),
        offset=offset,
        kind_=kind,
        stream=show_all,  # --all: written as it is read
    )

    def human() -> None:
        render.table(
            (
                (i.id, show(i.happened_at), i.kind, i.summary, ", ".join(p.name for p in i.contacts))
                for i in page.items
            ),
            ["id", "when", "kind", "summary", "with"],
            styles=["dim", "cyan", "magenta", "bold", None],
        )

    render.emit_page(page, "interactions", as_json, human)


def tags_cmd(as_json: bool = JSON) -> None:
    """All tags, with how many contacts and companies carry each."""
    from tinycrm.services.people import contacts

    tags = contacts.list_tags(state.db())
    render.emit(
        tags,
        as_json,
        lambda: render.table(
            ((t.name, t.contacts, t.companies) for t in tags), ["tag", "contacts", "companies"]
        ),
    )


def register(app: typer.Typer) -> None:
    app.command("add-contact")(add_contact)
    if not any(c.name == "add" for c in contact_app.registered_commands):  # once: register() runs per command
        contact_app.command("add")(add_contact)
        contact_app.command("search")(search_cmd)
    app.add_typer(contact_app, name="contact")
    app.command("search")(search_cmd)
    app.command("log")(log_cmd)
    app.command("timeline")(timeline_cmd)
    app.command("tags")(tags_cmd)
