"""The vCard reader on files that broke it: AGENT cards left open, truncated cards, a kept property whose
parameters mention QUOTED-PRINTABLE, 8-bit text without a charset, values as mail clients write them."""

from __future__ import annotations

import io

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Labeled
from tinycrm.formats.records import ContactData, Extra
from tinycrm.formats.vcard import VCardReader, read_text, write_card


def names(items) -> list[str]:
    return [i.record.contact.display_name if i.record else f"! {i.error}" for i in items]


def cards(*fns: str, version: str = "3.0") -> str:
    return "".join(f"BEGIN:VCARD\r\nVERSION:{version}\r\nFN:{fn}\r\nEND:VCARD\r\n" for fn in fns)


NOT_CLOSED = "! the card is not closed (no END:VCARD)"


def test_an_agent_card_left_open_does_not_take_the_cards_after_it():
    bad = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nAGENT:\r\nBEGIN:VCARD\r\nVERSION:2.1\r\nFN:Assistant\r\nEND:VCARD\r\n"
    items = read_text(bad + cards(*(f"Good {n}" for n in range(500))))
    assert names(items) == [NOT_CLOSED] + [f"Good {n}" for n in range(500)]
    assert (items[0].index, items[0].line, items[1].line) == (1, 1, 9)


def test_an_agent_card_without_any_end_and_a_truncated_card():
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nAGENT:\r\nBEGIN:VCARD\r\nFN:Assistant\r\n"
        + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut\r\nNOTE:half a no"
        + "\r\n"
        + cards("After")
    )
    assert names(read_text(text)) == [NOT_CLOSED, NOT_CLOSED, "After"]


def test_a_well_formed_agent_card_is_skipped_with_its_own_agent():
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Boss\r\nAGENT:\r\nBEGIN:VCARD\r\nFN:Assistant\r\nAGENT:\r\n"
        "BEGIN:VCARD\r\nFN:Deputy\r\nEND:VCARD\r\nEND:VCARD\r\nTEL:+1 555 0100\r\nEND:VCARD\r\n"
        + cards("Next")
    )
    boss, after = read_text(text)
    assert boss.record.contact.display_name == "Boss" and boss.record.contact.phones == [
        Labeled("+1 555 0100")
    ]
    assert after.record.contact.display_name == "Next"


def test_an_agent_with_a_value_holds_no_card():
    """A 3.0 AGENT carries its card escaped in its value, or a URI: a BEGIN:VCARD after it is a new card."""
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Boss\r\nAGENT;VALUE=uri:CID:x\r\n" + cards("Next")
    assert names(read_text(text)) == [NOT_CLOSED, "Next"]


def test_a_quoted_printable_soft_break_never_joins_the_next_card():
    text = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Cut\r\nNOTE;ENCODING=QUOTED-PRINTABLE:trunc=\r\n" + cards(
        "Next", version="2.1"
    )
    assert names(read_text(text)) == [NOT_CLOSED, "Next"]
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Ends\r\nNOTE;ENCODING=QUOTED-PRINTABLE:odd=\r\nEND:VCARD\r\n"
        + cards("Next")
    )
    assert names(read_text(text)) == ["Ends", "Next"]


@pytest.mark.parametrize(
    "params", ["X-E=QUOTED-PRINTABLE", 'X-LABEL="QUOTED-PRINTABLE;x"', "TYPE=QUOTED-PRINTABLE"]
)
def test_a_fold_after_equals_in_a_property_that_only_mentions_quoted_printable(params):
    head = f"X-FOO;{params}:"
    value = "x" * (75 - len(head) - 1) + "=" + "abc" + "=" * 80
    c = ContactData(uid="u", display_name="A", extras=[Extra("X-FOO", params, value)])
    text = write_card(c)
    assert "=\r\n " in text  # a fold falls right after an '='
    (item,) = read_text(text)
    assert item.record.extras == [Extra("X-FOO", params, value)]


# --- encodings ------------------------------------------------------------------------------------------

THE_BAT = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;ENCODING=QUOTED-PRINTABLE:Iksi=F1ski;Piotr\r\nFN;ENCODING=QUOTED-PRINTABLE:Piotr Iksi=F1ski\r\nEND:VCARD\r\n"


def test_8bit_quoted_printable_without_charset_is_read_by_the_language_of_its_text():
    (item,) = read_text(THE_BAT)
    assert item.record.contact.display_name == "Piotr Iksiński"


def test_the_other_cards_charset_decides():
    """0xB9 is 'ą' in windows-1250 and 'š' in ISO-8859-2, which the file's other card declares."""
    text = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=ISO-8859-2;ENCODING=QUOTED-PRINTABLE:Jan Nov=E1k\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE:Petr Pe=B9ek\r\nEND:VCARD\r\n"
    )
    assert names(read_text(text)) == ["Jan Novák", "Petr Pešek"]


def test_the_language_given_decides_and_encoding_wins():
    # 0xE6 is 'æ' in windows-1252 and 'ć' in windows-1250: the text alone cannot tell
    card = "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;{}ENCODING=QUOTED-PRINTABLE:Ma=E6ko\r\nEND:VCARD\r\n"
    assert names(read_text(card.format("LANGUAGE=pl;"))) == ["Maćko"]
    assert names(read_text(card.format(""), encoding="windows-1250")) == ["Maćko"]
    assert names(read_text(card.format("LANGUAGE=pl;"), encoding="cp1252")) == ["Maæko"]
    with pytest.raises(InvalidInput, match="not an encoding"):
        read_text(card.format(""), encoding="nope")


def test_a_guessed_encoding_is_said():
    reader = VCardReader(io.BytesIO(THE_BAT.encode()), "bat.vcf")
    assert [i.record.contact.family_name for i in reader] == ["Iksiński"]
    assert reader.notes == [
        "text that does not say its encoding read as windows-1250 (guessed from the text)"
    ]
    utf8 = VCardReader(io.BytesIO(cards("Zoë").encode()), "z.vcf")
    assert [i.record.contact.display_name for i in utf8] == ["Zoë"] and utf8.notes == []


# --- values as mail clients write them ------------------------------------------------------------------


def test_emails_with_a_name_test_domains_vanity_numbers_and_client_dates():
    text = (
        'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Omega\r\nEMAIL:"Omega" <omega@example.com>\r\nEMAIL:user@invalid\r\n'
        "TEL:1-800-MY-APPLE\r\nBDAY:Tue, 22 Dec 2009\r\nEND:VCARD\r\n"
    )
    (item,) = read_text(text)
    r = item.record
    assert [e.value for e in r.contact.emails] == ["omega@example.com", "user@invalid"]
    assert [p.value for p in r.contact.phones] == ["1-800-MY-APPLE"] and r.extras == []
    assert r.contact.birthday == "2009-12-22"
    assert r.warnings == [
        "line 5: 'user@invalid' is an address on a local or test domain; kept as an email address",
        "line 6: '1-800-MY-APPLE' has letters for digits (a vanity number); kept as a phone number",
    ]


@pytest.mark.parametrize(
    ("bday", "birthday"),
    [
        ("22.12.2009", "2009-12-22"),
        ("05.06.1990", "1990-06-05"),
        ("22 Dec 2009", "2009-12-22"),
        ("12/22/2009", "2009-12-22"),
    ],
)
def test_birthdays_in_the_forms_clients_write(bday, birthday):
    (item,) = read_text(f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nBDAY:{bday}\r\nEND:VCARD\r\n")
    assert item.record.contact.birthday == birthday
