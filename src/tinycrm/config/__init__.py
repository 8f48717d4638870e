"""Settings: the TOML config file, then ``TINYCRM_*`` environment variables, then command-line options.

The file is read only when a setting is asked for, and parsed with the standard library's ``tomllib``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tinycrm import paths
from tinycrm.domain.errors import InvalidInput


@dataclass(frozen=True)
class Settings:
    #: SQLAlchemy-style database URL; ``None`` means the SQLite file in the data directory
    db: str | None = None
    #: the current user's name (team mode); default: the login name
    user: str | None = None
    #: days ahead that birthdays and other dates appear in the agenda
    birthday_lead_days: int = 7
    #: the raw table of each section, for the parts that read their own (``[smtp]``, ``[keys]``, ``[tui]``)
    sections: dict[str, Any] = field(default_factory=dict)


def _read_file() -> dict[str, Any]:
    path = paths.config_file()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InvalidInput(f"cannot read config file {path}: {exc.strerror}") from None
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"config file {path} is not valid TOML: {exc}") from None


@lru_cache(maxsize=1)
def load() -> Settings:
    data = _read_file()
    core = data.get("tinycrm", data)
    db = os.environ.get("TINYCRM_DB") or core.get("db")
    user = os.environ.get("TINYCRM_USER") or core.get("user")
    lead = os.environ.get("TINYCRM_BIRTHDAY_LEAD_DAYS") or core.get("birthday_lead_days", 7)
    try:
        lead_days = int(lead)
    except (TypeError, ValueError):
        raise InvalidInput(f"birthday_lead_days must be a whole number of days, not {lead!r}") from None
    sections = {k: v for k, v in data.items() if isinstance(v, dict)}
    return Settings(db=db, user=user, birthday_lead_days=lead_days, sections=sections)


def reset() -> None:
    """Forget the cached settings (tests change the environment between runs)."""
    load.cache_clear()
