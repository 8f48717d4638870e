"""The app: areas (modes) for contacts, companies, the pipeline, the agenda, the dashboard, tickets and leads.

:func:`make_app` builds it for ``crm``, ``crm tui``, ``crm demo``, ``crm serve`` and the tests alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from textual import work
from textual.app import App
from textual.theme import Theme
from textual.widgets import Input, TextArea

from tinycrm.store.database import Database
from tinycrm.tui import keys

DARK = Theme(
    name="tinycrm-dark",
    primary="#6CA8FF",
    secondary="#B48EFF",
    accent="#FFB86B",
    foreground="#E4E7EE",
    background="#13161C",
    surface="#1A1E26",
    panel="#242A36",
    success="#5FD7A0",
    warning="#F2C14E",
    error="#FF6B6B",
    boost="#FFFFFF0A",
    dark=True,
    variables={"footer-key-foreground": "#FFB86B", "block-cursor-text-style": "bold"},
)
LIGHT = Theme(
    name="tinycrm-light",
    primary="#2F6FDB",
    secondary="#7A4FD6",
    accent="#B85C00",
    foreground="#1D2230",
    background="#F5F5F2",
    surface="#FFFFFF",
    panel="#E6E9EF",
    success="#1D8F5E",
    warning="#A86F0B",
    error="#CC3B3B",
    boost="#0000000A",
    dark=False,
    variables={"footer-key-foreground": "#B85C00", "block-cursor-text-style": "bold"},
)
THEMES = {"dark": DARK.name, "light": LIGHT.name}
AREAS = ("contacts", "companies", "pipeline", "agenda", "dashboard", "tickets", "leads")


#: what the other areas' first visits import (about 100 ms in all): read in a thread once the app has been up
#: for :data:`WARM_AFTER_S`, so a first visit finds them loaded; opened sooner, an area imports its own
WARM_MODULES = (
    "tinycrm.services.work.agenda",
    "tinycrm.tui.screens.agenda",
    "tinycrm.services.sales.pipelines",
    "tinycrm.tui.screens.pipeline",
    "tinycrm.tui.screens.companies",
    "tinycrm.services.sales.reports",
    "tinycrm.services.sales.forecasting",
    "tinycrm.tui.screens.dashboard",
    "tinycrm.tui.screens.dashboard_desk",
    "tinycrm.tui.screens.tickets",
    "tinycrm.tui.screens.leads",
    "tinycrm.tui.screens.contact",
    "tinycrm.tui.screens.deal",
)
WARM_AFTER_S = 1.0


def warm_imports(modules: tuple[str, ...] = WARM_MODULES) -> None:
    """Import ``modules`` (a module another thread is importing meanwhile is waited for, not imported twice).
    Nothing is said if one fails: its area imports it when opened, and says why there (a test checks the names)."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - a head start only; the area's own import reports any failure
            continue


def _screen(area: str) -> Any:
    """A factory for an area's screen, importing its module only when the area is first opened."""

    def make() -> Any:
        return _styled(build())

    def build() -> Any:
        if area == "contacts":
            from tinycrm.tui.screens.contacts import ContactsScreen

            return ContactsScreen()
        if area == "companies":
            from tinycrm.tui.screens.companies import CompaniesScreen

            return CompaniesScreen()
        if area == "pipeline":
            from tinycrm.tui.screens.pipeline import PipelineScreen

            return PipelineScreen()
        if area == "agenda":
            from tinycrm.tui.screens.agenda import AgendaScreen

            return AgendaScreen()
        if area == "tickets":
            from tinycrm.tui.screens.tickets import TicketsScreen

            return TicketsScreen()
        if area == "leads":
            from tinycrm.tui.screens.leads import LeadsScreen

            return LeadsScreen()
        from tinycrm.tui.screens.dashboard import DashboardScreen

        return DashboardScreen()

    return make


#: the count Textual compares on a mode switch to decide whether to restyle the whole app; it has no public API
CSS_COUNT = "_css_update_count"


def _styled(screen: Any) -> Any:
    """Mark a new area's screen as styled with the stylesheet as it is: its widgets get their styles as they are
    mounted, and every screen's CSS is scoped to it. Else Textual restyles every widget of every area already
    open (``App.refresh_css``, twice) on each first visit: 0.1-0.3 s, growing with the areas visited. A theme
    change still restyles everything (it moves the app's count on).

    The one use of Textual's private state in the app: tests/tui/test_footer_fit.py fails, saying so, when a
    Textual release moves it."""
    try:
        app = screen.app
    except RuntimeError:  # NoActiveAppError: built outside a running app
        return screen
    count = getattr(app, CSS_COUNT, None)
    if isinstance(count, int) and isinstance(getattr(screen, CSS_COUNT, None), int):
        setattr(screen, CSS_COUNT, count)
    return screen


