"""CSV: the presets on real layouts, encodings, --map, --dry-run, formula neutralising, round trips."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from crm_testkit import Cli
from tinycrm.formats.csvio import CsvReader, detect, neutralise

FIXTURES = Path(__file__).parents[1] / "fixtures" / "csv"


def records(name: str, **kw) -> list:
    with open(FIXTURES / name, "rb") as fh:
        reader = CsvReader(fh, name, **kw)
        return [(reader, item) for item in reader]


def contacts(name: str, **kw) -> list:
    return [item.record.contact for _, item in records(name, **kw)]


# --- the converter --------------------------------------------------------------------------------------


def test_google_current_layout():
    ada, grace = contacts("google_current.csv")
    assert (ada.display_name, ada.given_name, ada.family_name) == ("Ada Lovelace", "Ada", "Lovelace")
    assert (ada.company, ada.job_title, ada.birthday) == ("Analytical Engines", "Programmer", "1815-12-10")
    assert [(e.value, e.label) for e in ada.emails] == [
        ("ada@engines.example", "work"),
        ("ada@home.example", "home"),
    ]
    assert [(p.value, p.label) for p in ada.phones] == [
        ("+44 20 7946 0001", "mobile"),
        ("+44 20 7946 0002", "mobile"),
        ("+44 20 7946 0003", "work"),
    ]
    assert ada.addresses[0].street == "12 St James's Square" and ada.addresses[0].label == "home"
    assert ada.tags == ["Friends"]
    assert ada.notes == "Likes\nmathematics"
    assert ada.fields == {
        "website (profile)": "https://ada.example",
        "Source": "conference",
        "department": "R&D",
    }
    assert grace.display_name == "Rear Admiral Grace Brewster Hopper"
    assert grace.birthday == "--12-09" and grace.tags == [] and grace.fields == {"nickname": "Amazing Grace"}


def test_google_legacy_layout():
    (linus,) = contacts("google_legacy.csv")
    assert linus.display_name == "Linus Torvalds"
    assert (linus.company, linus.job_title) == ("Linux Foundation", "Fellow")
    assert linus.tags == ["Kernel"] and linus.notes == "Kernel"
    assert [(e.value, e.label) for e in linus.emails] == [("linus@kernel.example", "work")]
    assert linus.addresses[0].locality == "Portland" and linus.addresses[0].region == "OR"


def test_outlook_layout():
    barbara, ken = contacts("outlook.csv")
    assert barbara.display_name == "Dr. Barbara Liskov"
    assert barbara.birthday == "1939-11-07"
    assert barbara.tags == ["Academia", "VIP"]
    assert [(p.value, p.label) for p in barbara.phones] == [
        ("+1 617 555 0199", "work fax"),
        ("+1 617 555 0100", "work"),
        ("+1 617 555 0101", "mobile"),
    ]
    a = barbara.addresses[0]
    assert (a.label, a.street, a.locality, a.postcode) == (
        "work",
        "32 Vassar St, Room G-7",
        "Cambridge",
        "02139",
    )
    # noise ("Normal", "False", "0/0/00") is left out; real values no column takes become fields
    assert barbara.fields == {
        "department": "CSAIL",
        "Gender": "Female",
        "website": "https://mit.example/~liskov",
    }
    assert [e.value for e in ken.emails] == ["ken@google.example", "ken@bell-labs.example"]
    assert ken.fields == {"Spouse": "Bonnie"}


def test_thunderbird_layout():
    dennis, margaret = contacts("thunderbird.csv")
    assert dennis.display_name == "Dennis Ritchie" and dennis.birthday == "1941-09-09"
    assert dennis.addresses[0].locality == "Murray Hill" and dennis.addresses[0].label == "work"
    assert dennis.fields["Custom 1"] == "C" and dennis.notes == "Wrote C"
    assert margaret.display_name == "Margaret Hamilton" and margaret.birthday == "--07-17"
    assert [e.value for e in margaret.emails] == ["margaret@nasa.example", "mh@home.example"]


@pytest.mark.parametrize(
    ("name", "preset"),
    [
        ("google_current.csv", "google"),
        ("google_legacy.csv", "google"),
        ("outlook.csv", "outlook"),
        ("thunderbird.csv", "thunderbird"),
        ("utf16.csv", "generic"),
    ],
)
def test_the_layout_is_recognised(name, preset):
    with open(FIXTURES / name, "rb") as fh:
        assert CsvReader(fh, name).preset == preset


def test_encodings_and_delimiters():
    zoe = records("generic_semicolon_cp1252.csv")[0][1].record.contact
    assert zoe.display_name == "Zoë Müller" and zoe.company == "Müller & Söhne"
    assert zoe.notes == "=SUM(A1:A2)"  # the quote that neutralised it is gone
    assert zoe.fields == {"Favourite colour": "Grün"}
    ivan, taro = contacts("utf16.csv")
    assert (ivan.display_name, taro.display_name) == ("Иван Петров", "山田太郎")
    (soren,) = contacts("utf8_bom.csv")
    assert soren.display_name == "Søren Kierkegaard" and soren.phones[0].label == "work"


def test_rows_without_anything_are_errors_and_empty_rows_are_skipped():
    items = [item for _, item in records("generic_semicolon_cp1252.csv")]
    assert [i.index for i in items] == [1, 2]
    assert items[1].error and "no name" in items[1].error and items[1].line == 4


def test_map_overrides_and_unknown_fields():
    from tinycrm.domain.errors import InvalidInput

    ((reader, item),) = records(
        "utf8_bom.csv", overrides={"Business Phone": "phone:office", "Full Name": "company"}
    )
    assert (
        item.record.contact.phones[0].label == "office" and item.record.contact.company == "Søren Kierkegaard"
    )
    with pytest.raises(InvalidInput, match="no column named"):
        records("utf8_bom.csv", overrides={"Nope": "name"})
    with pytest.raises(InvalidInput, match="unknown field"):
        records("utf8_bom.csv", overrides={"Full Name": "shoe size"})


def test_detect_and_neutralise():
    assert detect(["Name", "E-mail 1 - Value"]) == "google"
    assert detect(["First Name", "Last Name", "Display Name", "Primary Email"]) == "thunderbird"
    assert detect(["whatever"]) == "generic"
    assert [neutralise(x) for x in ("=1+1", "+44 1", "-2", "@x", "\tx", "plain", "")] == [
        "'=1+1",
        "'+44 1",
        "'-2",
        "'@x",
        "'\tx",
        "plain",
        "",
    ]


# --- import and export ----------------------------------------------------------------------------------


def test_import_csv_then_again_changes_nothing(cli):
    r = cli("import", "csv", str(FIXTURES / "google_current.csv"))
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "created 2, updated 0, unchanged 0, failed 0"
    r = cli("import", "csv", str(FIXTURES / "google_current.csv"))
    assert r.stdout.strip() == "created 0, updated 0, unchanged 2, failed 0"
    r = cli("import", "csv", str(FIXTURES / "outlook.csv"), "--preset", "outlook", "--json")
    assert (r.json["created"], r.json["failed"]) == (2, 0)
    r = cli("search", "liskov", "--json")
    assert [c["display_name"] for c in r.json] == ["Dr. Barbara Liskov"]


def test_import_csv_reports_bad_rows(cli):
    r = cli("import", "csv", str(FIXTURES / "generic_semicolon_cp1252.csv"))
    assert r.exit_code == 1
    assert "record 2 (line 4): the row has no name" in r.stderr
    assert r.stdout.strip() == "created 1, updated 0, unchanged 0, failed 1"


def test_dry_run_shows_the_mapping_and_changes_nothing(cli):
    r = cli("import", "csv", str(FIXTURES / "outlook.csv"), "--dry-run", "--json")
    assert r.exit_code == 0
    assert r.json["preset"] == "outlook"
    columns = {c["column"]: c["field"] for c in r.json["columns"]}
    assert columns["Title"] == "prefix" and columns["Mobile Phone"] == "phone (mobile)"
    assert columns["Spouse"] == "custom field (when not empty)" and columns["Initials"] == "ignored"
    assert [row["name"] for row in r.json["rows"]] == ["Dr. Barbara Liskov", "Ken Thompson"]
    r = cli("import", "csv", str(FIXTURES / "outlook.csv"), "--dry-run", "--map", "Spouse=ignore")
    assert r.exit_code == 0 and "Spouse\tignored" in r.stdout
    assert cli("contact", "list", "--json").json == []


def test_import_csv_from_stdin_with_map(cli):
    data = "Who,Mail,Org\nAnn Example,ann@example.com,Acme\n"
    r = cli(
        "import",
        "csv",
        "-",
        "--map",
        "Who=name",
        "--map",
        "Mail=email:work",
        "--map",
        "Org=company",
        input=data,
    )
    assert r.exit_code == 0, r.stderr
    c = cli("contact", "show", "ann@example.com", "--json").json
    assert c["display_name"] == "Ann Example" and c["emails"] == [
        {"value": "ann@example.com", "label": "work"}
    ]
    assert c["company"]["name"] == "Acme"


def test_export_csv_neutralises_formulas_and_imports_back(cli, tmp_path):
    assert (
        cli(
            "add-contact",
            '=HYPERLINK("http://evil")',
            "--phone",
            "mobile:+44 20 7946 0000",
            "--email",
            "work:eve@example.com",
            "--tag",
            "vip",
            "--field",
            "source=-1",
            "--note",
            "@mention",
        ).exit_code
        == 0
    )
    assert (
        cli(
            "add-contact",
            "Zoë Müller",
            "--company",
            "Acme",
            "--birthday",
            "04-15",
            "--cadence",
            "14",
            "--address",
            "home:1 Main St; Springfield; IL; 62701; USA",
        ).exit_code
        == 0
    )
    out = tmp_path / "all.csv"
    r = cli("export", "csv", str(out))
    assert r.exit_code == 0, r.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cells = [c for row in rows[1:] for c in row]
    assert '\'=HYPERLINK("http://evil")' in cells and "'+44 20 7946 0000" in cells
    assert "'-1" in cells and "'@mention" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t")]
    before = {c["display_name"]: c for c in cli("contact", "list", "--json").json}
    # importing the export again finds every contact by its UID: nothing changes
    r = cli("import", "csv", str(out))
    assert r.stdout.strip() == "created 0, updated 0, unchanged 2, failed 0", r.stderr
    assert {c["display_name"]: c for c in cli("contact", "list", "--json").json} == before
    assert cli("export", "csv", str(out)).exit_code == 1  # no overwrite without --force


def test_export_csv_google_preset(cli):
    cli(
        "add-contact",
        "Ada Lovelace",
        "--email",
        "work:ada@example.com",
        "--phone",
        "mobile:+44 1234 567",
        "--tag",
        "math",
        "--field",
        "source=fair",
        "--role",
        "billing",
        "--company",
        "Engines",
    )
    r = cli("export", "csv", "-", "--preset", "google")
    assert r.exit_code == 0
    rows = list(csv.reader(io.StringIO(r.stdout)))
    head, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert head[:3] == ["First Name", "Middle Name", "Last Name"] and "E-mail 1 - Value" in head
    assert row["E-mail 1 - Label"] == "Work" and row["Labels"] == "math ::: * myContacts"
    assert row["Phone 1 - Value"] == "'+44 1234 567"
    assert {row["Custom Field 1 - Label"], row["Custom Field 2 - Label"]} == {"role", "source"}
    # and a Google import reads it back
    from tinycrm.formats.csvio import CsvReader

    (item,) = list(CsvReader(io.BytesIO(r.stdout.encode()), "google.csv"))
    c = item.record.contact
    assert (c.display_name, c.company, c.tags) == ("Ada Lovelace", "Engines", ["math"])
    assert c.phones[0].value == "+44 1234 567"
    assert cli("export", "csv", "-", "--preset", "outlook").exit_code == 2


# --- cells of any length, values of any kind, files of any encoding -------------------------------------


def test_a_cell_longer_than_the_csv_module_allows_is_imported_and_a_larger_one_is_its_rows_error(
    cli, tmp_path
):
    """A 200 KB note stopped the import at the row before it; a cell longer than any column takes is now
    that row's error, and the rows after it (in the next batch too) are imported."""
    note = "n" * 200_000
    rows = [f"Person {n},p{n}@example.com,{note if n == 301 else 'short'}" for n in range(1, 601)]
    rows[449] = 'Too Long,toolong@example.com,"' + "x\n" * 1_000_002 + '"'
    path = tmp_path / "big.csv"
    path.write_text("Name,Email,Notes\r\n" + "\r\n".join(rows) + "\r\n", encoding="utf-8")
    r = cli("import", "csv", str(path))
    assert r.exit_code == 1
    assert r.stdout.strip() == "created 599, updated 0, unchanged 0, failed 1"
    assert "big.csv: record 450 (line 451): a cell is longer than 2,000,002 characters" in r.stderr
    assert cli("contact", "show", "p301@example.com", "--json").json["notes"] == note
    assert cli("contact", "show", "p600@example.com", "--json").json["display_name"] == "Person 600"


