"""``crm import vcard|csv|json``, ``crm export vcard|csv|json``, ``crm backup`` and ``crm restore``
(``crm duplicates`` and ``crm merge``: :mod:`tinycrm.cli.duplicates`)."""

from __future__ import annotations

import sys
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.marketing import CONSENT, SOURCE, import_consent
from tinycrm.cli.options import JSON, split_kv
from tinycrm.cli.transfer import export_app, import_app

FORCE = typer.Option(False, "--force", "-f", help="Replace the file if it exists.")
VERBOSE = typer.Option(False, "--verbose", "-v", help="Also list the warnings (values kept as they were...).")


# --- shared ---------------------------------------------------------------------------------------------


MATCH = typer.Option(
    "email",
    "--match",
    metavar="email|name",
    help="email (the default): a record is about the contact with its UID, else an email or phone it "
    "shares; one that shares only the name is added as a new contact (a possible duplicate). "
    "name: such a record is merged into that contact, adding only.",
)
REPLACE = typer.Option(
    False,
    "--replace",
    help="A matched record replaces what is stored, removing emails, phones, tags... it does not mention.",
)
ENCODING = typer.Option(
    None,
    "--encoding",
    metavar="NAME",
    help="The encoding of text that does not say its own (shift_jis, windows-1250, koi8-r...); "
    "default: UTF-8, else found from the file.",
)
#: possible duplicates listed one by one on standard error; more are counted
SHOW_DUPLICATES = 20
FIELD_NAMES = {
    "display_name": "name",
    "given_name": "given name",
    "family_name": "family name",
    "job_title": "title",
    "company_role": "role",
    "cadence_days": "cadence",
    "vcard_extras": "vCard properties",
}


def _options(
    match: str, replace: bool, dry_run: bool, consent: str | None = None, source: str | None = None
) -> Any:
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.interchange.importing import ImportOptions

    if match not in ("email", "name"):
        raise InvalidInput(f"--match must be email or name (got {match!r})")
    consent, source = import_consent(consent, source)
    return ImportOptions(
        match_name=match == "name", replace=replace, dry_run=dry_run, consent=consent, consent_source=source
    )


def _import_json(report: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": report.failed,
        "errors": report.errors,
        "warnings": report.warnings,
        "duplicates": report.duplicates,
    }
    if report.dry_run:
        out["dry_run"] = True
        out["records"] = [
            {
                **{
                    k: getattr(o, k)
                    for k in ("where", "outcome", "id", "name", "match", "duplicate", "message")
                },
                "changes": {k: {"old": old, "new": new} for k, (old, new) in o.changes.items()},
            }
            for o in report.records
        ]
    return out


def _duplicate_text(d: Any) -> str:
    others = [f"contact {i}" for i in d.duplicate_of] + [
        f"the new contact of {w}" for w in d.duplicate_of_new
    ]
    if d.id is None:
        return f"{d.where}: {d.name} would be a new contact, a possible duplicate of {', '.join(others)} ({d.reason})"
    merge = (
        f"; compare with crm duplicates, combine with crm merge {d.duplicate_of[0]} {d.id}"
        if d.duplicate_of
        else ""
    )
    return (
        f"{d.where}: created contact {d.id} {d.name}, a possible duplicate of {', '.join(others)} "
        f"({d.reason}){merge}"
    )


def _change_text(key: str, old: Any, new: Any) -> str:
    name = FIELD_NAMES.get(key, key)
    if key in ("emails", "phones", "addresses", "tags"):
        shown = [x if isinstance(x, str) else getattr(x, "value", None) or x.one_line() for x in new]
        before = [x if isinstance(x, str) else getattr(x, "value", None) or x.one_line() for x in old or []]
        added = [x for x in shown if x not in before]
        removed = [x for x in before if x not in shown]
        parts = [f"+{x}" for x in added] + [f"-{x}" for x in removed]
        return f"{name}: {' '.join(parts) if parts else 'labels'}"
    if key == "fields":
        keys = sorted({k for k in {**(old or {}), **new} if (old or {}).get(k) != new.get(k)})
        return f"fields: {', '.join(keys)}"
    if key == "notes" and old and new and new.startswith(old):
        return "notes: added to"
    if key in ("notes", "photo", "vcard_extras"):
        return f"{name}: {'changed' if old and new else 'added' if new else 'removed'}"
    return f"{name}: {old} -> {new}" if old not in (None, "") else f"{name}: {new}"


