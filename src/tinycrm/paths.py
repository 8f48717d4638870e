"""Where tinycrm keeps its files.

``TINYCRM_HOME`` (a directory) overrides every location: the database, the config file and the demo database
all live inside it. Without it, platformdirs gives the platform's usual places.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "tinycrm"


def home_override() -> Path | None:
    value = os.environ.get("TINYCRM_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    home = home_override()
    if home is not None:
        return home
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    home = home_override()
    if home is not None:
        return home
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP, appauthor=False))


def cache_dir() -> Path:
    home = home_override()
    if home is not None:
        return home / "cache"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def default_db_path() -> Path:
    return data_dir() / "tinycrm.sqlite3"


def demo_db_path() -> Path:
    return data_dir() / "demo.sqlite3"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"
