"""Options shared by many commands, so every command spells them the same way."""

from __future__ import annotations

import sys
from typing import Any

import typer


def not_blank(value: str | None) -> str | None:
    """The callback of a filter option: given empty (``--tag ''``, an unset shell variable), it would filter
    nothing and list everything; refuse instead."""
    if isinstance(value, str) and not value.strip():
        raise typer.BadParameter("is empty; give a value or leave the option out")
    return value


JSON = typer.Option(False, "--json", help="Print JSON (a list is an array, a record an object with id).")
LIMIT = typer.Option(20, "--limit", "-n", min=1, help="Show at most this many.")
OFFSET = typer.Option(0, "--offset", min=0, help="Skip this many first.")
ALL = typer.Option(False, "--all", "-a", help="Show all, no paging.")

# the sales commands: deals, pipelines, reports
DEAL_OWNER = typer.Option(None, "--owner", callback=not_blank, help="Only deals of this user (a user name).")
DEAL_MINE = typer.Option(False, "--mine", help="Only my deals (the current user).")
PIPELINE = typer.Option(None, "--pipeline", "-p", help="Pipeline name or id (default: the first pipeline).")


def limit_of(limit: int, show_all: bool) -> int | None:
    return None if show_all else limit


def read_text_arg(value: str | None, what: str) -> str | None:
    """``-`` means: read the text from standard input (which must be UTF-8)."""
    if value != "-":
        return value
    if sys.stdin is None:
        from tinycrm.domain.errors import InvalidInput

        raise InvalidInput(f"{what} -: standard input is closed; give the text or pipe it in")
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        from tinycrm.domain.errors import InvalidInput

        raise InvalidInput(
            f"{what} from standard input is not UTF-8 text (byte {exc.start}); re-encode it"
        ) from None


def read_json_items() -> list[Any]:
    """The JSON on standard input as a list of items: an array as it is, one object as a list of one
    (``crm add-contact --json -``, ``crm lead add --json -``); :class:`InvalidInput` when it is not JSON."""
    import json

    from tinycrm.domain.errors import InvalidInput

    text = read_text_arg("-", "--json") or ""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"standard input is not JSON (line {exc.lineno}: {exc.msg})") from None
    return data if isinstance(data, list) else [data]


def split_kv(items: list[str], what: str = "--field") -> dict[str, str]:
    from tinycrm.domain.errors import InvalidInput

    out: dict[str, str] = {}
    for item in items:
        if "=" not in item:
            raise InvalidInput(f"{what} {item!r}: write KEY=VALUE")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def labeled(items: list[str]) -> list:
    """``work:ada@example.com`` or ``ada@example.com`` (no label)."""
    import re

    from tinycrm.domain.people import Labeled

    out = []
    for item in items:
        m = re.match(r"^([A-Za-z][\w-]{0,30}):(?!//)(.+)$", item)
        if m and m.group(1).lower() not in ("tel", "mailto", "sip"):
            out.append(Labeled(m.group(2).strip(), m.group(1)))
        else:
            out.append(Labeled(item.strip()))
    return out


def address(items: list[str]) -> list:
    """``[LABEL:]street; city; region; postcode; country``."""
    import re

    from tinycrm.domain.people import Address

    out = []
    for item in items:
        label = None
        m = re.match(r"^([A-Za-z][\w-]{0,30}):(.+)$", item)
        if m:
            label, item = m.group(1), m.group(2)
        parts = [p.strip() or None for p in item.split(";")] + [None] * 5
        out.append(
            Address(
                label=label,
                street=parts[0],
                locality=parts[1],
                region=parts[2],
                postcode=parts[3],
                country=parts[4],
            )
        )
    return out