TRICKY = [
    "'=quoted already",
    "a;=cmd|' /C calc'!A0;b",
    "＝1+1",
    " =1+1 leading space",
    "x\n=2+2 on a second line",
    "@SUM(A1)",
    "-5, -6; +7\t@8",
]


def test_export_is_formula_safe_for_every_delimiter_and_imports_back_exactly(cli, other_url, tmp_path):
    long_note = ("=1+1;" * 200_000)[:1_000_000]
    assert cli("add-contact", "Tricky One", "--note", long_note).exit_code == 0
    for n, value in enumerate(TRICKY):
        r = cli("add-contact", f"Tricky {n}", "--note", value, "--field", f"k{n}={value}")
        assert r.exit_code == 0, r.stderr
    out = tmp_path / "all.csv"
    assert cli("export", "csv", str(out)).exit_code == 0
    raw = out.read_bytes().decode("utf-8-sig")
    for delimiter in (",", ";", "\t", "|"):
        for row in csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, quoting=csv.QUOTE_NONE):
            for cell in row:
                cell = cell.strip('"').lstrip()
                assert not cell or cell[0] not in "=+-@＝", (delimiter, cell)
    before = {
        c["display_name"]: c for c in (cli("contact", "show", str(i), "--json").json for i in range(1, 9))
    }
    other = Cli(other_url)
    r = other("import", "csv", str(out))
    assert r.exit_code == 0, r.stderr
    ids = {c["display_name"]: c["id"] for c in other("contact", "list", "--json").json}
    for name, c in before.items():
        got = other("contact", "show", str(ids[name]), "--json").json
        assert (got["uid"], got["notes"], got["fields"]) == (c["uid"], c["notes"], c["fields"]), name


