"""What every screen shares: the database, running services in thread workers, and failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import get_current_worker

from tinycrm.domain.errors import CrmError
from tinycrm.store import pool as data


class ServiceFailed(Message):
    """A service refused or could not do what was asked; ``error.message`` says why."""

    def __init__(self, error: CrmError, what: str) -> None:
        super().__init__()
        self.error = error
        self.what = what


class ServiceMixin:
    """``self.call_service(...)`` from a worker; ``self.db``."""

    @property
    def db(self) -> Any:
        return self.app.db  # type: ignore[attr-defined]

    def service(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn(db, *args, **kwargs)``. Only from a thread worker: the UI thread never waits for the
        database."""
        return data.call(self.db, fn, *args, **kwargs)

    def cancelled(self) -> bool:
        """The worker this runs in was cancelled (a newer request replaced it): drop its result."""
        try:
            return get_current_worker().is_cancelled
        except Exception:  # noqa: BLE001 - not in a worker
            return False

    def on_service_failed(self, message: ServiceFailed) -> None:
        self.app.notify(message.error.message, title=message.what, severity="error", timeout=8)  # type: ignore[attr-defined]


def _typing_into(widget: Any) -> bool:
    from textual.widgets import Input, Select, TextArea

    return isinstance(widget, (Input, TextArea, Select))


class Prefetched:
    """A service call started in a thread of its own while a screen is being built: the database answers while
    the screen is composed and first drawn, instead of after."""

    def __init__(
        self, db: Any, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        self.call = (fn, args, kwargs)
        self.finished = time.monotonic()
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        threading.Thread(target=self._run, args=(db,), daemon=True, name="prefetch").start()

    def _run(self, db: Any) -> None:
        fn, args, kwargs = self.call
        try:
            self.value = data.call(db, fn, *args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the worker that asks for it
            self.error = exc
        finally:
            self.finished = time.monotonic()
            self.done.set()

    #: an answer in for longer than this is not handed out (the first load never came for it): read again
    FRESH_S = 10.0

    def fresh(self) -> bool:
        return not self.done.is_set() or time.monotonic() - self.finished < self.FRESH_S

    def result(self) -> Any:
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


class CrmScreen(ServiceMixin, Screen):
    """An area's screen.

    The keys that open a form or move the focus (``n``, ``/``, ``e``...) are priority bindings: they run as
    soon as the app reads them, so the keys typed next reach the new widget (see ``CrmApp.hold_keys``). While
    the focus is in a text box they stand aside, and the letter is typed.

    A screen may :meth:`prefetch` what its first load reads: from its ``__init__``, the query runs while the
    screen is built; the first :meth:`service` call with the same function and arguments takes the answer."""

    def prefetch(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        try:
            db = self.app.db  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - built outside a running app: the first load reads as usual
            return
        with _PREFETCH_LOCK:
            self.__dict__.setdefault("_prefetched", []).append(Prefetched(db, fn, args, kwargs))

    def service(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with _PREFETCH_LOCK:
            waiting: list[Prefetched] = self.__dict__.get("_prefetched", [])
            found = next((p for p in waiting if p.call == (fn, args, kwargs)), None)
            if found is not None:
                waiting.remove(found)
                if not found.fresh():
                    found = None
        if found is not None:
            return found.result()
        return super().service(fn, *args, **kwargs)

    def on_mount(self) -> None:
        self.app.prepare(self)  # type: ignore[attr-defined]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if _typing_into(self.focused) and action in _priority_actions(type(self)):
            return False
        return True


_PREFETCH_LOCK = threading.Lock()


def _priority_actions(screen: type) -> set[str]:
    return {b.action.split("(")[0] for b in getattr(screen, "BINDINGS", []) if getattr(b, "priority", False)}


class CrmModal(ServiceMixin, ModalScreen):
    """A dialog over a screen. Opening one dismisses the notices still shown: the person has moved on, and a
    notice stays up to ten seconds in the bottom right, over the dialog's buttons at 80 columns."""

    def on_mount(self) -> None:
        self.app.clear_notifications()
        self.app.prepare(self)  # type: ignore[attr-defined]
