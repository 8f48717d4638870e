"""`NO_COLOR` (any non-empty value, see no-color.org) means no escape code at all on a real terminal: no colour,
and no bold or dim either. Each case runs `crm` on a pseudo-terminal, as a person would see it."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

CRM = str(Path(sys.executable).with_name("crm"))
TERMINAL = {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}

# every kind of terminal output: tables, records (dim keys, a bold title), the board, reports with bars
SCREENS = [
    ("contact", "list"),
    ("contact", "show", "ada"),
    ("search", "ada"),
    ("company", "show", "acme"),
    ("deal", "list"),
    ("deal", "show", "1"),
    ("pipeline",),
    ("report", "forecast"),
    ("report", "pipeline"),
    ("report", "wins"),
    ("report", "activity"),
    ("task", "list"),
    ("agenda",),
    ("audit",),
    ("history", "contact", "ada"),
    ("contact", "list", "--tag", "nobody-has-it"),
]


def on_a_terminal(args: tuple[str, ...], env: dict) -> tuple[int, str]:
    """Run crm with stdin, stdout and stderr on a pseudo-terminal; its exit code and everything it showed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([CRM, *args], stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the last writer closed the terminal
            break
        if not data:
            break
        shown += data
    os.close(leader)
    return proc.wait(timeout=60), shown.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("no_color")
    url = f"sqlite:///{home / 'crm.sqlite3'}"
    base = {**os.environ, **TERMINAL, "TINYCRM_HOME": str(home), "TINYCRM_DB": url, "TZ": "UTC"}
    base.pop("NO_COLOR", None)
    base["TINYCRM_NOW"] = "2026-03-10T12:00:00+00:00"
    for args in (
        ["add-contact", "Ada Lovelace", "--email", "ada@acme.com", "--company", "Acme", "--tag", "vip"],
        ["log", "ada", "--summary", "Call", "--when", "2026-03-09"],
        [
            "deal",
            "add",
            "Website",
            "--value",
            "5000",
            "--currency",
            "EUR",
            "--contact",
            "ada",
            "--close",
            "2026-03-31",
        ],
        ["deal", "add", "Support", "--value", "900", "--currency", "EUR"],
        ["deal", "win", "support"],
        ["task", "add", "Send proposal", "--due", "2026-03-10", "--contact", "ada"],
    ):
        out = subprocess.run([CRM, *args], env=base, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, (args, out.stderr)
    return base


@pytest.mark.parametrize("args", SCREENS, ids=[" ".join(a) for a in SCREENS])
def test_no_color_means_no_escape_codes(env, args):
    code, shown = on_a_terminal(args, {**env, "NO_COLOR": "1"})
    assert code == 0, shown
    assert shown.strip(), "the terminal shows something"
    assert "\x1b" not in shown, repr(shown[:400])


def test_without_no_color_the_terminal_gets_styles(env):
    """The check above means something: the same screens are styled when NO_COLOR is unset or empty."""
    for no_color in (None, ""):
        extra = {} if no_color is None else {"NO_COLOR": no_color}
        for args in (("contact", "list"), ("contact", "show", "ada"), ("report", "forecast")):
            code, shown = on_a_terminal(args, {**env, **extra})
            assert code == 0, shown
            assert "\x1b[" in shown, (args, no_color)


def test_any_value_counts(env):
    for value in ("0", "false", "no"):
        _, shown = on_a_terminal(("contact", "show", "ada"), {**env, "NO_COLOR": value})
        assert "\x1b" not in shown, value
