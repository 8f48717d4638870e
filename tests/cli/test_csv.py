"""CSV: the presets on real layouts, encodings, --map, --dry-run, formula neutralising, round trips."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

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
