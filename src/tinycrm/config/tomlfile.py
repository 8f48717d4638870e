"""Reading the config file, and finding the line a key is on (``tomllib`` parses but gives no line numbers).

:func:`key_lines` scans the text the way TOML is laid out: ``[table]`` and ``[[array]]`` headers, ``key =``,
``dotted.key =`` and ``"quoted.key" =`` lines, skipping the inside of multi-line strings and arrays. Each key
gets its full path (the table it is in, then its own dotted parts), so ``[smtp]`` + ``port = 1`` and a top
level ``smtp.port = 1`` are both ``("smtp", "port")``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from tinycrm.domain.errors import InvalidInput


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """A table header, the start of a ``key =`` line, one part of a dotted key (compiled on first need:
    reading a good file never needs them)."""
    bare, basic, literal = r"[A-Za-z0-9_-]+", r'"(?:[^"\\]|\\.)*"', r"'[^']*'"
    part = rf"\s*(?:{bare}|{basic}|{literal})\s*"
    path = rf"{part}(?:\.{part})*"
    return (
        re.compile(rf"^\s*\[\[?({path})\]\]?\s*(?:#.*)?$"),
        re.compile(rf"^({path})="),
        re.compile(rf"{bare}|{basic}|{literal}"),
    )


def _split(path: str) -> tuple[str, ...]:
    out = []
    for part in _patterns()[2].findall(path):
        if part.startswith('"'):
            import json

            part = json.loads(part)
        elif part.startswith("'"):
            part = part[1:-1]
        out.append(part)
    return tuple(out)


def _open_brackets(value: str) -> int:
    """How many ``[``/``{`` a value line leaves open (strings and comments aside)."""
    depth = 0
    quote = ""
    i = 0
    while i < len(value):
        ch = value[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        i += 1
    return depth


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Each table header and key of a TOML text, by full path, with its (first) line number, 1-based."""
    header_line, key_line, _ = _patterns()
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    closing = ""  # the delimiter of the multi-line string being skipped
    depth = 0  # the brackets of a multi-line array being skipped
    for number, line in enumerate(text.splitlines(), 1):
        if closing:
            if closing in line:
                closing = ""
            continue
        if depth > 0:
            depth += _open_brackets(line)
            continue
        header = header_line.match(line)
        if header:
            table = _split(header.group(1))
            found.setdefault(table, number)
            continue
        key = key_line.match(line.lstrip())
        if not key:
            continue
        path = table + _split(key.group(1))
        for n in range(len(table) + 1, len(path) + 1):
            found.setdefault(path[:n], number)
        value = line.lstrip()[key.end() :]
        for quotes in ('"""', "'''"):
            if value.count(quotes) % 2 == 1:
                closing = quotes
        if not closing:
            depth = max(0, _open_brackets(value))
    return found


def line_of(lines: dict[tuple[str, ...], int], *path: str) -> int | None:
    """The line of ``path``, else of the nearest table that holds it; ``None`` when none is in the file."""
    for n in range(len(path), 0, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return None


def read(path: Path) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed content; ``("", {})`` when there is no file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "", {}
    except IsADirectoryError:
        raise InvalidInput(f"{path}: is a folder, not a config file; remove it or set TINYCRM_HOME") from None
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the config file: {exc.strerror}") from None
    import tomllib

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: not UTF-8 text; save the config file as UTF-8") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if where:
            message = message[: where.start()].strip() + f" (column {where.group(2)})"
            raise InvalidInput(f"{path}:{where.group(1)}: not valid TOML: {message}") from None
        raise InvalidInput(f"{path}: not valid TOML: {message}") from None
