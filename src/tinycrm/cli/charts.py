"""Small charts for the terminal, drawn with block characters inside Rich tables: horizontal bars and a line of
months (a sparkline). No import at start-up: Rich loads only when a terminal shows a chart."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_EIGHTHS = " ▏▎▍▌▋▊▉"
_LEVELS = "▁▂▃▄▅▆▇█"


def bar(value: Any, top: Any, width: int = 24) -> str:
    """A horizontal bar of ``value`` against ``top``, in eighths of a character (nothing for 0 or less)."""
    if not top or value is None or float(value) <= 0:
        return ""
    eighths = int(round(float(value) / float(top) * width * 8))
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + ("" if not part else _EIGHTHS[part])


def line(values: Sequence[Any]) -> str:
    """One character per value, its height against the largest (a line of months); ``·`` for nothing."""
    numbers = [float(v) if v is not None else 0.0 for v in values]
    top = max(numbers or [0.0])
    if top <= 0:
        return "·" * len(numbers)
    return "".join("·" if n <= 0 else _LEVELS[min(7, int(n / top * 7.999))] for n in numbers)


def bars(title: str, rows: Sequence[tuple[str, Any, str]], *, style: str = "blue", width: int = 30) -> None:
    """A titled chart of labelled bars: ``rows`` are (label, value, value as shown)."""
    from rich.table import Table

    from tinycrm.cli import render

    top = max([float(v) for _, v, _ in rows if v is not None] or [0.0])
    t = Table(title=title, box=None, pad_edge=False, header_style="bold", show_header=False)
    t.add_column("", style="cyan")
    t.add_column("", justify="right")
    t.add_column("", style=style)
    for label, value, shown in rows:
        t.add_row(label, shown, bar(value, top, width))
    render.console().print(t)
