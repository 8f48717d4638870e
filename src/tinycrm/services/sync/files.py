"""Files of a synced folder: written whole or not at all, and one sync run per folder at a time."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tinycrm.domain.errors import EXIT_TEMPFAIL, CrmError

LOCK_NAME = ".tinycrm-sync.lock"
TMP_SUFFIX = ".tinycrm-tmp"


class FolderBusy(CrmError):
    """Another sync holds the folder; trying again later succeeds."""

    exit_code = EXIT_TEMPFAIL


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for a run; a second run on the same folder is told to wait (exit 75). Our
    temporary files that a stopped run left are removed once the lock is ours."""
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise FolderBusy(
                    f"another crm sync is running on {folder}; try again when it is done"
                ) from None
            raise
        for entry in os.scandir(folder):
            if entry.name.startswith(".") and entry.name.endswith(TMP_SUFFIX):
                os.unlink(entry.path)
        yield
    finally:
        os.close(fd)


def put(folder: Path, name: str, data: bytes, *, sync: bool = True) -> os.stat_result:
    """Write ``name`` through a temporary file renamed into place (a reader sees the old card or the new one,
    never half of one); ``sync``: flushed to disk first (a caller writing many flushes once, with os.sync).
    Gives the new file's stat."""
    tmp = folder / f".{name}{TMP_SUFFIX}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return os.stat(folder / name)