def test_a_shift_jis_thunderbird_export_in_japanese(cli):
    path = FIXTURES / "thunderbird_ja_sjis.csv"
    r = cli("import", "csv", str(path), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json["created"] == 2
    assert r.json["warnings"][0]["message"].startswith(
        "the file does not say its encoding: read as Shift_JIS"
    )
    taro = cli("contact", "show", "taro@example.jp", "--json").json
    assert (taro["display_name"], taro["company"]["name"], taro["job_title"]) == (
        "山田 太郎",
        "山田商事",
        "部長",
    )
    assert taro["birthday"] == "1980-04-15" and taro["notes"] == "よろしくお願いします"
    assert taro["addresses"][0]["locality"] == "千代田区" and taro["fields"]["department"] == "営業部"
    # said, it is no guess
    r = cli("import", "csv", str(path), "--encoding", "shift_jis", "--json")
    assert (r.json["unchanged"], r.json["warnings"]) == (2, [])
    r = cli("import", "csv", str(path), "--encoding", "shoe-size")
    assert r.exit_code == 2 and "--encoding: 'shoe-size' is not an encoding" in r.stderr


def test_a_csv_without_a_header_line(cli):
    data = "Ann Example,ann@example.com,Acme\nBob Roe,bob@example.com,Initech\n"
    r = cli("import", "csv", "-", "--json", input=data)
    assert r.exit_code == 0, r.stderr
    assert r.json["created"] == 2 and "no header line" in r.json["warnings"][0]["message"]
    assert cli("contact", "show", "ann@example.com", "--json").json["fields"] == {"column 3": "Acme"}
    data = "Carl Doe;Globex\nDana Poe;Umbrella\n"
    r = cli(
        "import", "csv", "-", "--no-header", "--map", "1=name", "--map", "2=company", "--dry-run", input=data
    )
    assert r.exit_code == 0 and "column 2\tcompany" in r.stdout
    r = cli("import", "csv", "-", "--no-header", "--map", "1=name", "--map", "2=company", input=data)
    assert r.stdout.strip() == "created 2, updated 0, unchanged 0, failed 0"
    assert cli("search", "Dana", "--json").json[0]["company"] == "Umbrella"


def test_mail_client_values_are_kept_as_what_they_are(cli):
    data = 'Name,E-mail,Phone,Birthday\nOmega,"""Omega"" <omega@example.com>",1-800-MY-APPLE,"Tue, 22 Dec 2009"\n'
    data += "Test,user@invalid,,\n"
    r = cli("import", "csv", "-", "--json", input=data)
    assert r.exit_code == 0, r.stderr
    assert [w["message"] for w in r.json["warnings"]] == [
        "Phone: '1-800-MY-APPLE' has letters for digits (a vanity number); kept as a phone number",
        "E-mail: 'user@invalid' is an address on a local or test domain; kept as an email address",
    ]
    omega = cli("contact", "show", "omega@example.com", "--json").json
    assert omega["phones"][0]["value"] == "1-800-MY-APPLE" and omega["birthday"] == "2009-12-22"
    assert omega["fields"] == {}
    assert cli("contact", "show", "user@invalid", "--json").json["display_name"] == "Test"
    r = cli("import", "csv", "-", "--json", input=data)
    assert (r.json["unchanged"], r.json["created"]) == (2, 0)
