"""The vCard property handlers one family at a time, through the table of :mod:`tinycrm.formats.vcard.properties`
(no file reading, no database), and round trips through the writer and the reader of the structured fields
and of any property kept verbatim (property tests, marked ``fuzz``)."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_testkit import CARD_FIELDS
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, Labeled
from tinycrm.formats.records import ContactData, Extra
from tinycrm.formats.vcard import PROPERTIES, convert, parse_line, read_text, write_card


def card(version: str, *lines: str, name: bool = True):
    """The record of a card made of ``lines`` (with ``name``, an FN is added when none is given)."""
    texts = [f"VERSION:{version}", *lines]
    if name and not any(line.split(":", 1)[0].split(";")[0].upper() in ("FN", "N") for line in lines):
        texts.append("FN:Somebody")
    props = [parse_line(text.encode("utf-8"), n) for n, text in enumerate(texts, 2)]
    assert all(props), texts
    return convert(props)


# --- the table ------------------------------------------------------------------------------------------


def test_everything_the_writer_writes_has_a_handler():
    c = ContactData(
        uid="u",
        display_name="A",
        given_name="A",
        company="C",
        job_title="T",
        company_role="R",
        birthday="1980-01-02",
        notes="n",
        cadence_days=3,
        archived=True,
        emails=[Labeled("a@example.com", "odd label")],
        phones=[Labeled("+1 555 0100", "work")],
        addresses=[Address(street="1 Main St")],
        tags=["t"],
        fields={"k": "v"},
    )
    for version in ("3.0", "4.0"):
        names = {
            line.split(":")[0].split(";")[0].split(".")[-1].upper()
            for line in write_card(c, version).split("\r\n")
        }
        assert names - {"BEGIN", "END", ""} <= set(PROPERTIES), version
        (item,) = read_text(write_card(c, version))
        assert item.record.extras == [] and item.record.warnings == []


def test_a_property_without_a_handler_is_kept_verbatim():
    assert "X-SOCIALPROFILE" not in PROPERTIES
    r = card(
        "3.0", "X-SOCIALPROFILE;TYPE=twitter;X-USER=ada:https://x.example/ada", "URL:https://ada.example"
    )
    assert r.extras == [
        Extra("X-SOCIALPROFILE", "TYPE=twitter;X-USER=ada", "https://x.example/ada"),
        Extra("URL", None, "https://ada.example"),
    ]
    assert r.warnings == []


# --- TEL, EMAIL, ADR and their labels -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("2.1", "TEL;WORK;CELL;VOICE:+1 555 0100"),
        ("2.1", "TEL;TYPE=WORK;TYPE=CELL:+1 555 0100"),
        ("3.0", "TEL;TYPE=WORK,CELL,VOICE:+1 555 0100"),
        ("3.0", "TEL;TYPE=work;TYPE=cell;TYPE=pref:+1 555 0100"),
        ("4.0", 'TEL;VALUE=uri;TYPE="work,cell":tel:+1 555 0100'),
        ("4.0", "TEL;TYPE=work,cell;PREF=1:+1 555 0100"),
    ],
)
def test_tel_type_parameters_in_every_version(version, line):
    r = card(version, line)
    assert r.contact.phones == [Labeled("+1 555 0100", "work mobile")]
    assert r.extras == [] and r.warnings == []


def test_tel_without_type_x_words_and_bad_numbers():
    r = card("3.0", "TEL:+1 555 0100", "TEL;TYPE=X-ASSISTANT:+1 555 0101", "TEL:call me", "TEL:")
    assert r.contact.phones == [Labeled("+1 555 0100", None), Labeled("+1 555 0101", "assistant")]
    assert r.extras == [Extra("TEL", None, "call me")]
    assert r.warnings == ["line 5: 'call me' is not a phone number; kept as it is"]


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("2.1", "EMAIL;INTERNET;HOME:ada@example.com"),
        ("3.0", "EMAIL;TYPE=INTERNET,HOME,PREF:ada@example.com"),
        ("4.0", "EMAIL;TYPE=home;PREF=1:ada@example.com"),
    ],
)
def test_email_type_parameters_in_every_version(version, line):
    assert card(version, line).contact.emails == [Labeled("ada@example.com", "home")]


def test_an_email_that_is_not_one_is_kept_with_a_warning():
    r = card("3.0", "EMAIL;TYPE=WORK:ada at example", "EMAIL:")
    assert r.contact.emails == []
    assert r.extras == [Extra("EMAIL", "TYPE=WORK", "ada at example")]
    assert "is not an email address" in r.warnings[0]


@pytest.mark.parametrize(
    ("version", "line"),
    [
        ("2.1", "ADR;WORK;POSTAL:PB 1;Hinterhaus;Hauptstr. 5;Berlin;BE;10115;Germany"),
        ("3.0", "ADR;TYPE=WORK,POSTAL,PREF:PB 1;Hinterhaus;Hauptstr. 5;Berlin;BE;10115;Germany"),
        (
            "4.0",
            'ADR;TYPE=work;LABEL="Hauptstr. 5\\n10115 Berlin":PB 1;Hinterhaus;Hauptstr. 5;Berlin;BE;10115;Germany',
        ),
    ],
)
def test_adr_parts_and_label_in_every_version(version, line):
    assert card(version, line).contact.addresses == [
        Address(
            label="work",
            street="Hauptstr. 5",
            locality="Berlin",
            region="BE",
            postcode="10115",
            country="Germany",
            po_box="PB 1",
            extended="Hinterhaus",
        )
    ]


def test_an_empty_adr_is_dropped_and_a_short_one_padded():
    r = card("3.0", "ADR;TYPE=HOME:;;;;;;", "ADR:;;1 Main St")
    assert r.contact.addresses == [Address(street="1 Main St")]


def test_apple_groups_label_their_email_phone_and_address():
    r = card(
        "3.0",
        "item1.EMAIL;TYPE=INTERNET:ada@example.com",
        "item1.X-ABLabel:_$!<HomePage>!$_",
        "item2.TEL:+1 555 0100",
        "item2.X-ABLabel:Boat  Phone",
        "item3.ADR:;;1 Main St;Town;;;",
        "item3.X-ABLabel:Summer house",
        "item4.URL:https://ada.example",
        "item4.X-ABLabel:blog",
    )
    assert r.contact.emails == [Labeled("ada@example.com", "home page")]
    assert r.contact.phones == [Labeled("+1 555 0100", "boat phone")]
    assert r.contact.addresses[0].label == "summer house"
    # the label of a property without a column stays with it
    assert r.extras == [
        Extra("item4.URL", None, "https://ada.example"),
        Extra("item4.X-ABLABEL", None, "blog"),
    ]


# --- names and work -------------------------------------------------------------------------------------


def test_n_and_org_parts_without_a_column_are_kept_first():
    r = card("3.0", "FN:Dr. Ada King", "N:King;Ada;Augusta;Dr.;", "ORG:Engines;Research", "X-A:1")
    c = r.contact
    assert (c.family_name, c.given_name, c.company) == ("King", "Ada", "Engines")
    assert r.extras == [
        Extra("N", None, "King;Ada;Augusta;Dr.;"),
        Extra("ORG", None, "Engines;Research"),
        Extra("X-A", None, "1"),
    ]


def test_plain_n_and_org_are_not_kept():
    r = card("3.0", "N;CHARSET=UTF-8:King;Ada;;;", "ORG:Engines")
    assert r.extras == [] and r.contact.display_name == "Ada King"


def test_a_second_n_or_org_keeps_both():
    r = card(
        "4.0", "N;ALTID=1;LANGUAGE=en:King;Ada;;;", "N;ALTID=1;LANGUAGE=ja:キング;エイダ;;;", "ORG:A", "ORG:B"
    )
    assert [e.name for e in r.extras] == ["N", "ORG", "N", "ORG"]
    assert r.extras[0].params == "ALTID=1;LANGUAGE=en" and r.extras[2].value == "キング;エイダ;;;"
    assert r.contact.company == "A"


def test_the_first_fn_title_role_and_uid_win_and_later_ones_are_kept():
    r = card(
        "3.0",
        "FN:Ada",
        "FN:Ada King",
        "TITLE:CTO",
        "TITLE:CEO",
        "ROLE:",
        "ROLE:Buyer",
        "UID:",
        "UID:u-1",
        "UID:u-2",
    )
    c = r.contact
    assert (c.display_name, c.job_title, c.company_role, c.uid) == ("Ada", "CTO", "Buyer", "u-1")
    assert r.extras == [
        Extra("FN", None, "Ada King"),
        Extra("TITLE", None, "CEO"),
        Extra("UID", None, "u-2"),
    ]


def test_a_uid_too_long_is_kept_with_a_warning():
    r = card("3.0", "UID:" + "x" * 256)
    assert r.contact.uid is None and r.extras[0].name == "UID" and "longer than 255" in r.warnings[0]


@pytest.mark.parametrize(
    ("lines", "display"),
    [
        (["N:Lovelace;Ada;;Lady;"], "Lady Ada Lovelace"),
        (["FN:ada@example.com", "EMAIL:ada@example.com"], None),  # the service names it after the address
        (["ORG:Engines"], "Engines"),
        (["NICKNAME:Addie,Countess"], "Addie"),
        (["TEL:+1 555 0100"], "+1 555 0100"),
    ],
)
def test_the_display_name_falls_back_in_order(lines, display):
    assert card("3.0", *lines, name=False).contact.display_name == display


def test_nickname_is_kept_even_when_it_names_the_card():
    r = card("3.0", "NICKNAME:Addie")
    assert r.contact.display_name == "Somebody" and r.extras == [Extra("NICKNAME", None, "Addie")]


def test_a_card_with_nothing_to_name_it_is_refused():
    with pytest.raises(InvalidInput, match="no name"):
        convert([parse_line(b"VERSION:3.0", 1), parse_line(b"NOTE:hello", 2)])


# --- notes, tags, dates, photos -------------------------------------------------------------------------


def test_notes_are_joined():
    assert card("3.0", "NOTE:one\\ntwo", "NOTE:", "NOTE:three").contact.notes == "one\ntwo\n\nthree"


@pytest.mark.parametrize(
    ("version", "lines", "tags"),
    [
        ("2.1", ["CATEGORIES:work;friends"], ["work", "friends"]),
        ("3.0", ["CATEGORIES:work,friends", "CATEGORIES:Work,vip"], ["work", "friends", "vip"]),
        ("3.0", ["CATEGORIES:one;two"], ["one", "two"]),
        ("3.0", ["CATEGORIES:a\\, b,c  d"], ["a", "b", "c d"]),
        ("4.0", ["CATEGORIES:x" * 101], []),
    ],
)
def test_categories_in_every_form(version, lines, tags):
    assert card(version, *lines).contact.tags == tags


@pytest.mark.parametrize(
    ("line", "birthday"),
    [
        ("BDAY:19800322", "1980-03-22"),
        ("BDAY;VALUE=date:1980-03-22", "1980-03-22"),
        ("BDAY:--0203", "--02-03"),
        ("BDAY:1604-02-03", "--02-03"),
        ("BDAY:1955-07-19T00:00:00Z", "1955-07-19"),
    ],
)
def test_bday_forms(line, birthday):
    assert card("4.0", line).contact.birthday == birthday


def test_a_bad_or_second_bday_is_kept():
    r = card("3.0", "BDAY:someday", "BDAY:1980-03-22", "BDAY:1990-01-01")
    assert r.contact.birthday == "1980-03-22"
    assert r.extras == [Extra("BDAY", None, "someday"), Extra("BDAY", None, "1990-01-01")]
    assert r.warnings == ["line 3: birthday 'someday' is not a date; kept as it is"]


@pytest.mark.parametrize(
    ("version", "line", "media"),
    [
        ("2.1", "PHOTO;JPEG;ENCODING=BASE64:/9j/4AAQSkZJRg==", "image/jpeg"),
        ("3.0", "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg==", "image/jpeg"),
        ("4.0", "PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRg==", "image/jpeg"),
        ("3.0", "PHOTO;ENCODING=b:iVBORw0KGgo=", "image/png"),
    ],
)
def test_photo_in_every_version(version, line, media):
    r = card(version, line)
    assert r.photo is not None and r.photo.media_type == media and r.extras == []


def test_a_photo_url_a_broken_photo_and_a_second_photo_are_kept():
    r = card("3.0", "PHOTO;VALUE=uri:https://x.example/a.jpg")
    assert (
        r.photo is None
        and r.extras == [Extra("PHOTO", "VALUE=uri", "https://x.example/a.jpg")]
        and r.warnings == []
    )
    r = card("3.0", "PHOTO;ENCODING=b:a", "PHOTO;ENCODING=b:iVBORw0KGgo=")
    assert r.photo is not None and "cannot be decoded" in r.warnings[0]
    r = card("3.0", "PHOTO;ENCODING=b:iVBORw0KGgo=", "PHOTO;ENCODING=b:/9j/4AAQ")
    assert r.photo.media_type == "image/png" and r.extras == [Extra("PHOTO", "ENCODING=b", "/9j/4AAQ")]


# --- tinycrm's own properties ---------------------------------------------------------------------------


def test_tinycrm_properties_mark_the_card_as_written_by_tinycrm():
    assert not card("3.0", "NOTE:x").from_tinycrm
    assert card("3.0", "PRODID:-//tinycrm//tinycrm 1.0//EN").from_tinycrm
    r = card(
        "3.0",
        "X-TINYCRM-FIELD:size=x\\=1",
        "X-TINYCRM-FIELD:=nokey",
        "X-TINYCRM-CADENCE:14",
        "X-TINYCRM-ARCHIVED:TRUE",
    )
    assert r.from_tinycrm and r.contact.fields == {"size": "x=1"}
    assert r.contact.cadence_days == 14 and r.contact.archived
    r = card("3.0", "X-TINYCRM-CADENCE:0", "X-TINYCRM-ARCHIVED:no")
    assert r.contact.cadence_days is None and not r.contact.archived


# --- a round trip of the structured fields --------------------------------------------------------------

# text as people type it: any letters, digits, punctuation and symbols (the vCard specials included), single
# spaces inside; the reader strips what surrounds a value, so nothing does here
_text = st.text(
    st.characters(categories=("L", "N", "P", "S"), exclude_characters="\x7f"), min_size=1, max_size=12
)
_line = st.lists(_text, min_size=1, max_size=3).map(" ".join)
_word = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_label = (
    st.none()
    | st.sampled_from(["home", "work", "mobile", "fax", "work fax", "text"])
    | st.lists(_word, min_size=1, max_size=3).map(" ".join)
)
_email = st.builds(lambda a, b: f"{a}@{b}.example", _word, _word)
_phone = st.builds(lambda n: f"+{n // 10**7} {n % 10**7:07d}", st.integers(10**7, 10**10))
_address = st.builds(
    Address,
    label=_label,
    street=_line,
    locality=st.none() | _line,
    region=st.none() | _line,
    postcode=st.none() | _text,
    country=st.none() | _line,
    po_box=st.none() | _text,
    extended=st.none() | _line,
)
_birthday = st.dates(min_value=date(1901, 1, 1), max_value=date(2020, 12, 31)).map(
    lambda d: d.isoformat()
) | st.builds(lambda m, d: f"--{m:02d}-{d:02d}", st.integers(1, 12), st.integers(1, 28))
_tag = st.lists(_word, min_size=1, max_size=2).map(" ".join)


@st.composite
def contacts(draw) -> ContactData:
    tags = draw(st.lists(_tag, max_size=4, unique_by=str.casefold))
    emails = draw(st.lists(st.builds(Labeled, _email, _label), max_size=3))
    display = draw(_line.filter(lambda d: not emails or d.casefold() != emails[0].value.casefold()))
    return ContactData(
        uid=draw(_line),
        display_name=display,
        given_name=draw(st.none() | _line),
        family_name=draw(st.none() | _line),
        job_title=draw(st.none() | _line),
        company=draw(st.none() | _line),
        company_role=draw(st.none() | _line),
        birthday=draw(st.none() | _birthday),
        notes=draw(st.none() | st.lists(_line, min_size=1, max_size=3).map("\n".join)),
        cadence_days=draw(st.none() | st.integers(1, 3650)),
        archived=draw(st.booleans()),
        emails=emails,
        phones=draw(st.lists(st.builds(Labeled, _phone, _label), max_size=3)),
        addresses=draw(st.lists(_address, max_size=2)),
        tags=tags,
        fields=draw(st.dictionaries(_word, st.just("") | _line, max_size=3)),
    )


@pytest.mark.fuzz
@pytest.mark.parametrize("version", ["3.0", "4.0"])
@given(c=contacts())
def test_structured_fields_survive_a_round_trip(version, c):
    text = write_card(c, version)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    (item,) = read_text(text)
    assert item.error is None, item.error
    got = item.record.contact
    for key in CARD_FIELDS:
        assert getattr(got, key) == getattr(c, key), key
    assert item.record.extras == [] and item.record.warnings == [] and item.record.from_tinycrm


# --- a round trip of any property kept verbatim ---------------------------------------------------------

_name = st.sampled_from(
    ["URL", "IMPP", "GENDER", "RELATED", "X-ABDATE", "AGENT", "KEY", "LOGO"]
) | st.from_regex(r"X-[A-Z0-9][A-Z0-9-]{0,12}", fullmatch=True)
_group = st.none() | st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,6}", fullmatch=True)
# what a parameter value may hold (a double quote cannot be written in one)
_param_value = st.text(
    st.characters(exclude_categories=("Cc", "Cs"), exclude_characters='"'), max_size=12
) | st.sampled_from(["QUOTED-PRINTABLE", "work", "pref", "a,b", "x:y;z", ""])
_param = st.tuples(
    st.sampled_from(["TYPE", "X-E", "X-LABEL", "VALUE", "LANGUAGE", "PREF", "X-ABLABEL-TYPE"]), _param_value
)
# a value as a line holds it: anything but line breaks and other control characters, escapes included
_value = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=120) | st.text(
    st.sampled_from("=\\;,: aé日"), max_size=90
)


@st.composite
def kept_lines(draw) -> str:
    """A content line of a property tinycrm keeps verbatim, as some client wrote it."""
    name = draw(_name)
    group = draw(_group)
    head = f"{group}.{name}" if group else name
    params = draw(st.lists(_param, max_size=3))
    if name in ("KEY", "LOGO") and draw(st.booleans()):
        data = base64.b64encode(draw(st.binary(min_size=1, max_size=60))).decode()
        return f"{head};ENCODING=b;TYPE=PNG:{data}"
    text = ";".join(f'{k}="{v}"' if any(c in v for c in ":;,") else f"{k}={v}" for k, v in params)
    return f"{head};{text}:{draw(_value)}" if text else f"{head}:{draw(_value)}"


def _kept(lines: list[str], version: str = "3.0") -> list[Extra]:
    body = "".join(f"{line}\r\n" for line in lines)
    (item,) = read_text(f"BEGIN:VCARD\r\nVERSION:{version}\r\nFN:Somebody\r\n{body}END:VCARD\r\n")
    assert item.error is None, item.error
    return item.record.extras


def _again(extras: list[Extra], version: str) -> list[Extra]:
    text = write_card(ContactData(uid="u", display_name="Somebody", extras=extras), version)
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    (item,) = read_text(text)
    assert item.error is None and item.record.warnings == [], item
    return item.record.extras


@pytest.mark.fuzz
@given(lines=st.lists(kept_lines(), min_size=1, max_size=4))
def test_any_kept_property_survives_a_round_trip(lines):
    kept = _kept(lines)
    assert len(kept) == len(lines)
    assert _again(kept, "3.0") == kept
    # 4.0 writes binary values as data: URIs; what it writes reads back the same
    once = _again(kept, "4.0")
    assert _again(once, "4.0") == once
    for before, after in zip(kept, once, strict=True):
        binary = "ENCODING=b" in (before.params or "")
        assert after.value.startswith("data:") if binary else after == before


# --- the reader around the handlers ---------------------------------------------------------------------


def test_a_21_agent_card_is_skipped_and_a_card_left_open_is_reported():
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nFN:Assistant\r\n"
        "TEL:+1 555 0199\r\nEND:VCARD\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Open\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Next\r\n\x01broken\r\nEND:VCARD\r\n"
    )
    boss, open_card, after = read_text(text)
    assert boss.record.contact.display_name == "Boss"
    assert boss.record.contact.phones == [Labeled("+1 555 0100", None)]
    assert boss.record.extras == [Extra("AGENT", None, "")]
    assert (open_card.index, open_card.line, open_card.error) == (
        2,
        12,
        "the card is not closed (no END:VCARD)",
    )
    assert after.record.contact.display_name == "Next" and after.line == 15
    assert after.record.warnings == ["line 18: not a vCard property, skipped: '\\x01broken'"]
