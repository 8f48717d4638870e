"""The CSV reader on files that broke it: a cell longer than the csv module's default limit, a cell longer
than any column takes, legacy encodings, a file without a header line, values as mail clients write them."""

from __future__ import annotations

import io

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Labeled
from tinycrm.formats.csvio import CELL_LIMIT, CsvReader


def reader(text: str | bytes, **kw) -> CsvReader:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return CsvReader(io.BytesIO(data), "t.csv", **kw)


def outcomes(r: CsvReader) -> list[tuple[int, int | None, str | None, str | None]]:
    return [
        (i.index, i.line, i.record.contact.display_name if i.record else None, i.error and i.error[:31])
        for i in r
    ]


def test_a_cell_of_a_long_note_is_read():
    """Python's csv module stops at 131,072 characters; a note may hold 1,000,000 (and more once quotes
    are neutralised)."""
    note = ("=x\n" * 400_000)[:1_000_000]
    from tinycrm.formats.csvio import neutralise

    text = f'Name,Notes\r\nAda,"{neutralise(note)}"\r\nGrace,short\r\n'
    (ada, grace) = [i.record.contact for i in reader(text)]
    assert ada.notes == note.strip() and grace.notes == "short"


def test_a_cell_longer_than_any_column_is_that_rows_error_and_the_others_are_read():
    huge = "x\n" * (CELL_LIMIT // 2 + 10)
    text = f'Name,Notes\r\nAda,one\r\nBob,"{huge}"\r\nGrace,"two\r\nlines"\r\nLinus,three\r\n'
    assert outcomes(reader(text)) == [
        (1, 2, "Ada", None),
        (2, 3, None, "a cell is longer than 2,000,002"),
        (3, 3 + huge.count("\n") + 1, "Grace", None),
        (4, 3 + huge.count("\n") + 3, "Linus", None),
    ]


def test_an_unquoted_cell_longer_than_any_column_is_that_rows_error():
    text = "Name,Notes\r\nAda,one\r\nBob," + "x" * (CELL_LIMIT + 5) + "\r\nGrace,two\r\n"
    assert [o[2] or o[3] for o in outcomes(reader(text))] == [
        "Ada",
        "a cell is longer than 2,000,002",
        "Grace",
    ]


# --- encodings ------------------------------------------------------------------------------------------


def test_a_shift_jis_file_is_recognised_and_said_so():
    text = "Display Name,Primary Email,Notes\r\n山田 太郎,taro@example.jp,よろしくお願いします\r\n"
    r = reader(text.encode("cp932"))
    (item,) = list(r)
    assert item.record.contact.display_name == "山田 太郎"
    assert item.record.contact.notes == "よろしくお願いします"
    assert r.encoding in ("cp932", "shift_jis") and "Shift_JIS" in r.notes[0]


def test_encoding_given_wins_and_a_bad_name_is_refused():
    data = "Name\r\nMaćko\r\n".encode("cp1250")
    (item,) = list(reader(data, encoding="windows-1250"))
    assert item.record.contact.display_name == "Maćko"
    (item,) = list(reader(data, encoding="latin-1"))
    assert item.record.contact.display_name == "Maæko"  # what was asked for
    with pytest.raises(InvalidInput, match="--encoding: 'klingon' is not an encoding"):
        reader(data, encoding="klingon")


def test_utf8_with_a_later_row_in_windows_1252_is_read_and_said_so():
    data = ("Name,Notes\r\n" + "Ann,plain\r\n" * 7000).encode() + "Zoë,Grün\r\n".encode("cp1252")
    items = list(reader(data))
    last = items[-1].record
    assert last.contact.display_name == "Zoë" and last.contact.notes == "Grün"
    assert "not UTF-8 were read as windows-1252" in last.warnings[0]
    assert items[0].record.warnings == []


def test_bytes_the_given_encoding_cannot_read_are_said_so():
    (item,) = list(reader(b"Name\r\nAda \x81\r\n", encoding="cp1252"))
    assert "replaced" in item.record.warnings[0]


# --- a file without a header line -----------------------------------------------------------------------


def test_a_file_without_a_header_is_recognised_and_its_columns_guessed():
    r = reader("Ann Example,ann@example.com,+44 20 7946 0001,Acme\r\nBob Roe,bob@example.com,,Initech\r\n")
    assert not r.has_header and r.headers == ["column 1", "column 2", "column 3", "column 4"]
    assert [t and t.field for t in r.targets] == ["name", "email", "phone", None]
    ann, bob = [i.record.contact for i in r]
    assert (ann.display_name, ann.emails, ann.phones) == (
        "Ann Example",
        [Labeled("ann@example.com")],
        [Labeled("+44 20 7946 0001")],
    )
    assert ann.fields == {"column 4": "Acme"} and bob.display_name == "Bob Roe"
    assert "no header line" in r.notes[0] and "column 2: email" in r.notes[0]


def test_no_header_and_columns_by_number():
    r = reader(
        "Ann Example;Acme\r\nBob Roe;Initech\r\n", no_header=True, overrides={"2": "company", "1": "name"}
    )
    assert [(c.display_name, c.company) for c in (i.record.contact for i in r)] == [
        ("Ann Example", "Acme"),
        ("Bob Roe", "Initech"),
    ]
    # a header line is still a header; --map by number works there too
    r = reader("Who,Where\r\nAnn,Acme\r\n", overrides={"2": "company"})
    assert r.has_header and [i.record.contact.company for i in r] == ["Acme"]
    with pytest.raises(InvalidInput, match="no column named 'Nope'"):
        reader("Who,Where\r\nAnn,Acme\r\n", overrides={"Nope": "name"})


# --- values as mail clients write them ------------------------------------------------------------------


def test_emails_with_a_name_test_domains_vanity_numbers_and_client_dates():
    text = (
        "Name,E-mail,Other e-mail,Phone,Birthday\r\n"
        'Omega,"""Omega"" <omega@example.com>",user@invalid,1-800-MY-APPLE,"Tue, 22 Dec 2009"\r\n'
        "Pat,Pat <pat@example.com>,,,05.06.1990\r\n"
    )
    omega, pat = [i.record for i in reader(text)]
    c = omega.contact
    assert [e.value for e in c.emails] == ["omega@example.com", "user@invalid"]
    assert [p.value for p in c.phones] == ["1-800-MY-APPLE"] and c.fields == {}
    assert c.birthday == "2009-12-22"
    assert omega.warnings == [
        "Other e-mail: 'user@invalid' is an address on a local or test domain; kept as an email address",
        "Phone: '1-800-MY-APPLE' has letters for digits (a vanity number); kept as a phone number",
    ]
    assert pat.contact.emails == [Labeled("pat@example.com")] and pat.contact.birthday == "1990-06-05"


def test_thunderbird_in_japanese():
    head = "名,姓,表示名,メールアドレス,携帯電話番号,番地 (自宅),市区町村 (自宅),誕生年,誕生月,誕生日,メモ"
    row = "太郎,山田,山田 太郎,taro@example.jp,090-1234-5678,千代田1-1,千代田区,1980,4,15,よろしく"
    r = reader(f"{head}\r\n{row}\r\n".encode("cp932"))
    assert r.preset == "thunderbird"
    (item,) = list(r)
    c = item.record.contact
    assert (c.given_name, c.family_name, c.display_name, c.birthday) == (
        "太郎",
        "山田",
        "山田 太郎",
        "1980-04-15",
    )
    assert c.phones == [Labeled("090-1234-5678", "mobile")]
    assert (c.addresses[0].label, c.addresses[0].locality) == ("home", "千代田区") and c.notes == "よろしく"
