"""``crm export vcard|csv --query Q``: only the contacts a search finds (words and filters, archived ones too),
by name, on both stores; a bad query writes nothing; a vdir export takes no query."""

from __future__ import annotations

import csv
import io


def _seed(cli) -> None:  # noqa: ANN001
    for args in (
        ("Ada Lovelace", "--email", "ada@analytical.org", "--tag", "vip"),
        ("Adam Smith", "--email", "adam@wealth.co.uk"),
        ("Grace Hopper", "--tag", "vip", "--note", "met Ada at the fair"),
        ("Alan Turing", "--tag", "vip"),
    ):
        assert cli("add-contact", *args).exit_code == 0
    assert cli("contact", "archive", "Alan Turing").exit_code == 0


def test_an_export_of_a_search_holds_what_the_search_finds(cli, tmp_path):
    _seed(cli)
    for query, want in (
        ("ada", ["Ada Lovelace", "Adam Smith", "Grace Hopper"]),
        ("ada tag:vip", ["Ada Lovelace", "Grace Hopper"]),
        ("tag:vip", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),  # the archived one too
        ("-tag:vip has:email", ["Adam Smith"]),
    ):
        r = cli("export", "csv", "-", "--query", query)
        assert r.exit_code == 0, r.stderr
        assert [row["Name"] for row in csv.DictReader(io.StringIO(r.stdout.lstrip("\ufeff")))] == want, query
    r = cli("export", "vcard", str(tmp_path / "vip.vcf"), "-q", "tag:vip", "--tag", "vip")
    assert r.exit_code == 0, r.stderr
    text = (tmp_path / "vip.vcf").read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 3 and "FN:Adam Smith" not in text


def test_a_bad_query_writes_nothing(cli, tmp_path):
    _seed(cli)
    for query, words in (("colour:red", "unknown search field 'colour'"), ("🦄", "no letters or digits")):
        r = cli("export", "vcard", str(tmp_path / "x.vcf"), "--query", query)
        assert r.exit_code == 2 and words in r.stderr and "Traceback" not in r.stderr
        assert not (tmp_path / "x.vcf").exists()
    r = cli("export", "vcard", str(tmp_path / "folder"), "--vdir", "--query", "ada")
    assert r.exit_code == 2 and "export a search to one file" in r.stderr
    assert not (tmp_path / "folder").exists()
