"""Duplicates: pairs of contacts that look like one person (from the duplicates service, most certain first, a
page at a time), and beside the highlighted pair the merge side by side: each field's value on both, what the
merged contact keeps and which side wins, as the service works it out. ``m`` merges (after a yes, one
transaction; ``u`` undoes it for a few seconds, ``crm merge undo`` later), ``s`` swaps which contact is kept,
``x`` says the pair is two people (``crm duplicates dismiss``: the pair leaves the list; ``u`` brings it
back)."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import DataTable, Static

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import escape
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar
from tinycrm.tui.widgets.paged_table import PagedTable

#: how the winner of a row shows: the kept side's style, the merged-in side's, and a word for the result
WINNER_LOOK = {
    "keep": ("bold green", "dim", "kept"),
    "other": ("dim", "bold green", "taken"),
    "both": ("bold green", "bold green", "both"),
    "same": ("", "", "same"),
    "keep+notes": ("bold green", "yellow", "kept (note)"),
}
#: pairs on a page: a third of the screen, within these bounds
PAIRS_SHOWN = (3, 12)


class PairsFetched(Message):
    def __init__(self, page: Any, cursor: Any) -> None:
        super().__init__()
        self.page = page
        self.cursor = cursor


class PreviewFetched(Message):
    def __init__(self, preview: Any) -> None:
        super().__init__()
        self.preview = preview


class Merged(Message):
    def __init__(self, contact: Any, other_name: str, merge_id: int) -> None:
        super().__init__()
        self.contact = contact
        self.other_name = other_name
        self.merge_id = merge_id


class Dismissed(Message):
    def __init__(self, pair: Any) -> None:
        super().__init__()
        self.pair = pair


def unmerge(merge_id: int) -> Any:
    """The undo of a merge (:mod:`tinycrm.tui.undo`): OTHER back as it was."""

    def run(db: Any) -> str:
        from tinycrm.services.people import merge_undo

        done = merge_undo.undo(db, merge_id)
        return f"Merge undone: {done.other_name} is back"

    return run


def undismiss(a_id: int, b_id: int) -> Any:
    """The undo of a dismissal: the pair is listed again."""

    def run(db: Any) -> str:
        from tinycrm.services.people import dismissals

        pair = dismissals.undismiss(db, a_id, b_id)
        return f"Listed again: {pair.a.name} and {pair.b.name}"

    return run


class DuplicatesScreen(CrmScreen):
    """Candidate pairs above, the merge preview of the highlighted one below."""

    AREA = "duplicates"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("duplicates")]
    AUTO_FOCUS = "#pairs"
    DEFAULT_CSS = """
    DuplicatesScreen #pairs { height: 4; margin: 0 1; scrollbar-size: 0 0; }
    DuplicatesScreen #merge-title { height: auto; padding: 0 1; margin-top: 1; }
    DuplicatesScreen #merge-preview { height: 1fr; margin: 0 1; scrollbar-size-horizontal: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.pairs: list[Any] = []
        self.page_offset = 0
        self.swapped = False
        self.preview: Any = None
        self.pair_total = 0
        self.page_size = PAIRS_SHOWN[0]

    def compose(self) -> ComposeResult:
        yield NavBar("duplicates", "Duplicates")
        yield Static("", id="pairs-status", classes="status-line")
        yield PagedTable(id="pairs")
        yield Static("", id="merge-title")
        yield DataTable(id="merge-preview", cursor_type="none", zebra_stripes=True)
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self._fit()
        self.call_after_refresh(self._columns)
        self.load()

    def on_resize(self) -> None:
        self.call_after_refresh(self._columns)

    def _fit(self) -> None:
        """A third of the screen for the pairs; the rest for the merge preview."""
        low, high = PAIRS_SHOWN
        size = max(low, min(high, (self.app.size.height - 8) // 3))
        self.query_one("#pairs", PagedTable).styles.height = size + 1
        if size != self.page_size:
            self.page_size = size
            if self.pairs:
                self.load()

    def _columns(self) -> None:
        self._fit()
        width = max(30, self.query_one("#pairs", PagedTable).size.width or self.app.size.width - 2)
        pairs = self.query_one("#pairs", PagedTable)
        pairs.clear(columns=True)
        name = max(8, (width - 8 - 5) * 3 // 10)
        for key, title, w in (
            ("a", "Contact", name),
            ("b", "Same person?", name),
            ("why", "Why", max(6, width - 2 * name - 5 - 9)),
            ("score", "Score", 5),
        ):
            pairs.add_column(title, width=w, key=key)
        preview = self.query_one("#merge-preview", DataTable)
        preview.clear(columns=True)
        value = max(6, (width - 14 - 11 - 2 * 5 - 2) // 3)  # each column has 2 cells of padding
        for key, title, w in (
            ("field", "Field", 14),
            ("keep", "Kept", value),
            ("other", "Merged in", value),
            ("result", "Result", value),
            ("who", "Wins", 11),
        ):
            preview.add_column(title, width=w, key=key)
        self._show_pairs()
        self._show_preview()

    # --- loading ---------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="pairs")
    def load(self, cursor: Any = "first") -> None:
        from tinycrm.services.people import duplicates

        try:
            page = self.service(duplicates.page, limit=self.page_size, offset=self.page_offset)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Duplicates"))
            return
        if not self.cancelled():
            self.post_message(PairsFetched(page, cursor))

    def on_pairs_fetched(self, message: PairsFetched) -> None:
        page = message.page
        if not page.items and page.total and self.page_offset:
            self.page_offset = max(
                0, self.page_offset - self.page_size
            )  # the last pair of the last page was merged
            self.load("last")
            return
        self.pairs = page.items
        self.pair_total = page.total
        self._show_pairs(message.cursor)
        status = self.query_one("#pairs-status", Static)
        if not page.total:
            status.update("No possible duplicates: no two contacts share an email, a phone or a name.")
        else:
            first, last = self.page_offset + 1, self.page_offset + len(page.items)
            more = " · PgDn for more" if page.total > last else ""
            status.update(
                f"[b]{first}–{last}[/b] of [b]{page.total:,}[/b] possible pairs, most certain first{more}"
            )
        self.swapped = False
        self._load_preview()

    def _show_pairs(self, cursor: Any = None) -> None:
        table = self.query_one("#pairs", PagedTable)
        if not table.columns:
            return
        rows = []
        for p in self.pairs:
            rows.append(
                (
                    f"{p.a.id}-{p.b.id}",
                    [
                        Text(p.a.display_name, style="bold", no_wrap=True, overflow="ellipsis"),
                        Text(p.b.display_name, style="bold", no_wrap=True, overflow="ellipsis"),
                        Text("; ".join(p.reasons), style="dim", no_wrap=True, overflow="ellipsis"),
                        Text(str(p.score), justify="right"),
                    ],
                )
            )
        table.show_page(rows, offset=self.page_offset, total=self.pair_total, cursor=cursor)

    def current_pair(self) -> Any:
        table = self.query_one("#pairs", PagedTable)
        key = table.current_key
        return next((p for p in self.pairs if f"{p.a.id}-{p.b.id}" == key), None)

    def kept_and_other(self) -> tuple[Any, Any] | None:
        """The contact kept and the one merged into it: the older one is kept unless swapped (``s``)."""
        pair = self.current_pair()
        if pair is None:
            return None
        return (pair.b, pair.a) if self.swapped else (pair.a, pair.b)

    @on(PagedTable.RowHighlighted, "#pairs")
    def _highlighted(self) -> None:
        self.swapped = False
        self._load_preview()

    @on(PagedTable.PageRequested, "#pairs")
    def _page(self, event: PagedTable.PageRequested) -> None:
        self.page_offset = event.table.offset_for(event.where, self.page_size)
        self.load(event.cursor)

    def _load_preview(self) -> None:
        chosen = self.kept_and_other()
        if chosen is None:
            self.preview = None
            self._show_preview()
            return
        self.fetch_preview(chosen[0].id, chosen[1].id)

    @work(thread=True, exclusive=True, group="merge-preview")
    def fetch_preview(self, keep_id: int, other_id: int) -> None:
        from tinycrm.services.people import merge_preview

        try:
            preview = self.service(merge_preview.preview, keep_id, other_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Merge preview"))
            return
        if not self.cancelled():
            self.post_message(PreviewFetched(preview))

    def on_preview_fetched(self, message: PreviewFetched) -> None:
        self.preview = message.preview
        self._show_preview()

    def _show_preview(self) -> None:
        table = self.query_one("#merge-preview", DataTable)
        title = self.query_one("#merge-title", Static)
        table.clear()
        p = self.preview
        if p is None:
            title.update("")
            return
        title.update(
            f"Keep [b $accent]{escape(p.keep_name)}[/] [dim](#{p.keep_id})[/dim] ← merge in "
            f"[b]{escape(p.other_name)}[/b] [dim](#{p.other_id})[/dim]"
        )
        for row in p.rows:
            keep_style, other_style, word = WINNER_LOOK.get(row.winner, ("", "", row.winner))
            table.add_row(
                Text(row.label, style="dim"),
                Text(row.keep, style=keep_style, no_wrap=True, overflow="ellipsis"),
                Text(row.other, style=other_style, no_wrap=True, overflow="ellipsis"),
                Text(row.result, no_wrap=True, overflow="ellipsis"),
                Text(word, style="italic", no_wrap=True, overflow="ellipsis"),
            )
        moves = ", ".join(f"{n} {k}" for k, n in p.moves.items() if n)
        if moves:
            table.add_row(
                Text("moves", style="dim"), Text(""), Text(moves), Text("to the kept contact"), Text("")
            )

    # --- actions ---------------------------------------------------------------------------------------
    def action_swap(self) -> None:
        if self.current_pair() is not None:
            self.swapped = not self.swapped
            self._load_preview()

    def action_merge(self) -> None:
        chosen = self.kept_and_other()
        p = self.preview
        if chosen is None or p is None or (p.keep_id, p.other_id) != (chosen[0].id, chosen[1].id):
            return
        from tinycrm.tui.screens.forms import ConfirmDialog

        moved = ", ".join(f"{n} {k}" for k, n in p.moves.items() if n)
        moves = f"{moved} move over" if moved else "nothing else moves over"
        detail = (
            f"{escape(p.other_name)} (#{p.other_id}) is merged into {escape(p.keep_name)} (#{p.keep_id}) and "
            f"deleted; its addresses, tags and fields join, {moves}. u undoes it for a few seconds, "
            "crm merge undo later."
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self.merge(p.keep_id, p.other_id, p.other_name)

        self.app.push_screen(
            ConfirmDialog(f"Merge into {p.keep_name}?", detail, yes="Merge", danger=True), answered
        )

    @work(thread=True, group="merge")
    def merge(self, keep_id: int, other_id: int, other_name: str) -> None:
        from tinycrm.services.people import duplicates

        try:
            contact, merge_id = self.service(duplicates.merge_recorded, keep_id, other_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Merge"))
            return
        self.post_message(Merged(contact, other_name, merge_id))

    def on_merged(self, message: Merged) -> None:
        from tinycrm.tui import undo

        text = f"Merged {message.other_name} into {message.contact.display_name}"
        undo.offer(self.app, text, unmerge(message.merge_id))
        self.load(self.query_one("#pairs", PagedTable).cursor_row)

    def action_not_same(self) -> None:
        pair = self.current_pair()
        if pair is not None:
            self.dismiss_pair(pair.a.id, pair.b.id)

    @work(thread=True, group="dismiss")
    def dismiss_pair(self, a_id: int, b_id: int) -> None:
        from tinycrm.services.people import dismissals

        try:
            pair = self.service(dismissals.dismiss, a_id, b_id)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Not the same"))
            return
        self.post_message(Dismissed(pair))

    def on_dismissed(self, message: Dismissed) -> None:
        from tinycrm.tui import undo

        p = message.pair
        undo.offer(self.app, f"Two people: {p.a.name} and {p.b.name}", undismiss(p.a.id, p.b.id))
        self.load(self.query_one("#pairs", PagedTable).cursor_row)

    def action_open_contact(self) -> None:
        chosen = self.kept_and_other()
        if chosen is not None:
            from tinycrm.tui.screens.contact import ContactScreen

            self.app.push_screen(ContactScreen(chosen[0].id), callback=lambda _: self.action_refresh())

    @on(DataTable.RowSelected, "#pairs")
    def _selected(self) -> None:
        self.action_open_contact()

    def action_refresh(self) -> None:
        self.load(self.query_one("#pairs", PagedTable).cursor_row)

    def action_back(self) -> None:
        self.dismiss(None)
