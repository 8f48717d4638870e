"""The checks every service applies to what people type: each failure is a typed error naming the field."""

import pytest

from tinycrm.domain import validation as v
from tinycrm.domain.errors import EXIT_USAGE, CrmError, InvalidInput


def _invalid(fn, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        fn(*args, **kwargs)
    err = info.value
    assert isinstance(err, CrmError) and err.exit_code == EXIT_USAGE
    assert "\n" not in err.message and err.message
    return err


@pytest.mark.parametrize(
    "value",
    [
        "ada@example.com",
        "Ada.Lovelace+crm@mail.example.co.uk",
        "o'brien@example.ie",
        "zoë@müller.de",
        "mailto:ada@example.com",
        "  ada@example.com  ",
    ],
)
def test_good_emails(value):
    out = v.email(value)
    assert "@" in out and out == out.strip() and not out.startswith("mailto:")


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "ada@@example.com",
        "ada@exa mple.com",
        "a b@example.com",
        "ada@example..com",
        "ada@example.c",
        "<ada@example.com>",
        "ada@example.com, bob@example.com",
        "x" * 320 + "@example.com",
        "ada\udcff@example.com",
    ],
)
def test_bad_emails(value):
    err = _invalid(v.email, value)
    assert err.field == "email"


@pytest.mark.parametrize(
    "value",
    ["+44 20 7946 0000", "(555) 123-4567", "030/1234567", "+1.555.123.4567 ext. 12", "tel:+33123456789"],
)
def test_good_phones(value):
    assert v.phone(value)


@pytest.mark.parametrize(
    "value", ["", "abc", "12", "+44 20 ABC", "555-1234; DROP", "1" * 101, "555\udcff123"]
)
def test_bad_phones(value):
    assert _invalid(v.phone, value).field == "phone"


@pytest.mark.parametrize("value", [None, "", "   ", "\t\n"])
def test_names_must_not_be_empty(value):
    err = _invalid(v.name, value)
    assert err.field == "name" and "empty" in err.message


def test_names_are_one_trimmed_line():
    assert v.name("  Ada \n  Lovelace ") == "Ada Lovelace"
    _invalid(v.name, "Ada\x00Lovelace")
    _invalid(v.name, "Ada\x1b[31mLovelace")
    _invalid(v.name, "x" * (v.MAX_NAME + 1))
    assert v.name("x" * 300, max_len=300) == "x" * 300
    _invalid(v.name, "x" * 301, max_len=300)


def test_text_keeps_lines_and_rejects_control_bytes():
    assert v.text("line 1\n\tline 2", "notes") == "line 1\n\tline 2"
    assert v.text("   ", "notes") is None
    assert _invalid(v.text, "a\x07b", "notes").field == "notes"
    err = _invalid(v.text, "x" * (v.MAX_TEXT + 1), "notes")
    assert "1,000,001" in err.message


def test_non_utf8_text_is_refused_clearly():
    # what Python makes of bytes that are not UTF-8 in argv (surrogateescape)
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")
    for fn, args in [(v.text, (bad, "notes")), (v.line, (bad, "title")), (v.name, (bad,)), (v.tag, (bad,))]:
        assert "UTF-8" in _invalid(fn, *args).message


def test_tags_and_field_names():
    assert v.tag("  VIP ") == "VIP"
    _invalid(v.tag, "a,b")
    _invalid(v.tag, "")
    _invalid(v.tag, "t" * 101)
    assert v.field_key(" source ") == "source"
    _invalid(v.field_key, "a=b")
    _invalid(v.field_key, "")


def test_labels_are_lower_case():
    assert v.label("Work") == "work"
    assert v.label(None) is None
    _invalid(v.label, "x" * 51)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("acme.com", "acme.com"),
        ("https://www.Acme.com/about", "acme.com"),
        ("sub.example.co.uk", "sub.example.co.uk"),
        (None, None),
        ("", None),
    ],
)
def test_domains(value, expected):
    assert v.domain(value) == expected


@pytest.mark.parametrize("value", ["acme", "not a domain", "acme.c", "http://"])
def test_bad_domains(value):
    assert _invalid(v.domain, value).field == "domain"


def test_positive_numbers():
    assert v.positive_int(None, "cadence") is None
    assert v.positive_int(30, "cadence") == 30
    assert v.positive_int(0, "x", allow_zero=True) == 0
    _invalid(v.positive_int, 0, "cadence")
    _invalid(v.positive_int, -1, "cadence")
    _invalid(v.positive_int, 2**31, "cadence")
    _invalid(v.positive_int, 101, "cadence", maximum=100)


def test_currency():
    assert v.currency(" eur ") == "EUR"
    _invalid(v.currency, "EURO")
    _invalid(v.currency, "")
