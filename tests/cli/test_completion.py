"""Shell completion: `crm --show-completion|--install-completion [bash|zsh|fish]`, and the protocol the scripts
speak (`_CRM_COMPLETE=complete_bash COMP_WORDS=... crm`), answered from the lazy command table."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tinycrm.cli.app import COMMANDS

BIN = Path(sys.executable).parent
CRM = str(BIN / "crm")
COMMAND_MODULES = {module for module, _ in COMMANDS.values()}


@pytest.fixture
def env(tmp_path):
    home = tmp_path / "user"
    home.mkdir()
    return {
        **os.environ,
        "HOME": str(home),
        "TINYCRM_HOME": str(tmp_path / "crm"),
        "TINYCRM_DB": f"sqlite:///{tmp_path / 'crm.sqlite3'}",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def crm(env: dict, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([CRM, *args], env={**env, **extra}, capture_output=True, text=True, timeout=60)


def bash(env: dict, line: str) -> list[str]:
    """What bash completes for ``line`` (words split on spaces; the last one is being typed)."""
    words = line.split(" ")
    out = crm(env, _CRM_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    assert out.returncode == 0 and out.stderr == "", out.stderr
    return out.stdout.splitlines()


def test_bash_completes_commands_subcommands_and_options(env):
    assert bash(env, "crm cont") == ["contact"]
    assert sorted(bash(env, "crm con")) == ["config", "consent", "contact"]
    assert bash(env, "crm ") == list(COMMANDS), "every command, from the table"
    assert {"list", "show", "edit", "delete", "search"} <= set(bash(env, "crm contact "))
    assert bash(env, "crm contact list --t") == ["--tag"]
    assert {"--limit", "--offset", "--all", "--json"} <= set(bash(env, "crm search ada --"))
    assert bash(env, "crm pipeline ") == ["show", "list", "add", "rename", "remove", "stages"]
    assert bash(env, "crm pipeline stages ") == ["list", "add", "rename", "move", "set", "remove"]
    assert bash(env, "crm report f") == ["forecast"]
    assert bash(env, "crm --db sqlite:///x.db sea") == ["search"]
    assert {"--install-completion", "--show-completion", "--db", "--version"} <= set(bash(env, "crm --"))
    assert bash(env, "crm --show-completion ") == ["bash", "zsh", "fish"]
    assert bash(env, "crm --install-completion z") == ["zsh"]


def test_zsh_and_fish_forms(env):
    out = crm(env, _CRM_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="crm de")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("_arguments '*: :((") and '"deal":"Deals' in out.stdout
    assert '"demo":' in out.stdout and '"contact"' not in out.stdout
    out = crm(env, _CRM_COMPLETE="complete_zsh", _TYPER_COMPLETE_ARGS="crm task ")
    assert '"done":' in out.stdout and '"snooze":' in out.stdout
    fish = {"_CRM_COMPLETE": "complete_fish", "_TYPER_COMPLETE_FISH_ACTION": "get-args"}
    out = crm(env, **fish, _TYPER_COMPLETE_ARGS="crm report ")
    names = [line.split("\t")[0] for line in out.stdout.splitlines()]
    assert names == [
        "forecast",
        "pipeline",
        "wins",
        "activity",
        "support",
        "conversion",
        "accuracy",
        "kpis",
    ], out.stdout
    out = crm(env, **fish, _TYPER_COMPLETE_ARGS="crm deal list --st")
    assert [line.split("\t")[0] for line in out.stdout.splitlines()] == ["--status", "--stage"]
    is_args = {**fish, "_TYPER_COMPLETE_FISH_ACTION": "is-args"}
    assert crm(env, **is_args, _TYPER_COMPLETE_ARGS="crm con").returncode == 0, "fish: complete, no files"


WRAPPER = """
import atexit, sys
atexit.register(lambda: sys.__stderr__.write("MODULES " + " ".join(sorted(sys.modules)) + "\\n"))
sys.argv = ["crm"]
from tinycrm.cli import main
main()
"""


def cli_modules(env: dict, **extra: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER], env={**env, **extra}, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("MODULES "))
    return set(line.split()[1:]) & COMMAND_MODULES


def test_completion_loads_only_the_command_it_completes(env):
    assert cli_modules(env, _CRM_COMPLETE="complete_bash", COMP_WORDS="crm ", COMP_CWORD="1") == set()
    loaded = cli_modules(env, _CRM_COMPLETE="complete_bash", COMP_WORDS="crm contact l", COMP_CWORD="2")
    assert loaded == {"tinycrm.cli.contacts"}
    loaded = cli_modules(env, _CRM_COMPLETE="complete_bash", COMP_WORDS="crm report ", COMP_CWORD="2")
    assert loaded == {"tinycrm.cli.reports", "tinycrm.cli.tickets"}  # report support lives with the tickets


@pytest.mark.parametrize(
    ("shell", "marks"),
    [
        ("bash", ["complete -o default -F _crm_completion crm", "_CRM_COMPLETE=complete_bash"]),
        ("zsh", ["#compdef crm", "compdef _crm_completion crm", "_CRM_COMPLETE=complete_zsh"]),
        ("fish", ["complete --command crm", "_CRM_COMPLETE=complete_fish"]),
    ],
)
def test_show_completion(env, shell, marks):
    out = crm(env, "--show-completion", shell)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    for mark in marks:
        assert mark in out.stdout
    assert crm(env, "--show-completion", shell.upper()).stdout == out.stdout


def test_an_unknown_shell_is_bad_usage(env):
    out = crm(env, "--show-completion", "tcsh")
    assert out.returncode == 2 and out.stdout == ""
    assert (
        out.stderr.startswith("crm: error: ")
        and out.stderr.count("\n") == 1
        and "bash, zsh and fish" in out.stderr
    )


@pytest.mark.parametrize(
    ("shell", "script", "rc", "rc_line"),
    [
        ("bash", ".bash_completions/crm.sh", ".bashrc", "source '{home}/.bash_completions/crm.sh'"),
        ("zsh", ".zfunc/_crm", ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit"),
        ("fish", ".config/fish/completions/crm.fish", None, None),
    ],
)
def test_install_completion(env, shell, script, rc, rc_line):
    home = Path(env["HOME"])
    for _ in range(2):  # again: nothing doubled
        out = crm(env, "--install-completion", shell)
        assert out.returncode == 0, out.stderr
        assert out.stderr.startswith(f"{shell} completion installed in {home / script}"), out.stderr
    assert (home / script).read_text().strip() == crm(env, "--show-completion", shell).stdout.strip()
    if rc:
        text = (home / rc).read_text()
        assert text.count(rc_line.format(home=home)) == 1, text


def test_install_completion_finds_the_shell_it_runs_in(env):
    out = subprocess.run(
        ["bash", "-c", "crm --install-completion; true"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stderr.startswith("bash completion installed in "), out.stderr
    assert (Path(env["HOME"]) / ".bash_completions/crm.sh").exists()
    out = subprocess.run(
        ["bash", "-c", "crm --show-completion; true"], env=env, capture_output=True, text=True, timeout=60
    )
    assert "complete -o default -F _crm_completion crm" in out.stdout


def test_a_real_bash_completes_through_the_script(env):
    script = crm(env, "--show-completion", "bash").stdout
    line = (
        f"{script}\n"
        "COMP_WORDS=(crm contact li); COMP_CWORD=2; _crm_completion crm; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
        "COMP_WORDS=(crm sta); COMP_CWORD=1; _crm_completion crm; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(["bash", "--norc", "-c", line], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines() == ["list", "stale"], (out.stdout, out.stderr)


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_reads_the_script(env):
    script = crm(env, "--show-completion", "zsh").stdout
    out = subprocess.run(
        ["zsh", "-f", "-c", f"autoload -Uz compinit; compinit -u; {script}\nprint ok"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip().endswith("ok"), out.stderr


def test_help_stays_free_of_the_completion_code(env):
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER.replace('["crm"]', '["crm", "--help"]')],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "--install-completion" in out.stdout
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("MODULES "))
    modules = set(line.split()[1:])
    assert "tinycrm.cli.completion" not in modules and not modules & COMMAND_MODULES
