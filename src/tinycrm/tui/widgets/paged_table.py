"""A DataTable that holds one page of a list kept in the database, and asks for the next page at its edges.

The table never holds more than a screenful of rows: page up / page down (and the arrow keys at the first or
last row) post :class:`PagedTable.PageRequested`; the screen fetches that page from SQL in a worker and puts
it in with :meth:`PagedTable.show_page`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from textual.message import Message
from textual.widgets import DataTable

from tinycrm.tui.keys import bindings


class PagedTable(DataTable):
    BINDINGS = bindings("list")

    class PageRequested(Message):
        """The user wants another page: ``where`` is next, previous, first or last; ``cursor`` where the
        cursor goes in it (first or last row)."""

        def __init__(self, table: PagedTable, where: str, cursor: str) -> None:
            super().__init__()
            self.table = table
            self.where = where
            self.cursor = cursor

        @property
        def control(self) -> PagedTable:
            return self.table

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.offset_ = 0
        self.total = 0
        self.page_size = 0
        self.keys: list[Any] = []

    # --- paging --------------------------------------------------------------------------------------------
    @property
    def has_next(self) -> bool:
        return self.offset_ + len(self.keys) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset_ > 0

    def fitting_rows(self) -> int:
        """How many rows fit in the table now (at least 5)."""
        header = 1 if self.show_header else 0
        return max(5, self.size.height - header)

    def action_page(self, where: str) -> None:
        if where == "next" and self.has_next:
            self.post_message(self.PageRequested(self, "next", "first"))
        elif where == "previous" and self.has_previous:
            self.post_message(self.PageRequested(self, "previous", "last" if self.cursor_row else "first"))
        elif where == "first" and self.has_previous:
            self.post_message(self.PageRequested(self, "first", "first"))
        elif where == "last" and self.has_next:
            self.post_message(self.PageRequested(self, "last", "last"))
        elif where in ("next", "last") and self.row_count:
            self.move_cursor(row=self.row_count - 1)
        elif where in ("previous", "first") and self.row_count:
            self.move_cursor(row=0)

    def action_cursor_down(self) -> None:
        if self.row_count and self.cursor_row >= self.row_count - 1 and self.has_next:
            self.post_message(self.PageRequested(self, "next", "first"))
            return
        super().action_cursor_down()

    def action_cursor_up(self) -> None:
        if self.cursor_row <= 0 and self.has_previous:
            self.post_message(self.PageRequested(self, "previous", "last"))
            return
        super().action_cursor_up()

    def offset_for(self, where: str, size: int) -> int:
        if where == "next":
            return self.offset_ + len(self.keys)
        if where == "previous":
            return max(0, self.offset_ - size)
        if where == "last":
            return max(0, (self.total - 1) // size * size) if self.total else 0
        return 0

    def show_page(
        self,
        rows: Iterable[tuple[Any, Sequence[Any]]],
        *,
        offset: int,
        total: int,
        cursor: str | int | None = None,
    ) -> None:
        """Replace the rows with one page: ``(key, cells)`` pairs."""
        keep = self.cursor_row
        self.clear()
        self.keys = []
        for key, cells in rows:
            self.add_row(*cells, key=str(key))
            self.keys.append(key)
        self.offset_ = offset
        self.total = total
        if not self.keys:
            return
        if cursor == "first":
            row = 0
        elif cursor == "last":
            row = len(self.keys) - 1
        elif isinstance(cursor, int):
            row = cursor
        else:
            row = keep
        self.move_cursor(row=max(0, min(row, len(self.keys) - 1)), animate=False, scroll=False)

    @property
    def current_key(self) -> Any:
        if not self.keys or not 0 <= self.cursor_row < len(self.keys):
            return None
        return self.keys[self.cursor_row]
