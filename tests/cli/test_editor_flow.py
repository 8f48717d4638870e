"""Editing in $EDITOR, for every form (contact, company, deal, task, interaction): an editor that cannot start,
edits kept in a private file when they cannot be saved, and on a terminal the editor opened again on them with
the reason on top. EDITOR is a small shell script that edits the file (counting its runs where it matters);
the terminal cases run `crm` on a real pseudo-terminal."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from terminal import CRM, on_terminal, terminal_env

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module


def script(tmp_path: Path, body: str, name: str = "editor.sh") -> str:
    """An editor: a shell script run as ``editor FILE``; ``$RUN`` is 1 on its first run, 2 on the next..."""
    path = tmp_path / name
    counter = tmp_path / f"{name}.runs"
    path.write_text(
        "#!/bin/sh\n"
        f'RUN=$(( $(cat "{counter}" 2>/dev/null || echo 0) + 1 )); echo $RUN > "{counter}"\n' + body + "\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def kept_files(home: Path) -> list[Path]:
    return sorted((home / "edits").glob("*.txt")) if (home / "edits").exists() else []


def kept_path(stderr: str) -> Path:
    assert "your edits are kept in " in stderr, stderr
    return Path(stderr.split("your edits are kept in ")[1].split()[0])


@pytest.fixture
def records(cli):
    """One of each kind of record, all linked to Ada; gives the ids."""
    ada = cli("add-contact", "Ada Lovelace", "--company", "Acme", "--email", "ada@example.com").stdout.strip()
    bob = cli("add-contact", "Bob Babbage").stdout.strip()
    deal = cli(
        "deal", "add", "Engine order", "--value", "1000", "--currency", "EUR", "--contact", "ada", "--json"
    )
    task = cli("task", "add", "Call back", "--due", "2026-04-01", "--contact", "ada", "--json")
    met = cli("log", "ada", "-k", "call", "-s", "Intro call", "-w", "2026-03-20 10:00", "-b", "First line")
    return {
        "contact": ada,
        "bob": bob,
        "company": "acme",
        "deal": str(deal.json["id"]),
        "task": str(task.json["id"]),
        "interaction": met.stdout.strip(),
    }


@pytest.fixture(autouse=True)
def fixed_clock(clock):
    clock("2026-03-25T10:30:00+01:00", tz="Europe/Paris")


# --- the editor cannot start ----------------------------------------------------------------------------


@pytest.mark.parametrize("noun", ["contact", "company", "deal", "task", "interaction"])
def test_an_editor_that_does_not_exist_is_one_line_and_exit_2(cli, records, noun, tmp_path):
    for editor in ("/nonexistent", str(tmp_path)):  # missing, and a directory (not executable)
        r = cli(noun, "edit", records[noun], env={"EDITOR": editor})
        assert r.exit_code == 2, r.stderr
        assert r.stderr.startswith("crm: error: could not start the editor") and r.stderr.count("\n") == 1
        assert "unexpected" not in r.stderr and "set VISUAL or EDITOR" in r.stderr


def test_visual_wins_over_editor_and_an_unreadable_command_is_refused(cli, records, tmp_path):
    editor = script(tmp_path, "sed -i 's/^title: .*/title: Countess/' \"$1\"")
    r = cli("contact", "edit", "ada", "--json", env={"VISUAL": editor, "EDITOR": "/nonexistent"})
    assert r.exit_code == 0 and r.json["job_title"] == "Countess"
    r = cli("contact", "edit", "ada", env={"EDITOR": "vi 'unclosed"})
    assert r.exit_code == 2 and "cannot be read" in r.stderr


@pytest.mark.parametrize("noun", ["company", "deal", "task", "interaction"])
def test_no_options_no_editor_no_terminal(cli, records, noun):
    r = cli(noun, "edit", records[noun])
    assert r.exit_code == 2 and "nothing to change" in r.stderr and "EDITOR" in r.stderr


# --- every form saves what was changed ------------------------------------------------------------------

EDITS = {
    "company": (
        "sed -i -e 's/^domain: .*/domain: acme.com/' -e 's/^tag: .*/tag: client/' "
        "-e 's/^notes:.*/notes: Met at the fair\\n  second line/' \"$1\"",
        lambda c: (
            (c["domain"], c["tags"], c["notes"]) == ("acme.com", ["client"], "Met at the fair\nsecond line")
        ),
    ),
    "deal": (
        "sed -i -e 's/^stage: .*/stage: Proposal/' -e 's/^close: .*/close: 2026-06-30/' "
        "-e 's/^contact: .*/contact: Bob Babbage/' \"$1\"",
        lambda d: (
            (d["stage"], d["expected_close"], [p["name"] for p in d["contacts"]])
            == ("Proposal", "2026-06-30", ["Bob Babbage"])
        ),
    ),
    "task": (
        "sed -i -e 's/^priority: .*/priority: high/' -e 's/^deal: .*/deal: Engine/' "
        "-e 's/^contact: .*/contact: /' -e '$a \\ \\ call before noon' \"$1\"",
        lambda t: (
            (t["priority"], t["deal"]["name"], t["contact"], t["notes"])
            == (3, "Engine order", None, "call before noon")
        ),
    ),
    "interaction": (
        "sed -i -e 's/^kind: .*/kind: meeting/' -e 's/^when: .*/when: yesterday 16:00/' "
        "-e 's/^deal: .*/deal: #1/' -e '/^contact: #/a contact: bob' -e '$a \\ \\ Second line' \"$1\"",
        lambda i: (
            (i["kind"], i["happened_at"], i["deal"]["id"], [p["name"] for p in i["contacts"]], i["body"])
            == (
                "meeting",
                "2026-03-24T15:00:00Z",
                1,
                ["Ada Lovelace", "Bob Babbage"],
                "First line\nSecond line",
            )
        ),
    ),
}


@pytest.mark.parametrize("noun", list(EDITS))
def test_each_form_saves_the_lines_changed(cli, records, noun, tmp_path):
    body, check = EDITS[noun]
    r = cli(noun, "edit", records[noun], "--json", env={"EDITOR": script(tmp_path, body)})
    assert r.exit_code == 0, r.stderr
    assert check(r.json), r.json
    assert r.json["version"] == 2
    again = cli(noun, "edit", records[noun], env={"EDITOR": script(tmp_path, "true", "noop.sh")})
    assert again.exit_code == 0 and "no changes" in again.stderr


def test_an_unchanged_form_saves_nothing_even_when_rewritten(cli, records, tmp_path):
    editor = script(tmp_path, 'cp "$1" "$1.x"; mv "$1.x" "$1"')
    for noun in ("contact", "company", "deal", "task", "interaction"):
        r = cli(noun, "edit", records[noun], env={"EDITOR": editor})
        assert r.exit_code == 0 and "no changes" in r.stderr, (noun, r.stderr)


# --- without a terminal: the edits are kept in a file ---------------------------------------------------

BAD = {
    "contact": ("sed -i 's/^email: .*/email: not-an-email/' \"$1\"", "not an email address"),
    "company": ("echo 'colour: red' >> \"$1\"", "unknown key 'colour'"),
    "deal": ("sed -i 's/^stage: .*/stage: Nowhere/' \"$1\"", "Nowhere"),
    "task": ("sed -i 's/^priority: .*/priority: urgent/' \"$1\"", "priority"),
    "interaction": ("sed -i 's/^when: .*/when: next year/' \"$1\"", "in the future"),
}


@pytest.mark.parametrize("noun", list(BAD))
def test_a_refused_form_is_kept_in_a_private_file(cli, records, noun, tmp_path, _isolated_home):
    body, words = BAD[noun]
    before = cli(noun, "show", records[noun], "--json").json
    r = cli(
        noun, "edit", records[noun], env={"EDITOR": script(tmp_path, "echo '# my mark' >> \"$1\"\n" + body)}
    )
    assert r.exit_code == 2, r.stderr
    assert words in r.stderr and r.stderr.count("\n") == 1
    path = kept_path(r.stderr)
    assert path.parent == _isolated_home / "edits" and kept_files(_isolated_home) == [path]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert text.startswith(f"# Editing {noun} ") and "# my mark" in text
    assert cli(noun, "show", records[noun], "--json").json == before


def test_a_conflict_keeps_the_edits_and_exits_1(cli, records, tmp_path, _isolated_home):
    body = (
        f"TINYCRM_DB='{cli.url}' '{CRM}' interaction edit 1 --summary 'Set by someone else' >/dev/null\n"
        "sed -i 's/^kind: .*/kind: email/' \"$1\""
    )
    env = {"EDITOR": script(tmp_path, body), "TINYCRM_DB": cli.url, "PATH": os.environ.get("PATH", "")}
    r = cli("interaction", "edit", "1", env=env)
    assert r.exit_code == 1 and "was changed by" in r.stderr, r.stderr
    assert "kind: email" in kept_path(r.stderr).read_text()
    i = cli("interaction", "show", "1", "--json").json
    assert (i["summary"], i["kind"]) == ("Set by someone else", "call")


# --- on a terminal: the editor opens again --------------------------------------------------------------


def test_on_a_terminal_a_refused_form_reopens_with_the_reason_on_top(cli, records, tmp_path, _isolated_home):
    seen = tmp_path / "second-run.txt"
    body = (
        'if [ "$RUN" = 1 ]; then sed -i -e "s/^email: .*/email: not-an-email/" '
        '-e "s/^title: .*/title: Countess/" "$1"; exit 0; fi\n'
        f'cp "$1" "{seen}"\n'
        'sed -i "s/^email: .*/email: ada@lovelace.org/" "$1"'
    )
    code, out = on_terminal(
        ["contact", "edit", "ada"], terminal_env(cli, _isolated_home, script(tmp_path, body)), ["y"]
    )
    assert code == 0, out
    assert "not an email address" in out and "Open the editor again on your edits?" in out
    second = seen.read_text()
    assert second.startswith("# crm: NOT SAVED: ") and "not an email address" in second.splitlines()[0]
    assert "title: Countess" in second, "the form reopens on the user's edits, not the stored record"
    c = cli("contact", "show", "ada", "--json").json
    assert (c["job_title"], [e["value"] for e in c["emails"]]) == ("Countess", ["ada@lovelace.org"])
    assert c["version"] == 2
    assert kept_files(_isolated_home) == [], "saved after all: the kept copy goes"


def test_on_a_terminal_a_conflict_reopens_and_saves_onto_the_current_version(
    cli, records, tmp_path, _isolated_home
):
    seen = tmp_path / "second-run.txt"
    body = (
        'if [ "$RUN" = 1 ]; then\n'
        f"  TINYCRM_DB='{cli.url}' '{CRM}' interaction edit 1 --summary 'Set by someone else' >/dev/null\n"
        '  sed -i "s/^kind: .*/kind: email/" "$1"; exit 0\n'
        "fi\n"
        f'cp "$1" "{seen}"\n'
        'echo "# saved again" >> "$1"'
    )
    code, out = on_terminal(
        ["interaction", "edit", "1"], terminal_env(cli, _isolated_home, script(tmp_path, body)), ["y"]
    )
    assert code == 0, out
    second = seen.read_text()
    assert "was changed by" in second.splitlines()[0] and "as it is now (version 2)" in second
    i = cli("interaction", "show", "1", "--json").json
    assert (i["kind"], i["summary"], i["version"]) == ("email", "Set by someone else", 3), "both changes kept"


def test_on_a_terminal_saying_no_or_giving_up_keeps_the_file(cli, records, tmp_path, _isolated_home):
    editor = script(tmp_path, 'sed -i "s/^priority: .*/priority: urgent/" "$1"')
    code, out = on_terminal(
        ["task", "edit", records["task"]], terminal_env(cli, _isolated_home, editor), ["n"]
    )
    assert code == 2 and "your edits are kept in" in out.splitlines()[-1]
    assert "priority: urgent" in kept_path(out).read_text()
    # reopened, then left as it was: that is giving up too, and the file stays
    editor = script(tmp_path, '[ "$RUN" = 1 ] && sed -i "s/^kind: .*/kind: fax/" "$1"; exit 0', "once.sh")
    code, out = on_terminal(["interaction", "edit", "1"], terminal_env(cli, _isolated_home, editor), ["y"])
    assert code == 2 and "kind 'fax'" in out.splitlines()[-1], out
    assert "kind: fax" in kept_path(out.splitlines()[-1]).read_text()
    assert cli("interaction", "show", "1", "--json").json["version"] == 1
