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


def vbars(
    values: Sequence[float], labels: Sequence[str], *, height: int = 8, col: int = 5, style: str = ""
) -> Text:
    """Vertical bars, one column of ``col`` cells per value, labels under them."""
    text = Text()
    if not values or not any(values):
        return Text("nothing yet", style="dim italic")
    top = max(values) or 1
    levels = [v / top * height for v in values]
    for row in range(height, 0, -1):
        for lvl in levels:
            if lvl >= row:
                cell = "█"
            elif lvl > row - 1:
                cell = "▁▂▃▄▅▆▇█"[max(0, min(7, int((lvl - (row - 1)) * 8) - 1))]
            else:
                cell = " "
            text.append((cell * (col - 1)).ljust(col), style=style)
        text.append("\n")
    for label in labels:
        text.append(label[: col - 1].ljust(col), style="dim")
    return text
