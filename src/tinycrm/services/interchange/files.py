"""Files in and out: what an import reads (files, folders, standard input) and how an export writes.

Exports never replace a file without ``force`` and write through a temporary file renamed into place, so a
reader never sees half a file.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from tinycrm.domain.errors import InvalidInput, Refused
from tinycrm.store.database import Database

#: standard input is kept in memory up to this size when it has to be read twice, then in a temporary file
SPOOL_IN_MEMORY = 8 * 1024 * 1024


@dataclass
class Source:
    """A file (or standard input) to import."""

    name: str
    path: Path | None = None
    stream: BinaryIO | None = None
    size: int | None = None
    #: where the stream starts, for a stream that is read more than once (see :meth:`rewindable`)
    start: int | None = None

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.stream is not None:
            if self.start is not None:
                self.stream.seek(self.start)
            yield self.stream
            return
        assert self.path is not None
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InvalidInput(f"cannot read {self.path}: {exc.strerror}") from None
        with fh:
            yield fh

    def rewindable(self) -> Source:
        """This source, readable more than once: a stream that cannot seek (a pipe) is copied into a spooled
        temporary file first. Every :meth:`open` of the result starts from the beginning."""
        if self.stream is None or self.start is not None:
            return self
        stream: Any = self.stream
        if not _seekable(stream):
            spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - the source owns it
            shutil.copyfileobj(stream, spool)
            spool.seek(0)  # the copy is read from its beginning
            stream = spool
        return Source(self.name, stream=stream, size=self.size, start=stream.tell())


def _seekable(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, ValueError, OSError):
        return False


def sources(paths: Sequence[str], stdin: BinaryIO | None, *, suffixes: tuple[str, ...]) -> list[Source]:
    """Files to import: ``-`` is standard input, a folder means every file in it ending in ``suffixes``."""
    out: list[Source] = []
    if not paths:
        raise InvalidInput("give a file, a folder or - (standard input) to import")
    for raw in paths:
        if raw == "-":
            if stdin is None:
                raise InvalidInput("standard input is not available")
            out.append(Source("<stdin>", stream=stdin))
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(suffixes))
            if not files:
                raise InvalidInput(f"{raw} holds no {' or '.join(suffixes)} files")
            out.extend(Source(str(p), path=p, size=p.stat().st_size) for p in files)
        elif path.is_file():
            out.append(Source(raw, path=path, size=path.stat().st_size))
        else:
            raise InvalidInput(f"{raw}: no such file or folder")
    return out


#: a temporary file left by an interrupted run is removed by a later run once it is this old (seconds) and no
#: run holds its lock
STALE_AFTER = 10 * 60
#: what :func:`tempfile.mkstemp` adds to a prefix, then our suffix (and the files SQLite keeps beside a database
#: being written, for a backup)
_TMP_TAIL = r"\.[a-z0-9_]{8}\.tmp(?:-journal|-wal|-shm)?"


def _held(path: str) -> bool:
    """Whether a running export or backup holds ``path`` (see :func:`atomic_path`)."""
    try:
        import fcntl
    except ImportError:  # no advisory locks here: the age alone decides
        return False
    try:
        # never waits: not on a FIFO, nor through a symbolic link
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing the descriptor lets the lock go
    return False


def clean_stale(folder: Path, name_pattern: str, *, keep: Sequence[Path] = ()) -> int:
    """Remove the temporary files interrupted runs left in ``folder``: ``.NAME.XXXXXXXX.tmp`` where NAME matches
    the regular expression ``name_pattern``, owned by this user, older than :data:`STALE_AFTER`, held by no
    running export, and none of ``keep`` (the database's files, whatever their name). Give how many went."""
    pattern = re.compile(r"\." + name_pattern + _TMP_TAIL)
    cutoff = time.time() - STALE_AFTER
    removed = 0
    try:
        entries = [e for e in os.scandir(folder) if pattern.fullmatch(e.name)]
    except OSError:
        return 0
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mtime > cutoff:
                continue
            main = entry.path[: entry.path.rindex(".tmp") + 4]  # a -journal goes with its file
            if _held(main) or any(same_file(entry.path, k) for k in keep):
                continue
            os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    return removed


def free_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem-2``, ``stem-3``... : a name no file has yet, for a file that must not
    replace another (a backup, an export into the downloads folder)."""
    path, n = folder / f"{stem}.{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.{suffix}"
    return path


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two names are one file (however spelled: ``..``, a symbolic link, a hard link)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def database_files(db: Database) -> list[Path]:
    """The files of a SQLite database (the file, its write-ahead log, shared memory and journal); none on a
    server."""
    if not db.is_sqlite or db.path is None:
        return []
    return [db.path, *(Path(f"{db.path}{suffix}") for suffix in ("-wal", "-shm", "-journal"))]


def refuse_database(db: Database, path: str | Path, what: str) -> None:
    """:class:`InvalidInput` when ``path`` is one of the database's own files, whatever its spelling."""
    if any(same_file(path, own) for own in database_files(db)):
        raise InvalidInput(f"{path} is the database itself; {what}")


@contextmanager
def atomic_path(
    path: str | Path, *, force: bool, clean: bool = True, keep: Sequence[Path] = ()
) -> Iterator[Path]:
    """A temporary file next to ``path`` to write; renamed to ``path`` when the block ends without error.
    An existing file is replaced only with ``force``; the file is private to its owner (mode 0600): it holds
    personal data. The temporary file is locked while it is written, so that the next run can tell an
    interrupted run's leftover (removed, with ``clean``, unless it is one of ``keep``) from a run in progress
    (see :func:`clean_stale`)."""
    target = Path(path).absolute()
    if target.is_dir():
        raise Refused(f"{path} is a folder; give a file name")
    if target.exists() and not force:
        raise Refused(f"{path} exists; add --force to replace it")
    if not target.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {target.parent} does not exist")
    if clean:
        clean_stale(target.parent, re.escape(target.name), keep=keep)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise Refused(f"cannot write in {target.parent}: {exc.strerror}") from None
    tmp = Path(name)
    try:
        _lock(fd)
        yield tmp
        os.fsync(fd)
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if the file appeared meanwhile: never overwrite without force
            except FileExistsError:
                raise Refused(f"{path} exists; add --force to replace it") from None
            except OSError:
                os.replace(tmp, target)  # a file system without hard links
            else:
                os.unlink(tmp)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        os.close(fd)


def _lock(fd: int) -> None:
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass  # no advisory locks on this file system: stale files are then told by their age alone


@contextmanager
def atomic_file(
    path: str | Path, *, force: bool, binary: bool = True, clean: bool = True, keep: Sequence[Path] = ()
) -> Iterator[IO[Any]]:
    """:func:`atomic_path` opened for writing (bytes, or UTF-8 text with ``binary=False``)."""
    with atomic_path(path, force=force, clean=clean, keep=keep) as tmp:
        if binary:
            with open(tmp, "wb") as fh:
                yield fh
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                yield fh
