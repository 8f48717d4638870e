"""The footer of every area: Textual's, without restyling each key twice as it is drawn.

Textual's ``FooterKey`` starts compact and is then bound to the footer's (not compact): each key changes its
CSS class twice, and each change restyles it. With a dozen keys on a screen, that was a tenth of a first visit.
Here each key starts as the footer is, so nothing changes and nothing is restyled. Looks and keys are Textual's.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class CrmFooter(Footer):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # the command palette's key is not bound to the footer's compact: it stays as Textual has it
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(self.compact, "-compact", update=False)
            yield widget
