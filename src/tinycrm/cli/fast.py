"""The fast path: ``crm search`` and ``crm contact list`` answered before Typer is imported.

A mail client runs ``crm search --format mutt`` on every completion, and importing Typer (and building a click
command) costs more than the search. So :func:`answer` reads the command line of these commands itself, then
runs the very code the Typer commands run (:mod:`tinycrm.cli.lookup`, through :func:`tinycrm.cli.guarded`):
same services, same output, same errors and exit codes.

It reads only the plain forms: global ``--db URL``, then ``search``, ``contact search`` or ``contact list``
with their own options, written ``--opt VALUE``, ``--opt=VALUE``, ``-n VALUE`` or as flags, and ``--``. For
anything else it gives None and Typer runs as usual: ``--help``, an unknown option, a value click would
refuse (``--limit 0``, ``--tag ''``, a missing value), ``-an5``-style short options, shell completion, and a
list for a terminal (a Rich table; ``--json`` and ``--format`` print the same anywhere).
"""

from __future__ import annotations

import os

# option -> (parameter of the lookup function, kind); kinds: "flag", "int>=0", "int>=1", "text" (refused
# blank by the Typer command's not_blank callback) or "any" (any string; the service checks it)
_COMMON = {
    "--tag": ("tag", "text"),
    "--company": ("company", "text"),
    "--owner": ("owner", "text"),
    "--mine": ("mine", "flag"),
    "--limit": ("limit", "int>=1"),
    "-n": ("limit", "int>=1"),
    "--offset": ("offset", "int>=0"),
    "--all": ("show_all", "flag"),
    "-a": ("show_all", "flag"),
    "--json": ("as_json", "flag"),
}
SEARCH = {**_COMMON, "--include-archived": ("archived", "flag"), "--format": ("fmt", "any")}
LIST = {
    **_COMMON,
    "--archived": ("archived", "flag"),
    "--include-archived": ("everyone", "flag"),
    "--sort": ("sort", "any"),
}
COMMANDS = {("search",): SEARCH, ("contact", "search"): SEARCH, ("contact", "list"): LIST}


def answer(argv: list[str]) -> int | None:
    """Run ``crm ARGV`` if it is one of the commands this module reads, and give its exit code; None when
    Typer must run it."""
    if os.environ.get("_CRM_COMPLETE"):
        return None  # the shell asks for completions: Typer's business
    parsed = parse(argv)
    if parsed is None:
        return None
    url, command, options, words = parsed
    from tinycrm.cli import render

    if render.is_tty() and not options.get("as_json") and options.get("fmt") is None:
        return None  # a table for people: Rich, under Typer
    from tinycrm.cli import guarded, lookup

    db = _Database(url)
    try:
        if command == ("contact", "list"):
            return guarded(lambda: lookup.list_contacts(db, **options))
        return guarded(lambda: lookup.search(db, words, **options))
    finally:
        db.close()


def parse(argv: list[str]) -> tuple[str | None, tuple[str, ...], dict, list[str]] | None:
    """``(database URL, command, options, query words)`` from a command line, as click would read it; None for
    anything this module leaves to Typer."""
    url = os.environ.get("TINYCRM_DB") or None
    i, given = 0, False
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] == "--db" and i + 1 < len(argv) and not given:
            url, given, i = argv[i + 1], True, i + 2
        elif argv[i].startswith("--db=") and not given:
            url, given, i = argv[i][len("--db=") :], True, i + 1
        else:
            return None  # --help, --version, completion options, --db twice...
    command = next((c for c in COMMANDS if tuple(argv[i : i + len(c)]) == c), None)
    if command is None:
        return None
    parsed = _options(argv[i + len(command) :], COMMANDS[command])
    if parsed is None:
        return None
    options, words = parsed
    if command == ("contact", "list") and words or command != ("contact", "list") and not words:
        return None  # click's "unexpected extra argument" / "missing argument"
    return url, command, options, words


def _options(args: list[str], spec: dict[str, tuple[str, str]]) -> tuple[dict, list[str]] | None:
    options: dict = {}
    words: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            words.extend(args[i:])
            break
        if not arg.startswith("-") or arg == "-":
            words.append(arg)
            continue
        name, eq, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name not in spec:
            return None
        key, kind = spec[name]
        if kind == "flag":
            if eq:
                return None  # click: the option does not take a value
            options[key] = True
            continue
        if not eq:
            if i == len(args):
                return None  # click: the option requires an argument
            value = args[i]
            i += 1
        converted = _convert(value, kind)
        if converted is None:
            return None
        options[key] = converted
    return options, words


def _convert(value: str, kind: str) -> str | int | None:
    if kind == "any":
        return value
    if kind == "text":
        return value if value.strip() else None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= (1 if kind == "int>=1" else 0) else None


class _Database:
    """Opens the database on first use, as ``state.db()`` does for a command that only reads (nothing is
    created), and closes it when the command is done."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.db = None

    def __call__(self):  # noqa: ANN204 - a Database
        if self.db is None:
            from tinycrm.store.database import open_db

            self.db = open_db(self.url, create=False)
        return self.db

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
