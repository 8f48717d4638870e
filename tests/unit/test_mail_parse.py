"""Parsing mail as clients send it (tests/fixtures/mail/): headers, charsets, HTML, attachments, delivery
reports, auto-replies, and damaged messages, none of which may raise."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tinycrm.formats.htmltext import html_to_text
from tinycrm.formats.mailparse import MailParseError, parse, stable_hash

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


def fixture(name: str, **kwargs: int):  # noqa: ANN201
    return parse((FIXTURES / name).read_bytes(), **kwargs)


def test_multipart_alternative_gives_the_plain_text_part_and_the_thread():
    m = fixture("alternative.eml")
    assert m.message_id == "CAF=q2u1x9Zk@mail.example.com"
    assert (m.from_name, m.from_address, m.to) == ("Ada Lovelace", "ada@example.com", ("grace@tinycrm.test",))
    assert m.text == "Hi Grace,\n\nthe quote looks good. Can we start in January?\n\nAda"
    assert m.in_reply_to == "quote-17@tinycrm.test"
    assert m.references == ("intro-3@tinycrm.test", "quote-17@tinycrm.test")
    assert m.thread_ids == ("quote-17@tinycrm.test", "intro-3@tinycrm.test")
    assert m.date is not None and m.date.isoformat() == "2026-12-01T09:14:00+00:00"
    assert m.headers["user-agent"] == "Mozilla Thunderbird"
    assert not m.is_automatic and not m.defects and not m.attachments


def test_html_only_mail_becomes_readable_text():
    m = fixture("html_only.eml")
    assert m.from_address == "charles.babbage@example.org"  # addresses are lower-cased
    assert m.text == (
        "Dear Grace,\n\nNotes from today's meeting:\n\n- Difference engine: € 4,000\n- Delivery in March\n\n"
        "See the full notes (https://example.org/notes/42).\n\nCharles"
    )
    assert "alert" not in m.text and "margin" not in m.text


def test_quoted_printable_body_and_encoded_words():
    m = fixture("quoted_printable.eml")
    assert m.from_name == "Renée Müller"
    assert m.subject == "Angebot für die Größe XL"
    assert "Angebot für die Größe XL. Diese Zeile ist sehr lang und wird mit" in m.text
    assert m.text.endswith("Grüße\nRenée")


def test_base64_utf8_body_and_a_folded_encoded_word_subject():
    m = fixture("encoded_subject.eml")
    assert m.subject == "Привет, Грейс! ✓ done"
    assert m.from_name == "Анна Каренина"
    assert m.text == "Привет! Всё готово."


def test_latin1_labelled_mail_is_read_as_windows_1252():
    m = fixture("latin1.eml")
    assert m.subject == "Café y señal"
    assert m.text == "Hola Grace,\n\nel café cuesta 3 € y la señal ya está pagada.\n\nJosé"


def test_an_unknown_charset_falls_back_without_failing():
    m = fixture("unknown_charset.eml")
    assert m.subject == "“Quoted” price"
    assert m.text == "The price is “fair” – 100 €."


def test_attachments_are_kept_up_to_the_limit_and_listed_when_dropped():
    kept = fixture("attachment.eml")
    (pdf,) = kept.attachments
    assert (pdf.filename, pdf.content_type) == ("Vertrag signé.pdf", "application/pdf")
    assert pdf.data is not None and pdf.data.startswith(b"%PDF-1.4") and pdf.size == len(pdf.data)
    assert kept.text == "Here is the signed contract." and kept.cc == ("charles.babbage@example.org",)
    dropped = fixture("attachment.eml", max_attachment_bytes=1000)
    assert dropped.attachments[0].data is None and dropped.attachments[0].size == pdf.size
    assert dropped.dropped == dropped.attachments


def test_a_delivery_status_notification_is_read_per_recipient():
    m = fixture("dsn.eml")
    assert m.delivery_status == (
        {
            "recipient": "nobody@example.net",
            "action": "failed",
            "status": "5.1.1",
            "diagnostic": "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown",
        },
        {
            "recipient": "later@example.net",
            "action": "delayed",
            "status": "4.4.1",
            "diagnostic": "connect to mx.example.net: Connection timed out",
        },
    )
    assert m.text.startswith("This is the mail system at host mx.tinycrm.test.")
    assert m.is_automatic and m.attachments == ()  # the returned headers are no attachment


def test_an_auto_reply_is_automatic():
    m = fixture("auto_reply.eml")
    assert m.headers["auto-submitted"] == "auto-replied" and m.is_automatic


def test_no_from_and_no_message_id_get_a_stable_synthesised_id():
    raw = (FIXTURES / "no_from.eml").read_bytes()
    m = parse(raw)
    assert m.from_address == "" and m.from_name == "" and m.is_automatic
    assert m.message_id.endswith("@no-id.tinycrm.invalid")
    # the same message delivered another way (CRLF, an mbox From line, a Received header) keeps its id
    other = b"From grace Sat Nov 28 08:00:00 2026\r\nReceived: from x by y; Sat, 28 Nov 2026\r\n"
    other += raw.replace(b"\n", b"\r\n")
    assert parse(other).message_id == m.message_id
    assert stable_hash(raw + b"changed") != stable_hash(raw)


def test_broken_mime_is_read_as_far_as_it_goes_and_noted():
    m = fixture("broken_mime.eml")
    assert m.message_id == "broken.1@mail.example.com"
    assert "The boundary parameter is missing" in m.text
    assert any(d.startswith("broken MIME") for d in m.defects)


def test_a_ten_thousand_character_subject_is_cut():
    m = parse(b"From: a@example.com\nSubject: " + b"x" * 10_000 + b"\nMessage-ID: <long@x>\n\nbody\n")
    assert len(m.subject) == 998 and m.subject.endswith("...")


def test_eight_bit_headers_and_a_very_long_message_id():
    m = parse(
        b"From: Z\xfcrich <zh@example.ch>\nSubject: Gr\xc3\xbcezi\nMessage-ID: <" + b"i" * 2000 + b"@x>\n\n"
    )
    assert (m.from_name, m.subject) == ("Zürich", "Grüezi")
    assert m.message_id.endswith("@long-id.tinycrm.invalid") and len(m.message_id) < 100


@pytest.mark.parametrize("raw", [b"", b"\n\n  \n", b"%PDF-1.4 binary \x00\x01\x02", b"just some words\n"])
def test_bytes_that_are_no_message_are_refused(raw):
    with pytest.raises(MailParseError):
        parse(raw)


def test_random_damage_never_raises_anything_but_a_parse_error():
    rng = random.Random(14)
    sources = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    for _ in range(300):
        data = bytearray(rng.choice(sources))
        for _ in range(rng.randint(1, 20)):
            at = rng.randrange(max(1, len(data)))
            data[at : at + rng.randint(0, 30)] = bytes(rng.randrange(256) for _ in range(rng.randint(0, 5)))
        try:
            m = parse(bytes(data))
        except MailParseError:
            continue
        assert isinstance(m.text, str) and m.message_id


def test_html_to_text_keeps_breaks_lists_and_links():
    html = "<p>One<br>Two</p><ol><li>a</li><li>b</li></ol><a href='mailto:x@y.z'>x@y.z</a><style>p{}</style>"
    assert html_to_text(html) == "One\nTwo\n\n- a\n- b\n\nx@y.z"
