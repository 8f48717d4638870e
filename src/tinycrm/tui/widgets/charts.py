"""Small charts drawn with block characters, as Rich renderables (they follow the theme's colours)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar ``fraction`` (0..1) of ``width`` cells, with eighth-cell precision."""
    fraction = max(0.0, min(1.0, fraction))
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    out = "█" * full + (BLOCKS[rest] if rest else "")
    return out.ljust(width)


def hbars(
    rows: Sequence[tuple[str, float, str]],
    *,
    width: int = 40,
    label_width: int | None = None,
    style: str = "",
    empty: str = "nothing yet",
) -> Text:
    """One line per row: ``label ███████▌   value-text``. Values are scaled to the largest."""
    text = Text()
    if not rows or not any(v for _, v, _ in rows):
        return Text(empty, style="dim italic")
    top = max(v for _, v, _ in rows) or 1
    lw = label_width or max(len(label) for label, _, _ in rows)
    for i, (label, value, shown) in enumerate(rows):
        if i:
            text.append("\n")
        text.append(label[:lw].ljust(lw) + " ", style="bold")
        text.append(bar(value / top, width), style=style)
        text.append(" " + shown, style="dim")
    return text
