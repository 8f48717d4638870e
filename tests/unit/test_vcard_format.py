"""The vCard converter alone (no database): reading what real clients write, writing 3.0 and 4.0."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import vobject

from crm_testkit import CARD_FIELDS
from tinycrm.domain.people import Address, Labeled
from tinycrm.formats.records import ContactData, Extra, Photo
from tinycrm.formats.vcard import fold, parse_bday, read_text, read_vcards, write_card

FIXTURES = Path(__file__).parents[1] / "fixtures" / "vcards"


def read(name: str) -> list:
    with open(FIXTURES / name, "rb") as fh:
        return list(read_vcards(fh, name))


def one(name: str):
    items = read(name)
    assert len(items) == 1 and items[0].error is None, items
    return items[0].record


# --- reading --------------------------------------------------------------------------------------------


def test_quoted_printable_soft_breaks_and_charset():
    r = one("v21_quoted_printable.vcf")
    c = r.contact
    assert c.display_name == "Dr. Jürgen Müller"
    assert (c.given_name, c.family_name) == ("Jürgen", "Müller")
    assert c.notes == "First line\nSecond line, with a soft break and a folded space."
    assert c.addresses[0].locality == "Berlin" and c.addresses[0].street.startswith("Hauptstraße 5")
    assert c.addresses[0].label == "home"
    assert [(p.value, p.label) for p in c.phones] == [
        ("+49 30 1234567", "work"),
        ("+49 170 7654321", "mobile"),
    ]
    assert c.company == "Müller GmbH"
    # the parts of N and ORG without a column are kept to be written back
    assert Extra("N", None, "Müller;Jürgen;;Dr.;") in r.extras
    assert Extra("ORG", None, "Müller GmbH;Sales") in r.extras


@pytest.mark.parametrize(
    ("name", "display"),
    [
        ("v21_shift_jis.vcf", "安藤 ロイド"),
        ("v30_koi8r.vcf", "Олег Ермолов"),
        ("v21_windows1252.vcf", "John Doë"),
        ("v21_qp_8bit_no_charset.vcf", "Piotr Iksiński"),
        ("v30_utf16le_bom.vcf", "Ǽgean ĽdaMonté"),
        ("v30_utf16be_no_bom.vcf", "Ǽgean ĽdaMonté"),
        ("v30_folded_utf8.vcf", "Ελένη Παπαδοπούλου-Καραγιάννη Σταυροπούλου"),
        ("v30_ios_crcrlf.vcf", "Bob Smith"),
    ],
)
def test_names_come_out_readable(name, display):
    c = one(name).contact
    assert c.display_name == display
    assert "\ufffd" not in display and "Ã" not in c.display_name


def test_shift_jis_quoted_printable_note():
    assert one("v21_shift_jis.vcf").contact.notes == "メモ"


def test_utf16_address_and_group_kept():
    r = one("v30_utf16be_no_bom.vcf")
    assert r.contact.addresses == [
        Address(label="work", street="169 Mária Canal", locality="LaPaz", postcode="245-876", country="Perú")
    ]
    assert Extra("item1.X-ABADR", None, "us") in r.extras


def test_ios_cr_cr_lf_groups_labels_photo():
    r = one("v30_ios_crcrlf.vcf")
    c = r.contact
    assert [(e.value, e.label) for e in c.emails] == [
        ("bob@smithauto.example", None),
        ("bob.private@example.com", "other"),
    ]
    assert [(p.value, p.label) for p in c.phones] == [
        ("(650) 555-1212", "mobile"),
        ("(650) 555-3434", "assistant phone"),
    ]
    assert c.addresses[0].label == "workshop"
    assert c.birthday == "1975-03-01"
    assert r.photo is not None and r.photo.media_type == "image/jpeg" and r.photo.data.startswith(b"\xff\xd8")
    assert r.photo.data.endswith(b"\xff\xd9")
    # the URL and its label stay together in their group
    assert [e.name for e in r.extras if e.name.startswith("item4.")] == ["item4.URL", "item4.X-ABLABEL"]


def test_vcard_40_features():
    r = one("v40_features.vcf")
    c = r.contact
    assert c.uid == "urn:uuid:0b7a5a1e-4e2b-4c6f-9d1e-5d2c4b3a2f10"
    assert c.birthday == "--02-03"
    assert c.phones[0].value == "+1-418-656-9254;ext=102"
    assert c.phones[1].label == "work mobile video text"
    assert c.tags == ["friends", "work"]
    assert r.photo == Photo("image/png", r.photo.data) and r.photo.data.startswith(b"\x89PNG")
    assert [e.name for e in r.extras].count("N") == 2  # the first N (with its ALTID) and the alternative


def test_birthdays_without_a_year():
    items = read("v30_bday_no_year.vcf")
    assert [i.record.contact.birthday for i in items] == ["--04-15", "--11-30", "--01-01", None]
    future = items[3].record
    assert Extra("BDAY", None, "2999-01-01") in future.extras and future.warnings


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("19800322", "1980-03-22"),
        ("1980-03-22", "1980-03-22"),
        ("--0203", "--02-03"),
        ("--02-03", "--02-03"),
        ("1955-07-19T00:00:00Z", "1955-07-19"),
        ("16040101", "--01-01"),
        ("19531015T231000Z", "1953-10-15"),
        ("soon", None),
    ],
)
def test_parse_bday(text, want):
    assert parse_bday(text) == want


def test_base64_photos_of_vcard_21():
    items = read("v21_base64_photo.vcf")
    assert [i.record.contact.display_name for i in items] == ["Indented Photo", "Flush Photo"]
    for item in items:
        assert item.record.photo.data.startswith(b"\xff\xd8") and item.record.photo.data.endswith(b"\xff\xd9")
    assert items[0].record.contact.phones[0].value == "+1 555 0100"
    assert items[1].record.contact.emails[0].value == "flush@example.com"


def test_data_uri_photo_in_a_30_card():
    r = one("v30_data_uri_photo.vcf")
    assert r.photo.media_type == "image/png" and r.photo.data.startswith(b"\x89PNG")


def test_categories_notes_and_invalid_values_kept():
    r = one("v30_categories_notes.vcf")
    c = r.contact
    assert c.tags == ["category1", "category2", "category3", "vip"]
    assert c.notes == "first note\nwith two lines\n\nsecond note"
    assert [e.value for e in c.emails] == ["jane@example.com"]
    assert Extra("EMAIL", None, "not an address") in r.extras
    assert Extra("TEL", "TYPE=WORK", "BusinessPhone") in r.extras
    assert len(r.warnings) == 2


def test_broken_cards_are_reported_and_the_rest_read():
    items = read("broken_cards.vcf")
    assert [(i.index, i.record.contact.display_name if i.record else None) for i in items] == [
        (1, "Good One"),
        (2, None),
        (3, None),
        (4, "Good Two"),
    ]
    assert "no name" in items[1].error
    assert "not closed" in items[2].error and items[2].line == 12
    assert any("stray comment" in w for w in items[3].record.warnings)


def test_unterminated_last_card_and_garbage():
    items = read_text("junk before\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nFN:Half\r\n")
    assert len(items) == 1 and "not closed" in items[0].error
    assert read_text("") == [] and read_text("no vcard here") == []


def test_old_mac_line_ends_and_email_only_card():
    items = read_text(b"BEGIN:VCARD\rVERSION:3.0\rEMAIL:solo@example.com\rEND:VCARD\r")
    c = items[0].record.contact
    assert c.display_name is None and c.emails[0].value == "solo@example.com"


# --- writing --------------------------------------------------------------------------------------------


def sample() -> ContactData:
    return ContactData(
        uid="u-1; with, specials",
        display_name="Zoë Müller, PhD",
        given_name="Zoë",
        family_name="Müller",
        job_title="CTO",
        company="Acme; Inc",
        company_role="decision maker",
        birthday="--04-15",
        notes="Line one\nLine two; with, punctuation \\ backslash",
        cadence_days=30,
        archived=True,
        emails=[
            Labeled("zoe@acme.example", "work"),
            Labeled("z@home.example", "home"),
            Labeled("zz@x.example", "private"),
        ],
        phones=[
            Labeled("+49 170 1234567", "mobile"),
            Labeled("+49 30 1234", "home fax"),
            Labeled("+49 30 9999", "assistant"),
        ],
        addresses=[
            Address(
                label="work",
                street="Hauptstraße 5",
                locality="Berlin",
                postcode="10115",
                country="Germany",
                po_box="PB 1",
                extended="Hinterhaus",
            ),
            Address(label="summer house", street="Strandvej 1", locality="Skagen"),
        ],
        tags=["client", "vip"],
        fields={"source": "conference", "size": "x=a;b"},
        extras=[
            Extra("X-PHONETIC-FIRST-NAME", None, "Zo-ee"),
            Extra("item1.URL", "TYPE=pref", "https://acme.example"),
            Extra("item1.X-ABLabel", None, "_$!<HomePage>!$_"),
            Extra("KEY", "ENCODING=b;TYPE=PGP", "AAEC"),
        ],
        photo=Photo("image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(200))),
    )


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_write_then_read_gives_the_same_contact(version):
    c = sample()
    text = write_card(c, version)
    assert text.startswith("BEGIN:VCARD\r\nVERSION:" + version + "\r\n") and text.endswith("END:VCARD\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    (item,) = read_text(text)
    r = item.record
    got = r.contact
    assert r.from_tinycrm
    for key in CARD_FIELDS:
        assert getattr(got, key) == getattr(c, key), key
    assert r.photo == c.photo
    names = [e.name.upper() for e in r.extras]
    assert names[:1] == ["X-PHONETIC-FIRST-NAME"] and "ITEM1.URL" in names and "KEY" in names


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vobject_reads_what_we_write(version):
    c = sample()
    card = vobject.readOne(write_card(c, version))
    assert card.fn.value == "Zoë Müller, PhD"
    assert card.n.value.family == "Müller" and card.n.value.given == "Zoë"
    assert card.org.value == ["Acme; Inc"]
    assert [e.value for e in card.contents["email"]] == ["zoe@acme.example", "z@home.example", "zz@x.example"]
    assert card.note.value == c.notes
    assert card.categories.value == ["client", "vip"]
    assert card.uid.value == c.uid
    assert card.adr.value.street == "Hauptstraße 5" and card.adr.value.city == "Berlin"
    if version == "3.0":
        assert card.photo.value == c.photo.data
    else:
        # vobject 0.9.9 cuts a data: URI at its comma; the line itself is what RFC 6350 asks for
        assert card.photo.value.startswith("data:image/png")
        assert "PHOTO:data:image/png;base64," + base64.b64encode(c.photo.data).decode()[:40] in write_card(
            c, version
        )
    labels = {x.group: x.value for x in card.contents["x-ablabel"]}
    assert (
        "private" in labels.values() and "assistant" in labels.values() and "summer house" in labels.values()
    )
    vobject.readOne(card.serialize())  # and vobject can write it again


def test_version_40_specifics():
    text = write_card(sample(), "4.0")
    assert "\r\nBDAY:--0415\r\n" in text
    assert "\r\nPHOTO:data:image/png;base64," in text
    assert "KEY:data:application/pgp;base64,AAEC" in text
    assert "TYPE=cell" in text and "ENCODING=" not in text
    text = write_card(ContactData(uid="x", display_name="Old", birthday="1980-03-22"), "4.0")
    assert "\r\nBDAY:19800322\r\n" in text


def test_version_30_specifics():
    text = write_card(sample(), "3.0")
    assert "\r\nBDAY:--04-15\r\n" in text
    assert "PHOTO;ENCODING=b;TYPE=PNG:" in text
    assert "EMAIL;TYPE=INTERNET,WORK:zoe@acme.example" in text
    assert "TEL;TYPE=CELL:+49 170 1234567" in text
    assert "UID:u-1\\; with\\, specials" in text


def test_kept_n_is_written_back_only_while_it_agrees():
    c = ContactData(
        uid="x",
        display_name="Dr. Jürgen Müller",
        given_name="Jürgen",
        family_name="Müller",
        extras=[Extra("N", None, "Müller;Jürgen;;Dr.;")],
    )
    assert "\r\nN:Müller;Jürgen;;Dr.;\r\n" in write_card(c)
    c.family_name = "Meier"
    assert "\r\nN:Meier;Jürgen;;;\r\n" in write_card(c)


def test_fold_never_splits_a_character():
    line = "NOTE:" + "ä" * 100
    folded = fold(line)
    parts = folded.split("\r\n ")
    assert "".join(parts) == line
    assert all(len(p.encode()) <= 75 for p in parts)


def test_write_refuses_unknown_version():
    from tinycrm.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        write_card(ContactData(uid="x", display_name="x"), "2.1")
