"""The root ``crm`` command: global options, the status screen and the command groups."""

from __future__ import annotations

import typer

from tinycrm import __version__


def _version(value: bool) -> None:
    if value:
        print(f"tinycrm {__version__}")
        raise typer.Exit()


def build() -> typer.Typer:
    app = typer.Typer(
        name="crm",
        help="tinycrm: a terminal CRM. Run 'crm' alone for a status, 'crm COMMAND --help' for a command.",
        no_args_is_help=False,
        invoke_without_command=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        add_completion=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def root(
        ctx: typer.Context,
        db: str = typer.Option(
            None, "--db", envvar="TINYCRM_DB", metavar="URL",
            help="Database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB. "
            "Default: the file in the data directory.",
        ),  # fmt: skip
        version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
    ) -> None:
        from tinycrm.cli import state

        state.set_url(db)
        if ctx.invoked_subcommand is None:
            from tinycrm.cli.status import show_status

            show_status()

    from tinycrm.cli import companies, contacts, dbcmd, demo, transfer

    contacts.register(app)
    companies.register(app)
    dbcmd.register(app)
    demo.register(app)
    # each area registers its commands here, one line each
    transfer.register(app)
    return app