def _commands() -> Any:
    from tinycrm.tui.commands import CrmCommands

    return CrmCommands


class CrmApp(App[None]):
    """tinycrm, full screen."""

    CSS_PATH = "app.tcss"
    TITLE = "tinycrm"
    BINDINGS = keys.bindings("app")
    COMMANDS = {_commands}  # ours only: Textual's own (theme, quit, keys) would list them twice
    COMMAND_PALETTE_BINDING = "ctrl+p"
    MODES = {area: _screen(area) for area in AREAS}

    def __init__(
        self,
        db: Database,
        *,
        start: str = "contacts",
        keymap: Mapping[str, str] | None = None,
        theme: str | None = None,
        remember_theme: bool = True,
        cursor_blink: bool = True,
        owns_db: bool = False,
        notes: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.db = db
        self.start = start if start in AREAS else "contacts"
        self.keymap: dict[str, str] = dict(keymap or {})
        self.remember_theme = remember_theme
        self.cursor_blink = cursor_blink
        self.owns_db = owns_db
        self.notes = list(notes or [])
        self.register_theme(DARK)
        self.register_theme(LIGHT)
        self.theme = THEMES.get(theme or "", theme) if theme else DARK.name
        if self.theme not in self.available_themes:
            self.notes.append(f"[tui] theme {theme!r} is unknown; use light, dark or a Textual theme name")
            self.theme = DARK.name
        self.set_keymap(self.keymap)
        #: keys read while a new screen takes the focus, handed to it once it has (:meth:`hold_keys`)
        self.held_keys: list[Any] | None = None
        self.hold_until = 0.0
        #: the change ``u`` undoes, and until when (:mod:`tinycrm.tui.undo`)
        self.last_undo: tuple[Any, float] | None = None
        from tinycrm.tui.heap import IdleCollector

        #: full cycle collections wait until nobody types (tui/heap.py)
        self.heap = IdleCollector()

    #: below this many lines the forms make room for their buttons (app.tcss: ``App.-short``)
    SHORT = 30

    def on_resize(self, event: Any) -> None:
        self.set_class(event.size.height < self.SHORT, "-short")

    def on_mount(self) -> None:
        self.heap.start()
        self.set_class(self.size.height < self.SHORT, "-short")
        for note in self.notes:
            self.notify(note, severity="warning", timeout=10)
        self.switch_mode(self.start)
        self.set_timer(WARM_AFTER_S, self._warm)

    def _warm(self) -> None:
        import threading

        threading.Thread(target=warm_imports, daemon=True, name="warm-imports").start()

    def on_unmount(self) -> None:
        self.heap.stop()
        if self.owns_db:
            self.db.close()

    # --- keys typed ahead ---------------------------------------------------------------------------------
    #: the longest keys wait for a new screen to take the focus, in seconds
    HOLD = 5.0

    async def on_event(self, event: Any) -> None:
        from textual import events

        if isinstance(event, (events.Key, events.MouseEvent)):
            self.heap.touched()
        if self.held_keys is not None and isinstance(event, events.Key) and not event.is_forwarded:
            self.held_keys.append(event)
            if self._focus_settled():
                await self._replay_keys()
            return
        await super().on_event(event)

    def push_screen(
        self, screen: Any, callback: Any = None, wait_for_dismiss: bool = False, **kw: Any
    ) -> Any:
        result = super().push_screen(screen, callback, wait_for_dismiss, **kw)  # type: ignore[call-overload]
        self.hold_keys()
        return result

    def hold_keys(self) -> None:
        """Keep the keys read from now on until the current screen has put its focus somewhere (a form opened
        by ``n`` gets the name typed right after it), then replay them in order."""
        import time

        if self.held_keys is None:
            self.held_keys = []
        self.hold_until = time.monotonic() + self.HOLD
        self.set_timer(0.005, self._release_keys)

    def _focus_settled(self) -> bool:
        """The current screen has put its focus somewhere (a form: on a field, not on its scrolling body), or
        has nothing to focus, or the wait is over."""
        import time

        if time.monotonic() >= self.hold_until:
            return True
        try:
            screen = self.screen
        except Exception:  # noqa: BLE001 - the app is closing: nothing to type into
            return True
        focused = screen.focused
        field = focused is not None and not focused.has_class("form-body")  # a form's body: not yet its field
        return screen.is_mounted and (field or not screen.focus_chain)

    async def _release_keys(self) -> None:
        if self.held_keys is None:
            return
        if not self._focus_settled():
            self.set_timer(0.01, self._release_keys)
            return
        await self._replay_keys()

    async def _replay_keys(self) -> None:
        held, self.held_keys = self.held_keys or [], None
        for event in held:
            if self.held_keys is not None:  # a replayed key opened another screen: the rest waits for it
                self.held_keys.append(event)
            elif self.screen_stack:
                await super().on_event(event)

    # --- actions everywhere ------------------------------------------------------------------------------
    def action_show(self, area: str) -> None:
        """Go to an area (its screen keeps its state: a contact opened there stays open)."""
        if area in AREAS and self.current_mode != area:
            self.switch_mode(area)

    def action_help(self) -> None:
        from tinycrm.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_refresh_screen(self) -> None:
        """Reload what the current screen shows (each screen's ``action_refresh``)."""
        refresh = getattr(self.screen, "action_refresh", None)
        if refresh is not None:
            refresh()

    def action_new_task(self) -> None:
        """A task on its own (the deal and contact screens link theirs)."""
        from tinycrm.tui.screens.record_forms import TaskForm

        def saved(task: Any) -> None:
            if task is not None:
                self.notify(f"Task added: {task.title}", timeout=3)
                self.action_refresh_screen()

        self.push_screen(TaskForm(), saved)

    def action_open_campaigns(self) -> None:
        """Campaigns (marketing mail), over the current area; esc goes back."""
        from tinycrm.tui.screens.campaigns import CampaignsScreen

        if not isinstance(self.screen, CampaignsScreen):
            self.push_screen(CampaignsScreen())

    def action_open_duplicates(self) -> None:
        """Pairs of contacts that look like one person, with a merge preview."""
        from tinycrm.tui.screens.duplicates import DuplicatesScreen

        if not isinstance(self.screen, DuplicatesScreen):
            self.push_screen(DuplicatesScreen())

    def action_undo(self) -> None:
        from tinycrm.tui import undo

        change = undo.take(self)
        if change is None:
            self.notify("Nothing to undo (a change can be undone for a few seconds)", timeout=3)
            return
        self._undo(change)

    @work(thread=True, group="undo")
    def _undo(self, change: Any) -> None:
        from tinycrm.domain.errors import CrmError
        from tinycrm.store import pool

        try:
            text = pool.call(self.db, change)
        except CrmError as exc:
            self.call_from_thread(self.notify, exc.message, title="Undo", severity="error", timeout=8)
            return
        self.call_from_thread(self._undone, text)

    def _undone(self, text: str) -> None:
        self.notify(text, timeout=3)
        self.action_refresh_screen()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Messages name what people typed (a campaign called ``spring [/b] sale``): plain text, never markup,
        which such a name would break (the app crashed drawing the message)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT.name if self.current_theme.dark else DARK.name
        if self.remember_theme:
            save_ui_state({"theme": "dark" if self.current_theme.dark else "light"})
        self.notify(f"{'Dark' if self.current_theme.dark else 'Light'} theme", timeout=2)

    def prepare(self, root: Any) -> None:
        """Settle widgets of a screen that was just mounted (tests turn cursor blinking off)."""
        if not self.cursor_blink:
            for widget in root.query(Input):
                widget.cursor_blink = False
            for widget in root.query(TextArea):
                widget.cursor_blink = False


# --- remembered UI state --------------------------------------------------------------------------------


def _state_path() -> Any:
    from tinycrm import paths

    return paths.data_dir() / "tui.json"


def load_ui_state() -> dict[str, Any]:
    try:
        data = json.loads(_state_path().read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_ui_state(changes: dict[str, Any]) -> None:
    state = {**load_ui_state(), **changes}
    path = _state_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(state, indent=2) + "\n", "utf-8")
    except OSError:
        pass  # remembering the theme is a convenience


def make_app(
    db_url: str | None = None,
    *,
    db: Database | None = None,
    start: str | None = None,
    theme: str | None = None,
    keymap: Mapping[str, str] | None = None,
    testing: bool = False,
) -> CrmApp:
    """The app on a database: ``db`` (already open) or ``db_url`` (opened here; default: the user's).

    Settings come from the config file: ``[tui]`` (``theme = "light"``, ``start = "agenda"``) and ``[keys]``
    (binding id = key). ``testing`` turns off cursor blinking, animations and remembering the theme.
    """
    from tinycrm import config

    tui = config.get(config.Tui)
    configured = dict(config.get(config.Keys).bindings)
    if keymap is not None:
        configured.update(keymap)
    if theme is None:
        theme = tui.theme
        if theme is None and not testing:
            theme = load_ui_state().get("theme")
    owns = db is None
    if db is None:
        from tinycrm.store.pool import open_pooled

        db = open_pooled(db_url)
    app = CrmApp(
        db,
        start=start or tui.start,
        keymap=configured,
        theme=theme,
        remember_theme=not testing,
        cursor_blink=not testing,
        owns_db=owns,
    )
    if testing:
        app.animation_level = "none"
    return app
