"""The lazy command table of `crm` matches what the modules register."""

import importlib

import typer

from tinycrm.cli import app as cli_app


def test_every_listed_command_loads():
    for name in cli_app.COMMANDS:
        command = cli_app.load_command(name)
        assert command.name == name


def test_every_registered_command_is_listed():
    modules = {module for module, _ in cli_app.COMMANDS.values()}
    for module_name in modules:
        holder = typer.Typer()
        importlib.import_module(module_name).register(holder)
        names = [cli_app._name_of(c) for c in holder.registered_commands] + [
            g.name for g in holder.registered_groups
        ]
        for name in names:
            assert name in cli_app.COMMANDS, f"{module_name} registers {name!r} but crm does not list it"
            assert cli_app.COMMANDS[name][0] == module_name


def test_help_lists_commands_without_importing_them(sqlite_cli):
    r = sqlite_cli("--help")
    assert r.exit_code == 0
    for name in cli_app.COMMANDS:
        assert f"  {name} " in r.stdout


def test_config_commands_are_listed():
    command = cli_app.load_command("config")
    assert cli_app.COMMANDS["config"][0] == "tinycrm.cli.config"
    assert sorted(command.commands) == ["check", "path", "show"]
