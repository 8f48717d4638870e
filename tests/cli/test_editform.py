"""The form `crm contact edit` opens in $EDITOR: it renders every field, parses back to the same record, and
the command applies what the editor changed (EDITOR is a small script here, e.g. sed)."""

import os
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, ContactRead, Labeled, Ref
from tinycrm.formats import editform

STAMP = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def contact(**kw) -> ContactRead:
    base = dict(
        id=7,
        uid="u-7",
        display_name="Ada Lovelace",
        given_name="Ada",
        family_name="Lovelace",
        job_title="Analyst",
        company=Ref(3, "Analytical Engines"),
        company_role="decision maker",
        birthday="--12-10",
        notes="Line one.\n\n  indented line\nLast: with a colon",
        cadence_days=30,
        archived=False,
        emails=[Labeled("ada@example.com", "work"), Labeled("ada@home.example.org")],
        phones=[Labeled("+44 20 7946 0000", "mobile"), Labeled("020 7946 0001")],
        addresses=[
            Address(
                label="home",
                street="12 St James's Square",
                locality="London",
                postcode="SW1Y 4JH",
                country="UK",
            ),
            Address(label="post", locality="London", po_box="PO Box 7", extended="c/o Babbage"),
        ],
        tags=["friend", "vip"],
        fields={"source": "conference", "poem": "Roses are red\nViolets are blue"},
        owner="tester",
        created_at=STAMP,
        updated_at=STAMP,
        version=4,
    )
    base.update(kw)
    return ContactRead(**base)


def as_changes(c: ContactRead) -> dict:
    return {
        "display_name": c.display_name,
        "given_name": c.given_name,
        "family_name": c.family_name,
        "job_title": c.job_title,
        "company": c.company.name if c.company else None,
        "company_role": c.company_role,
        "birthday": c.birthday,
        "cadence_days": c.cadence_days,
        "emails": c.emails,
        "phones": c.phones,
        "addresses": c.addresses,
        "tags": c.tags,
        "fields": c.fields,
        "notes": c.notes,
    }


def test_render_then_parse_gives_the_record_back():
    c = contact()
    text = editform.render(c)
    assert "name: Ada Lovelace" in text and "email: work ada@example.com" in text
    assert "# Editing contact 7 (version 4)" in text
    assert editform.parse(text) == as_changes(c)


def test_an_empty_contact_round_trips():
    c = contact(
        given_name=None,
        family_name=None,
        job_title=None,
        company=None,
        company_role=None,
        birthday=None,
        notes=None,
        cadence_days=None,
        emails=[],
        phones=[],
        addresses=[],
        tags=[],
        fields={},
    )
    assert editform.parse(editform.render(c)) == as_changes(c)


def test_parse_what_people_type():
    form = """# a comment
name:   Grace Hopper
title:
email: grace@navy.mil
email: home grace@example.com
phone: +1 555 0100
tag: admiral
tag: cobol
field: ship=USS Hopper
cadence: 14
notes: First line
  second line
"""
    got = editform.parse(form)
    assert got["display_name"] == "Grace Hopper" and got["job_title"] is None
    assert got["emails"] == [Labeled("grace@navy.mil"), Labeled("grace@example.com", "home")]
    assert got["phones"] == [Labeled("+1 555 0100")]
    assert got["tags"] == ["admiral", "cobol"] and got["fields"] == {"ship": "USS Hopper"}
    assert got["cadence_days"] == 14 and got["notes"] == "First line\nsecond line"


@pytest.mark.parametrize(
    "form, words",
    [
        ("colour: red\n", "unknown key 'colour'"),
        ("just text\n", "expected 'key: value'"),
        ("cadence: often\n", "cadence is a number"),
        ("field: novalue\n", "KEY=VALUE"),
    ],
)
def test_parse_errors_name_the_line(form, words):
    with pytest.raises(InvalidInput) as info:
        editform.parse("name: Ada\n" + form)
    assert words in info.value.message and "line 2" in info.value.message


# --- the command ----------------------------------------------------------------------------------------


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "editor.sh"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_edit_in_the_editor(cli, tmp_path):
    cid = cli(
        "add-contact",
        "Ada Lovelace",
        "--email",
        "ada@example.com",
        "--title",
        "Analyst",
        "--tag",
        "vip",
        "--field",
        "source=web",
        "--note",
        "old note",
    ).stdout.strip()
    editor = script(
        tmp_path,
        "sed -i -e 's/^title: .*/title: Countess/' -e 's/^tag: vip/tag: vip\\ntag: poet/' "
        "-e 's/^email: .*/email: work ada@lovelace.org/' -e '/^  old note/d' \"$1\"",
    )
    r = cli("contact", "edit", "ada", "--json", env={"EDITOR": editor})
    assert r.exit_code == 0, r.stderr
    c = r.json
    assert c["job_title"] == "Countess" and c["tags"] == ["poet", "vip"] and c["notes"] is None
    assert c["emails"] == [{"value": "ada@lovelace.org", "label": "work"}]
    assert c["fields"] == {"source": "web"} and c["version"] == 2
    assert cli("search", "lovelace.org", "--json").json[0]["id"] == int(cid)


