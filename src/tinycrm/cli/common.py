"""What many commands do the same way: name records, ask before deleting, read ``--owner``/``--mine`` and the
options of an ``edit`` command. Services are imported inside the functions, as everywhere in ``cli/``."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Iterable
from typing import Any

import typer

from tinycrm.cli import render, state
from tinycrm.cli.options import read_text_arg, split_kv


def contact_id(ref: str) -> int:
    """The contact a command line names (id, email or name)."""
    from tinycrm.services.people import contacts

    return contacts.resolve(state.db(), ref)


def company_id(ref: str) -> int:
    """The company a command line names (id, domain or name)."""
    from tinycrm.services.people import companies

    return companies.resolve(state.db(), ref)


def deal_id(ref: str) -> int:
    """The deal a command line names (id or part of the title)."""
    from tinycrm.services.sales import deals

    return deals.resolve(state.db(), ref)


def owner_of(
    owner: str | None, mine: bool, *, both: str = "give --mine or --owner NAME, not both"
) -> str | None:
    """The user name that ``--owner NAME`` / ``--mine`` ask for, or None; ``both`` is the error for giving both."""
    from tinycrm.cli.lookup import owner_of

    return owner_of(state.db, owner, mine, both=both)


def confirm(question: str, yes: bool) -> None:
    """Go on with ``--yes`` or when the person at the terminal agrees; refuse otherwise."""
    from tinycrm.domain.errors import InvalidInput, Refused

    if yes:
        return
    if sys.stdin is None or not sys.stdin.isatty():
        raise InvalidInput(f"{question} needs confirmation: add --yes")
    if not typer.confirm(question, default=False):
        raise Refused("nothing changed")


def delete_confirmed(
    question: str, yes: bool, delete: Callable[[], Any], as_json: bool, done: Callable[[Any], str]
) -> None:
    """Ask ``question`` (see :func:`confirm`), ``delete()``, and show what went: the record in JSON, or the
    note ``done(record)``."""
    confirm(question, yes)
    gone = delete()
    render.emit(gone, as_json, lambda: render.note(done(gone)))


def option_changes(
    options: Iterable[tuple[str, Any]],
    *,
    as_given: Collection[str] = (),
    note: str | None = None,
    fields: list[str] | None = None,
    unset_fields: list[str] | None = None,
    owner: str | None = None,
) -> dict[str, Any]:
    """The changes an ``edit`` command's options ask for, in the order given. An option left out (None) changes
    nothing; given empty ('') it clears its field, unless its key is in ``as_given`` (passed on as it is).
    ``note`` (``--note``; '-' reads standard input) sets ``notes``; ``fields`` (``--field KEY=VALUE``) and
    ``unset_fields`` (``--unset-field KEY``) become ``set_fields`` and ``unset_fields``; ``owner`` ('' for
    none) sets ``owner``."""
    changes = {
        key: value if key in as_given else (value or None) for key, value in options if value is not None
    }
    if note is not None:
        changes["notes"] = read_text_arg(note, "--note") or None
    if fields:
        changes["set_fields"] = split_kv(fields)
    if unset_fields:
        changes["unset_fields"] = unset_fields
    if owner is not None:
        changes["owner"] = owner or None
    return changes


# --- editing a record in $EDITOR ------------------------------------------------------------------------


def on_terminal() -> bool:
    """Someone can answer a question: standard input is a terminal."""
    return sys.stdin is not None and sys.stdin.isatty()


def editor_command(nothing_given: str) -> list[str]:
    """The command of the user's editor (``VISUAL``, then ``EDITOR``; ``vi`` on a terminal). Without one and
    without a terminal the edit cannot happen: ``nothing_given`` says which options would do instead."""
    import shlex

    from tinycrm.domain.errors import InvalidInput

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        if not on_terminal():
            raise InvalidInput(f"{nothing_given}, or set EDITOR to edit a form")
        editor = "vi"
    try:
        command = shlex.split(editor)
    except ValueError as exc:
        raise InvalidInput(
            f"the editor command {editor!r} cannot be read ({exc}); fix VISUAL or EDITOR"
        ) from None
    if not command:
        raise InvalidInput("VISUAL/EDITOR is empty; set it to an editor command, e.g. export EDITOR=nano")
    return command


def run_editor(command: list[str], text: str, noun: str) -> str:
    """Open the editor on ``text`` in a private temporary file; give what it saved."""
    import subprocess
    import tempfile

    from tinycrm.domain.errors import InvalidInput

    fd, path = tempfile.mkstemp(prefix=f"crm-{noun}-", suffix=".txt")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            result = subprocess.run([*command, path])
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InvalidInput(
                f"could not start the editor {' '.join(command)!r} ({reason}); set VISUAL or EDITOR to an "
                "editor on this machine, e.g. export EDITOR=nano"
            ) from None
        if result.returncode != 0:
            raise InvalidInput(f"the editor exited with {result.returncode}; nothing changed")
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        except UnicodeDecodeError:
            raise InvalidInput("the edited form is not UTF-8 text; nothing changed") from None
    finally:
        os.unlink(path)


def keep_edits(noun: str, record_id: int, text: str) -> str:
    """Save a form that could not be stored where the user can find it (``edits/`` in the data directory,
    readable by the user only); give its path."""
    import time

    from tinycrm import paths

    folder = paths.data_dir() / "edits"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = folder / f"{noun}-{record_id}-{stamp}{f'-{n}' if n else ''}.txt"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return str(path)
    raise OSError(f"cannot create a file for the edits in {folder}")


def edit_in_editor(
    noun: str,
    record: Any,
    save: Callable[[dict[str, Any], int], Any],
    reload: Callable[[], Any],
    *,
    nothing_given: str,
) -> Any | None:
    """Edit ``record`` as a form in the user's editor and ``save(changes, version)`` what changed; give the
    saved record, or None when nothing changed.

    Only the lines the user changed are saved, on top of the version the form showed. When saving fails
    (bad input, or someone else changed the record meanwhile) the edited form is kept in a file: on a
    terminal the editor opens again on it, with the reason on top; otherwise the error names the file."""
    from tinycrm.domain.errors import Conflict, CrmError
    from tinycrm.formats import editform

    form = editform.FORMS[noun]
    command = editor_command(nothing_given)
    original = form.render(record)
    base = form.parse(original)
    text, version = original, record.version
    kept: str | None = None
    failed: CrmError | None = None  # why the last save failed
    while True:
        edited = run_editor(command, text, noun)
        if edited == text:
            if failed is None:
                return None
            raise failed  # reopened and left as it was: give up (the message names the file)
        body = editform.without_problem(edited)
        try:
            values = form.parse(body)
            changes = {k: v for k, v in values.items() if base.get(k, []) != v}
            if not changes:
                if kept is not None:
                    os.unlink(kept)
                return None
            saved = save(changes, version)
        except CrmError as exc:
            problem = str(exc)
            if kept is not None:
                os.unlink(kept)
            kept = keep_edits(noun, record.id, body)
            _add_to_message(exc, f"; your edits are kept in {kept}")
            if not on_terminal():
                raise
            try:
                current = reload()
            except CrmError:
                raise exc from None  # deleted meanwhile: nothing to edit again
            render.note(f"crm: error: {exc}")
            if not typer.confirm("Open the editor again on your edits?", default=True, err=True):
                raise
            hint = ""
            if isinstance(exc, Conflict):
                version = current.version
                hint = f"Saving applies the lines you changed to the {noun} as it is now (version {version})."
            text, failed = editform.with_problem(body, problem, hint), exc
            continue
        if kept is not None:
            os.unlink(kept)  # saved after all: the copy is not needed
        return saved


def _add_to_message(exc: Any, more: str) -> None:
    if exc.hint:
        exc.hint += more
    else:
        exc.message += more
    exc.args = (str(exc),)


#: how the references of a form become ids: form key -> (key of the change, resolver)
FORM_REFS: dict[str, tuple[str, Callable[[str], int]]] = {
    "contacts": ("contact_ids", contact_id),
    "contact": ("contact_id", contact_id),
    "company": ("company_id", company_id),
    "deal": ("deal_id", deal_id),
}


def edit_record(
    noun: str,
    record_id: int,
    get: Callable[..., Any],
    update: Callable[..., Any],
    expect_version: int | None,
    *,
    nothing_given: str,
    refs: Collection[str] = (),
) -> Any | None:
    """``crm NOUN edit ID`` without options: the record's form in ``$EDITOR`` (see :func:`edit_in_editor`),
    saved with ``update(db, id, changes, expected_version=...)``; the form's ``refs`` (keys of
    :data:`FORM_REFS`) are names or ids of other records, resolved here. Gives the saved record, or None."""
    db = state.db()
    before = get(db, record_id)
    if expect_version is not None and expect_version != before.version:
        update(db, record_id, {}, expected_version=expect_version)  # the conflict, before any editing

    def save(changes: dict[str, Any], version: int) -> Any:
        for key in refs:
            if key in changes:
                target, resolve = FORM_REFS[key]
                value = changes.pop(key)
                if isinstance(value, list):
                    changes[target] = [resolve(v) for v in value]
                else:
                    changes[target] = None if value is None else resolve(value)
        return update(db, record_id, changes, expected_version=version)

    return edit_in_editor(noun, before, save, lambda: get(db, record_id), nothing_given=nothing_given)