def _show_records(report: Any) -> None:
    rows = []
    for o in report.records:
        if o.outcome == "created":
            what = "new contact"
            if o.duplicate is not None:
                d = o.duplicate
                others = [f"contact {i}" for i in d.duplicate_of] + [
                    f"the new {w}" for w in d.duplicate_of_new
                ]
                what += f"; possible duplicate of {', '.join(others)} ({d.reason})"
        elif o.outcome == "failed":
            what = o.message
        else:
            what = "; ".join(_change_text(k, old, new) for k, (old, new) in o.changes.items())
        how = f" (by {o.match})" if o.match else ""
        rows.append((o.where, o.outcome + how, o.id, o.name, what))
    render.table(rows, ["record", "outcome", "id", "name", "changes"], title="what the import would do")


def _show_import(report: Any, as_json: bool, verbose: bool, extra: dict[str, Any] | None = None) -> None:
    if as_json:
        render.print_json({**(extra or {}), **_import_json(report)})
    else:
        for problem in report.errors:
            render.note(f"crm: {problem.where}: {problem.message}")
        if verbose:
            for problem in report.warnings:
                render.note(f"crm: warning: {problem.where}: {problem.message}")
        elif report.warnings:
            render.note(
                f"{len(report.warnings)} warnings (values kept as they were); see them with --verbose"
            )
        for d in report.duplicates[:SHOW_DUPLICATES]:
            render.note(f"crm: {_duplicate_text(d)}")
        if len(report.duplicates) > SHOW_DUPLICATES:
            more = len(report.duplicates) - SHOW_DUPLICATES
            render.note(f"crm: and {more} more possible duplicates; crm duplicates lists them all")
        if report.dry_run:
            _show_records(report)
        render.out(report.summary())
    if report.failed:
        raise typer.Exit(1)


def _stdin() -> Any:
    return getattr(sys.stdin, "buffer", None)


def _one_file(path: str, suffix: str) -> Any:
    from tinycrm.domain.errors import InvalidInput
    from tinycrm.services.interchange.files import sources as files_of

    files = files_of([path], _stdin(), suffixes=(suffix,))
    if len(files) != 1:
        raise InvalidInput(f"{path} holds {len(files)} {suffix} files; give one file")
    return files[0]


def _write_target(path: str) -> Any:
    return sys.stdout if path == "-" else path


def _exported(report: Any, as_json: bool, what: str) -> None:
    if as_json:
        render.print_json({"written": report.written, "unchanged": report.unchanged, "target": report.target})
    elif report.target != "-":
        extra = f" ({report.unchanged} unchanged)" if report.unchanged else ""
        render.note(f"wrote {report.written} {what} to {report.target}{extra}")


# --- vCard ----------------------------------------------------------------------------------------------


@import_app.command("vcard")
def import_vcard_cmd(
    paths: list[str] = typer.Argument(
        ..., metavar="PATH...", help="vCard files, folders of .vcf files (a vdir), or - for standard input."
    ),
    match: str = MATCH,
    replace: bool = REPLACE,
    dry_run: bool = typer.Option(
        False, "--dry-run", help="List what each card would create or change; change nothing."
    ),
    encoding: str = ENCODING,
    verbose: bool = VERBOSE,
    consent: str = CONSENT,
    source: str = SOURCE,
    as_json: bool = JSON,
) -> None:
    """Import vCards (2.1, 3.0, 4.0). A card updates the contact with its UID (or an email or phone it
    shares), adding what it brings and removing nothing; importing again changes nothing.
    Exit 1 when some cards could not be imported (the others are), 2 for a file without any vCard."""
    from tinycrm.services.interchange.files import sources
    from tinycrm.services.interchange.importing import import_vcards

    options = _options(match, replace, dry_run, consent, source)
    files = sources(paths, _stdin(), suffixes=(".vcf", ".vcard"))
    total = sum(f.size or 0 for f in files) if all(f.size for f in files) else None
    with render.byte_progress(total, "importing vCards") as progress:
        target = state.db_for_preview() if dry_run else state.db()
        report = import_vcards(target, files, progress=progress, options=options, encoding=encoding)
    _show_import(report, as_json, verbose)


#: ``--query`` of the contact exports
QUERY = typer.Option(
    None,
    "--query",
    "-q",
    help="Only the contacts this search finds, as crm search takes it: words and filters "
    "(tag:vip created:>30d ...); archived ones too.",
)


