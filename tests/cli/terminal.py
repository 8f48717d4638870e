"""Running `crm` on a real pseudo-terminal, for what it does only when a person is there to answer."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

CRM = str(Path(sys.executable).with_name("crm"))


def on_terminal(
    args: list[str], env: dict[str, str], answers: list[str], *, prompt: bytes = b"[Y/n]", timeout: float = 60
) -> tuple[int, str]:
    """Run ``crm ARGS`` with a pseudo-terminal as its standard input, output and error; answer each
    question (a line ending in ``prompt``) with the next of ``answers``. Gives the exit code and everything
    it wrote."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([CRM, *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    output, asked = b"", 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the other end closed
                    break
                if not chunk:
                    break
                output += chunk
                if output.count(prompt) > asked:
                    os.write(master, (answers[asked] + "\n").encode())
                    asked += 1
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"crm did not finish: {output.decode(errors='replace')}")
    finally:
        os.close(master)
    return proc.wait(timeout=10), output.decode(errors="replace").replace("\r\n", "\n")


def terminal_env(cli, home: Path, editor: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VISUAL", "EDITOR")}
    env.update({"TINYCRM_DB": cli.url, "TINYCRM_HOME": str(home), "EDITOR": editor, "TERM": "dumb"})
    return env
