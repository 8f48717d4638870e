"""Real exports from real clients (Android, iPhone, Outlook, Gmail, Lotus Notes, Evolution, KDE, Apple,
Thunderbird, Radicale...), found in the folder named by ``TINYCRM_CORPUS`` (its ``vcards/`` and ``csv/``).

Importing every file must never crash: broken cards are reported, the others imported, and names come out as
people read them (no mojibake), whatever the encoding (Shift_JIS, KOI8-R, windows-1252, UTF-16...).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from crm_testkit import Cli

CORPUS = Path(os.environ["TINYCRM_CORPUS"]) if os.environ.get("TINYCRM_CORPUS") else None
pytestmark = pytest.mark.skipif(
    CORPUS is None or not CORPUS.is_dir(),
    reason="no corpus of real address books: set TINYCRM_CORPUS=/path/to/corpus (with vcards/ and csv/)",
)

#: names that must come out exactly so, by file (checked when the file is there)
KNOWN_VCARD_NAMES = {
    "doublecontact__enc_koi8_cyr.vcf": ["Ермолов Олег"],
    "doublecontact__custom_nonlatin_a8.vcf": ["Василиса Прекрасная"],
    "aosp-vcard__v21_japanese_2.vcf": ["安藤 ロイド 1"],
    "aosp-vcard__v21_multiple_entry.vcf": ["安藤ロイド3", "安藤ロイド4", "安藤ロイド5"],
    "aosp-vcard__v40_sort_as.vcf": ["安藤 ロイド"],
    "khard__korean-c.vcf": ["최유림"],
    "roundcubemail__utf-16_sample.vcf": ["Ǽgean ĽdaMonté"],
    "roundcubemail__johndoe.vcf": ["John Doë"],
    "roundcubemail__thebat.vcf": ["Piotr Iksiński"],
    "roundcubemail__apple.vcf": ["Apple Computer AG"],
    "ez-vcard__John_Doe_IPHONE.vcf": ["Mr. John Richter James Doe Sr."],
    "ez-vcard__John_Doe_MS_OUTLOOK.vcf": ["Mr. John Richter James Doe Sr."],
    "ez-vcard__John_Doe_LOTUS_NOTES.vcf": ["Mr. Doe John I Johny"],
    "ez-vcard__John_Doe_EVOLUTION.vcf": ["Mr. John Richter, James Doe Sr."],
    "ez-vcard__outlook-2003.vcf": ["John Doe III"],
    "aosp-vcard__v30_ios_613_multiline.vcf": ["Bob Smith"],
    "aosp-vcard__v21_complicated.vcf": ["Joe Due"],
    "kcontacts__vcardwithitemasapplesupport.vcf": ["Name of Broken Card"],
    "Radicale__contact_photo_with_data_uri.vcf": ["Contact"],
}
KNOWN_CSV_NAMES = {
    "doublecontact__csv_gen_nonlatin.csv": ["James Smith", "Jane Doe", "Александр Иванов"],
    "doublecontact__explay_bm50.csv": ["Василий"],
    "roundcubemail__gmail.csv": ["Prefix Firstname Middle Lastname Suffix"],
    "roundcubemail__tb_plain.csv": ["Displayname"],
}
#: cards that are broken on purpose, by file: how many of them
BROKEN = {"khard__unparsable.vcf": 1}


def vcard_files() -> list[Path]:
    assert CORPUS is not None
    return sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in (".vcf", ".vcard") and p.is_file())


def csv_files() -> list[Path]:
    assert CORPUS is not None
    return sorted(p for p in CORPUS.rglob("*.csv") if p.is_file())


def mojibake(text: str) -> bool:
    """UTF-8 read as a legacy charset (``MÃ¼ller``), or characters that could not be decoded."""
    if "\ufffd" in text:
        return True
    if text.isascii():
        return False
    for charset in ("cp1252", "latin-1", "koi8_r", "cp1251"):
        try:
            again = text.encode(charset).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if again != text:
            return True
    return bool(re.search("[Ã][\u0080-\u00bf]", text))


def read_all(path: Path) -> list:
    from tinycrm.formats.vcard import read_vcards

    with open(path, "rb") as fh:
        return list(read_vcards(fh, path.name))


def test_every_vcard_file_reads_without_crashing_and_names_are_readable():
    files = vcard_files()
    assert files, f"no vCard files under {CORPUS}"
    failures = {}
    for path in files:
        items = read_all(path)
        assert items, f"{path.name}: no card found"
        failures[path.name] = [i for i in items if i.error]
        for item in items:
            if item.record is None:
                assert item.index and item.error and item.source == path.name
                continue
            c = item.record.contact
            for text in (c.display_name, c.given_name, c.family_name, c.company, c.notes):
                assert not (text and mojibake(text)), f"{item.where}: {text!r}"
        if path.name in KNOWN_VCARD_NAMES:
            names = [i.record.contact.display_name for i in items if i.record]
            for want in KNOWN_VCARD_NAMES[path.name]:
                assert want in names, (path.name, names)
    broken = {name: len(items) for name, items in failures.items() if items}
    assert broken == {name: n for name, n in BROKEN.items() if name in failures}, broken


def test_apple_address_and_photos():
    by_name = {p.name: p for p in vcard_files()}
    if "roundcubemail__apple.vcf" in by_name:
        (item,) = read_all(by_name["roundcubemail__apple.vcf"])
        assert item.record.contact.addresses[0].locality == "Wallisellen-Zürich"
        assert item.record.photo and item.record.photo.data.startswith(b"\xff\xd8")
    for name in (
        "ez-vcard__John_Doe_IPHONE.vcf",
        "aosp-vcard__v30_ios_613_multiline.vcf",
        "Radicale__contact_photo_with_data_uri.vcf",
    ):
        if name in by_name:
            (item,) = read_all(by_name[name])
            assert item.record.photo is not None, name


def test_import_the_whole_corpus_twice(cli):
    folders = sorted({p.parent for p in vcard_files()})
    cards = sum(len(read_all(p)) for p in vcard_files())
    r = cli("import", "vcard", *map(str, folders), "--json")
    assert r.exit_code in (0, 1), r.stderr
    report = r.json
    assert report["failed"] == sum(
        n for name, n in BROKEN.items() if any(p.name == name for p in vcard_files())
    )
    assert report["created"] + report["updated"] + report["unchanged"] + report["failed"] == cards
    for error in report["errors"]:
        assert error["where"] and error["message"]
    r = cli("import", "vcard", *map(str, folders), "--json")
    assert (r.json["created"], r.json["updated"]) == (0, 0)
    for query, name in [
        ("Ермолов", "Ермолов Олег"),
        ("ロイド", "安藤 ロイド 1"),
        ("ldamonte", "Ǽgean ĽdaMonté"),
    ]:
        if any(name in n for names in KNOWN_VCARD_NAMES.values() for n in names):
            assert name in [c["display_name"] for c in cli("search", query, "--json").json], query


def test_corpus_round_trip_through_our_export(sqlite_cli, tmp_path):
    import vobject

    folders = sorted({p.parent for p in vcard_files()})
    sqlite_cli("import", "vcard", *map(str, folders))
    out = tmp_path / "corpus.vcf"
    assert sqlite_cli("export", "vcard", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert len(list(vobject.readComponents(text))) == text.count("BEGIN:VCARD")
    other = Cli(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    r = other("import", "vcard", str(out), "--json")
    assert r.exit_code == 0 and r.json["failed"] == 0
    again = tmp_path / "again.vcf"
    other("export", "vcard", str(again))
    strip = lambda t: [line for line in t.splitlines() if not line.startswith("REV:")]  # noqa: E731
    assert strip(again.read_text(encoding="utf-8")) == strip(text)


def test_every_csv_file_reads_without_crashing():
    from tinycrm.formats.csvio import CsvReader

    files = csv_files()
    assert files, f"no CSV files under {CORPUS}"
    for path in files:
        with open(path, "rb") as fh:
            items = list(CsvReader(fh, path.name))
        names = [i.record.contact.display_name for i in items if i.record]
        for item in items:
            if item.record:
                for text in (item.record.contact.display_name, item.record.contact.notes):
                    assert not (text and mojibake(text)), f"{item.where}: {text!r}"
        for want in KNOWN_CSV_NAMES.get(path.name, []):
            assert want in names, (path.name, names)


def test_import_every_csv_file(cli):
    for path in csv_files():
        r = cli("import", "csv", str(path), "--json")
        assert r.exit_code in (0, 1), (path.name, r.stderr)
        assert r.json["created"] + r.json["updated"] + r.json["unchanged"] >= 1, path.name
