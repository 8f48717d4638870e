"""Errors that reach the user.

Every error tinycrm raises on purpose is a :class:`CrmError`: it carries a one-line message that says what was
wrong and how to fix it, and the process exit code the command-line face uses. Services raise them. A fix that
is a ``crm`` command goes into ``hint`` rather than the message: the command line prints the whole line
(``str(exc)``: the message, then ``; `` and the hint) and exits with ``exit_code``; the API, the web app and the
full-screen app show ``message`` alone, where a ``crm`` command means nothing.
"""

from __future__ import annotations

# Exit codes, documented in docs/cli.md.
EXIT_OK = 0
EXIT_FAILED = 1  # the operation could not be carried out (conflict, I/O, refused)
EXIT_USAGE = 2  # bad usage or invalid input: nothing was changed
EXIT_TEMPFAIL = 75  # sysexits EX_TEMPFAIL: the database is temporarily unavailable; try again later


#: how a hint that goes on from the message's last words begins
CONTINUED = (":", " (", " with:")


class CrmError(Exception):
    """Base class: a user-facing, one-line message, the ``crm`` command that fixes it (if any) and an exit code.

    ``message`` is what every face shows; ``str(exc)`` (:attr:`full_message`) is what the command line prints.
    """

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        #: what was wrong, in words that hold on every face
        self.message = message
        #: how to fix it with a ``crm`` command ("find one with: crm search NAME"); only the command line shows it
        self.hint = hint
        #: the input field the error is about, for forms that show it next to the field
        self.field = field
        super().__init__(self.full_message)

    @property
    def full_message(self) -> str:
        """The line the command line prints: the message, then ``; `` and the hint when there is one. A hint
        that goes on from the message's last words (``deal 5 is won; reopen it first`` + ``: crm deal reopen
        5``) starts with ``:``, `` (`` or `` with:`` and follows it directly."""
        if not self.hint:
            return self.message
        return f"{self.message}{'' if self.hint.startswith(CONTINUED) else '; '}{self.hint}"

    def __str__(self) -> str:
        return self.full_message


class InvalidInput(CrmError):
    """The input cannot be accepted (bad email, bad date, empty name...)."""

    exit_code = EXIT_USAGE


class NotFound(CrmError):
    """A reference (id, email, name) matched nothing. It is bad input, so exit 2."""

    exit_code = EXIT_USAGE


class NoDatabase(NotFound):
    """A command that only reads was pointed at a database that does not exist (a SQLite file); ``path`` names
    it. Nothing was created. Exit 2, like any reference to nothing."""

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class Ambiguous(CrmError):
    """A reference matched several records; ``candidates`` lists them (read models)."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, candidates: list | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


class Conflict(CrmError):
    """The operation clashes with the stored state (a duplicate, a stale edit...)."""

    exit_code = EXIT_FAILED


class Refused(CrmError):
    """The operation is not allowed (a permission, an overwrite without --yes...)."""

    exit_code = EXIT_FAILED


class StoreUnavailable(CrmError):
    """The database cannot be reached or stays locked; trying again later may succeed."""

    exit_code = EXIT_TEMPFAIL


class StoreError(CrmError):
    """The database is not usable (unknown URL scheme, newer schema, corrupt file)."""

    exit_code = EXIT_FAILED
