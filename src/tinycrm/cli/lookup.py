"""Finding contacts: what ``crm search`` and ``crm contact list`` do once their options are read, and the
mail-client formats of ``crm search --format mutt|aerc``.

Nothing here imports Typer, Click or Rich (Rich only inside :func:`render.table`, on a terminal): the Typer
commands of :mod:`tinycrm.cli.contacts` and the fast path of :mod:`tinycrm.cli.fast`, which answers these
commands before Typer is even imported, both run this code, so they print the same and fail the same.
``db`` is a function that opens the database on first use (``state.db`` under Typer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinycrm.cli import render

#: ``crm search --format``: the address-book protocols of mail clients
FORMATS = ("mutt", "aerc")

Opener = Callable[[], Any]


def owner_of(
    db: Opener, owner: str | None, mine: bool, *, both: str = "give --mine or --owner NAME, not both"
) -> str | None:
    """The user name that ``--owner NAME`` / ``--mine`` ask for, or None; ``both`` is the error for giving both."""
    if mine and owner:
        from tinycrm.domain.errors import InvalidInput

        raise InvalidInput(both)
    if mine:
        from tinycrm.services.common import actor

        return actor(db())
    return owner


def summary_table(items: Any) -> None:
    render.table(
        (
            (c.id, c.display_name, c.company or "", c.email or "", c.phone or "", ", ".join(c.tags))
            for c in items
        ),
        ["id", "name", "company", "email", "phone", "tags"],
        styles=["dim", "bold", None, "cyan", None, "magenta"],
    )


def show_summaries(page: Any, as_json: bool, what: str = "contacts") -> None:
    render.emit_page(page, what, as_json, lambda: summary_table(page.items))


def list_contacts(
    db: Opener,
    *,
    tag: str | None = None,
    company: str | None = None,
    archived: bool = False,
    everyone: bool = False,
    sort: str = "name",
    owner: str | None = None,
    mine: bool = False,
    limit: int = 20,
    offset: int = 0,
    show_all: bool = False,
    as_json: bool = False,
    segment: str | None = None,
) -> int:
    """``crm contact list``: a page of contacts (of a segment); the exit code."""
    from tinycrm.services.people import contact_search

    query = None
    if segment is not None:
        from tinycrm.services.marketing import segments

        query = segments.query_of(db(), segment)
    options: dict[str, Any] = dict(
        query=query,
        offset=offset,
        tag=tag,
        company=company,
        archived=None if everyone else archived,
        sort=sort,
        owner=owner_of(db, owner, mine),
    )
    if show_all:
        page: Any = contact_search.stream_contacts(db(), **options)
    else:
        page = contact_search.list_contacts(db(), limit=limit, **options)
    show_summaries(page, as_json)
    return 0


def search(
    db: Opener,
    query: list[str],
    *,
    tag: str | None = None,
    company: str | None = None,
    archived: bool = False,
    owner: str | None = None,
    mine: bool = False,
    limit: int = 20,
    offset: int = 0,
    show_all: bool = False,
    as_json: bool = False,
    fmt: str | None = None,
) -> int:
    """``crm search``: the contacts matching ``query`` (the words as typed), as a list or, with ``fmt``, as
    a mail client's address book (:func:`address_book`); the exit code."""
    from tinycrm.domain.errors import CrmError, InvalidInput

    text = " ".join(query)
    try:
        if fmt is not None and fmt not in FORMATS:
            raise InvalidInput(f"unknown --format {fmt!r}; use one of: {', '.join(FORMATS)}")
        if fmt is not None and as_json:
            raise InvalidInput(f"--format {fmt} prints lines for a mail client: leave out --json")
        if not text.strip():
            # the service lists everyone for a blank query; a command line that asked for a search never wants that
            raise InvalidInput(
                "the search query is blank: it has no letters or digits to search for "
                "(crm contact list lists everyone)"
            )
        from tinycrm.services.people import contact_search

        page = contact_search.search(
            db(),
            text,
            limit=None if show_all else limit,
            offset=offset,
            tag=tag,
            company=company,
            archived=None if archived else False,
            owner=owner_of(db, owner, mine),
            with_email=fmt is not None,
            stream=True,  # --all: written as it is read
        )
        if fmt is not None:
            return address_book(db, page, text, fmt)
    except CrmError as exc:
        if fmt == "mutt":
            # mutt shows the first line of the output as its message: make it say what went wrong
            render.out(f"crm: error: {render.clean(str(exc))}")
        raise
    show_summaries(page, as_json, "matches")
    return 0


def address_book(db: Opener, page: Any, query: str, fmt: str) -> int:
    """Search results (contacts with an email address) as an address book answers a mail client: one
    ``address<TAB>name<TAB>extra`` line per email address of each contact (extra: the address's label and the
    contact's company), after a first line of text for mutt, which shows it as a message (aerc takes every
    line as an address). Tabs and line breaks inside a value become spaces. Exit 1 when no line was printed,
    as abook and khard do. A whole list (``--all``, a ``Stream``) is written as it is read: the addresses of a
    batch of contacts at a time."""
    from tinycrm.domain.rows import Stream
    from tinycrm.services.people import addressbook

    whole = isinstance(page, Stream)
    if fmt == "mutt":
        render.out(_summary(page, query))
    elif not whole:
        render.page_notice(page, "matches")
    printed = 0
    for c, emails in addressbook.with_emails(db(), page.items):
        for e in emails:
            address = render.clean(e.value)
            extra = ", ".join(p for p in (render.clean(e.label), render.clean(c.company)) if p)
            render.out(f"{address}\t{render.clean(c.display_name) or address}\t{extra}")
            printed += 1
    if whole and fmt != "mutt":
        render.stream_notice(page, "matches")
    return 0 if printed else 1


def _summary(page: Any, query: str) -> str:
    """The first line for mutt, which shows it as its message: how many matched, and whether that is all (a
    whole list, read as it is written, has been counted before its first line)."""
    from tinycrm.domain.rows import Stream

    whole = isinstance(page, Stream)
    shown = max((page.total or 0) - page.offset, 0) if whole else len(page.items)
    more = not whole and page.more
    q = repr(render.clean(query))
    if not page.total:
        return f"crm: no contact with an email address matches {q}"
    if not shown:
        return f"crm: nothing from {page.offset + 1} on: {_match(page.total)} {q}"
    if more or page.offset:
        line = f"crm: {page.offset + 1}-{page.offset + shown} of {page.total} contacts matching {q}"
    else:
        line = f"crm: {_match(page.total)} {q}"
    return line + "; --all for everything" if more else line


def _match(n: int) -> str:
    return "1 contact matches" if n == 1 else f"{n} contacts match"
