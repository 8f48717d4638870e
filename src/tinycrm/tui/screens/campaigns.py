"""Campaigns: the list with what became of each one's mail, and one campaign with its preview (rendered for one
recipient by the service), its progress and its recipients by state. Sending is in
:mod:`tinycrm.tui.screens.campaign_forms`."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, ProgressBar, Static, TabbedContent, TabPane

from tinycrm.domain.errors import CrmError
from tinycrm.tui import keys
from tinycrm.tui.format import escape
from tinycrm.tui.screens.base import CrmScreen, ServiceFailed
from tinycrm.tui.screens.campaign_forms import Sends
from tinycrm.tui.widgets.footer import CrmFooter
from tinycrm.tui.widgets.nav import NavBar
from tinycrm.tui.widgets.paged_table import PagedTable

#: the list's columns: key, title, width (None: what is left)
COLUMNS = [
    ("name", "Campaign", None),
    ("state", "State", 7),
    ("segment", "Segment", 12),
    ("total", "Rcpt", 5),
    ("sent", "Sent", 5),
    ("failed", "Fail", 5),
    ("bounced", "Bnc", 5),
    ("unsub", "Unsub", 5),
]
#: how a campaign's or a recipient's state shows
STATE_LOOK = {
    "draft": "yellow",
    "sending": "bold cyan",
    "done": "green",
    "queued": "dim",
    "sent": "green",
    "replied": "bold cyan",
    "failed": "bold red",
    "bounced": "red",
    "opted-out": "yellow",
}
RECIPIENT_FILTERS = [None, "queued", "sent", "failed", "bounced", "replied", "opted-out"]


def tally(c: Any) -> dict[str, int]:
    """A campaign's recipients by what happened: sent (replies included), failed, bounced, unsubscribed, and
    those still to send."""
    n = c.counts
    return {
        "total": c.recipients,
        "sent": n.get("sent", 0) + n.get("replied", 0),
        "failed": n.get("failed", 0),
        "bounced": n.get("bounced", 0),
        "unsub": n.get("opted-out", 0),
        "left": n.get("queued", 0) + n.get("sending", 0),
    }


def state_text(state: str) -> Text:
    return Text(state, style=STATE_LOOK.get(state, ""))


class CampaignsFetched(Message):
    def __init__(self, items: list[Any]) -> None:
        super().__init__()
        self.items = items


class CampaignsScreen(CrmScreen):
    """Every campaign, newest first."""

    AREA = "campaigns"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("campaigns")]
    AUTO_FOCUS = "#campaigns"
    DEFAULT_CSS = """
    CampaignsScreen #campaigns { height: 1fr; margin: 0 1; scrollbar-size-horizontal: 0; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []

    def compose(self) -> ComposeResult:
        yield NavBar("campaigns", "Campaigns")
        yield DataTable(id="campaigns", cursor_type="row", zebra_stripes=True)
        yield Static("", id="campaigns-status", classes="status-line")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._columns)
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        self.call_after_refresh(self._redraw)

    def _columns(self) -> None:
        table = self.query_one("#campaigns", DataTable)
        fixed = sum(w or 0 for _, _, w in COLUMNS) + 2 * len(COLUMNS) + 1
        name_width = max(8, (table.size.width or self.app.size.width) - fixed)
        table.clear(columns=True)
        for key, title, width in COLUMNS:
            table.add_column(title, width=width or name_width, key=key)

    def _redraw(self) -> None:
        self._columns()
        self._show(self.items)

    @work(thread=True, exclusive=True, group="campaigns")
    def reload(self) -> None:
        from tinycrm.services.marketing import campaigns

        try:
            items = self.service(campaigns.list_campaigns)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Campaigns"))
            return
        if not self.cancelled():
            self.post_message(CampaignsFetched(items))

    def on_campaigns_fetched(self, message: CampaignsFetched) -> None:
        self.items = message.items
        self._show(message.items)

    def _show(self, items: list[Any]) -> None:
        table = self.query_one("#campaigns", DataTable)
        if not table.columns:
            self._columns()
        row = table.cursor_row
        table.clear()
        sends = Sends.of(self.app)
        for c in items:
            t = tally(c)
            state = state_text(c.state)
            if sends.running(c.name):
                state = Text("sending…", style="bold cyan")
            numbers = [Text(f"{t[k]:,}" if c.frozen_at else "–", justify="right") for k in list(t)[:5]]
            table.add_row(
                Text(c.name, style="bold", no_wrap=True, overflow="ellipsis"),
                state,
                Text(c.segment or "(deleted)", no_wrap=True, overflow="ellipsis"),
                *numbers,
                key=str(c.id),
            )
        if items:
            table.move_cursor(row=min(row, len(items) - 1))
        status = self.query_one("#campaigns-status", Static)
        if not items:
            status.update(
                "No campaigns yet. Press [b]n[/b] to make one from a segment (saved from Contacts: V)."
            )
        else:
            drafts = sum(1 for c in items if c.state == "draft")
            status.update(
                f"[b]{len(items)}[/b] campaign{'s' if len(items) != 1 else ''} · {drafts} draft"
                f"{'s' if drafts != 1 else ''} · enter opens · {escape(key(self, 'campaigns.send'))} sends · "
                f"{escape(key(self, 'campaigns.test'))} tests"
            )

    def current(self) -> Any:
        table = self.query_one("#campaigns", DataTable)
        if not self.items or not 0 <= table.cursor_row < len(self.items):
            return None
        return self.items[table.cursor_row]

    # --- actions ---------------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#campaigns")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open_campaign()

    def action_open_campaign(self) -> None:
        c = self.current()
        if c is not None:
            self.app.push_screen(CampaignScreen(c.name))

    def action_new_campaign(self) -> None:
        self.new_campaign()

    @work(thread=True, group="campaign-form")
    def new_campaign(self) -> None:
        from tinycrm.services.marketing import segments

        try:
            names = [s.name for s in self.service(segments.list_segments)]
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Segments"))
            return
        self.app.call_from_thread(self._open_form, names)

    def _open_form(self, names: list[str]) -> None:
        from tinycrm.tui.screens.campaign_forms import CampaignForm

        def added(c: Any) -> None:
            if c is not None:
                test, send = key(self, "campaigns.test"), key(self, "campaigns.send")
                self.notify(f"Added campaign {c.name} (draft): {test} tests it, {send} sends it", timeout=5)
                self.reload()

        self.app.push_screen(CampaignForm(names), added)

    def action_test_send(self) -> None:
        c = self.current()
        if c is not None:
            ask_test_send(self, c.name)

    def action_send(self) -> None:
        c = self.current()
        if c is not None:
            confirm_send(self, c)

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)


