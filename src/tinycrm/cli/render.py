"""Output for people and for scripts.

On a terminal: Rich tables and colour; with ``NO_COLOR`` set (to anything but nothing, see no-color.org) no
escape code at all, not even bold or dim. To a pipe: plain tab-separated lines with no colour, no header and no
decoration. ``--json``: a stable JSON document (a list is an array of objects, a record an object with ``id``).
A list shows one page; when the page is not the whole list, :func:`emit_page` says so on stderr, wherever stdout
goes. Rich is imported only when a terminal is there to see it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any


def is_tty() -> bool:
    if os.environ.get("TINYCRM_FORCE_TTY"):
        return True
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def no_color() -> bool:
    """``NO_COLOR`` set to a non-empty value: no colour, bold, dim or any other escape code."""
    return bool(os.environ.get("NO_COLOR"))


def console(*, stderr: bool = False) -> Any:
    from rich.console import Console

    plain = no_color()
    # Rich's own no_color drops colours only; without a colour system it writes no style at all
    return Console(
        stderr=stderr,
        no_color=plain,
        color_system=None if plain else "auto",
        highlight=False,
        soft_wrap=False,
    )


def print_json(value: Any) -> None:
    import json

    from tinycrm.domain.rows import to_json

    sys.stdout.write(json.dumps(to_json(value), ensure_ascii=False, indent=2) + "\n")


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def note(text: str) -> None:
    """A remark for people (counts, hints): stderr, so pipes carry data only."""
    sys.stderr.write(text + "\n")


def clean(value: Any) -> str:
    """A cell for plain output: no tabs or newlines inside."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return " ".join(str(value).split())


def table(
    rows: Iterable[Sequence[Any]],
    headers: Sequence[str],
    *,
    title: str | None = None,
    footer: str | None = None,
    styles: Sequence[str | None] | None = None,
) -> None:
    if not is_tty():
        # to a pipe: each row as it comes (a streamed list is never held whole)
        write = sys.stdout.write
        for row in rows:
            write("\t".join(clean(c) for c in row) + "\n")
        return
    cells = [[clean(c) for c in row] for row in rows]
    from rich.table import Table

    c = console()
    whole = _whole_columns(cells, headers, c.width)
    t = Table(title=title, caption=footer, show_edge=False, header_style="bold", pad_edge=False, box=None)
    for i, h in enumerate(headers):
        t.add_column(h, style=(styles[i] if styles else None), overflow="fold", no_wrap=i in whole)
    for row in cells:
        t.add_row(*row)
    c.print(t)


def _whole_columns(cells: list[list[str]], headers: Sequence[str], width: int) -> set[int]:
    """The columns of ids, dates, amounts and states to keep whole (a date folded as '2026-11-1' over '6' reads
    wrong), as many as fit with room left for the columns of words, which give way instead."""
    if not cells:
        return set()
    widths = [max([len(h)] + [len(row[i]) for row in cells if i < len(row)]) for i, h in enumerate(headers)]
    atoms = [i for i in range(len(headers)) if all(_atom(row[i]) for row in cells if i < len(row))]
    # the columns of words need room for a word or so each; numbers and dates are kept whole first, then
    # the narrowest other atoms
    needed = 2 * (len(headers) - 1) + sum(min(w, 8) for i, w in enumerate(widths) if i not in atoms)
    whole: set[int] = set()
    numeric = {i for i in atoms if any(ch.isdigit() for row in cells if i < len(row) for ch in row[i])}
    for i in sorted(atoms, key=lambda i: (i not in numeric, widths[i])):
        if needed + widths[i] > width:
            break
        needed += widths[i]
        whole.add(i)
    return whole


_ATOM = re.compile(r"\S{0,12}|[\d.,]{1,16} [A-Z]{3}")


def _atom(cell: str) -> bool:
    """A value that reads wrong when broken across lines: an id, a date, an amount (with its currency)."""
    return _ATOM.fullmatch(cell) is not None


def record(pairs: Sequence[tuple[str, Any]], *, title: str | None = None) -> None:
    """A record as ``key: value`` lines (only the fields that have a value)."""
    pairs = [(k, v) for k, v in pairs if v not in (None, "", [], {})]
    if not is_tty():
        if title:
            out(title)
        for k, v in pairs:
            out(f"{k}: {clean(v) if not isinstance(v, str) or chr(10) not in v else v}")
        return
    from rich.table import Table

    c = console()
    if title:
        c.print(f"[bold]{title}[/bold]")
    t = Table(show_header=False, box=None, pad_edge=False)
    t.add_column(style="dim", no_wrap=True)
    t.add_column(overflow="fold")
    for k, v in pairs:
        t.add_row(k, v if isinstance(v, str) else clean(v))
    c.print(t)


