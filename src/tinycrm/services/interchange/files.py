"""Files in and out: what an import reads (files, folders, standard input) and how an export writes.

Exports never replace a file without ``force`` and write through a temporary file renamed into place, so a
reader never sees half a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from tinycrm.domain.errors import InvalidInput, Refused

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


@contextmanager
def atomic_path(path: str | Path, *, force: bool) -> Iterator[Path]:
    """A temporary file next to ``path`` to write; renamed to ``path`` when the block ends without error.
    An existing file is replaced only with ``force``; the file is private to its owner (mode 0600): it holds
    personal data."""
    target = Path(path).absolute()
    if target.is_dir():
        raise Refused(f"{path} is a folder; give a file name")
    if target.exists() and not force:
        raise Refused(f"{path} exists; add --force to replace it")
    if not target.parent.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {target.parent} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise Refused(f"cannot write in {target.parent}: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
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


@contextmanager
def atomic_file(path: str | Path, *, force: bool, binary: bool = True) -> Iterator[IO[Any]]:
    """:func:`atomic_path` opened for writing (bytes, or UTF-8 text with ``binary=False``)."""
    with atomic_path(path, force=force) as tmp:
        if binary:
            with open(tmp, "wb") as fh:
                yield fh
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                yield fh