def key(screen: Any, binding_id: str) -> str:
    """The key of a binding as set now (the ``[keys]`` keymap may move it), for hints."""
    return keys.current_keys(getattr(screen.app, "keymap", {}), keys.BY_ID[binding_id])


def ask_test_send(screen: Any, name: str) -> None:
    from tinycrm.tui.screens.campaign_forms import SendTestForm

    def sent(address: str | None) -> None:
        if address:
            screen.notify(f"Sent a test of {name} to {address}", timeout=4)

    screen.app.push_screen(SendTestForm(name), sent)


def confirm_send(screen: Any, c: Any) -> None:
    """Ask, then send ``c`` through the service in an app-wide worker (never two runs of one campaign)."""
    from tinycrm.tui.screens.forms import ConfirmDialog

    sends = Sends.of(screen.app)
    if sends.running(c.name):
        screen.notify(f"{c.name} is being sent (p on its page pauses it)", timeout=4)
        return
    if c.state == "done":
        screen.notify(f"{c.name} was sent already: nothing to send", timeout=4)
        return
    if c.state == "draft":
        question = f"Send “{escape(c.name)}”?"
        detail = (
            f"To the consenting members of segment {escape(c.segment or '?')}, each once, through the \\[smtp] server. "
            "The list is fixed now; p pauses, s goes on."
        )
    else:
        left = tally(c)["left"]
        question = f"Go on sending “{escape(c.name)}”?"
        detail = f"{left:,} of {c.recipients:,} recipients are left; each gets the mail once."

    def answered(yes: bool | None) -> None:
        if yes and sends.start(screen.app, c.name) is not None:
            screen.notify(f"Sending {c.name}…", timeout=3)
            screen.action_refresh()

    screen.app.push_screen(ConfirmDialog(question, detail, yes="Send"), answered)


# --- one campaign ------------------------------------------------------------------------------------------


class CampaignFetched(Message):
    def __init__(self, campaign: Any, preview: Any, error: str | None) -> None:
        super().__init__()
        self.campaign = campaign
        self.preview = preview
        self.error = error