def page_notice(page: Any, what: str, *, as_json: bool = False) -> None:
    """When a page is not the whole list, say so on stderr (``1-20 of 48 contacts; --offset 20 for the next
    page, --all for everything``): on a terminal, to a pipe and with ``--json`` alike, so that a script never
    takes a page for everything. Nothing when the page is the whole list (but on a terminal, an empty list
    says so)."""
    shown = len(page.items)
    total = f"about {page.total}" if getattr(page, "estimate", False) else str(page.total)
    span = f"{page.offset + 1}-{page.offset + shown} of {total} {what}"
    if shown and page.more:
        note(f"{span}; --offset {page.offset + shown} for the next page, --all for everything")
    elif shown and page.offset:
        note(span)
    elif page.offset and page.total:
        note(f"nothing from {page.offset + 1} on: there are {total} {what}")
    elif page.total == 0 and is_tty() and not as_json:
        note(f"no {what}")


def emit(value: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        print_json(value)
    else:
        human()


def emit_page(page: Any, what: str, as_json: bool, human: Callable[[], None]) -> None:
    """One page of a list (a services ``Page``): its items as a JSON array, or ``human()`` (which shows
    ``page.items``); then :func:`page_notice`. Every paged command prints through this. A ``Stream`` (a whole
    list, ``--all``) is written as it is read: ``page.items`` is then the stream, which ``human()`` walks once."""
    from tinycrm.domain.rows import Stream

    if isinstance(page, Stream):
        if as_json:
            json_array(page.items)
        else:
            human()
        stream_notice(page, what, as_json=as_json)
        return
    emit(page.items, as_json, human)
    page_notice(page, what, as_json=as_json)


def json_array(items: Iterable[Any]) -> None:
    """A JSON array written an item at a time: the same text :func:`print_json` gives for the whole list."""
    write = sys.stdout.write
    first = True
    for item in items:
        write(("[\n  " if first else ",\n  ") + _indented(item, "  "))
        first = False
    write("[]\n" if first else "\n]\n")


_SCALARS = {True: "true", False: "false", None: "null"}
#: the JSON field names of each read model class (its dataclass fields, less the private ones)
_NAMES: dict[type, list[str]] = {}


def _indented(value: Any, indent: str) -> str:
    """``json.dumps(to_json(value), ensure_ascii=False, indent=2)`` at nesting ``indent``, each string and number
    through the C encoder (``indent`` makes json use its pure-Python one, several times slower on a long list)."""
    from json.encoder import encode_basestring

    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if value is None or kind is bool:
        return _SCALARS[value]
    names = _NAMES.get(kind)
    if names is None and hasattr(kind, "__dataclass_fields__"):
        from dataclasses import fields

        names = _NAMES[kind] = [f.name for f in fields(value) if not f.name.startswith("_")]
    if names is not None:
        pairs = [(n, getattr(value, n)) for n in names]
    elif isinstance(value, dict):
        pairs = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + _indented(v, inner) for v in value) + "\n" + indent + "]"
    else:
        import json

        from tinycrm.domain.rows import to_json

        return json.dumps(to_json(value), ensure_ascii=False)
    if not pairs:
        return "{}"
    inner = indent + "  "
    sep = ",\n" + inner
    return (
        "{\n"
        + inner
        + sep.join(f"{encode_basestring(k)}: {_indented(v, inner)}" for k, v in pairs)
        + "\n"
        + indent
        + "}"
    )


def stream_notice(stream: Any, what: str, *, as_json: bool = False) -> None:
    """:func:`page_notice` for a whole list read from ``--offset`` on, once it has been written."""
    shown, offset = stream.shown, stream.offset
    total = stream.total if stream.total is not None else offset + shown
    if shown and offset:
        note(f"{offset + 1}-{offset + shown} of {total} {what}")
    elif offset and total:
        note(f"nothing from {offset + 1} on: there are {total} {what}")
    elif not shown and not offset and is_tty() and not as_json:
        note(f"no {what}")


def page_of(items: Sequence[Any], limit: int | None, offset: int) -> Any:
    """A ``Page`` of a list a service gives whole (a deal's timeline, the duplicate pairs)."""
    from tinycrm.domain.people import Page

    items = list(items)
    end = None if limit is None else offset + limit
    return Page(items[offset:end], len(items), limit, offset)


#: inputs smaller than this get no progress bar
PROGRESS_MIN_BYTES = 256 * 1024


@contextmanager
def byte_progress(total: int | None, what: str) -> Iterator[Any]:
    """A progress bar in bytes on standard error, only when it is a terminal and the input is large (imports)."""
    if (
        not total
        or total < PROGRESS_MIN_BYTES
        or not (sys.stderr.isatty() or os.environ.get("TINYCRM_FORCE_TTY"))
    ):
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    err = console(stderr=True)
    with Progress(
        TextColumn(what),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done: bar.update(task, completed=done)
