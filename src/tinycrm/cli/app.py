"""The root ``crm`` command: global options, the status screen, and the command table.

Commands load lazily: ``crm --help`` lists them from :data:`COMMANDS` without importing any of them, and
``crm search`` imports only the module that defines ``search``. Each module has a ``register(app)`` that adds
exactly the commands it is listed for here (a test checks the table against the modules).
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperGroup

from tinycrm import __version__

#: command name -> (module that registers it, one-line help shown by ``crm --help``)
COMMANDS: dict[str, tuple[str, str]] = {
    "add-contact": ("tinycrm.cli.contacts", "Add a contact and print its id."),
    "search": ("tinycrm.cli.contacts", "Search contacts by name, email, phone, company, notes and tags."),
    "log": ("tinycrm.cli.contacts", "Log an interaction (call, email, meeting...) with a contact."),
    "timeline": ("tinycrm.cli.contacts", "A contact's interactions, newest first."),
    "contact": ("tinycrm.cli.contacts", "Browse and change contacts."),
    "company": ("tinycrm.cli.companies", "Companies and their people."),
    "tags": ("tinycrm.cli.contacts", "All tags, with how many contacts and companies carry each."),
    "import": ("tinycrm.cli.transfer", "Bring contacts in: vCard, CSV, JSON."),
    "export": ("tinycrm.cli.transfer", "Take data out: vCard, CSV, JSON, iCalendar."),
    "db": ("tinycrm.cli.dbcmd", "The database: schema status, upgrades, search index."),
    "demo": ("tinycrm.cli.demo", "Build a demo database and show it (never your own)."),
}

#: modules that add commands to a group another module owns (``crm export ical`` lives with tasks)
EXTENSIONS: dict[str, list[str]] = {"import": [], "export": []}


def load_command(name: str) -> Any:
    """The click command for ``name``, importing only the module that defines it."""
    module_name, _ = COMMANDS[name]
    module = importlib.import_module(module_name)
    for extra in EXTENSIONS.get(name, []):
        importlib.import_module(extra)
    holder = typer.Typer()
    module.register(holder)
    # build only the command asked for: Typer turns every registered function into a click command
    pick = typer.Typer(rich_markup_mode=None, add_completion=False)
    pick.registered_commands = [c for c in holder.registered_commands if _name_of(c) == name]
    pick.registered_groups = [g for g in holder.registered_groups if g.name == name]
    if not pick.registered_commands and not pick.registered_groups:
        raise LookupError(f"{module_name}.register() does not add a command named {name!r}")
    command = typer.main.get_command(pick)
    if pick.registered_groups:
        command = command.commands[name]
    command.name = name
    return command


def _name_of(info: Any) -> str:
    return info.name or info.callback.__name__.replace("_", "-")


class LazyGroup(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS) + [n for n in super().list_commands(ctx) if n not in COMMANDS]

    def get_command(self, ctx: Any, name: str) -> Any:
        command = super().get_command(ctx, name)
        if command is None and name in COMMANDS:
            command = load_command(name)
            self.commands[name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, help_text) for name, (_, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _version(value: bool) -> None:
    if value:
        print(f"tinycrm {__version__}")
        raise typer.Exit()


def build() -> typer.Typer:
    app = typer.Typer(
        name="crm",
        cls=LazyGroup,
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

    return app
