"""``crm search --format mutt|aerc``: crm as a mail client's address book.

mutt and neomutt (``query_command``) read a first line of free text, which they show as a message, then one
``address<TAB>name<TAB>extra`` line per address, and take a non-zero exit as "nothing found"; aerc
(``address-book-cmd``) reads every line as ``address<TAB>name[<TAB>...]``. The protocol is checked byte for byte,
read back the way each client reads it, and run through a real mutt when one is installed.
"""

from __future__ import annotations

import email.utils
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from address_book_data import seeded_url

from crm_testkit import Cli


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def book(request, tmp_path_factory):
    yield from seeded_url(request.param, tmp_path_factory.mktemp("book"))


@pytest.fixture
def crm(book):
    return Cli(book)


def mutt_reads(stdout: str) -> tuple[str, list[tuple[str, ...]]]:
    """The message and the entries, as mutt's query.c reads them: the first line is the message; each other
    line is cut at tabs (``strtok``: empty fields vanish) into address, name and other information."""
    first, *lines = stdout.split("\n")
    return first, [tuple(f for f in line.split("\t") if f) for line in lines if line.strip("\t\n")]


def aerc_reads(stdout: str) -> list[tuple[str, str]]:
    """The completions, as aerc's completer reads them: every non-blank line, at most three tab-separated
    fields, the first an RFC 5322 address (a line that is not one is skipped), the second the name."""
    out = []
    for line in stdout.splitlines():
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        name, address = email.utils.parseaddr(parts[0].strip())
        if "@" not in address:
            continue
        out.append((address, parts[1].strip() if len(parts) > 1 else name))
    return out


def test_mutt_gets_a_message_then_one_line_per_address(crm):
    r = crm("search", "--format", "mutt", "ada", "lovelace")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == (
        "crm: 1 contact matches 'ada lovelace'\n"
        "ada@example.com\tAda Lovelace\twork, Acme\n"
        "ada.l@mail.example.net\tAda Lovelace\thome, Acme\n"
    )
    assert r.stderr == ""  # mutt does not catch stderr: it would land on its screen
    message, entries = mutt_reads(r.stdout)
    assert message == "crm: 1 contact matches 'ada lovelace'"
    assert entries == [
        ("ada@example.com", "Ada Lovelace", "work, Acme"),
        ("ada.l@mail.example.net", "Ada Lovelace", "home, Acme"),
    ]


def test_aerc_gets_no_first_line(crm):
    r = crm("search", "--format", "aerc", "ada", "lovelace")
    assert r.exit_code == 0, r.stderr
    assert (
        r.stdout
        == "ada@example.com\tAda Lovelace\twork, Acme\nada.l@mail.example.net\tAda Lovelace\thome, Acme\n"
    )
    assert aerc_reads(r.stdout) == [
        ("ada@example.com", "Ada Lovelace"),
        ("ada.l@mail.example.net", "Ada Lovelace"),
    ]


def test_a_contact_without_a_company_or_label_has_an_empty_extra(crm):
    r = crm("search", "--format", "mutt", "grete")
    assert r.stdout.splitlines()[1:] == ["grete@example.de\tGrete Müller\tMüller & Söhne"]
    r = crm("search", "--format", "mutt", "person", "07")
    assert r.stdout.splitlines()[1:] == ["person7@example.com\tPerson 07\t"]
    assert mutt_reads(r.stdout)[1] == [("person7@example.com", "Person 07")]


def test_tabs_and_line_breaks_in_a_name_or_label_become_spaces(crm):
    r = crm("search", "--format", "mutt", "tabby")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[1:] == ["tabby@example.com\tTabby Cat the Second\two rk, Acme"]
    assert mutt_reads(r.stdout)[1] == [("tabby@example.com", "Tabby Cat the Second", "wo rk, Acme")]
    assert aerc_reads(crm("search", "--format", "aerc", "tabby").stdout) == [
        ("tabby@example.com", "Tabby Cat the Second")
    ]


def test_nothing_found_exits_1_with_a_message_for_mutt_and_nothing_for_aerc(crm):
    r = crm("search", "--format", "mutt", "nobody")
    assert (r.exit_code, r.stdout, r.stderr) == (
        1,
        "crm: no contact with an email address matches 'nobody'\n",
        "",
    )
    r = crm("search", "--format", "aerc", "nobody")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "")


def test_contacts_without_an_address_are_left_out(crm):
    assert "Adam Noemail" in crm("search", "adam").stdout
    r = crm("search", "--format", "mutt", "adam")
    assert r.exit_code == 1 and "no contact with an email address" in r.stdout
    # and they do not take the places of those that have one
    r = crm("search", "--format", "mutt", "--limit", "1", "ada")
    assert r.exit_code == 0 and "@" in r.stdout.splitlines()[1]


