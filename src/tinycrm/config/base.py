"""What every section of the config file shares: the :class:`Section` base that checks each field by its type
annotation and its ``check``, and :class:`Bad`, the error a check raises (the loader adds the file and line).

A section is a frozen dataclass deriving from :class:`Section`. Each field takes its type from its annotation
(``str``, ``int``, ``float``, ``bool``, unions of them, ``X | None``, or a ``Mapping`` for open tables) and may
declare, through :func:`setting`, a ``check`` that refuses bad values or normalises good ones, and the TOML
``key`` when it differs from the field name (``from`` is a Python keyword). Rules that involve several fields
go in the section's :meth:`Section.validate`.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

Check = Callable[[Any], Any]


class Bad(ValueError):
    """A value that is not allowed. ``message`` names the setting and says what is allowed; ``key`` is the
    TOML key at fault (the loader finds its line)."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def setting(
    default: Any = MISSING,
    *,
    default_factory: Any = MISSING,
    check: Check | None = None,
    key: str | None = None,
) -> Any:
    """A field of a section: its default, an optional ``check(value) -> value`` that raises :class:`Bad` (or
    ``ValueError``) with what is allowed, and the TOML ``key`` if it is not the field's name."""
    metadata = {"check": check, "key": key}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def toml_key(f: Any) -> str:
    """The key a field has in the file."""
    return f.metadata.get("key") or f.name


def shown(value: Any) -> str:
    """A value as it would be written in the file (for messages)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        import json

        return json.dumps(value[:200] + ("..." if len(value) > 200 else ""), ensure_ascii=False)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


_KINDS: dict[type, dict[str, tuple[tuple[type, ...], bool]]] = {}
_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text in quotes"}


def kinds(cls: type) -> dict[str, tuple[tuple[type, ...], bool]]:
    """For each field of a section: the types it accepts and whether it may be unset (``None``)."""
    known = _KINDS.get(cls)
    if known is None:
        hints = typing.get_type_hints(cls)
        known = {}
        for f in fields(cls):
            hint = hints[f.name]
            args = typing.get_args(hint) if isinstance(hint, type(int | None)) else (hint,)
            optional = type(None) in args
            accepted = tuple(typing.get_origin(a) or a for a in args if a is not type(None))
            known[f.name] = (accepted, optional)
        _KINDS[cls] = known
    return known


def _has_kind(value: Any, accepted: tuple[type, ...]) -> bool:
    for kind in accepted:
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind is int and isinstance(value, bool):
            continue
        if isinstance(kind, type) and issubclass(kind, Mapping):
            if isinstance(value, Mapping):
                return True
            continue
        if isinstance(value, kind):
            return True
    return False


def expect(value: Any, accepted: tuple[type, ...], optional: bool, allowed: str | None = None) -> Any:
    """``value`` if it has one of the ``accepted`` types, else :class:`Bad` saying what is allowed (the
    check's ``allowed`` words, else the types)."""
    if value is None and optional:
        return None
    if not _has_kind(value, accepted):
        words = allowed or " or ".join(_WORDS.get(k, "a table") for k in accepted)
        raise Bad(f"must be {words} (got {shown(value)})")
    if float in accepted and int not in accepted and isinstance(value, int):
        return float(value)
    return value


def from_env(text: str, accepted: tuple[type, ...]) -> Any:
    """An environment variable's text as the first of the ``accepted`` types it reads as."""
    word = text.strip().lower()
    for kind in accepted:
        if kind is bool and word in ("true", "yes", "on", "1", "false", "no", "off", "0"):
            return word in ("true", "yes", "on", "1")
        if kind is int:
            try:
                return int(word)
            except ValueError:
                continue
        if kind is float:
            try:
                return float(word)
            except ValueError:
                continue
        if kind is str:
            return text
    return text  # of no accepted type: the field's type check says what is allowed


@dataclass(frozen=True)
class Section:
    """The base of every section: checks each field on creation (type, then the field's ``check``, which
    may normalise the value), then :meth:`validate`. Subclasses are ``@dataclass(frozen=True)``."""

    #: a table whose keys are free (``[keys]``: binding ids): the whole table goes to the one field
    OPEN: ClassVar[bool] = False
    #: keys that are refused with a message of their own (``[smtp] password``)
    REFUSED: ClassVar[dict[str, str]] = {}

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            accepted, optional = kinds(type(self))[f.name]
            value = getattr(self, f.name)
            key = toml_key(f)
            check = f.metadata.get("check")
            try:
                value = expect(value, accepted, optional, getattr(check, "allowed", None))
                if check is not None and value is not None:
                    value = check(value)
            except Bad as bad:
                raise Bad(bad.message if bad.key else f"{key} {bad.message}", bad.key or key) from None
            except ValueError as exc:
                raise Bad(f"{key} {exc}", key) from None
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Rules between fields (raise :class:`Bad` with the key at fault), and defaults that depend on
        other fields (set with ``object.__setattr__``). None by default."""

    def fill(self, name: str, value: Any) -> None:
        """Set a field from :meth:`validate` (a frozen dataclass allows it only through ``object.__setattr__``)."""
        object.__setattr__(self, name, value)
