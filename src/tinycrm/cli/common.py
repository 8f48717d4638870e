"""What many commands do the same way: name records, ask before deleting, read ``--owner``/``--mine`` and the
options of an ``edit`` command. Services are imported inside the functions, as everywhere in ``cli/``."""

from __future__ import annotations

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


def owner_of(
    owner: str | None, mine: bool, *, both: str = "give --mine or --owner NAME, not both"
) -> str | None:
    """The user name that ``--owner NAME`` / ``--mine`` ask for, or None; ``both`` is the error for giving both."""
    if mine and owner:
        from tinycrm.domain.errors import InvalidInput

        raise InvalidInput(both)
    if mine:
        from tinycrm.services.common import actor

        return actor(state.db())
    return owner


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
