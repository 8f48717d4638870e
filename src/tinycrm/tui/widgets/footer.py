"""The footer of every screen: its keys, fitted to the width, with "? Help" always in view.

Textual's ``Footer`` lays every key out in a row that scrolls sideways, so at 80 columns the last keys (and the
"? Help" after them) were cut off. Here the keys that do not fit make way, least important first: the command
palette's key (ctrl+p still opens it, the help lists it), then keys marked ``minor`` in
:mod:`tinycrm.config.keys`, then long labels give way to their short ones, then the screen's other keys from
the right. "? Help" stays (it lists everything).

Built on Textual's public API: the screen's ``active_bindings``, ``App.get_key_display`` and
``App.simulate_key``, and ``Footer.bindings_changed``, the hook Textual's footer recomposes from (if a release
renames it, tests/tui/test_footer_fit.py finds every footer empty); the keys are our own widget, styled with
the theme's footer variables. Each key is built
in its final style, so nothing is restyled after it is mounted (a first visit stays fast).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Footer

HELP_ID = "app.help"


@dataclass(frozen=True)
class Shown:
    """One key as the footer may show it."""

    key: str
    display: str
    description: str
    short: str
    rank: int  # 0: always (help), 1: the screen's keys, 2: the palette, 3: minor keys (dropped in this order: 2, 3, 1)
    enabled: bool
    tooltip: str
    palette: bool = False

    def label(self, short: bool) -> str:
        return self.short if short and self.short else self.description

    def cells(self, short: bool) -> int:
        """Columns taken: " key label " (the palette's: "│key label ", as Textual draws it)."""
        return cell_len(self.display) + cell_len(self.label(short)) + 3


def fit(items: list[Shown], width: int) -> tuple[list[Shown], bool]:
    """The keys that fit ``width`` columns, in their order, and whether they use their short labels."""
    kept = list(items)

    def wide(short: bool) -> bool:
        return sum(i.cells(short) for i in kept) > width

    def drop(rank: int, short: bool) -> None:
        for item in reversed([i for i in kept if i.rank == rank]):
            if not wide(short):
                return
            kept.remove(item)

    drop(2, False)
    drop(3, False)
    short = wide(False)
    drop(1, short)
    return kept, short


class FooterKeyLabel(Widget):
    """A key and what it does; a click presses the key."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description"}
    DEFAULT_CSS = """
    FooterKeyLabel {
        width: auto;
        height: 1;
        text-wrap: nowrap;
        background: $footer-item-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        &:hover {
            pointer: pointer;
            color: $footer-key-foreground;
            background: $block-hover-background;
        }
        &.-disabled {
            text-style: dim;
        }
        &.-command-palette {
            dock: right;
            padding-right: 1;
            border-left: vkey $foreground 20%;
        }
    }
    """

    def __init__(self, item: Shown, short: bool) -> None:
        classes = ("-disabled " if not item.enabled else "") + ("-command-palette" if item.palette else "")
        super().__init__(classes=classes.strip())
        self.key = item.key
        self.key_display = item.display
        self.description = item.label(short)
        self.enabled = item.enabled
        self.palette = item.palette
        if item.tooltip:
            self.tooltip = item.tooltip

    def render(self) -> Text:
        key = self.key_display if self.palette else f" {self.key_display} "  # the palette's: compact
        description = f" {self.description}" if self.palette else f"{self.description} "
        text = Text.assemble(
            (key, self.get_component_rich_style("footer-key--key")),
            (description, self.get_component_rich_style("footer-key--description")),
        )
        text.stylize_before(self.rich_style)
        return text

    def on_mouse_down(self) -> None:
        if self.enabled:
            self.app.simulate_key(self.key)
        else:
            self.app.bell()


class CrmFooter(Footer):
    """Textual's footer (its place, colours and updates), showing the keys that fit."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ready = False
        self.fitted_width = 0

    def compose(self) -> ComposeResult:
        if not self.ready:
            return
        width = self.size.width or self.app.size.width
        self.fitted_width = width
        kept, short = fit(list(self.shown()), width)
        for item in kept:
            yield FooterKeyLabel(item, short)

    def shown(self) -> Iterable[Shown]:
        from tinycrm.config.keys import BY_ID

        app = self.app
        seen: set[str] = set()
        palette = None
        #: a screen may name a key as its own button does ("^s Send" under a reply, not "^s Save")
        labels: dict[str, str] = getattr(self.screen, "footer_labels", {})
        for _node, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = (binding, enabled, tooltip)
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            meta = BY_ID.get(binding.id or "")
            rank = 0 if binding.id == HELP_ID else (3 if meta is not None and meta.minor else 1)
            label = labels.get(binding.id or "", binding.description)
            yield self._item(binding, enabled, tooltip, rank, meta.short if meta else "", label)
        if palette is not None and self.show_command_palette:
            binding, enabled, tooltip = palette
            yield Shown(
                binding.key,
                app.get_key_display(binding),
                binding.description,
                "",
                2,
                enabled,
                binding.tooltip or binding.description,
                palette=True,
            )

    def _item(
        self, binding: Binding, enabled: bool, tooltip: str, rank: int, short: str, label: str
    ) -> Shown:
        display = self.app.get_key_display(binding)
        return Shown(binding.key, display, label, short, rank, enabled, tooltip)

    def bindings_changed(self, screen: Any) -> None:
        self.ready = True
        super().bindings_changed(screen)

    def on_resize(self) -> None:
        if self.ready and self.size.width != self.fitted_width:
            self.call_after_refresh(self.recompose)
