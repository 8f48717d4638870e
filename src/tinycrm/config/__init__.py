"""Settings: the TOML config file, then ``TINYCRM_*`` environment variables (then command-line options).

Each section of the file is a frozen dataclass (:mod:`tinycrm.config.sections`); ``config.get(Smtp)`` gives
one. The file is read the first time a setting is asked for (``crm --help`` never reads it) and checked as a
whole then: a wrong type, a bad value or an unknown key is an :class:`InvalidInput` (exit 2) whose one line
names the file, the line and what is allowed::

    /home/ada/.config/tinycrm/config.toml:12: [smtp] prot is not a setting (did you mean port?); settings: ...

Every setting can also come from the environment, which wins over the file: ``TINYCRM_KEY`` for the top of
the file (``TINYCRM_DB``, ``TINYCRM_USER``), ``TINYCRM_SECTION_KEY`` for the others (``TINYCRM_SMTP_HOST``);
open tables such as ``[keys]`` have none. Passwords are never settings: ``[smtp] password_env`` names the
variable that holds one.
"""

from __future__ import annotations

import os
from dataclasses import fields
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from tinycrm import paths
from tinycrm.config.base import Bad, Section, from_env, kinds, toml_key
from tinycrm.config.sections import SECTIONS, Core, Keys, Sales, Smtp, Tui
from tinycrm.domain.errors import InvalidInput

__all__ = ["SECTIONS", "Core", "Keys", "Sales", "Settings", "Smtp", "Source", "Tui", "get", "load", "reset"]

S = TypeVar("S", bound=Section)


class Source(NamedTuple):
    """Where one effective setting came from: ``default``, ``file`` or ``environment`` (``variable``)."""

    section: str
    key: str
    value: Any
    origin: str
    variable: str | None = None


class Settings:
    """Every section, checked, and where each setting came from."""

    def __init__(
        self,
        path: Path,
        exists: bool,
        sections: dict[type[Section], Section],
        sources: tuple[Source, ...],
        file: _File,
    ) -> None:
        self.path, self.exists, self.sections, self.sources, self.file = path, exists, sections, sources, file

    def get(self, cls: type[S]) -> S:
        return self.sections[cls]  # type: ignore[return-value]

    def line(self, source: Source) -> int | None:
        """The line of the file a setting is on (``None`` unless it came from the file)."""
        if source.origin != "file":
            return None
        return self.file.line(source.section, source.key) if source.section else self.file.line(source.key)


def env_var(section: str, key: str) -> str:
    """The environment variable that overrides ``key`` of ``section`` ("" is the top of the file)."""
    name = f"{section}_{key}" if section else key
    return "TINYCRM_" + name.upper().replace("-", "_").replace(".", "_")


def _title(section: str) -> str:
    return f"[{section}] " if section else ""