def test_an_unchanged_form_changes_nothing(cli, tmp_path):
    cli("add-contact", "Ada Lovelace", "--address", "home:1 Road; London; ; N1; UK")
    r = cli("contact", "edit", "ada", env={"EDITOR": script(tmp_path, "true")})
    assert r.exit_code == 0 and "no changes" in r.stderr
    # rewriting the file with the same content is no change either (nothing is lost on the way)
    r = cli(
        "contact", "edit", "ada", "--json", env={"EDITOR": script(tmp_path, 'cp "$1" "$1.x"; mv "$1.x" "$1"')}
    )
    assert r.exit_code == 0
    assert cli("contact", "show", "ada", "--json").json["version"] == 1


def test_a_bad_form_or_editor_changes_nothing(cli, tmp_path):
    cli("add-contact", "Ada Lovelace", "--email", "ada@example.com")
    cases = [
        ("sed -i 's/^email: .*/email: not-an-email/' \"$1\"", "not an email address"),
        ("echo 'colour: red' >> \"$1\"", "unknown key"),
        ("sed -i 's/^name: .*/name: /' \"$1\"", "name must not be empty"),
        ("exit 3", "the editor exited with 3"),
    ]
    for body, words in cases:
        r = cli("contact", "edit", "ada", env={"EDITOR": script(tmp_path, body)})
        assert r.exit_code == 2 and words in r.stderr, (body, r.stderr)
        assert r.stderr.count("\n") == 1
    assert cli("contact", "show", "ada", "--json").json["version"] == 1


def test_no_editor_and_no_terminal(cli):
    cli("add-contact", "Ada Lovelace")
    r = cli("contact", "edit", "ada")
    assert r.exit_code == 2 and "EDITOR" in r.stderr


def test_a_change_made_while_editing_is_not_overwritten(cli, tmp_path):
    cli("add-contact", "Ada Lovelace")
    # while the form is open, someone else changes the contact
    crm = Path(sys.executable).with_name("crm")
    body = (
        f"TINYCRM_DB='{cli.url}' '{crm}' contact edit ada --title 'Set by someone else' >/dev/null\n"
        "sed -i 's/^title: .*/title: Mine/' \"$1\""
    )
    r = cli(
        "contact",
        "edit",
        "ada",
        env={"EDITOR": script(tmp_path, body), "TINYCRM_DB": cli.url, "PATH": os.environ.get("PATH", "")},
    )
    assert r.exit_code == 1 and "was changed by" in r.stderr
    assert cli("contact", "show", "ada", "--json").json["job_title"] == "Set by someone else"


# --- the other forms ------------------------------------------------------------------------------------


def interaction(**kw):
    from tinycrm.domain.people import InteractionRead

    base = dict(
        id=12,
        uid="u-12",
        kind="meeting",
        happened_at=STAMP,
        summary="Kick-off",
        body="First line\n\n  indented\nkind: not a key",
        contacts=[Ref(7, "Ada Lovelace"), Ref(8, "Bob Babbage")],
        company=Ref(3, "Analytical Engines"),
        deal=Ref(5, "Engine order"),
        owner="tester",
        created_at=STAMP,
        updated_at=STAMP,
        version=3,
    )
    base.update(kw)
    return InteractionRead(**base)


def test_the_interaction_form_round_trips(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    text = editform.render_interaction(interaction())
    assert "# Editing interaction 12 (version 3)" in text
    assert "contact: #7 Ada Lovelace\ncontact: #8 Bob Babbage\ncompany: #3 Analytical Engines\n" in text
    assert editform.parse_interaction(text) == {
        "kind": "meeting",
        "when": "2026-01-02 03:04",
        "summary": "Kick-off",
        "contacts": ["7", "8"],
        "company": "3",
        "deal": "5",
        "body": "First line\n\n  indented\nkind: not a key",
    }
    bare = editform.parse_interaction(
        editform.render_interaction(interaction(company=None, deal=None, body=None))
    )
    assert (bare["company"], bare["deal"], bare["body"]) == (None, None, None)


def test_references_are_ids_or_what_people_write():
    assert editform.ref("#12 Ada Lovelace") == "12" and editform.ref("#12") == "12"
    assert editform.ref(" Ada Lovelace ") == "Ada Lovelace" and editform.ref("#hashtag") == "#hashtag"


def test_a_form_with_a_problem_on_top_reads_the_same():
    text = editform.render_interaction(interaction())
    noted = editform.with_problem(text, "when: it is in the future", "Saving applies your lines.")
    assert noted.startswith("# crm: NOT SAVED: when: it is in the future\n# Saving applies your lines.\n")
    assert editform.without_problem(noted) == text
    assert editform.without_problem(editform.with_problem(noted, "again")) == text, "one note, not two"
    assert editform.parse_interaction(noted) == editform.parse_interaction(text)


def test_unknown_keys_of_the_other_forms_name_the_keys():
    with pytest.raises(InvalidInput) as info:
        editform.parse_task("title: x\nsize: big\n")
    assert "line 2: unknown key 'size'" in info.value.message and "priority" in info.value.message
