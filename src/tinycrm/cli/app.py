"""The root ``crm`` command: global options, the status screen, and the command table.

Commands load lazily: ``crm --help`` lists them from :data:`COMMANDS` without importing any of them, and
``crm search`` imports only the module that defines ``search``. Each module has a ``register(app)`` that adds
exactly the commands it is listed for here (a test checks the table against the modules).

Shell completion follows the same rule: ``crm <TAB>`` completes from the table, ``crm contact <TAB>`` loads only
``contact``; the completion machinery is imported only when the shell asks (``_CRM_COMPLETE`` set) or
``--install-completion`` / ``--show-completion`` is given.
"""

from __future__ import annotations

import importlib
import os
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
    "interaction": ("tinycrm.cli.interactions", "Show, change or delete a logged interaction."),
    "contact": ("tinycrm.cli.contacts", "Browse and change contacts."),
    "company": ("tinycrm.cli.companies", "Companies and their people."),
    "tags": ("tinycrm.cli.contacts", "All tags, with how many contacts and companies carry each."),
    "import": ("tinycrm.cli.transfer", "Bring contacts in: vCard, CSV, JSON."),
    "export": ("tinycrm.cli.transfer", "Take data out: vCard, CSV, JSON, iCalendar."),
    "db": ("tinycrm.cli.dbcmd", "The database: schema status, upgrades, search index."),
    "config": ("tinycrm.cli.config", "Settings: show them and where each came from, check the file."),
    "demo": ("tinycrm.cli.demo", "Build a demo database and show it (never your own)."),
    "user": ("tinycrm.cli.team", "Users: add, list, edit (name, full name, email, role, active)."),
    "team": ("tinycrm.cli.team", "PostgreSQL team members: add-member, list, remove (real database roles)."),
    "history": ("tinycrm.cli.team", "Who changed a record, when, and what (crm history contact 12)."),
    "audit": ("tinycrm.cli.team", "The audit log: every change, by whom and when."),
    "task": ("tinycrm.cli.tasks", "Tasks: add, list, show, done, snooze, edit, delete."),
    "follow-up": ("tinycrm.cli.tasks", "Add a task to follow up with a contact."),
    "agenda": ("tinycrm.cli.tasks", "Overdue, today and the next days: tasks, people, birthdays, deals."),
    "stale": ("tinycrm.cli.tasks", "Contacts whose stay-in-touch cadence has run out."),
    "remind": ("tinycrm.cli.tasks", "For cron: print or mail what is due; nothing when nothing is."),
    "deal": ("tinycrm.cli.deals", "Deals: add, list, show, edit, move through stages, win, lose."),
    "lead": ("tinycrm.cli.leads", "Leads: add, list by score, qualify, convert into a contact and a deal."),
    "pipeline": ("tinycrm.cli.pipelines", "A pipeline's board (crm pipeline [NAME]); pipelines and stages."),
    "report": ("tinycrm.cli.reports", "Sales reports: forecast, pipeline conversion, wins, activity."),
    "duplicates": ("tinycrm.cli.duplicates", "Contacts that look like the same person, most certain first."),
    "merge": ("tinycrm.cli.duplicates", "Merge one contact into another; nothing is lost."),
    "backup": ("tinycrm.cli.interchange", "A consistent copy of the database (JSON export on PostgreSQL)."),
    "restore": ("tinycrm.cli.interchange", "Restore a backup or a JSON export (replacing needs --yes)."),
    "mail": (
        "tinycrm.cli.mail",
        "Mail in: ingest messages (stdin, files, Maildir, mbox) or fetch them by IMAP.",
    ),
    "segment": (
        "tinycrm.cli.marketing",
        "Segments: saved queries over contacts (crm segment add NAME -q Q).",
    ),
    "consent": ("tinycrm.cli.marketing", "Consent per address: opt-in, opt-out, the log, suppressions."),
    "campaign": ("tinycrm.cli.campaigns", "Campaigns: add, preview, test, send (resumable), show, list."),
    "sequence": (
        "tinycrm.cli.sequences",
        "Sequences: timed follow-up mails and tasks (add, enroll, show, stop).",
    ),
    "automate": (
        "tinycrm.cli.sequences",
        "For cron: run the sequence steps that are due; nothing when none is.",
    ),
    "ticket": (
        "tinycrm.cli.tickets",
        "Support tickets: add, list, show, reply, note, status, assign, merge.",
    ),
    "template": ("tinycrm.cli.tickets", "Canned replies for tickets: list and show the templates."),
    "kb": ("tinycrm.cli.kb", "The knowledge base: add, edit, list, show, search and export articles."),
    "tui": ("tinycrm.cli.tui", "The full-screen app (what 'crm' alone opens on a terminal)."),
    "dav": ("tinycrm.cli.dav", "A CardDAV/CalDAV server for your phone: contacts and tasks, both ways."),
    "sync": ("tinycrm.cli.sync", "Contacts both ways with a folder of vCards (phones, vdirsyncer, khard)."),
    "hook": ("tinycrm.cli.hooks", "Webhooks: add, list, test, remove (signed HTTP POSTs of changes)."),
    "hooks": ("tinycrm.cli.hooks", "For cron: deliver webhooks and local hooks; see and retry failed ones."),
    "serve": (
        "tinycrm.cli.tui",
        "The web server: the web app for phones and desktops, the API (127.0.0.1:8484).",
    ),
    "form": (
        "tinycrm.cli.forms",
        "Web forms: a public address for a website's contact form; posts become leads.",
    ),
    "token": ("tinycrm.cli.web", "API tokens for programs: create, list, revoke."),
    "portal": ("tinycrm.cli.portal", "The customer portal: a contact's signed link; withdraw links."),
}