@export_app.command("vcard")
def export_vcard_cmd(
    path: str = typer.Argument(
        ..., metavar="PATH|-", help="The .vcf file (or folder with --vdir); - for standard output."
    ),
    version: str = typer.Option("3.0", "--vcard-version", help="3.0 (the default) or 4.0."),
    vdir: bool = typer.Option(
        False,
        "--vdir",
        help="One UID.vcf file per contact in the folder PATH "
        "(vdirsyncer's layout); unchanged files are left alone.",
    ),
    tag: str = typer.Option(None, "--tag", help="Only contacts with this tag."),
    query: str = QUERY,
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Export contacts as vCards, photos and kept vCard properties included."""
    from tinycrm.services.interchange.exporting import Chosen, export_vcards

    report = export_vcards(
        state.db(),
        path if vdir else _write_target(path),
        version=version,
        vdir=vdir,
        tag=tag,
        force=force,
        chosen=Chosen(query=query) if query else None,
    )
    _exported(report, as_json, "vCards")


# --- CSV ------------------------------------------------------------------------------------------------


@import_app.command("csv")
def import_csv_cmd(
    path: str = typer.Argument(..., metavar="PATH|-", help="The CSV file; - for standard input."),
    preset: str = typer.Option(
        None,
        "--preset",
        help="google, outlook, thunderbird or generic (default: recognised from the header).",
    ),
    mapping: list[str] = typer.Option(
        [],
        "--map",
        metavar="COLUMN=FIELD",
        help="Map a column (by its name or number) yourself, "
        "repeatable: name, given, family, email[:LABEL], phone[:LABEL], street[:LABEL], "
        "company, title, birthday, notes, tags, field:KEY, ignore...",
    ),
    no_header: bool = typer.Option(
        False,
        "--no-header",
        help="The first line is a record, not column names: columns are numbered (--map 1=name --map "
        "2=email) and guessed from what they hold.",
    ),
    encoding: str = ENCODING,
    match: str = MATCH,
    replace: bool = REPLACE,
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Show how the columns map, the first rows, and what each row would create or change; "
        "change nothing.",
    ),
    verbose: bool = VERBOSE,
    as_kind: str = typer.Option("contacts", "--as", help="contacts, or leads (each row a new lead)."),
    consent: str = CONSENT,
    source: str = SOURCE,
    as_json: bool = JSON,
) -> None:
    """Import a CSV address book (Google Contacts, Outlook, Thunderbird or any other). Rows are matched
    like vCards (see crm import vcard --help). --as leads: each row is a new lead (see docs/leads.md)."""
    from tinycrm.services.interchange import importing

    options = _options(match, replace, dry_run, consent, source)
    file = _one_file(path, ".csv")
    read: dict[str, Any] = {
        "preset": preset,
        "overrides": split_kv(mapping, "--map"),
        "encoding": encoding,
        "no_header": no_header,
    }
    if as_kind != "contacts":
        from tinycrm.cli.leads import import_leads

        import_leads(as_kind, file, read, dry_run=dry_run, as_json=as_json)
        return
    if dry_run:
        preview = importing.dry_run_csv(state.db_for_preview(), file, options=options, **read)
        _show_preview(preview, as_json, verbose)
        return
    with render.byte_progress(file.size, "importing CSV") as progress:
        report = importing.import_csv(state.db(), file, progress=progress, options=options, **read)
    _show_import(report, as_json, verbose)


def _show_preview(preview: Any, as_json: bool, verbose: bool = False) -> None:
    from tinycrm.formats.csvio import MULTI

    rows = []
    for item in preview.rows:
        if item.record is None:
            rows.append({"row": item.index, "error": item.error})
            continue
        c = item.record.contact
        rows.append(
            {
                "row": item.index,
                "name": c.display_name,
                "company": c.company,
                "title": c.job_title,
                "emails": [e.value for e in c.emails],
                "phones": [p.value for p in c.phones],
                "addresses": [a.one_line() for a in c.addresses],
                "birthday": c.birthday,
                "tags": c.tags,
                "fields": c.fields,
                "warnings": item.record.warnings,
            }
        )
    described = {
        "preset": preview.preset,
        "delimiter": preview.delimiter,
        "columns": [{"column": h, "field": f} for h, f in preview.columns],
        "rows": rows,
    }
    if as_json:
        if preview.plan is None:
            render.print_json(described)
            return
        _show_import(preview.plan, True, verbose, described)
        return
    render.note(
        f"{preview.source}: preset {preview.preset}, delimiter {preview.delimiter!r}; nothing was imported"
    )
    render.table(preview.columns, ["column", "imported as"], title="columns")
    render.table(
        (
            (
                r["row"],
                r.get("name") or r.get("error"),
                r.get("company"),
                MULTI.join(r.get("emails", [])),
                MULTI.join(r.get("phones", [])),
                ", ".join(r.get("tags", [])),
            )
            for r in rows
        ),
        ["row", "name", "company", "emails", "phones", "tags"],
        title="first rows",
    )
    if preview.plan is not None:
        _show_import(preview.plan, False, verbose)


@export_app.command("csv")
def export_csv_cmd(
    path: str = typer.Argument(..., metavar="PATH|-", help="The .csv file; - for standard output."),
    preset: str = typer.Option(
        "generic",
        "--preset",
        help="generic (tinycrm's columns, imports back unchanged) or google (Google Contacts' columns).",
    ),
    tag: str = typer.Option(None, "--tag", help="Only contacts with this tag."),
    query: str = QUERY,
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Export contacts as CSV; cells a spreadsheet would run as formulas are neutralised."""
    from tinycrm.services.interchange.exporting import Chosen, export_csv

    chosen = Chosen(query=query) if query else None
    report = export_csv(state.db(), _write_target(path), preset=preset, tag=tag, force=force, chosen=chosen)
    _exported(report, as_json, "contacts")


# --- JSON, backup, restore ------------------------------------------------------------------------------


@export_app.command("json")
def export_json_cmd(
    path: str = typer.Argument(..., metavar="PATH|-", help="The .json file; - for standard output."),
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Export everything (contacts, companies, interactions, deals, tasks, users, audit log...) as one
    versioned JSON document that `crm import json` restores identically."""
    from tinycrm.services.interchange import backup

    report = backup.export_json(state.db(), _write_target(path), force=force)
    if as_json and path != "-":
        render.print_json({"target": report.target, "rows": report.rows})
    elif path != "-":
        render.note(f"wrote {report.total} rows of {len(report.rows)} tables to {report.target}")


@import_app.command("json")
def import_json_cmd(
    path: str = typer.Argument(
        ..., metavar="PATH|-", help="A file made by `crm export json`; - for standard input."
    ),
    as_json: bool = JSON,
) -> None:
    """Restore a JSON export into an empty database."""
    from tinycrm.services.interchange import backup

    file = _one_file(path, ".json")
    report = backup.import_json(state.db(), file)
    if as_json:
        render.print_json({"source": report.target, "rows": report.rows})
    else:
        render.out(f"restored {report.total} rows of {len(report.rows)} tables")


def backup_cmd(
    path: str = typer.Argument(
        None,
        metavar="[PATH]",
        help="Where to write the backup (default: backups/tinycrm-DATE-TIME.sqlite3 in the data folder).",
    ),
    force: bool = FORCE,
    as_json: bool = JSON,
) -> None:
    """Back up the database: on SQLite a consistent copy of the file, made while others may be writing; on
    PostgreSQL a JSON export (crm export json), restorable with crm restore."""
    from tinycrm.services.interchange import backup

    report = backup.backup(state.db(), path, force=force)
    if as_json:
        render.print_json({"path": report.path, "kind": report.kind, "size": report.size})
        return
    render.out(report.path)
    if report.kind == "json":
        render.note(
            "PostgreSQL: the backup is a JSON export (crm export json); for server backups use pg_dump"
        )


def restore_cmd(
    path: str = typer.Argument(
        ..., metavar="PATH", help="A backup: a SQLite file made by `crm backup`, or a JSON export."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Replace a database that holds data."),
    as_json: bool = JSON,
) -> None:
    """Restore a backup, replacing everything in the database (a database with data needs --yes)."""
    from tinycrm.services.interchange import backup

    report = backup.restore(state.db(), path, yes=yes)
    if as_json:
        render.print_json({"source": report.source, "kind": report.kind, "rows": report.rows})
    else:
        contacts = report.rows.get("contacts", 0)
        render.out(f"restored {report.source}: {contacts} contacts, {sum(report.rows.values())} rows in all")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