def test_archived_contacts_only_when_asked(crm):
    assert "byron@example.org" not in crm("search", "--format", "mutt", "byron").stdout
    assert "byron@example.org" in crm("search", "--format", "mutt", "byron", "--include-archived").stdout


def test_a_cut_page_says_so_in_the_first_line_for_mutt_and_on_stderr_for_aerc(crm):
    r = crm("search", "--format", "mutt", "person", "--limit", "3")
    assert r.stdout.splitlines()[0] == "crm: 1-3 of 25 contacts matching 'person'; --all for everything"
    assert len(r.stdout.splitlines()) == 4 and r.stderr == ""
    r = crm("search", "--format", "aerc", "person", "--limit", "3")
    assert len(r.stdout.splitlines()) == 3
    assert r.stderr == "1-3 of 25 matches; --offset 3 for the next page, --all for everything\n"
    assert len(crm("search", "--format", "mutt", "person", "--all").stdout.splitlines()) == 26


def test_an_error_is_mutts_message_too(crm, book):
    r = crm("search", "--format", "mutt", "tag:")
    assert r.exit_code == 2
    assert r.stdout.startswith("crm: error: tag: has no value")
    assert r.stderr == r.stdout  # the house rule: one line on stderr; mutt shows the first line of stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--format", "mutt", "--json", "ada"],
            "--format mutt prints lines for a mail client: leave out --json",
        ),
        (["--format", "vcard", "ada"], "unknown --format 'vcard'; use one of: mutt, aerc"),
    ],
)
def test_bad_formats(crm, args, message):
    r = crm("search", *args)
    assert (r.exit_code, r.stderr) == (2, f"crm: error: {message}\n")


# --- a real mutt ----------------------------------------------------------------------------------------


def _screen(server: str) -> str:
    return subprocess.run(
        ["tmux", "-L", server, "capture-pane", "-p"], capture_output=True, text=True, check=False
    ).stdout


def _wait_for(server: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _screen(server)
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never showed on mutt's screen:\n{screen}")


def test_mutt_itself_lists_the_addresses(book, tmp_path):
    """mutt's query menu (Q), fed by ``query_command``, in a terminal that tmux holds."""
    for tool in ("mutt", "tmux"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (apt-get install mutt tmux)")
    crm = Path(sys.executable).with_name("crm")
    (tmp_path / "mbox").write_text("")
    (tmp_path / "muttrc").write_text(
        f"set folder={tmp_path}\nset spoolfile={tmp_path / 'mbox'}\nset mbox_type=mbox\n"
        f'set query_command="{crm} --db {book} search --format mutt -- %s"\n'
        "unset wait_key\nset sleep_time=0\nset charset=utf-8\n"
    )
    server = f"crm-test-{os.getpid()}"
    env = {**os.environ, "HOME": str(tmp_path), "TERM": "screen", "LANG": "C.UTF-8", "TINYCRM_USER": "tester"}
    env.pop("TMUX", None)
    command = f"mutt -n -F {tmp_path / 'muttrc'} -f {tmp_path / 'mbox'}"
    subprocess.run(
        ["tmux", "-L", server, "new-session", "-d", "-x", "150", "-y", "30", command], env=env, check=True
    )
    try:
        _wait_for(server, "Quit")
        subprocess.run(["tmux", "-L", server, "send-keys", "Q"], check=True)
        _wait_for(server, "Query")
        subprocess.run(["tmux", "-L", server, "send-keys", "ada lovelace", "Enter"], check=True)
        screen = _wait_for(server, "ada.l@mail.example.net")
        lines = [line.split() for line in screen.splitlines()]
        assert ["1", "ada@example.com", "Ada", "Lovelace", "(work,", "Acme)"] in lines, screen
        assert ["2", "ada.l@mail.example.net", "Ada", "Lovelace", "(home,", "Acme)"] in lines, screen
        assert "crm: 1 contact matches 'ada lovelace'" in screen  # the first line, as mutt's message
        subprocess.run(["tmux", "-L", server, "send-keys", "Q"], check=True)
        _wait_for(server, "Query: ada lovelace")  # mutt offers the last query again: clear it (^U)
        subprocess.run(["tmux", "-L", server, "send-keys", "C-u", "nobody", "Enter"], check=True)
        _wait_for(server, "crm: no contact with an email address matches 'nobody'")
    finally:
        subprocess.run(["tmux", "-L", server, "kill-server"], capture_output=True, check=False)
