"""``crm tui`` / ``crm serve`` from the command line: textual stays lazy (``crm serve`` itself: tests/web/)."""

from __future__ import annotations

import subprocess
import sys


def test_the_command_line_does_not_import_textual():
    code = (
        "import sys; from tinycrm.cli.app import build, load_command; build(); load_command('tui'); "
        "load_command('serve'); print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_crm_alone_prints_the_status_when_not_on_a_terminal(sqlite_cli):
    r = sqlite_cli()
    assert r.exit_code == 0
    assert "contacts" in r.stdout


def test_tui_refuses_an_unknown_area(sqlite_cli):
    r = sqlite_cli("tui", "--start", "nowhere")
    assert r.exit_code == 2
    assert "nowhere" in r.stderr
