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


def test_the_sales_nouns_have_a_module_each():
    """deals, pipelines and reports were one module of 992 lines; each noun loads only its own."""
    import subprocess
    import sys

    assert {name: cli_app.COMMANDS[name][0] for name in ("deal", "pipeline", "report")} == {
        "deal": "tinycrm.cli.deals",
        "pipeline": "tinycrm.cli.pipelines",
        "report": "tinycrm.cli.reports",
    }
    sales = {"tinycrm.cli.deals", "tinycrm.cli.pipelines", "tinycrm.cli.reports"}
    for name, module in (("deal", "deals"), ("pipeline", "pipelines"), ("report", "reports")):
        code = (
            "import sys; from tinycrm.cli import app; app.load_command(sys.argv[1]); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('tinycrm.cli.'))))"
        )
        out = subprocess.run([sys.executable, "-c", code, name], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert set(out.stdout.split()) & sales == {f"tinycrm.cli.{module}"}, (name, out.stdout)


def test_command_modules_stay_under_600_lines():
    from pathlib import Path

    import tinycrm.cli

    for path in Path(tinycrm.cli.__file__).parent.glob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 600, f"{path.name} has {lines} lines; split it by noun"
