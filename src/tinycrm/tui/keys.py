"""The app's key bindings as Textual bindings; the ids, default keys and the ``[keys]`` check are in
:mod:`tinycrm.config.keys`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from tinycrm.config.keys import AREAS, BY_ID, KEYS, Key, KeymapError, keymap

if TYPE_CHECKING:
    from textual.binding import Binding

__all__ = ["AREAS", "BY_ID", "KEYS", "Key", "KeymapError", "bindings", "current_keys", "keymap"]


def bindings(area: str) -> list[Binding]:
    """The Textual bindings of one area (``contacts``...)."""
    from textual.binding import Binding

    return [
        Binding(
            k.key,
            k.action.removeprefix("app.") if area == "app" else k.action,
            k.description,
            show=k.show,
            priority=k.priority,
            key_display=k.key_display,
            id=k.id,
        )
        for k in KEYS
        if k.id.split(".", 1)[0] == area
    ]


def current_keys(keymap: Mapping[str, str], key: Key) -> str:
    """The key(s) a binding answers to now, for people (``ctrl+f``, ``/``)."""
    from textual.keys import format_key

    keys = keymap.get(key.id)
    if keys is None and key.key_display:
        return key.key_display
    keys = keys or key.key
    return ", ".join(format_key(k) for k in keys.split(","))
