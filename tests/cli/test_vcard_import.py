"""`crm import vcard` and `crm export vcard` on both stores: idempotent imports, broken cards, round trips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import vobject

from crm_testkit import Cli

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vcards"
GOOD = sorted(p for p in FIXTURES.glob("*.vcf") if p.name != "broken_cards.vcf")


def contacts_of(url: str) -> dict:
    """Every contact with everything stored about it, by UID, without ids and timestamps."""
    from tinycrm.services.interchange.contactdata import contact_ids, load_contacts
    from tinycrm.services.people import contacts
    from tinycrm.store.database import open_db

    db = open_db(url)
    try:
        with db.read() as tx:
            data = load_contacts(tx, contact_ids(tx))
        out = {}
        for c in data:
            d = dict(c.__dict__)
            for key in ("id", "version", "updated_at"):
                d.pop(key)
            read = contacts.get(db, c.id)
            d["read"] = {
                f: getattr(read, f)
                for f in read.__dataclass_fields__
                if f not in ("id", "created_at", "updated_at", "version", "company", "last_interaction_at")
            }
            d["read"]["company"] = read.company.name if read.company else None
            out[c.uid] = d
        return out
    finally:
        db.close()


def test_import_reports_broken_cards_and_imports_the_rest(cli):
    r = cli("import", "vcard", str(FIXTURES / "broken_cards.vcf"))
    assert r.exit_code == 1
    assert r.stdout.strip() == "created 2, updated 0, unchanged 0, failed 2"
    assert "broken_cards.vcf: record 2 (line 7): the card has no name" in r.stderr
    assert "broken_cards.vcf: record 3 (line 12): the card is not closed" in r.stderr
    r = cli("search", "good", "--json")
    assert sorted(c["display_name"] for c in r.json) == ["Good One", "Good Two"]


def test_import_everything_then_again_changes_nothing(cli):
    r = cli("import", "vcard", *map(str, GOOD), "--json")
    assert r.exit_code == 0, r.stderr
    first = r.json
    assert first["failed"] == 0 and first["created"] >= len(GOOD)
    assert first["warnings"]  # the invalid email and phone numbers kept as they were
    r = cli("import", "vcard", *map(str, GOOD), "--json")
    assert r.exit_code == 0
    assert (r.json["created"], r.json["updated"], r.json["failed"]) == (0, 0, 0)
    assert r.json["unchanged"] == first["created"] + first["updated"]
    # readable names, found by search (the index was refreshed by the import)
    for query, name in [
        ("Ермолов", "Олег Ермолов"),
        ("安藤", "安藤 ロイド"),
        ("muller", "Dr. Jürgen Müller"),
        ("Iksiński", "Piotr Iksiński"),
        ("ldamonte", "Ǽgean ĽdaMonté"),
    ]:
        r = cli("search", query, "--json")
        assert name in [c["display_name"] for c in r.json], query


def test_a_changed_card_updates_its_contact(cli, tmp_path):
    card = tmp_path / "one.vcf"
    card.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:upd-1\r\nFN:Ada Lovelace\r\nTEL;TYPE=CELL:+44 1\r\n"
        "CATEGORIES:math\r\nEND:VCARD\r\n".replace("+44 1", "+44 20 7946 0000")
    )
    assert cli("import", "vcard", str(card)).stdout.strip() == "created 1, updated 0, unchanged 0, failed 0"
    card.write_text(card.read_text().replace("7946 0000", "7946 9999").replace("math", "math,poetry"))
    r = cli("import", "vcard", str(card))
    assert r.stdout.strip() == "created 0, updated 1, unchanged 0, failed 0"
    c = cli("contact", "show", "Ada Lovelace", "--json").json
    # the new number is added; the old one stays (the card does not say it is gone)
    assert [p["value"] for p in c["phones"]] == ["+44 20 7946 0000", "+44 20 7946 9999"]
    assert c["tags"] == ["math", "poetry"] and c["version"] == 2
    r = cli("import", "vcard", str(card), "--replace")
    assert r.stdout.strip() == "created 0, updated 1, unchanged 0, failed 0"
    c = cli("contact", "show", "Ada Lovelace", "--json").json
    assert [p["value"] for p in c["phones"]] == ["+44 20 7946 9999"] and c["version"] == 3
    history = cli("history", "contact", str(c["id"]), "--json")
    if history.exit_code == 0:  # the audit log reader of the team module
        assert "update" in {h["action"] for h in history.json}


def test_cards_without_uid_match_by_email_or_a_name_that_adds_nothing(cli, tmp_path):
    f = tmp_path / "nouid.vcf"
    f.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Mail Person\nEMAIL:mail@example.com\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Only A Name\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Twin\nEMAIL:twin@example.com\nNOTE:first\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Twin\nEMAIL:twin@example.com\nNOTE:second\nEND:VCARD\n"
    )
    r = cli("import", "vcard", str(f))
    assert r.stdout.strip() == "created 4, updated 0, unchanged 0, failed 0, possible duplicates 1"
    assert "record 4 (line 16): created contact 4 Twin, a possible duplicate of contact 3" in r.stderr
    uids = {
        c["display_name"] + (c.get("email") or ""): c["id"] for c in cli("contact", "list", "--json").json
    }
    assert len(uids) == 3  # the two twins are kept apart (crm duplicates finds them)
    assert cli("import", "vcard", str(f)).stdout.strip() == "created 0, updated 0, unchanged 4, failed 0"
    # a changed card without UID still finds its contact by email
    f.write_text(f.read_text().replace("FN:Mail Person", "FN:Mail Person Renamed"))
    assert cli("import", "vcard", str(f)).stdout.strip() == "created 0, updated 1, unchanged 3, failed 0"
    assert cli("contact", "show", "mail@example.com", "--json").json["display_name"] == "Mail Person Renamed"


def test_import_from_stdin_and_a_vdir(cli):
    r = cli("import", "vcard", "-", input=(FIXTURES / "v30_koi8r.vcf").read_bytes())
    assert r.exit_code == 0 and r.stdout.strip() == "created 1, updated 0, unchanged 0, failed 0"
    r = cli("import", "vcard", str(FIXTURES / "vdir"))
    assert r.stdout.strip() == "created 2, updated 0, unchanged 0, failed 0"
    r = cli("import", "vcard", str(FIXTURES / "nothing-here"))
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_progress_bar_on_a_terminal_for_large_files(cli, tmp_path):
    big = tmp_path / "big.vcf"
    big.write_text(
        "".join(
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:big-{i}\r\nFN:Person {i}\r\nNOTE:{'x' * 200}\r\nEND:VCARD\r\n"
            for i in range(1200)
        )
    )
    r = cli("import", "vcard", str(big), env={"TINYCRM_FORCE_TTY": "1"})
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "created 1200, updated 0, unchanged 0, failed 0"


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_round_trip_into_an_empty_database_is_identical(cli, other_url, tmp_path, version):
    assert cli("import", "vcard", *map(str, GOOD)).exit_code == 0
    assert (
        cli(
            "add-contact",
            "Zoë Tinycrm",
            "--email",
            "work:zoe@acme.example",
            "--company",
            "Acme",
            "--role",
            "billing",
            "--tag",
            "vip",
            "--field",
            "source=fair",
            "--cadence",
            "30",
            "--birthday",
            "04-15",
            "--note",
            "Line 1\nLine 2, with; punctuation",
        ).exit_code
        == 0
    )
    cid = cli("contact", "show", "zoe@acme.example", "--json").json["id"]
    assert cli("contact", "archive", str(cid)).exit_code == 0
    out = tmp_path / "all.vcf"
    r = cli("export", "vcard", str(out), "--vcard-version", version)
    assert r.exit_code == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == len(contacts_of(cli.url))
    cards = list(vobject.readComponents(text))  # every card readable by vobject
    assert len(cards) == text.count("BEGIN:VCARD")
    other = Cli(other_url)
    r = other("import", "vcard", str(out))
    assert r.exit_code == 0, r.stderr
    before, after = contacts_of(cli.url), contacts_of(other_url)
    assert set(before) == set(after)
    for uid in before:
        b, a = before[uid], after[uid]
        b["tags"], a["tags"] = sorted(b["tags"]), sorted(a["tags"])
        b["read"]["tags"], a["read"]["tags"] = sorted(b["read"]["tags"]), sorted(a["read"]["tags"])
        assert a == b, uid
    # and the export of the copy is the same file (but for the time stamps)
    again = tmp_path / "again.vcf"
    other("export", "vcard", str(again), "--vcard-version", version)
    strip = lambda t: [line for line in t.splitlines() if not line.startswith("REV:")]  # noqa: E731
    assert strip(again.read_text(encoding="utf-8")) == strip(text)
    # photos and X- properties survived
    assert "X-ABUID:4A3B2C1D" in text and "X-PHONETIC-FIRST-NAME:Eleni" in text
    assert ("PHOTO;ENCODING=b;TYPE=JPEG:" if version == "3.0" else "PHOTO:data:image/jpeg;base64,") in text


def test_export_refuses_to_overwrite_and_writes_stdout(cli, tmp_path):
    cli("import", "vcard", str(FIXTURES / "vdir"))
    out = tmp_path / "x.vcf"
    out.write_text("precious")
    r = cli("export", "vcard", str(out))
    assert r.exit_code == 1 and "--force" in r.stderr and out.read_text() == "precious"
    assert cli("export", "vcard", str(out), "--force").exit_code == 0
    assert out.read_text().count("BEGIN:VCARD") == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    r = cli("export", "vcard", "-", "--tag", "nope")
    assert r.exit_code == 0 and r.stdout == ""
    cli("contact", "tag", "Alice Vdir", "friends")
    r = cli("export", "vcard", "-", "--tag", "friends", "--vcard-version", "4.0")
    assert r.stdout.count("BEGIN:VCARD") == 1 and "VERSION:4.0" in r.stdout and "FN:Alice Vdir" in r.stdout
    assert cli("export", "vcard", "-", "--vcard-version", "2.1").exit_code == 2


def test_vdir_export_for_vdirsyncer(cli, tmp_path):
    cli("import", "vcard", *map(str, GOOD), str(FIXTURES / "vdir"))
    folder = tmp_path / "book"
    r = cli("export", "vcard", str(folder), "--vdir", "--json")
    assert r.exit_code == 0, r.stderr
    n = r.json["written"]
    files = sorted(folder.glob("*.vcf"))
    assert len(files) == n and (folder / "vdir-a1.vcf").is_file()
    # a UID that is no safe file name: a readable prefix and a hash of the UID (see tests/cli/test_vdir_names.py)
    (urn,) = folder.glob("urn_uuid_0b7a5a1e-4e2b-4c6f-9d1e-5d2c4b3a2f10~*.vcf")
    assert "UID:urn:uuid:0b7a5a1e-4e2b-4c6f-9d1e-5d2c4b3a2f10" in urn.read_text()
    for f in files:
        (card,) = list(vobject.readComponents(f.read_text(encoding="utf-8")))
        assert card.uid.value
    assert cli("export", "vcard", str(folder), "--vdir").exit_code == 1  # needs --force to update
    stamp = (folder / "vdir-a1.vcf").stat().st_mtime_ns
    cli("contact", "edit", "Bob Vdir", "--title", "Builder")
    r = cli("export", "vcard", str(folder), "--vdir", "--force", "--json")
    assert (r.json["written"], r.json["unchanged"]) == (1, n - 1)
    assert (folder / "vdir-a1.vcf").stat().st_mtime_ns == stamp  # unchanged files are not rewritten
    assert "TITLE:Builder" in (folder / "vdir-b2.vcf").read_text()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


KHARD = (
    os.environ.get("TINYCRM_TEST_KHARD")
    or shutil.which("khard", path=os.path.dirname(sys.executable))
    or shutil.which("khard")
)


@pytest.mark.skipif(
    not KHARD, reason="khard is not installed (set TINYCRM_TEST_KHARD=/path/to/khard to run this)"
)
def test_khard_reads_the_vdir(sqlite_cli, tmp_path):
    sqlite_cli("import", "vcard", *map(str, GOOD))
    folder = tmp_path / "book"
    assert sqlite_cli("export", "vcard", str(folder), "--vdir").exit_code == 0
    config = tmp_path / "khard.conf"
    config.write_text(f"[addressbooks]\n[[crm]]\npath = {folder}\n[vcard]\nskip_unparsable = no\n")
    done = subprocess.run(
        [KHARD, "-c", str(config), "list", "--parsable"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == len(list(folder.glob("*.vcf")))
    assert any("Ελένη Παπαδοπούλου" in line for line in lines)


def test_imports_and_exports_are_audited(db, tmp_path):
    from tinycrm.services.interchange.exporting import export_vcards
    from tinycrm.services.interchange.files import sources
    from tinycrm.services.interchange.importing import import_vcards

    files = sources([str(FIXTURES / "vdir")], None, suffixes=(".vcf",))
    import_vcards(db, files)
    export_vcards(db, tmp_path / "out.vcf")
    with db.read() as tx:
        actions = tx.column("SELECT action FROM audit_log ORDER BY id")
    assert actions.count("create") == 2 and "import" in actions and actions[-1] == "export"


def test_a_batch_is_one_transaction_and_bad_records_are_skipped_inside_it(db, tmp_path):
    from tinycrm.services.interchange.files import sources
    from tinycrm.services.interchange.importing import import_vcards

    f = tmp_path / "mixed.vcf"
    long_name = "x" * 500
    f.write_text(
        f"BEGIN:VCARD\nVERSION:3.0\nUID:m-1\nFN:Fine\nEND:VCARD\n"
        f"BEGIN:VCARD\nVERSION:3.0\nUID:m-2\nFN:{long_name}\nEND:VCARD\n"
        f"BEGIN:VCARD\nVERSION:3.0\nUID:m-3\nFN:Also Fine\nEND:VCARD\n"
    )
    report = import_vcards(db, sources([str(f)], None, suffixes=(".vcf",)), batch=2)
    assert (report.created, report.failed) == (2, 1)
    assert "500 characters" in report.errors[0].message and "record 2" in report.errors[0].where
    with db.read() as tx:
        assert sorted(tx.column("SELECT uid FROM contacts")) == ["m-1", "m-3"]


# --- broken neighbours, legacy encodings, values as clients write them ----------------------------------


def test_an_agent_card_left_open_takes_no_other_card_with_it(cli, tmp_path):
    bad = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nFN:Assistant\r\nEND:VCARD\r\n"
    good = "".join(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good {n}\r\nEND:VCARD\r\n" for n in range(500))
    path = tmp_path / "agent.vcf"
    path.write_text(bad + good + bad[:-11], encoding="utf-8", newline="")
    r = cli("import", "vcard", str(path))
    assert r.exit_code == 1
    assert r.stdout.strip() == "created 500, updated 0, unchanged 0, failed 2"
    assert "agent.vcf: record 1 (line 1): the card is not closed" in r.stderr
    assert "agent.vcf: record 502 (line 2009): the card is not closed" in r.stderr


def test_a_polish_card_without_charset_reads_as_polish(cli):
    path = FIXTURES / "v21_thebat_polish.vcf"
    r = cli("import", "vcard", str(path), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["warnings"] == [
        {
            "where": str(path),
            "message": "text that does not say its encoding read as windows-1250 (guessed from the text)",
        }
    ]
    names = sorted(c["display_name"] for c in cli("contact", "list", "--json").json)
    assert names == ["Piotr Iksiński", "Łukasz Wójcik"]
    lukasz = cli("contact", "show", "Wójcik", "--json").json
    assert lukasz["addresses"][0]["locality"] == "Łódź" and lukasz["notes"] == "Zadzwoń w piątek rano"


def test_encoding_names_what_a_file_does_not_say(cli, tmp_path):
    card = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE:Ma=E6ko\r\nEND:VCARD\r\n"
    path = tmp_path / "one.vcf"
    path.write_text(card, encoding="ascii", newline="")
    r = cli("import", "vcard", str(path), "--encoding", "windows-1250", "--json")
    assert r.exit_code == 0 and r.json["warnings"] == []
    assert cli("search", "Maćko", "--json").json[0]["display_name"] == "Maćko"
    r = cli("import", "vcard", str(path), "--encoding", "nope")
    assert r.exit_code == 2 and "--encoding: 'nope' is not an encoding" in r.stderr


def test_values_as_clients_write_them_stay_what_they_are(cli, tmp_path):
    path = tmp_path / "odd.vcf"
    path.write_text(
        'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Omega\r\nEMAIL:"Omega" <omega@example.com>\r\nEMAIL:user@invalid\r\n'
        "TEL:1-800-MY-APPLE\r\nBDAY:Tue, 22 Dec 2009\r\nEND:VCARD\r\n",
        encoding="utf-8",
        newline="",
    )
    r = cli("import", "vcard", str(path), "--json")
    assert r.exit_code == 0, r.stderr
    assert len(r.json["warnings"]) == 2
    c = cli("contact", "show", "Omega", "--json").json
    assert [e["value"] for e in c["emails"]] == ["omega@example.com", "user@invalid"]
    assert [p["value"] for p in c["phones"]] == ["1-800-MY-APPLE"]
    assert c["birthday"] == "2009-12-22" and c["fields"] == {}
    out = tmp_path / "back.vcf"
    assert cli("export", "vcard", str(out)).exit_code == 0
    r = cli("import", "vcard", str(out), "--json")
    assert (r.json["unchanged"], r.json["created"]) == (1, 0)
