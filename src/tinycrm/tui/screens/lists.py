"""A list kept in the database, a page at a time, under a row of filters: what the companies, tickets and leads
screens share.

A screen built on :class:`PagedListScreen` says what its columns are (:meth:`~PagedListScreen.columns`, once
the table has its width), reads a page in a worker (:meth:`~PagedListScreen.read`), turns it into rows
(:meth:`~PagedListScreen.rows`) and says what the status line reads (:meth:`~PagedListScreen.status_text`). The
base does the rest the same way for all: the first page as soon as the table is laid out (as many rows as fit),
page up/down and the arrows at the edges, refresh, and a reload when the screen is shown again.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.message import Message
from textual.widgets import Static

from tinycrm.domain.errors import CrmError
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.widgets.paged_table import PagedTable


class PageFetched(Message):
    """A page of the list (and what :meth:`PagedListScreen.read` read with it), for the UI thread."""

    def __init__(self, page: Any, cursor: Any, extra: Any = None) -> None:
        super().__init__()
        self.page = page
        self.cursor = cursor
        self.extra = extra


class PagedListScreen(CrmScreen):
    #: what a failure to read the list is titled
    LIST_TITLE: ClassVar[str] = "List"

    def __init__(self) -> None:
        super().__init__()
        self.limit = 20

    # --- what a list says ------------------------------------------------------------------------------
    def columns(self, width: int) -> list[tuple[str, int, str]]:
        """The columns for a table ``width`` cells wide: (label, width, key)."""
        raise NotImplementedError

    def read(self, offset: int, *, first: bool) -> tuple[Any, Any]:
        """In a worker: the page at ``offset`` (``self.limit`` rows) and anything read with it (``first``: the
        screen's first page), through ``self.service``."""
        raise NotImplementedError

    def rows(self, page: Any) -> list[tuple[Any, list[Any]]]:
        raise NotImplementedError

    def status_text(self, page: Any) -> str:
        raise NotImplementedError

    def shown(self, message: PageFetched) -> None:
        """After a page is on screen (``message.extra`` is what :meth:`read` read with it)."""

    # --- the same for every list -----------------------------------------------------------------------
    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._first_load)

    def on_screen_resume(self) -> None:
        if self.query_one(PagedTable).columns:
            self.action_refresh()

    def _first_load(self) -> None:
        table = self.query_one(PagedTable)
        for label, width, key in self.columns(table.size.width):
            table.add_column(label, width=width, key=key)
        self.limit = table.fitting_rows()
        self.load(0, "first", first=True)

    @work(thread=True, exclusive=True, group="list")
    def load(self, offset: int, cursor: Any = None, *, first: bool = False) -> None:
        try:
            page, extra = self.read(offset, first=first)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, self.LIST_TITLE))
            return
        if not self.cancelled():
            self.post_message(PageFetched(page, cursor, extra))

    def on_page_fetched(self, message: PageFetched) -> None:
        page = message.page
        self.query_one(PagedTable).show_page(
            self.rows(page), offset=page.offset, total=page.total, cursor=message.cursor
        )
        self.query_one("#status", Static).update(self.status_text(page))
        self.shown(message)

    @on(PagedTable.PageRequested)
    def _page(self, event: PagedTable.PageRequested) -> None:
        self.load(event.table.offset_for(event.where, self.limit), event.cursor)

    def action_refresh(self) -> None:
        self.load(self.query_one(PagedTable).offset_, None)
