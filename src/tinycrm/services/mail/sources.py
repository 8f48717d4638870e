"""Where ``crm mail ingest`` reads messages from: files (or standard input), a Maildir, an mbox. Each yields
``(source, raw bytes)`` one message at a time, so a large mbox is never held in memory whole. The mailboxes are
only read: nothing is moved, flagged or deleted in them (the pipeline remembers what it handled)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tinycrm.domain.errors import InvalidInput, NotFound


def check_file(path: Path, what: str = "file") -> Path:
    if not path.exists():
        raise NotFound(f"{path}: no such {what}")
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder; give a message file, or use --maildir for a Maildir")
    return path


def files(paths: list[Path]) -> Iterator[tuple[str, bytes]]:
    for path in paths:
        yield f"file:{path}", path.read_bytes()


def maildir(directory: Path) -> Iterator[tuple[str, bytes]]:
    """The messages of a Maildir (``new/`` then ``cur/``, oldest file first)."""
    if not directory.is_dir() or not any((directory / sub).is_dir() for sub in ("new", "cur")):
        raise InvalidInput(f"{directory} is not a Maildir (a folder with cur/, new/ and tmp/ in it)")
    for sub in ("new", "cur"):
        folder = directory / sub
        if not folder.is_dir():
            continue
        entries = sorted(
            (p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
            key=lambda p: (p.stat().st_mtime, p.name),
        )
        for path in entries:
            try:
                data = path.read_bytes()
            except FileNotFoundError:  # moved by a mail client while we read
                continue
            yield f"maildir:{path}", data


def mbox(path: Path) -> Iterator[tuple[str, bytes]]:
    """The messages of an mbox file, split at ``From `` lines that follow an empty line (or start the file);
    ``>From `` quoting (mboxrd) is undone."""
    check_file(path, "mbox file")
    with path.open("rb") as fh:
        first = fh.readline()
        if first and not first.startswith(b"From "):
            raise InvalidInput(f"{path} is not an mbox file: it does not start with a 'From ' line")
        number, blank = 0, True
        lines: list[bytes] = []
        for line in fh:
            if line.startswith(b"From ") and blank:
                if lines:
                    number += 1
                    yield f"mbox:{path}#{number}", _message(lines)
                lines = []
                blank = False
                continue
            lines.append(line)
            blank = line in (b"\n", b"\r\n")
        if lines or first:
            number += 1
            yield f"mbox:{path}#{number}", _message(lines)


def _message(lines: list[bytes]) -> bytes:
    if lines and lines[-1] in (b"\n", b"\r\n"):
        lines = lines[:-1]  # the empty line before the next From belongs to the file, not the message
    out = []
    for line in lines:
        if line.startswith(b">") and line.lstrip(b">").startswith(b"From "):
            line = line[1:]
        out.append(line)
    return b"".join(out)
