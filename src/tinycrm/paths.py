"""Where tinycrm keeps its files.

``TINYCRM_HOME`` (a directory) overrides every location: the database, the config file and the demo database
all live inside it. Without it, platformdirs gives the platform's usual places.
"""

from __future__ import annotations

import os
import stat
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


def private_dir(folder: Path, *, tighten: bool = True) -> Path:
    """``folder``, ready to hold personal data: created with mode 0700 (its missing parents too), or, with
    ``tighten``, when it exists, is the user's own and is open to others, changed to 0700. The user's home
    folder is never changed (``TINYCRM_HOME=~`` keeps ``~`` as it is); files in it are 0600 either way. Best
    effort: a folder that cannot be created or changed is left for the caller's open to report."""
    try:
        missing = []
        at = folder
        while not at.exists() and at != at.parent:
            missing.append(at)
            at = at.parent
        for new in reversed(missing):
            new.mkdir(mode=0o700, exist_ok=True)
        st = folder.stat()
        if (
            tighten
            and stat.S_ISDIR(st.st_mode)
            and st.st_mode & 0o077
            and st.st_uid == os.geteuid()
            and not _is_home(folder)
        ):
            os.chmod(folder, 0o700)
    except OSError:
        pass
    return folder


def _is_home(folder: Path) -> bool:
    try:
        return folder.resolve() in (Path.home().resolve(), Path("/"))
    except (OSError, RuntimeError):
        return True


def default_db_path() -> Path:
    """The database file in the data directory (the folder made private, see :func:`private_dir`)."""
    return private_dir(data_dir()) / "tinycrm.sqlite3"


def demo_db_path() -> Path:
    return private_dir(data_dir()) / "demo.sqlite3"


# a SQLite URL is ``sqlite:///`` and the path; these characters of a path are written %XX so that the URL
# gives exactly the path back (``%`` first: it starts every escape)
_URL_ESCAPES = (("%", "%25"), ("?", "%3F"), ("#", "%23"))


def sqlite_url(path: Path | str) -> str:
    """The ``sqlite:///`` URL of a file, exactly: :func:`sqlite_url_path` gives ``path`` back whatever it holds
    (``%``, ``?`` and ``#`` are percent-encoded; spaces, ``;`` and non-ASCII letters stay readable)."""
    text = os.fspath(path)
    for char, escape in _URL_ESCAPES:
        text = text.replace(char, escape)
    return f"sqlite:///{text}"


def sqlite_url_path(url: str) -> Path:
    """The file of a ``sqlite:///PATH`` URL: ``%XX`` escapes decoded (``%3F`` is a ``?``, ``%25`` a ``%``); a
    ``#`` typed as such is part of the name. A bare ``?`` starts URL options, which tinycrm does not take:
    :class:`InvalidInput` rather than opening another file than the one named."""
    from urllib.parse import unquote

    from tinycrm.domain.errors import InvalidInput

    rest = url.removeprefix("sqlite:///")
    if "?" in rest:
        raise InvalidInput(
            f"the SQLite URL {url!r} has a '?': tinycrm takes no options in a SQLite URL; "
            "write a '?' that is part of the file name as %3F"
        )
    return Path(unquote(rest, errors="surrogateescape"))
