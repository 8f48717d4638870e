"""``crm --show-completion [SHELL]`` and ``crm --install-completion [SHELL]``: the tab-completion script for
bash, zsh or fish. The script calls ``crm`` back with ``_CRM_COMPLETE`` set; :class:`tinycrm.cli.app.LazyGroup`
answers from its command table, loading only the command being completed."""

from __future__ import annotations

import os

from tinycrm.cli import render
from tinycrm.cli.app import COMPLETE_VAR, SHELLS

PROG = "crm"
#: where each shell's script goes, and what makes the shell read it (Typer's places)
WHERE = {
    "bash": "read from ~/.bashrc",
    "zsh": "in ~/.zfunc, which ~/.zshrc adds to fpath",
    "fish": "where fish looks for completions",
}


def shell_of(name: str) -> str:
    """The shell named (any case), or the one crm was started from when the name is ''."""
    from tinycrm.domain.errors import InvalidInput

    wanted = name.strip().lower() or detect()
    if wanted not in SHELLS:
        raise InvalidInput(
            f"no completion for the shell {wanted!r}: crm completes in bash, zsh and fish; name one, "
            "e.g. crm --install-completion bash"
        )
    return wanted


def detect() -> str:
    """The shell crm runs under (the process tree, else ``$SHELL``), or '' when neither says."""
    try:
        import shellingham

        name = shellingham.detect_shell()[0]
    except Exception:  # noqa: BLE001 - shellingham.ShellDetectionFailure, or no process information
        name = os.path.basename(os.environ.get("SHELL", ""))
    if not name:
        from tinycrm.domain.errors import InvalidInput

        raise InvalidInput("cannot tell which shell this is; name it, e.g. crm --install-completion bash")
    return name.lower()


def script(shell: str) -> str:
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)


def show(name: str) -> None:
    render.out(script(shell_of(name)))


def install(name: str) -> None:
    from typer._completion_shared import install as install_script

    shell = shell_of(name)
    shell, path = install_script(shell=shell, prog_name=PROG, complete_var=COMPLETE_VAR)
    render.note(
        f"{shell} completion installed in {path} ({WHERE[shell]}); it works in shells started from now on"
    )
