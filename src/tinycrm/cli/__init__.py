"""The ``crm`` command. Importing this package stays cheap: no SQLAlchemy, Textual, vobject or Rich here;
each command imports what it needs when it runs.

The hottest read commands (``crm search``, ``crm contact list``) are answered by :mod:`tinycrm.cli.fast`
before Typer is imported; everything else, and any form of them the fast path does not read, goes to Typer.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any


def main(argv: list[str] | None = None) -> None:
    import gc

    # a command is short: no cycle collection while it imports its modules (tens of collections for nothing)
    gc.disable()
    from tinycrm.cli.fast import answer

    code = answer(sys.argv[1:] if argv is None else list(argv))
    if code is not None:
        _exit_now(code)
    gc.enable()
    # plain help everywhere, and no Rich import just to print --help
    os.environ.setdefault("TYPER_USE_RICH", "0")
    from tinycrm.cli.app import build

    sys.exit(run(build(), argv))


def _exit_now(code: int) -> None:
    """End a command the fast path answered: its output flushed, without the interpreter's teardown (freeing
    every module and object costs as much as a search). Nothing it ran is left to clean up: the database is
    closed, no thread or exit handler was started."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # the reader went away (crm search ... | head): what it read is all it wanted
    except OSError as exc:
        _error(f"cannot write the output: {exc.strerror or exc}")
        code = code or 1
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)


def run(app, argv: list[str] | None = None) -> int:  # noqa: ANN001 - a Typer app
    """Run the app; turn every expected error into one line on stderr and an exit code."""
    return guarded(lambda: app(args=argv, prog_name="crm", standalone_mode=False))


def guarded(call: Callable[[], Any]) -> int:
    """Run a command (``call()`` gives its exit code, or None for 0); turn every expected error into one line
    on stderr and an exit code. The Typer app and the fast path both run through here."""
    from tinycrm.domain.errors import CrmError

    try:
        result = call()
    except CrmError as exc:
        _error(str(exc))
        from tinycrm.domain.errors import Ambiguous

        if isinstance(exc, Ambiguous) and exc.candidates:
            from tinycrm.services.people.contact_search import candidates_label

            for line in candidates_label(exc.candidates):
                print(f"  {line}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        # the reader went away (crm ... | head): not an error
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        except OSError:
            pass
        return 0
    except SystemExit as exc:
        if isinstance(exc.__context__, BrokenPipeError):
            return 0  # Typer's own way of saying the reader went away
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - click usage errors and the unexpected
        if "typer" in sys.modules:  # without Typer loaded (the fast path), nothing is a click exception
            code = _click_error(exc)
            if code is not None:
                return code
        if os.environ.get("TINYCRM_DEBUG"):
            raise
        _error(f"unexpected {type(exc).__name__}: {exc} (run with TINYCRM_DEBUG=1 for details)")
        return 1
    return result if isinstance(result, int) else 0


def _click_error(exc: Exception) -> int | None:
    """The exit code of a click usage error or abort, said on stderr; None for any other exception."""
    from typer import exceptions as typer_exc
    from typer._click import exceptions as click_exc

    if type(exc).__name__ == "NoArgsIsHelpError":
        # a group run without a command: its help, as is, and the usage exit code
        print(exc.format_message(), file=sys.stderr)
        return 2
    if isinstance(exc, click_exc.ClickException):
        message = " ".join(exc.format_message().split())
        ctx = getattr(exc, "ctx", None)
        if isinstance(exc, click_exc.NoSuchOption) and ctx is not None and ctx.info_name == "search":
            # crm search -tag:former: the query's leading '-' reads as options
            message += "; a query that starts with '-' follows '--': crm search -- -tag:former"
        _error(message)
        return 2 if isinstance(exc, click_exc.UsageError) else 1
    if isinstance(exc, (typer_exc.Abort, getattr(click_exc, "Abort", typer_exc.Abort))):
        _error("aborted")
        return 1
    return None


def _error(message: str) -> None:
    print(f"crm: error: {message}", file=sys.stderr)
