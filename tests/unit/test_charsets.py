"""Which legacy encoding undeclared 8-bit text is in: the file's own hints first, then the text itself."""

from __future__ import annotations

import pytest

from tinycrm.formats.charsets import guess, score


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Piotr Iksiński", "cp1250"),  # windows-1252 would read Iksiñski: ñ is never before a consonant
        ("Łukasz Wójcik, Łódź", "cp1250"),  # windows-1252: £ukasz, a symbol inside a word
        ("Jiří Dvořák", "cp1250"),
        ("José Muñoz, Peña", "cp1252"),
        ("Jürgen Müller, Straße", "cp1252"),
        ("François Lefèvre", "cp1252"),
        ("Şükrü Öztürk, İstanbul", "cp1254"),
        ("Ермолов Олег", "cp1251"),
        ("Александр Иванов, Москва, ул. Тверская", "koi8_r"),
        ("Γιάννης Παπαδόπουλος", "cp1253"),
        ("名,姓,表示名\r\n太郎,山田,山田 太郎,タロ", "cp932"),
        ("山田 太郎,よろしくお願いします", "cp932"),
        ("张伟 李娜 刘洋,北京市朝阳区", "gb18030"),
        ("김민준,서울특별시", "cp949"),
        ("陳建宏 台北市", "big5"),
    ],
)
def test_the_text_tells(text, encoding):
    data = text.encode(encoding)
    g = guess(data)
    assert data.decode(g.encoding) == text, g
    assert g.why == "guessed from the text"


def test_the_files_own_hints_come_first():
    data = "Pešek".encode("iso8859_2")  # 0xB9: 'š' here, 'ą' in windows-1250
    assert guess(data, declared=["ISO-8859-2", "UTF-8"]).encoding == "iso-8859-2"
    assert guess(data, declared=["utf-8"]).why == "guessed from the text"
    g = guess("Maćko".encode("cp1250"), languages=["pl-PL"])
    assert (g.encoding, g.why) == ("cp1250", "the usual encoding of the language the file gives (pl-pl)")
    assert guess(b"\x81\x8d", languages=["en"]).encoding != "cp1252"  # not text in it: not taken


def test_garbled_readings_score_below_the_right_one():
    right, wrong = "Łukasz Wójcik", "£ukasz Wójcik"
    assert score(right) > score(wrong)
    assert score("Ермолов") > score("еПЛНКНБ")  # KOI8-R read as windows-1251 flips the case
    assert score("Müller") > score("MÃ¼ller")  # UTF-8 read as windows-1252


def test_nothing_reads_it():
    g = guess(b"\x81\x8d\x8f\x90\x9d" * 3)
    assert g.encoding and not g.sure