class RecipientsFetched(Message):
    def __init__(self, page: Any) -> None:
        super().__init__()
        self.page = page


def preview_text(message: Any) -> Text:
    """The headers people read and the plain-text part of a rendered mail."""
    text = Text()
    for key in ("From", "To", "Reply-To", "Subject"):
        if message[key]:
            text.append(f"{key}: ", style="bold")
            text.append(f"{message[key]}\n")
    text.append("\n")
    body = message.get_body(("plain",))
    text.append(body.get_content().rstrip("\n") if body is not None else "")
    return text


class CampaignScreen(CrmScreen):
    """One campaign: what it is, how far it got, the mail one recipient gets, the recipients by state."""

    AREA = "campaign"
    BINDINGS: ClassVar[list[BindingType]] = [*keys.bindings("campaign")]
    AUTO_FOCUS = "#preview-scroll"
    DEFAULT_CSS = """
    CampaignScreen #campaign-head { height: auto; padding: 1 2 0 2; }
    CampaignScreen #campaign-progress { height: 1; padding: 0 2; }
    CampaignScreen #campaign-tabs { height: 1fr; }
    CampaignScreen #campaign-tabs ContentSwitcher { height: 1fr; }
    CampaignScreen TabPane { height: 1fr; padding: 0 1; }
    CampaignScreen #preview-scroll { height: 1fr; background: $surface; padding: 0 1; }
    CampaignScreen #recipient-list { height: 1fr; scrollbar-size-horizontal: 0; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name_ = name
        self.campaign: Any = None
        self.state_filter: str | None = None
        self.page_offset = 0

    def compose(self) -> ComposeResult:
        yield NavBar("campaigns", f"Campaigns › {escape(self.name_)}")
        yield Static("", id="campaign-head")
        yield ProgressBar(id="campaign-progress", show_eta=False)
        with TabbedContent(id="campaign-tabs"):
            with TabPane("Preview", id="preview"), VerticalScroll(id="preview-scroll"):
                yield Static("Loading…", id="campaign-preview")
            with TabPane("Recipients", id="recipients"):
                yield PagedTable(id="recipient-list")
        yield CrmFooter()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#recipient-list", PagedTable)
        address = max(20, min(48, self.app.size.width - 9 - 16 - 24))  # the error gets the rest
        for key, title, width in (
            ("address", "Address", address),
            ("state", "State", 9),
            ("sent", "Sent", 16),
        ):
            table.add_column(title, width=width, key=key)
        table.add_column("Error", key="error")
        self.reload()
        self.set_interval(0.5, self._tick)

    def on_screen_resume(self) -> None:
        if self.campaign is not None:
            self.reload()

    @work(thread=True, exclusive=True, group="campaign")
    def reload(self, preview_too: bool = True) -> None:
        from tinycrm.services.marketing import campaigns

        try:
            campaign = self.service(campaigns.get, self.name_)
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Campaign"))
            return
        preview, error = None, None
        try:
            if preview_too:
                preview = self.service(campaigns.preview, self.name_)
        except CrmError as exc:
            error = exc.message
        if not self.cancelled():
            self.post_message(CampaignFetched(campaign, preview, error))
        self.load_recipients()

    def on_campaign_fetched(self, message: CampaignFetched) -> None:
        self.campaign = c = message.campaign
        self._head(c)
        out = self.query_one("#campaign-preview", Static)
        if message.preview is not None:
            out.update(preview_text(message.preview))
        elif message.error is not None:
            out.update(Text(f"No preview: {message.error}", style="italic"))

    def _head(self, c: Any) -> None:
        from tinycrm.domain.dates import show

        t = tally(c)
        job = Sends.of(self.app).running(c.name)
        state = "sending… (p pauses)" if job else c.state
        lines = [
            f"[b $accent]{escape(c.name)}[/]  [b]{escape(state)}[/b]  segment [b]{escape(c.segment or '(deleted)')}[/b]",
            f"[dim]Subject[/dim] {escape(c.subject)}",
        ]
        if c.frozen_at:
            lines.append(
                f"{t['total']:,} recipients · sent {t['sent']:,} · failed {t['failed']:,} · bounced "
                f"{t['bounced']:,} · unsub {t['unsub']:,} · left {t['left']:,}"
                + (f" · replies {c.reply_rate:.0%}" if c.reply_rate else "")
            )
        else:
            test, send = escape(key(self, "campaign.test")), escape(key(self, "campaign.send"))
            lines.append(
                f"[dim]Draft, created {show(c.created_at)}: {send} sends, {test} sends you a test[/dim]"
            )
        self.query_one("#campaign-head", Static).update("\n".join(lines))
        bar = self.query_one("#campaign-progress", ProgressBar)
        bar.display = bool(c.frozen_at) or job is not None
        if job is None:
            bar.update(total=max(t["total"], 1), progress=t["total"] - t["left"])

    def _tick(self) -> None:
        """While this app sends the campaign: move the bar with this run's progress, and read the counts
        again every 2 seconds."""
        if self.campaign is None:
            return
        job = Sends.of(self.app).running(self.campaign.name)
        if job is None:
            return
        self.ticks = getattr(self, "ticks", 0) + 1
        if self.ticks % 4 == 0:
            self.reload(preview_too=False)
        if job.total:
            bar = self.query_one("#campaign-progress", ProgressBar)
            bar.display = True
            bar.update(total=job.total, progress=job.done)

    @work(thread=True, exclusive=True, group="recipients")
    def load_recipients(self) -> None:
        from tinycrm.services.marketing import campaigns

        table = self.query_one("#recipient-list", PagedTable)
        limit = table.fitting_rows()
        try:
            page = self.service(
                campaigns.recipients,
                self.name_,
                state=self.state_filter,
                limit=limit,
                offset=self.page_offset,
            )
        except CrmError as exc:
            self.post_message(ServiceFailed(exc, "Recipients"))
            return
        if not self.cancelled():
            self.post_message(RecipientsFetched(page))

    def on_recipients_fetched(self, message: RecipientsFetched) -> None:
        from tinycrm.domain.dates import show

        page = message.page
        rows = [
            (
                r.id,
                [
                    Text(r.address, no_wrap=True, overflow="ellipsis"),
                    state_text(r.state),
                    Text(show(r.sent_at) if r.sent_at else "", style="dim"),
                    Text(r.error or "", style="red", no_wrap=True, overflow="ellipsis"),
                ],
            )
            for r in page.items
        ]
        table = self.query_one("#recipient-list", PagedTable)
        table.show_page(rows, offset=page.offset, total=page.total, cursor="first")
        which = f" {self.state_filter}" if self.state_filter else ""
        label = f"Recipients ({page.total:,}{which})"
        if self.campaign is not None and not self.campaign.frozen_at:
            label = "Recipients (fixed when sent)"
        self.query_one(TabbedContent).get_tab("recipients").label = label  # type: ignore[assignment]

    @on(PagedTable.PageRequested, "#recipient-list")
    def _page(self, event: PagedTable.PageRequested) -> None:
        self.page_offset = event.table.offset_for(event.where, event.table.fitting_rows())
        self.load_recipients()

    # --- actions ---------------------------------------------------------------------------------------
    def action_test_send(self) -> None:
        ask_test_send(self, self.name_)

    def action_send(self) -> None:
        if self.campaign is not None:
            confirm_send(self, self.campaign)

    def action_pause(self) -> None:
        job = Sends.of(self.app).running(self.name_)
        if job is None:
            self.notify("Not sending now (s sends)", timeout=3)
            return
        job.pause.set()
        self.notify(f"Pausing {self.name_} after the mail on its way…", timeout=3)

    def action_cycle_state(self) -> None:
        at = RECIPIENT_FILTERS.index(self.state_filter)
        self.state_filter = RECIPIENT_FILTERS[(at + 1) % len(RECIPIENT_FILTERS)]
        self.page_offset = 0
        self.action_show_tab("recipients")
        self.load_recipients()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self.query_one("#recipient-list" if tab == "recipients" else "#preview-scroll").focus()

    @on(TabbedContent.TabActivated, "#campaign-tabs")
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        which = "#recipient-list" if event.pane.id == "recipients" else "#preview-scroll"
        self.query_one(which).focus()
        if event.pane.id == "recipients":
            self.call_after_refresh(self._fit_recipients)

    def _fit_recipients(self) -> None:
        """The list was read while hidden (a few rows): read as many as now fit."""
        table = self.query_one("#recipient-list", PagedTable)
        if table.size.height and len(table.keys) < min(table.fitting_rows(), table.total):
            self.load_recipients()

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit_recipients)

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss(None)
