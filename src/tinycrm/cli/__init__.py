"""The ``crm`` command. Importing this package stays cheap: no SQLAlchemy, Textual, vobject or Rich here;
each command imports what it needs when it runs."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    # plain help everywhere, and no Rich import just to print --help
    os.environ.setdefault("TYPER_USE_RICH", "0")
    from tinycrm.cli.app import build

    app = build()
    code = run(app, argv)
    sys.exit(code)


def run(app, argv: list[str] | None = None) -> int:  # noqa: ANN001 - a Typer app
    """Run the app; turn every expected error into one line on stderr and an exit code."""
    from tinycrm.domain.errors import CrmError

    try:
        result = app(args=argv, prog_name="crm", standalone_mode=False)
    except CrmError as exc:
        _error(exc.message)
        from tinycrm.domain.errors import Ambiguous

        if isinstance(exc, Ambiguous) and exc.candidates:
            from tinycrm.services.people.contacts import candidates_label

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
        from typer import exceptions as typer_exc
        from typer._click import exceptions as click_exc

        if type(exc).__name__ == "NoArgsIsHelpError":
            # a group run without a command: its help, as is, and the usage exit code
            print(exc.format_message(), file=sys.stderr)
            return 2
        if isinstance(exc, click_exc.ClickException):
            _error(" ".join(exc.format_message().split()))
            return 2 if isinstance(exc, click_exc.UsageError) else 1
        if isinstance(exc, (typer_exc.Abort, getattr(click_exc, "Abort", typer_exc.Abort))):
            _error("aborted")
            return 1
        if os.environ.get("TINYCRM_DEBUG"):
            raise
        _error(f"unexpected {type(exc).__name__}: {exc} (run with TINYCRM_DEBUG=1 for details)")
        return 1
    return result if isinstance(result, int) else 0


def _error(message: str) -> None:
    print(f"crm: error: {message}", file=sys.stderr)