class _File:
    """The file being checked: its path, and the lines of its keys (found only when a message needs one)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text
        self._lines: dict[tuple[str, ...], int] | None = None

    def line(self, *key_path: str) -> int | None:
        if self._lines is None:
            from tinycrm.config.tomlfile import key_lines

            self._lines = key_lines(self.text)
        from tinycrm.config.tomlfile import line_of

        return line_of(self._lines, *key_path)

    def error(self, message: str, *key_path: str) -> InvalidInput:
        line = self.line(*key_path) if key_path else None
        return InvalidInput(f"{self.path}{f':{line}' if line else ''}: {message}")


def _settings_list(cls: type[Section]) -> str:
    return ", ".join(toml_key(f) for f in fields(cls))


def _unknown(file: _File, section: str, key: str) -> InvalidInput:
    import difflib

    cls = SECTIONS[section]
    known = [toml_key(f) for f in fields(cls)]
    where = (section, key) if section else (key,)
    if key in cls.REFUSED:
        return file.error(_title(section) + cls.REFUSED[key], *where)
    tables = [name for name in SECTIONS if name]
    if not section:
        close = difflib.get_close_matches(key, known + tables, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        listed = f"settings at the top of the file: {', '.join(known)}; sections: "
        listed += ", ".join(f"[{t}]" for t in tables)
        return file.error(f"{key} is not a setting{hint}; {listed}", key)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return file.error(f"[{section}] {key} is not a setting{hint}; settings: {', '.join(known)}", *where)


def _unknown_section(file: _File, name: str) -> InvalidInput:
    import difflib

    tables = [t for t in SECTIONS if t]
    close = difflib.get_close_matches(name, tables, n=1)
    hint = f" (did you mean [{close[0]}]?)" if close else ""
    if name == "tinycrm":
        hint = f" (put {_settings_list(SECTIONS[''])} at the top of the file, before any [section])"
    listed = ", ".join(f"[{t}]" for t in tables)
    return file.error(f"[{name}] is not a section{hint}; sections: {listed}", name)


def _section(file: _File, name: str, table: dict[str, Any]) -> tuple[Section, list[Source]]:
    """One section from its table and the environment, checked."""
    cls = SECTIONS[name]
    values: dict[str, Any] = {}
    sources: dict[str, Source] = {}
    if cls.OPEN:
        (only,) = fields(cls)
        values[only.name] = table
    else:
        by_key = {toml_key(f): f for f in fields(cls)}
        for key in table:
            if key not in by_key:
                raise _unknown(file, name, key)
        for key, f in by_key.items():
            variable = env_var(name, key)
            text = os.environ.get(variable)
            if text:
                values[f.name] = from_env(text, kinds(cls)[f.name][0])
                sources[key] = Source(name, key, None, "environment", variable=variable)
            elif key in table:
                sources[key] = Source(name, key, None, "file")
                values[f.name] = table[key]
    try:
        section = cls(**values)
    except Bad as bad:
        key = bad.key or ""
        source = sources.get(key)
        if source is not None and source.origin == "environment":
            raise InvalidInput(f"{source.variable} (environment): {_title(name)}{bad.message}") from None
        where = ((name, key) if name else (key,)) if key else ((name,) if name else ())
        raise file.error(_title(name) + bad.message, *where) from None
    return section, _sources(file, name, section, sources)


def _sources(file: _File, name: str, section: Section, found: dict[str, Source]) -> list[Source]:
    out = []
    for f in fields(section):  # type: ignore[arg-type]
        value = getattr(section, f.name)
        if type(section).OPEN:
            out += [Source(name, key, keys, "file") for key, keys in value.items()]
            continue
        key = toml_key(f)
        source = found.get(key) or Source(name, key, None, "default")
        out.append(Source(name, key, value, source.origin, source.variable))
    return out


def _check(path: Path, text: str, data: dict[str, Any]) -> Settings:
    file = _File(path, text)
    top = {k: v for k, v in data.items() if not (k and k in SECTIONS and isinstance(v, dict))}
    for key, value in top.items():
        if key and key in SECTIONS:
            raise file.error(f"{key} must be a table: write [{key}] on a line of its own", key)
        if isinstance(value, dict) and key not in {toml_key(f) for f in fields(SECTIONS[""])}:
            raise _unknown_section(file, key)
    sections: dict[type[Section], Section] = {}
    sources: list[Source] = []
    for name, cls in SECTIONS.items():
        table = top if not name else data.get(name, {})
        sections[cls], found = _section(file, name, table)
        sources += found
    exists = bool(text) or path.exists()
    return Settings(path=path, exists=exists, sections=sections, sources=tuple(sources), file=file)


@lru_cache(maxsize=1)
def load() -> Settings:
    """Every section, read from the config file and the environment and checked (once; see :func:`reset`)."""
    from tinycrm.config.tomlfile import read

    path = paths.config_file()
    text, data = read(path)
    return _check(path, text, data)


def get(cls: type[S]) -> S:
    """One section's settings: ``config.get(Smtp).host``."""
    return load().get(cls)


def reset() -> None:
    """Forget the settings read (tests change the file and the environment between runs)."""
    load.cache_clear()
