"""Cells a spreadsheet shows as text, and back: the formula-injection defence of CSV exports.

A spreadsheet runs a cell as a formula when it starts with ``=``, ``+``, ``-`` or ``@`` (OWASP's "CSV
Injection" page), also in their fullwidth and small forms (``＝``, ``﹢``...), or after a leading tab, CR or
LF, or after spaces it trims. It also splits cells on a delimiter it was told to use, which may not be the
file's: a note ``a;=cmd|' /C calc'!A0;b`` written in a comma file is three cells, the second a formula, to a
spreadsheet splitting on ``;``. So, following OWASP, every cell is written in double quotes (inner quotes
doubled, see the writer), and :func:`neutralise` puts a ``'`` (which a spreadsheet takes as "this is text")

* before the first character of every *segment* of the cell (its start, and after every ``,`` ``;`` tab
  ``|`` CR or LF) that is, after blanks, one of those formula characters;
* at the very start of a cell that begins with a tab, CR or LF.

The round trip is lossless: a ``'`` that was already there at such a place is written twice, and
:func:`restore` removes exactly the ``'`` that :func:`neutralise` added, so a value that really starts with
``'=`` comes back as it was. A ``'`` anywhere else is never touched.
"""

from __future__ import annotations

import re

#: the characters that start a formula: = + - @ and every character whose compatibility form is one of them
TRIGGERS = frozenset("=+-@\u207a\u207c\u208a\u208c\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20")
#: where a spreadsheet may start a new cell
DELIMITERS = frozenset(",;\t|\r\n")
#: a cell starting with one of these is a formula to some spreadsheets once they strip it
LEADING = frozenset("\t\r\n")
_QUOTE = "'"
#: a cell without any of these needs nothing (the fast path: most cells)
_RISKY = re.compile(r"[=+\-@'\t\r\n]")


def _segment_heads(value: str) -> list[int]:
    """The first non-blank position of every segment of ``value``: at its start and after each delimiter."""
    heads: list[int] = []
    n = len(value)
    starts = [0, *(i + 1 for i, ch in enumerate(value) if ch in DELIMITERS)]
    last = -1
    for p in starts:
        q = p
        while q < n and value[q].isspace():
            q += 1
        if q < n and q != last:
            heads.append(q)
            last = q
    return heads


def _escapes(value: str, q: int) -> bool:
    """A ``'`` at ``q`` that :func:`restore` would take for an added one."""
    nxt = value[q + 1 : q + 2]
    return value[q] == _QUOTE and nxt != "" and (nxt in TRIGGERS or nxt == _QUOTE)


def _plain(value: str) -> bool:
    return value.isascii() and not _RISKY.search(value)


def neutralise(value: str) -> str:
    """The cell as written: a ``'`` before every formula start, and before every ``'`` that would be read as
    one added (see the module's description)."""
    if not value or _plain(value):
        return value
    marks = {q for q in _segment_heads(value) if value[q] in TRIGGERS or _escapes(value, q)}
    if value[0] in LEADING or (value[0] == _QUOTE and value[1:2] != "" and value[1] in LEADING):
        marks.add(0)
    if not marks:
        return value
    out = []
    last = 0
    for q in sorted(marks):
        out.append(value[last:q])
        out.append(_QUOTE)
        last = q
    out.append(value[last:])
    return "".join(out)


def restore(value: str) -> str:
    """The value of a cell :func:`neutralise` wrote (any other cell is given back as it is, but for a ``'``
    before a formula character at the start of a segment, the usual way of writing one as text)."""
    if _QUOTE not in value:
        return value
    drop = {q for q in _segment_heads(value) if _escapes(value, q)}
    if value[0] == _QUOTE and value[1:2] != "" and value[1] in LEADING:
        drop.add(0)
    if not drop:
        return value
    return "".join(ch for i, ch in enumerate(value) if i not in drop)