#: modules that add commands to a group another module owns (``crm export ical`` lives with tasks)
EXTENSIONS: dict[str, list[str]] = {
    "import": ["tinycrm.cli.interchange"],
    "contact": ["tinycrm.cli.gdpr"],
    "export": ["tinycrm.cli.tasks", "tinycrm.cli.interchange"],
    "report": ["tinycrm.cli.tickets"],
}


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


#: the shells ``crm --install-completion`` and ``--show-completion`` know
SHELLS = ("bash", "zsh", "fish")
COMPLETION_OPTIONS = ("--install-completion", "--show-completion")
COMPLETE_VAR = "_CRM_COMPLETE"


class LazyGroup(TyperGroup):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _shell_optional(list(args)))

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

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """Command names from the table (loading none of them), then the root's options."""
        from typer._click.shell_completion import CompletionItem

        names = [CompletionItem(n, help=h) for n, (_, h) in COMMANDS.items() if n.startswith(incomplete)]
        return names + super(TyperGroup, self).shell_complete(ctx, incomplete)

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: str | None = None) -> None:
        if os.environ.get(complete_var or COMPLETE_VAR):
            # the shell asks for completions: only now load the classes that answer bash, zsh and fish
            from typer._completion_classes import completion_init

            completion_init()
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


def _shell_optional(args: list[str]) -> list[str]:
    """``--install-completion`` and ``--show-completion`` take an optional SHELL: without one (the next word
    another option, or nothing), pass '' (the shell crm runs in)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] in COMPLETION_OPTIONS:
            if i + 1 == len(args) or args[i + 1].startswith("-"):
                args.insert(i + 1, "")
            break
        i += 2 if args[i] == "--db" else 1
    return args


def _completion(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> None:
    """Print (``--show-completion``) or install (``--install-completion``) the completion script of a shell."""
    if value is None or ctx.resilient_parsing:
        return
    from tinycrm.cli import completion

    if param.name == "show_completion":
        completion.show(value)
    else:
        completion.install(value)
    raise typer.Exit()


def _shells(incomplete: str) -> list[str]:
    return [s for s in SHELLS if s.startswith(incomplete)]


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
            None,
            "--db",
            envvar="TINYCRM_DB",
            metavar="URL",
            help="Database URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB. "
            "Default: the file in the data directory.",
        ),
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Show the version."
        ),
        install_completion: str = typer.Option(
            None,
            "--install-completion",
            metavar="[SHELL]",
            callback=_completion,
            is_eager=True,
            autocompletion=_shells,
            help="Install tab completion for bash, zsh or fish (default: the shell you run crm from).",
        ),
        show_completion: str = typer.Option(
            None,
            "--show-completion",
            metavar="[SHELL]",
            callback=_completion,
            is_eager=True,
            autocompletion=_shells,
            help="Print the completion script for bash, zsh or fish, to install it your own way.",
        ),
    ) -> None:
        from tinycrm.cli import state

        state.set_url(db)
        if ctx.invoked_subcommand is None:
            from tinycrm.cli.tui import on_terminal, open_app

            if on_terminal():
                raise typer.Exit(open_app(state.url()))
            from tinycrm.cli.status import show_status

            show_status()

    return app
